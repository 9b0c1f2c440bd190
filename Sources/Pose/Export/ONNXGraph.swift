import Foundation
import ONNXProto
import Torch

/// An ONNX graph under construction: its nodes in order, its weights and constants as
/// initializers, each value named after the node that makes it. Weights are float32, or float16
/// when `halfWeights` (each then cast to float32 by a node, so that the graph still computes, takes
/// and gives float32).
struct ONNXGraph {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    let halfWeights: Bool
    /// How many nodes of each name were made, for unique value names.
    private var uses: [String: Int] = [:]

    init(halfWeights: Bool) {
        self.halfWeights = halfWeights
    }

    /// An attribute of a node.
    enum Attribute {
        case int(Int)
        case ints([Int])
        case string(String)

        func proto(_ name: String) -> Onnx_AttributeProto {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            switch self {
            case .int(let value): (attribute.type, attribute.i) = (.int, Int64(value))
            case .ints(let values): (attribute.type, attribute.ints) = (.ints, values.map(Int64.init))
            case .string(let value): (attribute.type, attribute.s) = (.string, Data(value.utf8))
            }
            return attribute
        }
    }

    /// Adds a node of `operation` on `inputs` (value names; "" for an omitted optional input) and
    /// returns its `outputs` values, named `<scope>/<operation>[_n]:<i>`.
    @discardableResult
    mutating func node(
        _ operation: String, _ inputs: [String], scope: String, outputs: Int = 1, attributes: [String: Attribute] = [:]
    ) -> [String] {
        let base = "\(scope)/\(operation)"
        let count = uses[base, default: 0]
        uses[base] = count + 1
        var node = Onnx_NodeProto()
        node.name = count == 0 ? base : "\(base)_\(count)"
        node.opType = operation
        node.input = inputs
        node.output = (0..<outputs).map { "\(node.name):\($0)" }
        node.attribute = attributes.sorted { $0.key < $1.key }.map { $0.value.proto($0.key) }
        nodes.append(node)
        return node.output
    }

    /// A node with one output.
    mutating func value(
        _ operation: String, _ inputs: [String], scope: String, attributes: [String: Attribute] = [:]
    ) -> String {
        node(operation, inputs, scope: scope, attributes: attributes)[0]
    }

    /// A 2-d convolution node: a square kernel, one group, no dilation, an optional bias.
    mutating func convolution(
        _ x: String, weight: String, bias: String? = nil, kernel: Int, stride: Int = 1, padding: Int = 0, scope: String
    ) -> String {
        value(
            "Conv", [x, weight] + (bias.map { [$0] } ?? []), scope: scope,
            attributes: [
                "kernel_shape": .ints([kernel, kernel]), "strides": .ints([stride, stride]),
                "pads": .ints([padding, padding, padding, padding]), "dilations": .ints([1, 1]), "group": .int(1),
            ])
    }

    /// A weight of the network under `name` (a state-dict key): float32, or float16 cast to
    /// float32 in the graph.
    mutating func weight(_ tensor: Tensor, name: String) -> String {
        guard halfWeights else { return initializer(tensor.to(.float32), name: name) }
        let stored = initializer(tensor.to(.float16), name: name)
        return value("Cast", [stored], scope: name, attributes: ["to": .int(Onnx_TensorProto.DataType.float.rawValue)])
    }

    /// A float32 constant (anchor arithmetic, bin values), never stored in half precision.
    mutating func constant(_ values: [Float], shape: [Int], name: String) -> String {
        initializer(Tensor(values, shape: shape), name: name)
    }

    /// An int64 constant (shapes, axes, split sizes, indices).
    mutating func constant(int64 values: [Int], shape: [Int]? = nil, name: String) -> String {
        initializer(Tensor(values.map(Int64.init), shape: shape ?? [values.count]), name: name)
    }

    /// Stores `tensor` (float32, float16 or int64) as an initializer named `name`; a name already
    /// stored is the same constant asked for again and is reused.
    private mutating func initializer(_ tensor: Tensor, name: String) -> String {
        if let stored = initializers.first(where: { $0.name == name }) {
            precondition(stored.rawData == Data(tensor.to(.cpu).contiguous().bytes()), "two constants named \(name)")
            return name
        }
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map(Int64.init)
        proto.dataType = Int32(Self.dataType(tensor.dtype).rawValue)
        proto.rawData = Data(tensor.to(.cpu).contiguous().bytes())  // little-endian, as ONNX's raw_data is
        initializers.append(proto)
        return name
    }

    static func dataType(_ dtype: DType) -> Onnx_TensorProto.DataType {
        switch dtype {
        case .float16: .float16
        case .int64: .int64
        default: .float
        }
    }

    /// The description of a graph input or output: float32 of `shape`, where a dimension is a
    /// number or a name (a size given at run time).
    static func valueInfo(_ name: String, shape: [Dimension]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        info.type.tensorType.shape.dim = shape.map { dimension in
            var proto = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .fixed(let size): proto.dimValue = Int64(size)
            case .named(let name): proto.dimParam = name
            }
            return proto
        }
        return info
    }

    /// A dimension of a graph input or output.
    enum Dimension: Equatable {
        case fixed(Int)
        case named(String)
    }
}
