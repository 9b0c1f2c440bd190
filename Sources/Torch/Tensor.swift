import CTorch
import Synchronization

/// An n-dimensional array on a device, backed by a libtorch tensor, with autograd.
///
/// `Tensor` is a class because libtorch views share storage: two `Tensor`s can alias the same
/// memory, and copying a value would not copy the data. It owns one libtorch handle and frees it in
/// `deinit`. It is not `Sendable`; exchange `[Float]` between tasks.
///
/// ```swift
/// let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
/// let y = (x * 2 + 1).sum()   // 24
/// ```
public final class Tensor {
    package let handle: ctorch_tensor

    private static let live = Atomic<Int>(0)

    /// How many `Tensor` objects exist right now in this process (a leak check).
    public static var liveCount: Int { live.load(ordering: .relaxed) }

    /// Takes ownership of a +1 handle from the shim.
    package init(handle: ctorch_tensor) {
        precondition(handle.ptr != nil, "a Tensor needs a defined handle")
        self.handle = handle
        Self.live.add(1, ordering: .relaxed)
    }

    deinit {
        ctorch_tensor_free(handle)
        Self.live.subtract(1, ordering: .relaxed)
    }

    /// Runs a shim call that writes one new tensor, trapping with a full description on failure.
    @inline(__always)
    package static func make(
        _ operation: StaticString, _ inputs: @autoclosure () -> [Tensor],
        _ call: (UnsafeMutablePointer<ctorch_tensor>) -> UnsafeMutablePointer<ctorch_error>?
    ) -> Tensor {
        var out = ctorch_tensor(ptr: nil)
        check(operation, inputs()) { call(&out) }
        return Tensor(handle: out)
    }

    /// Runs a shim call that writes a malloc'ed array of new tensors.
    package static func makeList(
        _ operation: StaticString, _ inputs: @autoclosure () -> [Tensor],
        _ call: (UnsafeMutablePointer<UnsafeMutablePointer<ctorch_tensor>?>, UnsafeMutablePointer<Int64>) ->
            UnsafeMutablePointer<ctorch_error>?
    ) -> [Tensor] {
        var array: UnsafeMutablePointer<ctorch_tensor>? = nil
        var count: Int64 = 0
        check(operation, inputs()) { call(&array, &count) }
        guard let array else { return [] }
        defer { ctorch_free(array) }
        return (0..<Int(count)).map { Tensor(handle: array[$0]) }
    }

    /// Runs a shim call that writes two new tensors (values and indices).
    package static func makePair(
        _ operation: StaticString, _ inputs: @autoclosure () -> [Tensor],
        _ call: (UnsafeMutablePointer<ctorch_tensor>, UnsafeMutablePointer<ctorch_tensor>) ->
            UnsafeMutablePointer<ctorch_error>?
    ) -> (Tensor, Tensor) {
        var first = ctorch_tensor(ptr: nil)
        var second = ctorch_tensor(ptr: nil)
        check(operation, inputs()) { call(&first, &second) }
        return (Tensor(handle: first), Tensor(handle: second))
    }

    // MARK: Properties

    /// The size of each dimension.
    public var shape: [Int] {
        let rank = Int(ctorch_tensor_dim(handle))
        return [Int](unsafeUninitializedCapacity: rank) { buffer, count in
            buffer.withMemoryRebound(to: Int64.self) { _ = ctorch_tensor_sizes(handle, $0.baseAddress, Int64(rank)) }
            count = rank
        }
    }

    /// The number of dimensions.
    public var rank: Int { Int(ctorch_tensor_dim(handle)) }

    /// The number of elements.
    public var count: Int { Int(ctorch_tensor_numel(handle)) }

    public var dtype: DType { DType(ctorch_tensor_dtype(handle)) }
    public var device: Device { Device(ctorch_tensor_device(handle)) }
    public var isContiguous: Bool { ctorch_tensor_is_contiguous(handle) }
    public var isChannelsLast: Bool { ctorch_tensor_is_channels_last(handle) }

    /// The shape of a 4-d tensor as a tuple: `let (n, c, h, w) = x.shape4`.
    public var shape4: (Int, Int, Int, Int) {
        let s = shape
        precondition(s.count == 4, "shape4 needs a 4-d tensor, got shape \(s)")
        return (s[0], s[1], s[2], s[3])
    }

    /// The shape of a 3-d tensor as a tuple.
    public var shape3: (Int, Int, Int) {
        let s = shape
        precondition(s.count == 3, "shape3 needs a 3-d tensor, got shape \(s)")
        return (s[0], s[1], s[2])
    }

    /// The shape of a 2-d tensor as a tuple.
    public var shape2: (Int, Int) {
        let s = shape
        precondition(s.count == 2, "shape2 needs a 2-d tensor, got shape \(s)")
        return (s[0], s[1])
    }

    /// The size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) -> Int {
        let s = shape
        let axis = dim < 0 ? dim + s.count : dim
        precondition(s.indices.contains(axis), "dimension \(dim) out of range for shape \(s)")
        return s[axis]
    }

    /// Whether both tensors are the same libtorch tensor (not merely equal values).
    public func isSame(as other: Tensor) -> Bool { ctorch_tensor_is_same(handle, other.handle) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        guard let text = ctorch_tensor_description(handle) else { return "Tensor(\(shape), \(dtype))" }
        defer { ctorch_free(text) }
        return String(cString: text)
    }
}

/// Runtime settings of libtorch.
public enum Torch {
    /// Sets the number of intra-op threads libtorch uses. Call once, at startup.
    public static func setThreadCount(_ count: Int) { ctorch_set_num_threads(Int32(count)) }

    /// The number of intra-op threads libtorch uses.
    public static var threadCount: Int { Int(ctorch_get_num_threads()) }

    /// Seeds libtorch's default generator (used by ops that are given no ``Generator``).
    public static func manualSeed(_ seed: UInt64) { ctorch_manual_seed(seed) }
}
