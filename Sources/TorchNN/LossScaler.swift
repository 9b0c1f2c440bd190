import Torch

/// Dynamic loss scaling for float16 mixed precision (torch.amp.GradScaler, which the reference's
/// CUDA AMP uses with its defaults): the loss is multiplied by a large scale before the backward
/// pass so that small float16 gradients do not flush to zero; the gradients are divided by it again
/// before clipping and the step. A step whose gradients hold an inf or a NaN is skipped and the
/// scale backs off; after `growthInterval` clean steps in a row it grows.
///
/// The scale and the step counter live on the training device, and the kernels are torch's own
/// (`_amp_foreach_non_finite_check_and_unscale_`, `_amp_update_scale_`), so the only value read on
/// the host is whether the step may run.
///
/// ```swift
/// let scaler = LossScaler(device: .cuda(0))
/// scaler.scaled(loss).backward()
/// scaler.unscale(parameters)
/// clipGradientNorm(parameters, maxNorm: 10)
/// if scaler.mayStep { optimizer.step() }
/// scaler.update()
/// ```
public final class LossScaler {
    /// The reference's (GradScaler's) defaults: 2¹⁶, ×2 after 2000 clean steps, ×½ on inf/NaN.
    public static let defaultInitialScale = 65536.0
    public let growthFactor: Double
    public let backoffFactor: Double
    public let growthInterval: Int
    /// `[1]` float32: the current scale.
    public let scale: Tensor
    /// `[1]` int32: clean steps since the scale last changed.
    private let growthTracker: Tensor
    /// `[1]` float32: 1 when the gradients unscaled since the last update held an inf or NaN.
    private let foundInfinite: Tensor
    private var unscaledSinceUpdate = false

    public init(
        device: Device = .cpu, initialScale: Double = LossScaler.defaultInitialScale, growthFactor: Double = 2,
        backoffFactor: Double = 0.5, growthInterval: Int = 2000
    ) {
        precondition(growthFactor > 1 && backoffFactor > 0 && backoffFactor < 1 && growthInterval > 0, "LossScaler factors")
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
        scale = Tensor.full([1], Scalar(initialScale), device: device)
        growthTracker = Tensor.zeros([1], dtype: .int32, device: device)
        foundInfinite = Tensor.zeros([1], device: device)
    }

    /// The current scale, read on the host (for logs and tests).
    public var currentScale: Double { scale.item() }

    /// `loss · scale`, to back-propagate instead of `loss`.
    public func scaled(_ loss: Tensor) -> Tensor { loss * scale.to(loss.dtype) }

    /// Divides every gradient by the scale in place, and records whether any holds an inf or a NaN.
    /// Call once per step, after the backward passes and before clipping.
    public func unscale(_ parameters: [Parameter]) {
        let grads = parameters.compactMap(\.grad)
        precondition(!unscaledSinceUpdate, "LossScaler.unscale called twice before update()")
        unscaledSinceUpdate = true
        guard !grads.isEmpty else { return }
        withNoGrad {
            let inverse = (1.0 / scale.to(.float64)).to(.float32)  // GradScaler's: the reciprocal in double
            Tensor.ampUnscaleInPlace(grads, foundInfinite: foundInfinite, inverseScale: inverse)
        }
    }

    /// Whether the unscaled gradients are all finite, so the optimizer may step (the one value this
    /// scaler reads on the host, as GradScaler.step does).
    public var mayStep: Bool { foundInfinite.item() == 0 }

    /// Grows or backs off the scale from this step's finding, and clears the finding.
    public func update() {
        withNoGrad {
            Tensor.ampUpdateScaleInPlace(
                scale, growthTracker: growthTracker, foundInfinite: foundInfinite, growth: growthFactor,
                backoff: backoffFactor, interval: growthInterval)
            foundInfinite.zeroInPlace()
        }
        unscaledSinceUpdate = false
    }
}
