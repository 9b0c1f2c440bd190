import Foundation
import ONNXProto
import PoseData
import SwiftProtobuf
import Torch

/// What an ONNX export is asked for.
public struct ONNXExportOptions: Sendable {
    /// The input's height and width, multiples of 32 (ignored in the graph when `dynamic`, but
    /// written to the metadata as the size to feed).
    public var imageSize: (height: Int, width: Int)
    /// The fixed batch size, when not `dynamic`.
    public var batch: Int
    /// Batch, height and width given at run time (`batch`, `height`, `width`; the output's anchors
    /// follow), as the reference's `dynamic=True`.
    public var dynamic: Bool
    /// Weights stored as float16 (the graph computes in float32).
    public var halfWeights: Bool
    /// The ONNX operator set version.
    public var opset: Int
    /// The class names, by class index.
    public var names: [String]
    /// Further metadata entries (the producer's version, the date).
    public var metadata: [String: String]

    /// The operator sets the graph is valid in: every operator it uses has had its present form
    /// since 13 (Split's sizes and Unsqueeze's axes as inputs).
    public static let opsets = 13...21

    public init(
        imageSize: (height: Int, width: Int), batch: Int = 1, dynamic: Bool = false, halfWeights: Bool = false, opset: Int = 17,
        names: [String], metadata: [String: String] = [:]
    ) {
        self.imageSize = imageSize
        self.batch = batch
        self.dynamic = dynamic
        self.halfWeights = halfWeights
        self.opset = opset
        self.names = names
        self.metadata = metadata
    }
}

/// The network as an ONNX graph that computes what ``PoseModel/decode(_:)`` gives (the reference's
/// export layout): input `images` `[B, 3, H, W]` (RGB, 0…1), output `output0` `[B, 4 + nc + K·D, A]`.
/// BatchNorm is folded into the convolutions and SiLU is `x · sigmoid(x)`; anchors and strides are
/// computed in the graph from the feature maps' sizes, so one graph serves every input size.
extension PoseModel {
    /// The ONNX model of these weights.
    public func onnxModel(_ options: ONNXExportOptions) -> Onnx_ModelProto {
        precondition(ONNXExportOptions.opsets.contains(options.opset), "opset \(options.opset) is outside \(ONNXExportOptions.opsets)")
        var graph = ONNXGraph(halfWeights: options.halfWeights)
        let output = emit("images", into: &graph)

        let batch: ONNXGraph.Dimension = options.dynamic ? .named("batch") : .fixed(options.batch)
        let (height, width) = options.imageSize
        let anchors = PoseModelConfig.strides.reduce(0) { $0 + (height / $1) * (width / $1) }
        var proto = Onnx_GraphProto()
        proto.name = "facelabel-yolov8\(config.scale.standardName ?? "")-pose"
        proto.node = graph.nodes
        proto.initializer = graph.initializers
        proto.input = [
            ONNXGraph.valueInfo(
                "images",
                shape: options.dynamic
                    ? [batch, .fixed(3), .named("height"), .named("width")] : [batch, .fixed(3), .fixed(height), .fixed(width)])
        ]
        let channels = 4 + config.classCount + config.keypointChannels
        proto.output = [
            ONNXGraph.valueInfo("output0", shape: [batch, .fixed(channels), options.dynamic ? .named("anchors") : .fixed(anchors)])
        ]
        var graphOutput = Onnx_NodeProto()  // names the last value output0
        graphOutput.name = "output0/Identity"
        graphOutput.opType = "Identity"
        graphOutput.input = [output]
        graphOutput.output = ["output0"]
        proto.node.append(graphOutput)

        var model = Onnx_ModelProto()
        model.irVersion = Self.irVersion(opset: options.opset)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(options.opset)
        model.opsetImport = [opset]
        model.producerName = "facelabel"
        model.producerVersion = options.metadata["version"] ?? ""
        model.graph = proto
        model.metadataProps = onnxMetadata(options).sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            (entry.key, entry.value) = (key, value)
            return entry
        }
        return model
    }

    /// Writes the ONNX model to `url` atomically; returns its input and output, described as
    /// `images [1, 3, 640, 640]` (a size given at run time by its name).
    @discardableResult
    public func exportONNX(to url: URL, options: ONNXExportOptions) throws -> (input: String, output: String) {
        let model = onnxModel(options)
        let bytes: Data = try model.serializedBytes()
        try AtomicFile.write(bytes, to: url)
        func described(_ value: Onnx_ValueInfoProto) -> String {
            let sizes = value.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? String($0.dimValue) : $0.dimParam }
            return "\(value.name) [\(sizes.joined(separator: ", "))]"
        }
        return (described(model.graph.input[0]), described(model.graph.output[0]))
    }

    /// The oldest IR version that carries `opset` (what exporters write for it).
    static func irVersion(opset: Int) -> Int64 {
        switch opset {
        case ...14: 7
        case ...18: 8
        case ...20: 9
        default: 10
        }
    }

    /// The reference's metadata entries, each value written as a Python literal (its loader reads
    /// them with `ast.literal_eval`): stride, task, head, end2end, batch, imgsz, names, kpt_shape,
    /// channels, args.
    func onnxMetadata(_ options: ONNXExportOptions) -> [String: String] {
        let names = options.names.enumerated().map { "\($0.offset): \(Self.pythonString($0.element))" }
        let flags = [
            ("batch", String(options.batch)), ("half", options.halfWeights ? "True" : "False"),
            ("dynamic", options.dynamic ? "True" : "False"), ("opset", String(options.opset)), ("nms", "False"),
        ]
        return [
            "description": "facelabel YOLOv8\(config.scale.standardName ?? "")-pose model, \(config.keypointCount) keypoints",
            "author": "facelabel", "task": "pose", "head": "Pose", "end2end": "False", "stride": String(PoseModelConfig.strides.last!),
            "batch": String(options.batch), "imgsz": "[\(options.imageSize.height), \(options.imageSize.width)]",
            "names": "{\(names.joined(separator: ", "))}", "kpt_shape": "[\(config.keypointCount), \(config.keypointDimensions)]",
            "channels": "3", "args": "{\(flags.map { "'\($0.0)': \($0.1)" }.joined(separator: ", "))}",
        ].merging(options.metadata) { _, given in given }
    }

    /// `text` as a single-quoted Python string literal.
    static func pythonString(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\\": return "\\\\"
            case "'": return "\\'"
            case "\n": return "\\n"
            case _ where scalar.value < 0x20: return String(format: "\\x%02x", scalar.value)
            default: return String(scalar)
            }
        }
        return "'\(escaped.joined())'"
    }

    /// The network from `input` to the decoded output (the same layers as `network(_:mode:)`).
    private func emit(_ input: String, into graph: inout ONNXGraph) -> String {
        func upsample(_ x: String, scope: String) -> String {
            let scales = graph.constant([1, 1, 2, 2], shape: [4], name: "\(scope).scales")
            return graph.value(
                "Resize", [x, "", scales], scope: scope,  // PyTorch's nearest: floor of the asymmetric source
                attributes: [
                    "mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"), "nearest_mode": .string("floor"),
                ])
        }
        func concat(_ values: [String], scope: String) -> String {
            graph.value("Concat", values, scope: scope, attributes: ["axis": .int(1)])
        }
        let p2 = stage1.emit(down1.emit(stem.emit(input, into: &graph), into: &graph), into: &graph)
        let p3 = stage2.emit(down2.emit(p2, into: &graph), into: &graph)
        let p4 = stage3.emit(down3.emit(p3, into: &graph), into: &graph)
        let p5 = pooling.emit(stage4.emit(down4.emit(p4, into: &graph), into: &graph), into: &graph)
        let n4 = topDown1.emit(concat([upsample(p5, scope: "model.10"), p4], scope: "model.11"), into: &graph)
        let out3 = topDown2.emit(concat([upsample(n4, scope: "model.13"), p3], scope: "model.14"), into: &graph)
        let out4 = bottomUp1.emit(concat([bottomUp1Down.emit(out3, into: &graph), n4], scope: "model.17"), into: &graph)
        let out5 = bottomUp2.emit(concat([bottomUp2Down.emit(out4, into: &graph), p5], scope: "model.20"), into: &graph)
        return head.emit([out3, out4, out5], into: &graph, config: config)
    }
}

extension ConvBlock {
    /// The state-dict prefix of the block (`model.2.m.0.cv1`).
    var scope: String { String(conv.weight.key.dropLast(".conv.weight".count)) }

    /// Convolution with the BatchNorm folded in, then SiLU.
    func emit(_ x: String, into graph: inout ONNXGraph) -> String {
        let (weight, bias) = foldedWeightAndBias()
        let convolution = graph.convolution(
            x, weight: graph.weight(weight, name: "\(scope).conv.weight"), bias: graph.weight(bias, name: "\(scope).conv.bias"),
            kernel: weight.size(2), stride: conv.stride, padding: conv.padding, scope: scope)
        let gate = graph.value("Sigmoid", [convolution], scope: scope)
        return graph.value("Mul", [convolution, gate], scope: scope)
    }
}

extension Bottleneck {
    func emit(_ x: String, into graph: inout ONNXGraph) -> String {
        let y = second.emit(first.emit(x, into: &graph), into: &graph)
        return shortcut ? graph.value("Add", [x, y], scope: second.scope) : y
    }
}

extension C2f {
    func emit(_ x: String, into graph: inout ONNXGraph) -> String {
        let hidden = merge.conv.weight.value.size(1) / (2 + bottlenecks.count)
        let scope = String(expand.scope.dropLast(".cv1".count))
        let sizes = graph.constant(int64: [hidden, hidden], name: "\(scope).split")
        var parts = graph.node("Split", [expand.emit(x, into: &graph), sizes], scope: scope, outputs: 2, attributes: ["axis": .int(1)])
        for bottleneck in bottlenecks { parts.append(bottleneck.emit(parts[parts.count - 1], into: &graph)) }
        return merge.emit(graph.value("Concat", parts, scope: scope, attributes: ["axis": .int(1)]), into: &graph)
    }
}

extension SPPF {
    func emit(_ x: String, into graph: inout ONNXGraph) -> String {
        let scope = String(reduce.scope.dropLast(".cv1".count))
        var pooled = [reduce.emit(x, into: &graph)]
        for _ in 0..<3 {
            pooled.append(
                graph.value(
                    "MaxPool", [pooled[pooled.count - 1]], scope: scope,
                    attributes: ["kernel_shape": .ints([5, 5]), "strides": .ints([1, 1]), "pads": .ints([2, 2, 2, 2])]))
        }
        return merge.emit(graph.value("Concat", pooled, scope: scope, attributes: ["axis": .int(1)]), into: &graph)
    }
}

extension PoseHead.Branch {
    /// `[B, C, H, W]` → `[B, output, H·W]`
    func emit(_ x: String, into graph: inout ONNXGraph) -> String {
        let key = String(output.weight.key.dropLast(".weight".count))
        let features = second.emit(first.emit(x, into: &graph), into: &graph)
        let convolution = graph.convolution(
            features, weight: graph.weight(output.weight.value, name: "\(key).weight"),
            bias: graph.weight(output.bias!.value, name: "\(key).bias"), kernel: output.weight.value.size(2), scope: key)
        let shape = graph.constant(int64: [0, output.weight.value.size(0), -1], name: "\(key).flat")
        return graph.value("Reshape", [convolution, shape], scope: key)
    }
}

extension PoseHead {
    /// The three levels' features → the decoded output `[B, 4 + nc + K·D, A]` (``PoseModel/decode(_:)``).
    func emit(_ features: [String], into graph: inout ONNXGraph, config: PoseModelConfig) -> String {
        let scope = "model.22"
        func concat(_ values: [String], axis: Int) -> String {
            graph.value("Concat", values, scope: scope, attributes: ["axis": .int(axis)])
        }
        func slice(_ x: String, axis: Int, from start: Int, to end: Int) -> String {
            let bounds = [start, end, axis].map { graph.constant(int64: [$0], name: "\(scope).slice\(start)_\(end)_\(axis).\($0)") }
            return graph.value("Slice", [x] + bounds, scope: scope)
        }
        func binary(_ operation: String, _ a: String, _ b: String) -> String {
            graph.value(operation, [a, b], scope: scope)
        }
        func scalar(_ value: Float, name: String) -> String { graph.constant([value], shape: [], name: "\(scope).\(name)") }

        var boxes: [String] = []
        var classes: [String] = []
        var keypoints: [String] = []
        var points: [String] = []
        var strides: [String] = []
        for (level, feature) in features.enumerated() {
            boxes.append(boxBranches[level].emit(feature, into: &graph))
            classes.append(classBranches[level].emit(feature, into: &graph))
            keypoints.append(keypointBranches[level].emit(feature, into: &graph))
            let anchors = emitAnchors(of: feature, stride: PoseModelConfig.strides[level], level: level, into: &graph)
            points.append(anchors.points)
            strides.append(anchors.strides)
        }
        let anchorPoints = concat(points, axis: 2)  // [1, 2, A]
        let anchorStrides = concat(strides, axis: 2)  // [1, 1, A]

        // boxes: the DFL's expected distances l, t, r, b (a 1×1 convolution of the bins' softmax
        // with the values 0…15, as the reference's graph has it), then centre and size, times the stride
        let bins = PoseModelConfig.regressionBins
        let dfl = "\(scope).dfl"
        let logits = graph.value(  // [B, 4, 16, A]
            "Reshape", [concat(boxes, axis: 2), graph.constant(int64: [0, 4, bins, -1], name: "\(dfl).bins")], scope: dfl)
        let binsFirst = graph.value("Transpose", [logits], scope: dfl, attributes: ["perm": .ints([0, 2, 1, 3])])  // [B, 16, 4, A]
        let probabilities = graph.value("Softmax", [binsFirst], scope: dfl, attributes: ["axis": .int(1)])
        let binValues = graph.constant((0..<bins).map(Float.init), shape: [1, bins, 1, 1], name: "\(dfl).conv.weight")
        let expected = graph.convolution(probabilities, weight: binValues, kernel: 1, scope: dfl)
        let distances = graph.value(  // [B, 4, A]
            "Reshape", [expected, graph.constant(int64: [0, 4, -1], name: "\(dfl).sides")], scope: dfl)
        let topLeft = binary("Sub", anchorPoints, slice(distances, axis: 1, from: 0, to: 2))
        let bottomRight = binary("Add", anchorPoints, slice(distances, axis: 1, from: 2, to: 4))
        let centre = binary("Div", binary("Add", topLeft, bottomRight), scalar(2, name: "two"))
        let size = binary("Sub", bottomRight, topLeft)
        let decodedBoxes = binary("Mul", concat([centre, size], axis: 1), anchorStrides)

        let scores = graph.value("Sigmoid", [concat(classes, axis: 2)], scope: scope)

        // keypoints: x, y = (raw · 2 + anchor − 0.5) · stride; visibility = sigmoid(raw)
        let (count, dimensions) = (config.keypointCount, config.keypointDimensions)
        let layout = graph.constant(int64: [0, count, dimensions, -1], name: "\(scope).kpt.shape")
        let raw = graph.value("Reshape", [concat(keypoints, axis: 2), layout], scope: scope)  // [B, K, D, A]
        let perPoint = graph.constant(int64: [1], name: "\(scope).kpt.axis")
        let cells = graph.value("Unsqueeze", [binary("Sub", anchorPoints, scalar(0.5, name: "half")), perPoint], scope: scope)
        let pointStrides = graph.value("Unsqueeze", [anchorStrides, perPoint], scope: scope)
        let doubled = binary("Mul", slice(raw, axis: 2, from: 0, to: 2), scalar(2, name: "two"))
        var decodedPoints = binary("Mul", binary("Add", doubled, cells), pointStrides)  // [B, K, 2, A]
        if dimensions == 3 {
            let visibility = graph.value("Sigmoid", [slice(raw, axis: 2, from: 2, to: 3)], scope: scope)
            decodedPoints = concat([decodedPoints, visibility], axis: 2)
        }
        let flat = graph.constant(int64: [0, config.keypointChannels, -1], name: "\(scope).kpt.flat")
        let decodedKeypoints = graph.value("Reshape", [decodedPoints, flat], scope: scope)
        return concat([decodedBoxes, scores, decodedKeypoints], axis: 1)
    }

    /// The anchor points `[1, 2, H·W]` (cell centres in grid units, row-major) and their stride
    /// `[1, 1, H·W]` of one level, from the size of its feature map at run time.
    private func emitAnchors(
        of feature: String, stride: Int, level: Int, into graph: inout ONNXGraph
    )
        -> (points: String, strides: String)
    {
        let scope = "model.22.anchors.\(level)"
        func constant(_ values: [Int]) -> String {
            graph.constant(int64: values, name: "\(scope).\(values.map(String.init).joined(separator: "_"))")
        }
        let shape = graph.value("Shape", [feature], scope: scope)
        let size = graph.value("Slice", [shape, constant([2]), constant([4])], scope: scope)  // [H, W]
        let sizeFloat = graph.value("Cast", [size], scope: scope, attributes: ["to": .int(Onnx_TensorProto.DataType.float.rawValue)])
        let (half, one) = (graph.constant([0.5], shape: [], name: "\(scope).start"), graph.constant([1], shape: [], name: "\(scope).step"))
        let heightIndex = graph.constant(int64: [0], shape: [], name: "\(scope).index0")
        let widthIndex = graph.constant(int64: [1], shape: [], name: "\(scope).index1")
        let height = graph.value("Gather", [sizeFloat, heightIndex], scope: scope)
        let width = graph.value("Gather", [sizeFloat, widthIndex], scope: scope)
        let xs = graph.value("Range", [half, width, one], scope: scope)  // 0.5, 1.5, …, W − 0.5
        let ys = graph.value("Range", [half, height, one], scope: scope)
        let row = graph.value("Unsqueeze", [xs, constant([0])], scope: scope)  // [1, W]
        let column = graph.value("Unsqueeze", [ys, constant([1])], scope: scope)  // [H, 1]
        let flat = constant([1, 1, -1])
        let x = graph.value("Reshape", [graph.value("Expand", [row, size], scope: scope), flat], scope: scope)  // [1, 1, H·W]
        let y = graph.value("Reshape", [graph.value("Expand", [column, size], scope: scope), flat], scope: scope)
        let points = graph.value("Concat", [x, y], scope: scope, attributes: ["axis": .int(1)])
        let strideValue = graph.constant([Float(stride)], shape: [1, 1, 1], name: "\(scope).stride")
        let strides = graph.value("Expand", [strideValue, graph.value("Shape", [x], scope: scope)], scope: scope)
        return (points, strides)
    }
}
