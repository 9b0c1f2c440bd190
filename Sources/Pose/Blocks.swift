import Torch
import TorchNN

/// The reference's `Conv`: a bias-free Conv2d, BatchNorm (eps 0.001, momentum 0.03) and SiLU, with
/// keys `<scope>.conv.weight` and `<scope>.bn.*` (reference §1.3).
final class ConvBlock {
    let conv: Conv2d
    let norm: BatchNorm2d
    /// The BatchNorm folded into the convolution, for evaluation (see ``fold(computeType:)``): the
    /// weight in the compute type, to be packed into oneDNN's layout for each input shape when
    /// `packs` (with a float32 bias), else channels-last (with the bias in the compute type). Inputs
    /// come in that type. `nnpack`: the layer is one NNPACK runs on large enough maps
    /// (``usesNNPACK(for:)``), decided once here rather than on every call.
    private var folded: (weight: Tensor, bias: Tensor, packs: Bool, nnpack: Bool)?
    /// The folded weight packed for oneDNN, by the input shape it was packed for.
    private var packed: [[Int]: Tensor] = [:]
    /// The most input shapes whose packed weights are kept: a run meets a few (the batch and the
    /// image size, or the letterboxes of a few aspect ratios); photos of many shapes repack.
    static let maximumPackedShapes = 8

    init(_ scope: Scope, input: Int, output: Int, kernel: Int = 1, stride: Int = 1) {
        conv = Conv2d(scope / "conv", input: input, output: output, kernel: kernel, stride: stride, bias: false)
        norm = BatchNorm2d(scope / "bn", features: output, eps: 0.001, momentum: 0.03)
    }

    /// `[B, input, H, W]` → `[B, output, H/stride, W/stride]`
    func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        if mode == .eval, let folded {
            let (stride, padding) = ((conv.stride, conv.stride), (conv.padding, conv.padding))
            if usesNNPACK(for: x.shape) {
                return x.nnpackConv2d(weight: folded.weight, bias: folded.bias, padding: padding, activation: .silu)
            }
            if folded.packs {
                let input = x.channelsLast()
                return input.fusedConv2d(
                    packedWeight: packedWeight(for: input.shape), bias: folded.bias, stride: stride, padding: padding, activation: .silu)
            }
            return x.conv2d(weight: folded.weight, bias: folded.bias, stride: stride, padding: padding).silu()
        }
        return norm(conv(x), mode: mode).silu()
    }

    /// The BatchNorm's current statistics folded into the convolution, in float32 on the weights'
    /// device: `w' = w · γ / √(var + ε)` `[O, I, k, k]`, `b' = β − mean · γ / √(var + ε)` `[O]`,
    /// rounded as the reference's `fuse()` rounds them since Ultralytics 8.4 (torch's
    /// `fuse_conv_bn_weights`), so that an exported graph's weights equal its export's.
    func foldedWeightAndBias() -> (weight: Tensor, bias: Tensor) {
        withNoGrad {
            let inverseDeviation = (norm.runningVar.value + Scalar(norm.eps)).rsqrt()  // [O]
            let weight = conv.weight.value * (norm.weight.value * inverseDeviation).reshaped([-1, 1, 1, 1])
            return (weight, -norm.runningMean.value * inverseDeviation * norm.weight.value + norm.bias.value)
        }
    }

    /// Folds the BatchNorm into one convolution (``foldedWeightAndBias()``) for evaluation in
    /// `computeType` (float32, or bfloat16 or float16 for half-precision inference), on the
    /// weights' device. Training mode keeps using the separate layers; call again after the
    /// weights change.
    func fold(computeType: DType = .float32) {
        withNoGrad {
            let (foldedWeight, bias) = foldedWeightAndBias()
            let weight = foldedWeight.to(computeType)
            // oneDNN runs the convolution and the SiLU in one pass on a weight reordered once
            // (about 1.2x faster at batch 1 than convolution, then SiLU); without oneDNN, on a
            // GPU (cuDNN), and for bfloat16 on a CPU that does not compute it natively (oneDNN's
            // packed bfloat16 path needs AVX512-BF16 or AVX-NE-CONVERT), channels-last weights
            let packable = computeType == .float32 || DType.cpuHasNativeBFloat16
            packed = [:]
            if Tensor.hasOneDNN && weight.device == .cpu && packable {
                let shape = weight.shape  // [O, I, k, k]
                let nnpack =
                    Self.nnpackFavoured && computeType == .float32 && shape[2] == 3 && conv.stride == 1 && conv.groups == 1
                    && shape[0] >= 128
                folded = (weight.detached(), bias.detached(), true, nnpack)
            } else {
                folded = (weight.detached().channelsLast(), bias.to(computeType).detached(), false, false)
            }
        }
    }

    /// Whether NNPACK's Winograd kernels run this (folded, float32) convolution for inputs of
    /// `shape` rather than oneDNN's: on a CPU whose best SIMD level is AVX2, for 3×3 convolutions of
    /// stride 1 with at least 128 outputs on maps of at least 40×40. There, in the keypoint head of
    /// a 51-point model, NNPACK takes 22 ms where oneDNN takes 39 ms at 80×80 (docs/benchmarks.md);
    /// for narrower or smaller layers, and with AVX512, oneDNN is as fast or faster. A fixed rule,
    /// not a timing taken at run time, so that every process computes an image's labels alike.
    func usesNNPACK(for shape: [Int]) -> Bool {
        folded?.nnpack == true && shape[2] * shape[3] >= 40 * 40
    }

    /// Whether this CPU is one where NNPACK's kernels beat oneDNN's for wide 3×3 convolutions.
    private static let nnpackFavoured = Tensor.hasNNPACK && Tensor.cpuCapability == "AVX2"

    /// The folded weight in oneDNN's layout for inputs of `shape` (`[N, C, H, W]`), packed at the
    /// first such input: the layout oneDNN picks depends on the shape, and a weight packed for
    /// another is reordered again on every call.
    private func packedWeight(for shape: [Int]) -> Tensor {
        if let weight = packed[shape] { return weight }
        if packed.count >= Self.maximumPackedShapes { packed = [:] }
        let weight = withNoGrad {
            folded!.weight.packedConvolutionWeight(
                stride: (conv.stride, conv.stride), padding: (conv.padding, conv.padding), inputShape: shape)
        }
        packed[shape] = weight
        return weight
    }

    /// Drops the folded copy (evaluation uses the separate layers again).
    func unfold() {
        folded = nil
        packed = [:]
    }

    var isFolded: Bool { folded != nil }
}

/// A module built from ConvBlocks, which BatchNorm folding visits.
protocol ConvBlockContainer {
    var convBlocks: [ConvBlock] { get }
}

/// Two 3×3 ConvBlocks c→c, with a residual add when `shortcut` (inside C2f, reference §1.3).
final class Bottleneck: ConvBlockContainer {
    let first: ConvBlock
    let second: ConvBlock
    let shortcut: Bool

    init(_ scope: Scope, channels: Int, shortcut: Bool) {
        first = ConvBlock(scope / "cv1", input: channels, output: channels, kernel: 3)
        second = ConvBlock(scope / "cv2", input: channels, output: channels, kernel: 3)
        self.shortcut = shortcut
    }

    func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        let y = second(first(x, mode: mode), mode: mode)
        return shortcut ? x + y : y
    }

    var convBlocks: [ConvBlock] { [first, second] }
}

/// CSP bottleneck with two convolutions (reference §1.3): a 1×1 conv to 2c channels split in two
/// halves, a chain of bottlenecks from the second half, and a 1×1 conv over all of them.
final class C2f: ConvBlockContainer {
    let expand: ConvBlock
    let merge: ConvBlock
    let bottlenecks: [Bottleneck]

    init(_ scope: Scope, input: Int, output: Int, repeats: Int, shortcut: Bool) {
        let hidden = output / 2
        expand = ConvBlock(scope / "cv1", input: input, output: 2 * hidden)
        merge = ConvBlock(scope / "cv2", input: (2 + repeats) * hidden, output: output)
        bottlenecks = (0..<repeats).map { Bottleneck(scope / "m" / $0, channels: hidden, shortcut: shortcut) }
    }

    /// `[B, input, H, W]` → `[B, output, H, W]`
    func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        var parts = expand(x, mode: mode).chunk(2, dim: 1)  // [a, b], each [B, c, H, W]
        for bottleneck in bottlenecks { parts.append(bottleneck(parts[parts.count - 1], mode: mode)) }
        return merge(Tensor.cat(parts, dim: 1), mode: mode)  // [B, (2 + n)·c, H, W] → [B, output, H, W]
    }

    var convBlocks: [ConvBlock] { [expand, merge] + bottlenecks.flatMap(\.convBlocks) }
}

/// Spatial pyramid pooling, fast (reference §1.3): a 1×1 conv to c/2, three chained 5×5 max pools,
/// and a 1×1 conv over the four.
final class SPPF: ConvBlockContainer {
    let reduce: ConvBlock
    let merge: ConvBlock

    init(_ scope: Scope, input: Int, output: Int) {
        reduce = ConvBlock(scope / "cv1", input: input, output: input / 2)
        merge = ConvBlock(scope / "cv2", input: input / 2 * 4, output: output)
    }

    func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        var pooled = [reduce(x, mode: mode)]
        for _ in 0..<3 {
            pooled.append(pooled[pooled.count - 1].maxPool2d(kernel: (5, 5), stride: (1, 1), padding: (2, 2)))
        }
        return merge(Tensor.cat(pooled, dim: 1), mode: mode)
    }

    var convBlocks: [ConvBlock] { [reduce, merge] }
}
