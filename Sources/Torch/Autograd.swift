import CTorch
import Foundation

extension Tensor {
    /// Whether autograd records operations on this tensor. Set it on leaf tensors only.
    public var requiresGrad: Bool {
        get { ctorch_tensor_requires_grad(handle) }
        set { check("requiresGrad", [self]) { ctorch_set_requires_grad(handle, newValue) } }
    }

    /// Sets ``requiresGrad`` and returns `self`, for chaining: `Tensor.randn([3]).requiringGrad()`.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }

    /// Back-propagates from this tensor, accumulating into the `grad` of the leaves.
    ///
    /// - Parameters:
    ///   - gradient: d(loss)/d(self); omit it for a scalar.
    ///   - retainGraph: keep the graph for another backward pass.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) {
        withExtendedLifetime(gradient) {
            check("backward", [self]) { ctorch_backward(handle, gradient.c, retainGraph) }
        }
    }

    /// The accumulated gradient, or `nil` when none has been computed.
    public var grad: Tensor? {
        var out = ctorch_tensor(ptr: nil)
        check("grad", [self]) { ctorch_grad(&out, handle) }
        return out.ptr == nil ? nil : Tensor(handle: out)
    }

    /// Drops the accumulated gradient (as `tensor.grad = None` in PyTorch).
    public func zeroGrad() { check("zeroGrad", [self]) { ctorch_zero_grad(handle) } }

    /// The same data, cut off from the autograd graph.
    public func detached() -> Tensor { unary("detached", ctorch_detach) }
}

/// Runs `body` with gradient recording off on this thread (as `torch.no_grad()`).
///
/// Grad mode is thread-local in libtorch, so the closure is synchronous: it cannot span an `await`.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = ctorch_grad_mode_is_enabled()
    ctorch_grad_mode_set_enabled(false)
    defer { ctorch_grad_mode_set_enabled(previous) }
    return try body()
}

/// Whether autograd records operations on this thread.
public var isGradEnabled: Bool { ctorch_grad_mode_is_enabled() }

/// Runs `body` under autocast to `dtype` on this thread for ops on `device`'s kind (as
/// `torch.autocast(device_type, dtype)`): convolutions and matrix products compute in `dtype`,
/// results keep it, and their gradients flow back to float32 weights. `nil` runs `body` unchanged.
/// Thread-local, so the closure is synchronous.
public func withAutocast<R>(_ dtype: DType?, device: Device = .cpu, _ body: () throws -> R) rethrows -> R {
    guard let dtype else { return try body() }
    let kind = device.c.type
    let previousDType = ctorch_autocast_dtype(kind)
    let wasEnabled = ctorch_autocast_enter(kind, dtype.c)
    defer { ctorch_autocast_exit(kind, wasEnabled, previousDType) }
    return try body()
}

extension DType {
    /// Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX: oneDNN's own check), so
    /// that bfloat16 makes convolutions faster rather than several times slower.
    /// `FACELABEL_CPU_BFLOAT16=0` overrides the check (to run, and test, the float32 fallback on a
    /// CPU that has it).
    public static var cpuHasNativeBFloat16: Bool {
        ProcessInfo.processInfo.environment["FACELABEL_CPU_BFLOAT16"] == "0" ? false : ctorch_cpu_has_native_bfloat16()
    }

    /// Why this CPU computes in float32 what was asked in bfloat16 (nil where it computes bfloat16
    /// natively), for a warning: names the instructions it lacks and its SIMD level.
    public static var cpuBFloat16Fallback: String? {
        guard !cpuHasNativeBFloat16 else { return nil }
        return "this CPU computes bfloat16 natively only with AVX512-BF16 or AMX, and has neither "
            + "(SIMD level \(Tensor.cpuCapability)), so it computes in float32"
    }
}
