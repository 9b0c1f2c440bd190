import CTorch

/// The element type of a tensor. Raw values are libtorch's `c10::ScalarType` codes.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int32 = 3
    case int64 = 4
    case float16 = 5
    case float32 = 6
    case float64 = 7
    case bool = 11
    case bfloat16 = 15

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .bool: 1
        case .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    public var isFloatingPoint: Bool { [.float16, .bfloat16, .float32, .float64].contains(self) }

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int32: "int32"
        case .int64: "int64"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        }
    }

    var c: ctorch_dtype { ctorch_dtype(rawValue: UInt32(rawValue)) }

    init(_ value: ctorch_dtype) {
        guard let dtype = DType(rawValue: Int32(value.rawValue)) else {
            fatalError("libtorch returned a dtype facelabel does not handle (c10::ScalarType \(value.rawValue))")
        }
        self = dtype
    }
}

/// A Swift type whose values can be copied into and out of a tensor.
public protocol TensorElement: Sendable {
    /// The tensor dtype that stores this type without conversion.
    static var dtype: DType { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
