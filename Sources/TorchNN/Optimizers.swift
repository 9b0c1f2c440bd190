import Torch

/// Parameters that share a learning rate, weight decay and momentum.
///
/// The reference trainer uses three: biases (no decay), decayed weights, and BatchNorm weights (no
/// decay), in that order.
public struct ParameterGroup {
    public var name: String
    public var parameters: [Parameter]
    public var learningRate: Double
    public var weightDecay: Double
    /// SGD's momentum, or AdamW's β1.
    public var momentum: Double

    public init(name: String, parameters: [Parameter], learningRate: Double, weightDecay: Double = 0, momentum: Double = 0.9) {
        self.name = name
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.momentum = momentum
    }
}

/// An update rule over parameter groups whose learning rates and momenta a schedule may change
/// between steps.
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get set }
    /// Applies one update from the accumulated gradients. The gradients are used as scratch space
    /// and must be dropped (``zeroGrad()``) before the next accumulation.
    func step()
    /// The optimizer's state as named tensors (keyed by parameter key), for checkpoints.
    func stateTensors() -> [(name: String, tensor: Tensor)]
    /// Restores state saved by ``stateTensors()``.
    func loadState(_ contents: Safetensors.Contents) throws(Safetensors.Error)
}

extension Optimizer {
    /// Drops every parameter's gradient.
    public func zeroGrad() {
        for group in groups { for parameter in group.parameters { parameter.value.zeroGrad() } }
    }
}

/// Scales all gradients down so that their joint 2-norm is at most `maxNorm`
/// (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping, as a one-element tensor on
/// the gradients' device: nothing is read on the host, so a GPU never waits here.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Tensor? {
    let grads = parameters.compactMap(\.grad)
    guard !grads.isEmpty else { return nil }
    return withNoGrad {
        let total = Tensor.stack(Tensor.norms(grads)).norm()
        // torch adds 1e-6 to the norm and never scales up (a factor of exactly 1 changes nothing).
        let coefficient = (Scalar(maxNorm) / (total + 1e-6)).clamped(max: 1)
        Tensor.mulInPlace(grads, coefficient)
        return total
    }
}

/// Stochastic gradient descent with momentum and optional Nesterov momentum, as torch.optim.SGD
/// (dampening 0): `b = μ·b + g`, then `p -= lr · (g + μ·b)` (Nesterov) or `p -= lr · b`, with
/// weight decay added to the gradient (`g += wd·p`).
public final class SGD: Optimizer {
    public var groups: [ParameterGroup]
    public let nesterov: Bool
    private var momentumBuffers: [ObjectIdentifier: Tensor] = [:]

    public init(groups: [ParameterGroup], nesterov: Bool = true) {
        self.groups = groups
        self.nesterov = nesterov
    }

    public func step() {
        withNoGrad {
            for group in groups {
                let live = group.parameters.filter { $0.grad != nil }
                guard !live.isEmpty else { continue }
                let values = live.map(\.value)
                let grads = live.map { $0.grad! }
                if group.weightDecay != 0 { Tensor.addInPlace(grads, values, alpha: Scalar(group.weightDecay)) }
                var update = grads
                if group.momentum != 0 {
                    let buffers = zip(live, grads).map { parameter, grad in
                        momentumBuffers[ObjectIdentifier(parameter)]
                            ?? {
                                let buffer = grad.zerosLike()
                                momentumBuffers[ObjectIdentifier(parameter)] = buffer
                                return buffer
                            }()
                    }
                    Tensor.mulInPlace(buffers, Scalar(group.momentum))
                    Tensor.addInPlace(buffers, grads)
                    if nesterov {
                        Tensor.addInPlace(grads, buffers, alpha: Scalar(group.momentum))
                    } else {
                        update = buffers
                    }
                }
                Tensor.addInPlace(values, update, alpha: Scalar(-group.learningRate))
            }
        }
    }

    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        groups.flatMap(\.parameters).compactMap { parameter in
            momentumBuffers[ObjectIdentifier(parameter)].map { ("\(parameter.key).momentum_buffer", $0) }
        }
    }

    public func loadState(_ contents: Safetensors.Contents) throws(Safetensors.Error) {
        momentumBuffers = [:]
        for parameter in groups.flatMap(\.parameters) {
            if let buffer = contents["\(parameter.key).momentum_buffer"] {
                momentumBuffers[ObjectIdentifier(parameter)] = buffer.to(parameter.value.device).clone()
            }
        }
    }
}

/// Adam with decoupled weight decay, as torch.optim.AdamW: `p *= 1 − lr·wd`, then the Adam step with
/// bias-corrected moments. The group's `momentum` is β1.
public final class AdamW: Optimizer {
    public var groups: [ParameterGroup]
    public let beta2: Double
    public let eps: Double

    private struct State {
        var step: Int
        let average: Tensor
        let averageOfSquares: Tensor
    }

    private var states: [ObjectIdentifier: State] = [:]

    public init(groups: [ParameterGroup], beta2: Double = 0.999, eps: Double = 1e-8) {
        self.groups = groups
        self.beta2 = beta2
        self.eps = eps
    }

    /// One step over each group with torch's fused AdamW kernel: one pass over each parameter, its
    /// gradient and both moments, where torch's single-tensor AdamW (the reference's on a CPU) makes
    /// seven. The formula is the same; the rounding differs a little (the fused kernel forms the first
    /// moment as `β1·m + (1 − β1)·g`, the single-tensor one lerps), within the optimizer test's 1e-6
    /// against torch.optim.AdamW. Parameters that have stepped equally often (normally all) go in one call.
    public func step() {
        withNoGrad {
            for group in groups {
                var cohorts: [Int: [(value: Tensor, grad: Tensor, state: State)]] = [:]
                for parameter in group.parameters {
                    guard let grad = parameter.grad else { continue }
                    let id = ObjectIdentifier(parameter)
                    let value = parameter.value
                    var state = states[id] ?? State(step: 0, average: value.zerosLike(), averageOfSquares: value.zerosLike())
                    state.step += 1
                    states[id] = state
                    cohorts[state.step, default: []].append((value, grad, state))
                }
                for (step, members) in cohorts {
                    Tensor.fusedAdamWStep(
                        members.map(\.value), grads: members.map(\.grad), averages: members.map(\.state.average),
                        squares: members.map(\.state.averageOfSquares), step: step, learningRate: group.learningRate,
                        beta1: group.momentum, beta2: beta2, weightDecay: group.weightDecay, eps: eps)
                }
            }
        }
    }

    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        groups.flatMap(\.parameters).flatMap { parameter -> [(name: String, tensor: Tensor)] in
            guard let state = states[ObjectIdentifier(parameter)] else { return [] }
            return [
                ("\(parameter.key).exp_avg", state.average),
                ("\(parameter.key).exp_avg_sq", state.averageOfSquares),
                ("\(parameter.key).step", Tensor(scalar: Int64(state.step))),
            ]
        }
    }

    public func loadState(_ contents: Safetensors.Contents) throws(Safetensors.Error) {
        states = [:]
        for parameter in groups.flatMap(\.parameters) {
            guard let average = contents["\(parameter.key).exp_avg"] else { continue }
            guard let squares = contents["\(parameter.key).exp_avg_sq"], let step = contents["\(parameter.key).step"]
            else { throw Safetensors.Error(path: "<optimizer state>", reason: "incomplete AdamW state for \(parameter.key)") }
            states[ObjectIdentifier(parameter)] = State(
                step: step.itemInt(), average: average.to(parameter.value.device).clone(),
                averageOfSquares: squares.to(parameter.value.device).clone())
        }
    }
}
