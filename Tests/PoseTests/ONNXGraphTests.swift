import Foundation
import ONNXProto
import Pose
import Testing
import Torch

/// The ONNX graph's structure, checked without onnxruntime (which the command's tests run it in).
@Suite struct `ONNX graph` {
    static func options(half: Bool = false, dynamic: Bool = false, opset: Int = 17) -> ONNXExportOptions {
        ONNXExportOptions(imageSize: (640, 640), dynamic: dynamic, halfWeights: half, opset: opset, names: ["face"])
    }

    @Test(arguments: [ModelScale.n, .s])
    func `is in order, folds every BatchNorm and stores each weight once`(scale: ModelScale) throws {
        let model = PoseModel(PoseModelConfig(scale: scale), seed: 1)
        let proto = model.onnxModel(Self.options())
        let graph = proto.graph

        // every input of a node is the graph's input, an initializer or an earlier node's output
        var defined = Set(graph.input.map(\.name) + graph.initializer.map(\.name) + [""])
        for node in graph.node {
            let undefined = node.input.filter { !defined.contains($0) }
            #expect(undefined.isEmpty, "\(node.name) reads \(undefined) before they are made")
            defined.formUnion(node.output)
        }
        #expect(defined.contains("output0") && graph.output.map(\.name) == ["output0"])
        #expect(Set(graph.node.map(\.name)).count == graph.node.count)
        #expect(Set(graph.initializer.map(\.name)).count == graph.initializer.count)

        // a convolution for every Conv-BN-SiLU block, the head's 9 output convolutions and the DFL's; no BatchNorm
        let operations = Dictionary(grouping: graph.node, by: \.opType).mapValues(\.count)
        let blocks = model.store.parameters.filter { $0.key.hasSuffix(".bn.weight") }.count
        #expect(operations["Conv"] == blocks + 9 + 1)
        #expect(operations["BatchNormalization"] == nil)
        #expect(operations["Sigmoid"] == blocks + 2)  // each SiLU, the class scores and the visibility
        #expect(operations["Resize"] == 2 && operations["MaxPool"] == 3)

        // the weights: every convolution's (the DFL's bins included), with one bias per BatchNorm
        // channel in place of its four statistics
        let stored = graph.initializer.filter { $0.name.hasSuffix(".weight") || $0.name.hasSuffix(".bias") }
        let values = stored.reduce(0) { $0 + $1.dims.reduce(1) { $0 * Int($1) } }
        let batchNormChannels = model.store.parameters.filter { $0.key.hasSuffix(".bn.weight") }.reduce(0) { $0 + $1.value.count }
        let convolutions = model.store.parameters.filter {
            $0.key.hasSuffix("conv.weight") || $0.key.range(of: #"\.2\.(weight|bias)$"#, options: .regularExpression) != nil
        }
        #expect(values == convolutions.reduce(0) { $0 + $1.value.count } + batchNormChannels)
        #expect(stored.allSatisfy { $0.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) })

        // serialised and read back, the same model
        let bytes: Data = try proto.serializedBytes()
        #expect(try Onnx_ModelProto(serializedBytes: bytes) == proto)
        #expect(proto.opsetImport.map(\.version) == [17] && proto.irVersion == 8)
    }

    @Test func `float16 weights are cast to float32 in the graph, the DFL's bins stay float32`() {
        let proto = PoseModel(PoseModelConfig(), seed: 1).onnxModel(Self.options(half: true))
        let half = Int32(Onnx_TensorProto.DataType.float16.rawValue)
        let weights = proto.graph.initializer.filter { $0.dataType == half }
        #expect(weights.count > 0 && weights.allSatisfy { $0.name.hasSuffix(".weight") || $0.name.hasSuffix(".bias") })
        let casts = Set(proto.graph.node.filter { $0.opType == "Cast" }.flatMap(\.input))
        #expect(weights.allSatisfy { casts.contains($0.name) })
        #expect(
            proto.graph.initializer.first { $0.name == "model.22.dfl.conv.weight" }?.dataType
                == Int32(Onnx_TensorProto.DataType.float.rawValue))
    }

    @Test func `dynamic sizes are named, fixed ones are numbers, and the opset sets the IR version`() {
        func dimensions(_ info: Onnx_ValueInfoProto) -> [String] {
            info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? String($0.dimValue) : $0.dimParam }
        }
        let model = PoseModel(PoseModelConfig(), seed: 1)
        let fixed = model.onnxModel(Self.options())
        #expect(dimensions(fixed.graph.input[0]) == ["1", "3", "640", "640"])
        #expect(dimensions(fixed.graph.output[0]) == ["1", "158", "8400"])
        let dynamic = model.onnxModel(Self.options(dynamic: true, opset: 21))
        #expect(dimensions(dynamic.graph.input[0]) == ["batch", "3", "height", "width"])
        #expect(dimensions(dynamic.graph.output[0]) == ["batch", "158", "anchors"])
        #expect(dynamic.opsetImport.map(\.version) == [21] && dynamic.irVersion == 10)
        #expect(model.onnxModel(Self.options(opset: 13)).irVersion == 7)
    }
}
