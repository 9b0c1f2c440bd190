import Foundation
import PoseData
import Synth
import Testing
import Torch
import TorchNN
import TorchTestSupport

@testable import Pose

@Suite struct `YOLOv8-pose architecture` {
    /// Reference §8.3 (checked by running 8.1.14), nc = 1.
    @Test(arguments: [
        (ModelScale.n, 17, 3_295_470), (.n, 51, 4_332_504), (.s, 17, 11_626_046), (.s, 51, 13_074_344),
        (.m, 17, 26_464_462), (.m, 51, 28_147_768), (.l, 17, 44_489_196), (.l, 51, 46_097_736),
        (.x, 17, 69_491_724), (.x, 51, 71_061_336),
    ])
    func `parameter counts equal the reference's`(scale: ModelScale, keypoints: Int, expected: Int) {
        let model = PoseModel(PoseModelConfig(scale: scale, keypointCount: keypoints))
        #expect(model.store.parameterCount == expected)
        // only the DFL's 16 bin weights are frozen
        #expect(model.store.trainableParameters.reduce(0) { $0 + $1.value.count } == expected - 16)
    }

    @Test func `every state-dict key and shape of yolov8n-pose K=17 equals the reference's, in order`() throws {
        let url = try #require(
            Bundle.module.url(forResource: "yolov8n-pose-k17-state-dict", withExtension: "txt", subdirectory: "Fixtures"))
        let expected = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { line -> (String, [Int]) in
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                return (String(parts[0]), parts[1].split(separator: ",").map { Int($0)! })
            }
        let model = PoseModel(PoseModelConfig(scale: .n, keypointCount: 17))
        let actual = model.store.stateDict.map { ($0.name, $0.tensor.shape) }
        #expect(actual.count == 397)
        for (index, (mine, theirs)) in zip(actual, expected).enumerated() {
            #expect(mine.0 == theirs.0 && mine.1 == theirs.1, "entry \(index): \(mine) vs reference \(theirs)")
        }
        #expect(model.store.stateDict.filter { $0.name.hasSuffix("num_batches_tracked") }.allSatisfy { $0.tensor.dtype == .int64 })
    }

    @Test func `with K=51 only the keypoint branch widens to 153 channels`() {
        let keys17 = PoseModel(PoseModelConfig(scale: .n, keypointCount: 17)).store.stateDict
        let keys51 = PoseModel(PoseModelConfig(scale: .n, keypointCount: 51)).store.stateDict
        #expect(keys17.map(\.name) == keys51.map(\.name))
        let changed = zip(keys17, keys51).filter { $0.0.tensor.shape != $0.1.tensor.shape }
        #expect(changed.count == 36 && changed.allSatisfy { $0.0.name.contains(".cv4.") })
        let weight = keys51.first { $0.name == "model.22.cv4.1.0.conv.weight" }!
        #expect(weight.tensor.shape == [153, 128, 3, 3])
    }

    @Test func `biases start as the reference's bias_init and the DFL holds 0 to 15`() {
        let model = PoseModel(PoseModelConfig(scale: .n, keypointCount: 51))
        let expected = [-7.15462, -5.76832, -4.38203]  // ln(5 / 1 / (640 / s)²), reference §1.4
        for level in 0..<3 {
            #expect(Swift.abs(model.head.classBranches[level].output.bias!.value.item() - expected[level]) < 1e-5)
            #expect(model.head.boxBranches[level].output.bias!.value.toArray(of: Float.self) == Array(repeating: 1, count: 64))
        }
        #expect(model.head.binWeights.value.flattened().toArray(of: Float.self) == (0..<16).map(Float.init))
        #expect(!model.head.binWeights.value.requiresGrad)
    }

    @Test func `a forward pass gives 4·16 box, nc class and K·D keypoint channels per anchor`() {
        let model = PoseModel(PoseModelConfig(scale: .n, classCount: 2, keypointCount: 5))
        let raw = model(Tensor.zeros([2, 3, 64, 96]), mode: .train)
        let anchors = 8 * 12 + 4 * 6 + 2 * 3
        #expect(raw.boxDistributions.shape == [2, 64, anchors])
        #expect(raw.classLogits.shape == [2, 2, anchors])
        #expect(raw.keypoints.shape == [2, 15, anchors])
        #expect(raw.levelSizes.map(\.height) == [8, 4, 2] && raw.levelSizes.map(\.width) == [12, 6, 3])
    }
}

@Suite struct `BatchNorm folding` {
    @Test func `folded evaluation gives the same outputs and the reference's fused parameter count`() {
        let model = PoseModel(PoseModelConfig(scale: .n, keypointCount: 17), seed: 2)
        // give the BatchNorms non-trivial statistics first
        _ = model(Tensor.randn([2, 3, 64, 64], generator: Generator(seed: 1)), mode: .train)
        let input = Tensor.randn([1, 3, 96, 64], generator: Generator(seed: 3))
        let other = Tensor.randn([2, 3, 64, 128], generator: Generator(seed: 4))
        let plain = withNoGrad { model.decode(model(input, mode: .eval)) }
        let plainOther = withNoGrad { model.decode(model(other, mode: .eval)) }
        model.foldBatchNorm()
        // the folded weights are packed for each input shape they meet; each shape gives its own outputs
        for _ in 0..<2 {
            expectClose(withNoGrad { model.decode(model(input, mode: .eval)) }, plain, rtol: 1e-4, atol: 1e-3)
            expectClose(withNoGrad { model.decode(model(other, mode: .eval)) }, plainOther, rtol: 1e-4, atol: 1e-3)
        }
        // reference §8.3: 3,289,964 parameters after fuse() for n with K = 17
        #expect(model.store.parameterCount - model.batchNormChannels == 3_289_964)
        model.unfoldBatchNorm()
        let again = withNoGrad { model.decode(model(input, mode: .eval)) }
        #expect(again.toArray(of: Float.self) == plain.toArray(of: Float.self))
    }

    @Test func `a 51-point model's wide keypoint layers evaluate folded as unfolded, and each image alike alone and in a batch`() {
        let model = PoseModel(PoseModelConfig(scale: .n, keypointCount: 51), seed: 4)
        _ = model(Tensor.randn([2, 3, 64, 64], generator: Generator(seed: 1)), mode: .train)
        // at 320 the first level is 40×40: its 153-wide 3×3 keypoint layers are the ones that run on
        // NNPACK on an AVX2 CPU (oneDNN elsewhere); the narrower and smaller layers stay on oneDNN
        let keypointLayer = model.head.keypointBranches[0].second
        let onNNPACK = Tensor.hasNNPACK && Tensor.cpuCapability == "AVX2"
        let input = Tensor.randn([2, 3, 320, 320], generator: Generator(seed: 2))
        let plain = withNoGrad { model.decode(model(input, mode: .eval)) }
        model.foldBatchNorm()
        #expect(keypointLayer.usesNNPACK(for: [2, 153, 40, 40]) == onNNPACK)
        #expect(!keypointLayer.usesNNPACK(for: [2, 153, 32, 40]) && !model.head.boxBranches[0].second.usesNNPACK(for: [2, 64, 40, 40]))
        let folded = withNoGrad { model.decode(model(input, mode: .eval)) }
        expectClose(folded, plain, rtol: 1e-4, atol: 1e-3)
        // labels must not depend on the batch an image came in (sharded passes merge byte for byte)
        let second = withNoGrad { model.decode(model(input.narrow(dim: 0, start: 1, length: 1), mode: .eval)) }
        let same = second.toArray(of: Float.self) == folded.narrow(dim: 0, start: 1, length: 1).toArray(of: Float.self)
        #expect(same, "the second image's outputs differ alone and in the batch")
        model.unfoldBatchNorm()
    }

    @Test func `half-precision evaluation finds the faces float32 finds with the bundled checkpoint, within a pixel`() throws {
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors")
        let model = try PoseModel.load(weights)
        var options = SynthDataset.Options()
        options.faces = 2...3
        let images = try (0..<2).map { try SynthDataset.sample($0, options: options).image }
        let predictor = Predictor(model: model, imageSize: 320, options: SuppressionOptions(confidence: 0.5))
        model.foldBatchNorm()
        let full = predictor.predict(images: images, names: ["a", "b"])
        model.foldBatchNorm(computeType: .bfloat16)
        #expect(model.evaluationType == .bfloat16)
        let half = predictor.predict(images: images, names: ["a", "b"])
        let counts: [Int] = full.map { $0.detections.count }
        #expect(counts == half.map { $0.detections.count } && counts.allSatisfy { $0 >= 2 })
        var largest: Float = 0
        var identical = true
        for (a, b) in zip(full.flatMap { $0.detections }, half.flatMap { $0.detections }) {
            var differences: [Float] = [a.box.x1 - b.box.x1, a.box.y1 - b.box.y1, a.box.x2 - b.box.x2, a.box.y2 - b.box.y2]
            for (p, q) in zip(a.keypoints, b.keypoints) { differences += [p.x - q.x, p.y - q.y] }
            largest = max(largest, differences.map { Swift.abs($0) }.max()!)
            identical = identical && a == b
        }
        #expect(largest < 1 && !identical, "largest difference \(largest) px")
        model.unfoldBatchNorm()
        #expect(model.evaluationType == .float32)
    }
}
