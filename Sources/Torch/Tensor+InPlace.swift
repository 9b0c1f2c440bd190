import CTorch

// In-place updates, for optimizers, BatchNorm and EMA (inside `withNoGrad`).

extension Tensor {
    public func copyInPlace(_ source: Tensor) { check("copyInPlace", [self, source]) { ctorch_copy_(handle, source.handle) } }
    public func zeroInPlace() { check("zeroInPlace", [self]) { ctorch_zero_(handle) } }
    public func fillInPlace(_ value: Scalar) { check("fillInPlace", [self]) { ctorch_fill_(handle, value.c) } }

    /// `self += alpha · other`
    public func addInPlace(_ other: Tensor, alpha: Scalar = 1) {
        check("addInPlace", [self, other]) { ctorch_add_(handle, other.handle, alpha.c) }
    }

    public func addInPlace(_ value: Scalar) { check("addInPlace", [self]) { ctorch_add_scalar_(handle, value.c) } }
    public func mulInPlace(_ other: Tensor) { check("mulInPlace", [self, other]) { ctorch_mul_(handle, other.handle) } }
    public func mulInPlace(_ value: Scalar) { check("mulInPlace", [self]) { ctorch_mul_scalar_(handle, value.c) } }
    public func divInPlace(_ other: Tensor) { check("divInPlace", [self, other]) { ctorch_div_(handle, other.handle) } }

    /// `self += value · a · b`
    public func addcmulInPlace(_ a: Tensor, _ b: Tensor, value: Scalar = 1) {
        check("addcmulInPlace", [self, a, b]) { ctorch_addcmul_(handle, a.handle, b.handle, value.c) }
    }

    /// `self += value · a / b`
    public func addcdivInPlace(_ a: Tensor, _ b: Tensor, value: Scalar = 1) {
        check("addcdivInPlace", [self, a, b]) { ctorch_addcdiv_(handle, a.handle, b.handle, value.c) }
    }

    public func sigmoidInPlace() { check("sigmoidInPlace", [self]) { ctorch_sigmoid_(handle) } }

    /// `self += weight · (end − self)`
    public func lerpInPlace(_ end: Tensor, weight: Scalar) {
        check("lerpInPlace", [self, end]) { ctorch_lerp_(handle, end.handle, weight.c) }
    }

    public func clampInPlace(min: Double? = nil, max: Double? = nil) {
        withBounds(min, max) { low, high in check("clampInPlace", [self]) { ctorch_clamp_(handle, low, high) } }
    }

    // MARK: Multi-tensor updates (one call for a whole parameter list)

    /// `t *= value` for every tensor.
    public static func mulInPlace(_ tensors: [Tensor], _ value: Scalar) {
        withHandles(tensors) { list, count in check("mulInPlace(list)", []) { ctorch_foreach_mul_scalar_(list, count, value.c) } }
    }

    /// `t *= factor` for every tensor, with `factor` a one-element tensor on their device: nothing is
    /// read on the host, so a GPU never waits for it.
    public static func mulInPlace(_ tensors: [Tensor], _ factor: Tensor) {
        withHandles(tensors) { list, count in
            check("mulInPlace(list, tensor)", [factor]) { ctorch_foreach_mul_tensor_(list, count, factor.handle) }
        }
    }

    /// Mixed-precision unscaling (torch's `_amp_foreach_non_finite_check_and_unscale_`): every
    /// tensor times `inverseScale` (one element), and `foundInfinite` (one float element) set to 1
    /// when any value is inf or NaN.
    public static func ampUnscaleInPlace(_ tensors: [Tensor], foundInfinite: Tensor, inverseScale: Tensor) {
        withHandles(tensors) { list, count in
            check("ampUnscaleInPlace", [foundInfinite, inverseScale]) {
                ctorch_amp_unscale_(list, count, foundInfinite.handle, inverseScale.handle)
            }
        }
    }

    /// The loss scale's update (torch's `_amp_update_scale_`): after an inf/NaN, `scale · backoff`
    /// and the tracker back to 0; otherwise the tracker counts the step and, at `interval`, the
    /// scale grows by `growth` and the tracker restarts.
    public static func ampUpdateScaleInPlace(
        _ scale: Tensor, growthTracker: Tensor, foundInfinite: Tensor, growth: Double, backoff: Double, interval: Int
    ) {
        check("ampUpdateScaleInPlace", [scale, growthTracker, foundInfinite]) {
            ctorch_amp_update_scale_(scale.handle, growthTracker.handle, foundInfinite.handle, growth, backoff, Int64(interval))
        }
    }

    /// `tensors[i] += alpha · others[i]` for every pair.
    public static func addInPlace(_ tensors: [Tensor], _ others: [Tensor], alpha: Scalar = 1) {
        precondition(tensors.count == others.count, "addInPlace(list) needs lists of equal length")
        withHandles(tensors) { list, count in
            withHandles(others) { second, _ in
                check("addInPlace(list)", []) { ctorch_foreach_add_(list, second, count, alpha.c) }
            }
        }
    }

    /// `tensors[i] += weight · (ends[i] − tensors[i])` for every pair.
    public static func lerpInPlace(_ tensors: [Tensor], _ ends: [Tensor], weight: Scalar) {
        precondition(tensors.count == ends.count, "lerpInPlace(list) needs lists of equal length")
        withHandles(tensors) { list, count in
            withHandles(ends) { second, _ in
                check("lerpInPlace(list)", []) { ctorch_foreach_lerp_(list, second, count, weight.c) }
            }
        }
    }

    /// One AdamW step (decoupled weight decay, torch's fused kernel) over parameters `values` with
    /// gradients `grads` and moments `averages`, `squares` (updated in place), all having stepped
    /// `step` times counting this one.
    public static func fusedAdamWStep(
        _ values: [Tensor], grads: [Tensor], averages: [Tensor], squares: [Tensor], step: Int,
        learningRate: Double, beta1: Double, beta2: Double, weightDecay: Double, eps: Double
    ) {
        precondition(
            [grads.count, averages.count, squares.count].allSatisfy { $0 == values.count }, "fusedAdamWStep needs lists of equal length")
        withHandles(values) { params, count in
            withHandles(grads) { grads, _ in
                withHandles(averages) { averages, _ in
                    withHandles(squares) { squares, _ in
                        check("fusedAdamWStep", []) {
                            ctorch_fused_adamw_(
                                params, grads, averages, squares, count, Int64(step), learningRate, beta1, beta2, weightDecay, eps)
                        }
                    }
                }
            }
        }
    }

    /// The 2-norm of each tensor (one 0-d tensor each).
    public static func norms(_ tensors: [Tensor]) -> [Tensor] {
        var out = [ctorch_tensor](repeating: ctorch_tensor(ptr: nil), count: tensors.count)
        withHandles(tensors) { list, count in check("norms(list)", []) { ctorch_foreach_norm(&out, list, count) } }
        return out.map { Tensor(handle: $0) }
    }
}
