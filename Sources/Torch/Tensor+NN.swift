import CTorch

/// How a loss reduces its per-element values.
public enum Reduction: Sendable {
    case none, mean, sum

    var c: ctorch_reduction {
        switch self {
        case .none: CTORCH_REDUCTION_NONE
        case .mean: CTORCH_REDUCTION_MEAN
        case .sum: CTORCH_REDUCTION_SUM
        }
    }
}

extension Tensor {
    /// 2-d convolution of `self` `[N, C, H, W]` with `weight` `[O, C/groups, kH, kW]`.
    ///
    /// `stride`, `padding` and `dilation` are (height, width) pairs. Result: `[N, O, H', W']`.
    public func conv2d(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
        dilation: (Int, Int) = (1, 1), groups: Int = 1
    ) -> Tensor {
        let strides = [Int64(stride.0), Int64(stride.1)]
        let paddings = [Int64(padding.0), Int64(padding.1)]
        let dilations = [Int64(dilation.0), Int64(dilation.1)]
        return withExtendedLifetime(bias) {
            Tensor.make("conv2d", [self, weight] + (bias.map { [$0] } ?? [])) {
                ctorch_conv2d(
                    $0, handle, weight.handle, bias.c, strides, paddings, dilations, Int64(groups))
            }
        }
    }

    /// Batch normalisation over `[N, C, ...]` per channel.
    ///
    /// In training it normalises with the batch statistics and updates `runningMean` and
    /// `runningVar` in place (`new = (1 - momentum) · old + momentum · batch`, unbiased variance),
    /// as torch.nn.BatchNorm2d; in evaluation it uses the running statistics.
    public func batchNorm(
        weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?, training: Bool,
        momentum: Double = 0.1, eps: Double = 1e-5
    ) -> Tensor {
        let optionals = [weight, bias, runningMean, runningVar]
        return withExtendedLifetime(optionals) {
            Tensor.make("batchNorm", [self] + optionals.compactMap { $0 }) {
                ctorch_batch_norm(
                    $0, handle, weight.c, bias.c, runningMean.c, runningVar.c, training, momentum, eps)
            }
        }
    }

    /// 2-d max pooling; `stride` defaults to the kernel size.
    public func maxPool2d(
        kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), ceilMode: Bool = false
    ) -> Tensor {
        let step = stride ?? kernel
        let kernels = [Int64(kernel.0), Int64(kernel.1)]
        let strides = [Int64(step.0), Int64(step.1)]
        let paddings = [Int64(padding.0), Int64(padding.1)]
        return Tensor.make("maxPool2d", [self]) {
            ctorch_max_pool2d($0, handle, kernels, strides, paddings, ceilMode)
        }
    }

    /// Nearest-neighbour upsampling of `[N, C, H, W]` by an integer-valued factor.
    public func upsampleNearest2d(scale: Double) -> Tensor {
        Tensor.make("upsampleNearest2d", [self]) { ctorch_upsample_nearest2d($0, handle, scale, scale) }
    }

    public func softmax(dim: Int) -> Tensor {
        Tensor.make("softmax", [self]) { ctorch_softmax($0, handle, Int64(dim)) }
    }

    public func logSoftmax(dim: Int) -> Tensor {
        Tensor.make("logSoftmax", [self]) { ctorch_log_softmax($0, handle, Int64(dim)) }
    }

    /// Binary cross-entropy of logits `self` against probabilities `target`, computed stably.
    public func binaryCrossEntropyWithLogits(
        target: Tensor, weight: Tensor? = nil, positiveWeight: Tensor? = nil, reduction: Reduction = .mean
    ) -> Tensor {
        withExtendedLifetime([weight, positiveWeight]) {
            Tensor.make("binaryCrossEntropyWithLogits", [self, target]) {
                ctorch_binary_cross_entropy_with_logits(
                    $0, handle, target.handle, weight.c, positiveWeight.c, reduction.c)
            }
        }
    }

    /// Cross-entropy of logits `self` `[N, C]` against int64 class indices `target` `[N]`.
    public func crossEntropy(target: Tensor, reduction: Reduction = .mean) -> Tensor {
        Tensor.make("crossEntropy", [self, target]) { ctorch_cross_entropy($0, handle, target.handle, reduction.c) }
    }
}

extension Optional where Wrapped == Tensor {
    /// The handle, or a NULL handle for an absent optional argument.
    var c: ctorch_tensor { self?.handle ?? ctorch_tensor(ptr: nil) }
}

/// The activation a fused convolution applies in the same pass.
public enum FusedActivation: Sendable {
    case none, silu

    var c: ctorch_fused_activation {
        switch self {
        case .none: CTORCH_FUSED_NONE
        case .silu: CTORCH_FUSED_SILU
        }
    }
}

extension Tensor {
    /// Whether this libtorch has oneDNN, for ``packedConvolutionWeight(stride:padding:groups:)`` and
    /// ``fusedConv2d(packedWeight:bias:stride:padding:groups:activation:)``.
    public static var hasOneDNN: Bool { ctorch_has_onednn() }

    /// This `[O, I/groups, kH, kW]` convolution weight reordered once into oneDNN's own layout for
    /// inputs of `inputShape` (`[N, C, H, W]`): an opaque tensor that only
    /// ``fusedConv2d(packedWeight:bias:stride:padding:groups:activation:)`` reads. The layout oneDNN
    /// picks depends on the input's shape and the CPU; a weight packed for another shape is
    /// reordered again on every call (on an AVX2 CPU, 50% longer for the keypoint head's layers).
    public func packedConvolutionWeight(stride: (Int, Int), padding: (Int, Int), groups: Int = 1, inputShape: [Int]) -> Tensor {
        let (strides, paddings) = ([Int64(stride.0), Int64(stride.1)], [Int64(padding.0), Int64(padding.1)])
        precondition(inputShape.count == 4, "packedConvolutionWeight: inputShape \(inputShape) is not [N, C, H, W]")
        let size = inputShape.map(Int64.init)
        return Tensor.make("packedConvolutionWeight", [self]) {
            ctorch_onednn_pack_conv_weight($0, handle, strides, paddings, Int64(groups), size)
        }
    }

    /// Whether this libtorch has NNPACK and it runs on this CPU, for
    /// ``nnpackConv2d(weight:bias:padding:activation:)``.
    public static let hasNNPACK: Bool = ctorch_has_nnpack()

    /// The SIMD level ATen's CPU kernels dispatch to here (`AVX512`, `AVX2`, `DEFAULT`).
    public static let cpuCapability = String(cString: ctorch_cpu_capability())

    /// Inference convolution by NNPACK (CPU, float32, stride 1, dilation 1, groups 1), then
    /// `activation`: Winograd kernels, fewer multiplications than oneDNN's direct ones for 3×3
    /// convolutions. Each image is convolved on its own, so its result is the same in any batch; the
    /// result is contiguous (NCHW). No gradients flow through it.
    public func nnpackConv2d(weight: Tensor, bias: Tensor?, padding: (Int, Int), activation: FusedActivation) -> Tensor {
        let paddings = [Int64(padding.0), Int64(padding.1)]
        return withExtendedLifetime(bias) {
            Tensor.make("nnpackConv2d", [self, weight] + (bias.map { [$0] } ?? [])) {
                ctorch_nnpack_conv2d($0, handle, weight.handle, bias.c, paddings, activation.c)
            }
        }
    }

    /// Inference convolution (dilation 1) with `activation` applied in the same pass by oneDNN, on a
    /// weight from ``packedConvolutionWeight(stride:padding:groups:)`` with the same geometry; the
    /// result keeps `self`'s memory format. No gradients flow through it.
    public func fusedConv2d(
        packedWeight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int), groups: Int = 1,
        activation: FusedActivation
    ) -> Tensor {
        let (strides, paddings) = ([Int64(stride.0), Int64(stride.1)], [Int64(padding.0), Int64(padding.1)])
        return withExtendedLifetime(bias) {
            Tensor.make("fusedConv2d", [self, packedWeight] + (bias.map { [$0] } ?? [])) {
                ctorch_onednn_conv2d($0, handle, packedWeight.handle, bias.c, strides, paddings, Int64(groups), activation.c)
            }
        }
    }
}
