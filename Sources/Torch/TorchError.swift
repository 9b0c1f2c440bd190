import CTorch

/// An error reported by libtorch, with the operation that raised it.
///
/// Ops on tensors trap with this text instead of throwing (a wrong shape is a programmer error, as
/// an array index out of range is); I/O, checkpoints and device selection throw it.
public struct TorchError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, from the C++ exception class libtorch raised.
    public enum Kind: Sendable {
        case outOfMemory, index, value, type, notImplemented, other
    }

    public let kind: Kind
    /// The operation and its inputs, e.g. `conv2d(input: [1, 3, 8, 8] float32, weight: ...)`.
    public let operation: String
    /// libtorch's message.
    public let message: String

    public init(kind: Kind, operation: String, message: String) {
        self.kind = kind
        self.operation = operation
        self.message = message
    }

    /// Takes ownership of a shim error and frees it.
    init(consuming error: UnsafeMutablePointer<ctorch_error>, operation: String) {
        defer { ctorch_error_free(error) }
        switch error.pointee.kind {
        case CTORCH_ERROR_OUT_OF_MEMORY: kind = .outOfMemory
        case CTORCH_ERROR_INDEX: kind = .index
        case CTORCH_ERROR_VALUE: kind = .value
        case CTORCH_ERROR_TYPE: kind = .type
        case CTORCH_ERROR_NOT_IMPLEMENTED: kind = .notImplemented
        default: kind = .other
        }
        self.operation = operation
        message = error.pointee.message.map { String(cString: $0) } ?? ""
    }

    public var description: String { "\(operation) failed: \(message)" }
}

/// Describes an op and the shapes and dtypes of its tensor inputs, for error messages.
func describe(_ operation: StaticString, _ inputs: [Tensor]) -> String {
    let arguments = inputs.map { "\($0.shape) \($0.dtype)" }.joined(separator: ", ")
    return "\(operation)(\(arguments))"
}

/// Runs a shim call that cannot fail for valid programs; traps with the op, its inputs and
/// libtorch's message when it does.
@inline(__always)
func check(
    _ operation: StaticString, _ inputs: @autoclosure () -> [Tensor],
    _ call: () -> UnsafeMutablePointer<ctorch_error>?
) {
    if let error = call() {
        let failure = TorchError(consuming: error, operation: describe(operation, inputs()))
        fatalError(failure.description)
    }
}

/// Runs a shim call and throws its error, for calls whose failure is an expected outcome.
@inline(__always)
func attempt(
    _ operation: @autoclosure () -> String, _ call: () -> UnsafeMutablePointer<ctorch_error>?
)
    throws(TorchError)
{
    if let error = call() { throw TorchError(consuming: error, operation: operation()) }
}

/// The bytes a shim call hands out as a malloc'ed buffer and its size, copied and the buffer freed.
func mallocedBytes(
    _ operation: @autoclosure () -> String,
    _ call: (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>) -> UnsafeMutablePointer<ctorch_error>?
) throws(TorchError) -> [UInt8] {
    var data: UnsafeMutableRawPointer? = nil
    var size = 0
    try attempt(operation()) { call(&data, &size) }
    defer { ctorch_free(data) }
    guard let data, size > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: size))
}
