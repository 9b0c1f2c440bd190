import Foundation
import Torch
import TorchNN

/// The head's raw outputs, flattened over the anchors of the three levels (P3, P4, P5, each
/// row-major), before any decoding. This is what the loss consumes.
public struct RawPredictions {
    /// DFL logits, 16 bins for each side l, t, r, b (channel = side · 16 + bin): `[B, 64, A]`.
    public let boxDistributions: Tensor
    /// Class logits: `[B, nc, A]`.
    public let classLogits: Tensor
    /// Raw keypoint outputs, channel = k · D + d: `[B, K·D, A]`.
    public let keypoints: Tensor
    /// Feature-map height and width of each level.
    public let levelSizes: [(height: Int, width: Int)]

    /// The same outputs as float32 (after a mixed-precision forward pass).
    func float32() -> RawPredictions {
        RawPredictions(
            boxDistributions: boxDistributions.to(.float32), classLogits: classLogits.to(.float32),
            keypoints: keypoints.to(.float32), levelSizes: levelSizes)
    }
}

/// The Pose head (reference §1.4 and §1.5): for each level, a box branch (`cv2`), a class branch
/// (`cv3`) and a keypoint branch (`cv4`), each two 3×3 ConvBlocks and a 1×1 conv with bias; and the
/// DFL's fixed bin weights (`dfl.conv.weight`, 0…15, frozen).
final class PoseHead: ConvBlockContainer {
    struct Branch {
        let first: ConvBlock
        let second: ConvBlock
        let output: Conv2d

        init(_ scope: Scope, input: Int, hidden: Int, output: Int) {
            first = ConvBlock(scope / 0, input: input, output: hidden, kernel: 3)
            second = ConvBlock(scope / 1, input: hidden, output: hidden, kernel: 3)
            self.output = Conv2d(scope / 2, input: hidden, output: output, kernel: 1)
        }

        func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
            output(second(first(x, mode: mode), mode: mode))
        }
    }

    let boxBranches: [Branch]
    let classBranches: [Branch]
    let binWeights: Parameter
    let keypointBranches: [Branch]

    init(_ scope: Scope, inputs: [Int], config: PoseModelConfig) {
        let bins = PoseModelConfig.regressionBins
        let boxWidth = max(16, inputs[0] / 4, 4 * bins)
        let classWidth = max(inputs[0], min(config.classCount, 100))
        let keypointWidth = max(inputs[0] / 4, config.keypointChannels)
        boxBranches = inputs.enumerated().map {
            Branch(scope / "cv2" / $0.offset, input: $0.element, hidden: boxWidth, output: 4 * bins)
        }
        classBranches = inputs.enumerated().map {
            Branch(scope / "cv3" / $0.offset, input: $0.element, hidden: classWidth, output: config.classCount)
        }
        binWeights = (scope / "dfl" / "conv").parameter(
            "weight", Tensor.arange(0, Scalar(bins), dtype: .float32).reshaped([1, bins, 1, 1]), trainable: false)
        keypointBranches = inputs.enumerated().map {
            Branch(scope / "cv4" / $0.offset, input: $0.element, hidden: keypointWidth, output: config.keypointChannels)
        }
        initializeBiases(classCount: config.classCount)
    }

    /// `Detect.bias_init` of 8.1.14: box biases 1.0, class biases ln(5 / nc / (640 / s)²).
    private func initializeBiases(classCount: Int) {
        withNoGrad {
            for (level, stride) in PoseModelConfig.strides.enumerated() {
                boxBranches[level].output.bias!.value.fillInPlace(1.0)
                let prior = Foundation.log(5 / Double(classCount) / Foundation.pow(640 / Double(stride), 2))
                classBranches[level].output.bias!.value.fillInPlace(Scalar(prior))
            }
        }
    }

    var convBlocks: [ConvBlock] {
        (boxBranches + classBranches + keypointBranches).flatMap { [$0.first, $0.second] }
    }

    /// Three feature maps `[B, C_i, H_i, W_i]` → raw predictions over all anchors.
    func callAsFunction(_ features: [Tensor], mode: Mode) -> RawPredictions {
        var boxes: [Tensor] = []
        var classes: [Tensor] = []
        var keypoints: [Tensor] = []
        var sizes: [(height: Int, width: Int)] = []
        for (level, feature) in features.enumerated() {
            let (_, _, height, width) = feature.shape4
            sizes.append((height, width))
            boxes.append(boxBranches[level](feature, mode: mode).flattened(from: 2))  // [B, 64, H·W]
            classes.append(classBranches[level](feature, mode: mode).flattened(from: 2))  // [B, nc, H·W]
            keypoints.append(keypointBranches[level](feature, mode: mode).flattened(from: 2))  // [B, K·D, H·W]
        }
        return RawPredictions(
            boxDistributions: Tensor.cat(boxes, dim: 2), classLogits: Tensor.cat(classes, dim: 2),
            keypoints: Tensor.cat(keypoints, dim: 2), levelSizes: sizes)
    }
}
