import Foundation
import Torch

/// Whether a forward pass trains (batch statistics, updated running statistics) or evaluates.
public enum Mode: Sendable {
    case train, eval
}

/// A 2-d convolution layer, registering `weight` `[O, C/groups, k, k]` and optionally `bias` `[O]`.
///
/// Weights start as torch.nn.Conv2d's do: uniform in ±1/√fan_in (kaiming-uniform with a = √5),
/// and so does the bias.
public final class Conv2d {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int
    public let groups: Int

    public init(
        _ scope: Scope, input: Int, output: Int, kernel: Int, stride: Int = 1, padding: Int? = nil, groups: Int = 1,
        bias: Bool = true
    ) {
        precondition(input % groups == 0 && output % groups == 0, "Conv2d: channels \(input)→\(output) not divisible by groups \(groups)")
        let fanIn = Double(input / groups * kernel * kernel)
        let bound = 1 / fanIn.squareRoot()
        let generator = scope.store.generator
        func uniform(_ shape: [Int]) -> Tensor { Tensor.rand(shape, generator: generator) * Scalar(2 * bound) - Scalar(bound) }
        weight = scope.parameter("weight", uniform([output, input / groups, kernel, kernel]))
        self.bias = bias ? scope.parameter("bias", uniform([output])) : nil
        self.stride = stride
        self.padding = padding ?? kernel / 2
        self.groups = groups
    }

    /// `[N, C, H, W]` → `[N, O, H/stride, W/stride]`
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(
            weight: weight.value, bias: bias?.value, stride: (stride, stride), padding: (padding, padding),
            groups: groups)
    }
}

/// Batch normalisation over channels, with torch.nn.BatchNorm2d's state-dict entries: `weight`,
/// `bias`, `running_mean`, `running_var` and `num_batches_tracked`.
///
/// `momentum` weighs the new batch in the running statistics (torch's convention); the reference
/// model uses eps 0.001 and momentum 0.03.
public final class BatchNorm2d {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let batchesTracked: Buffer
    public let eps: Double
    public let momentum: Double

    public init(_ scope: Scope, features: Int, eps: Double = 1e-5, momentum: Double = 0.1) {
        weight = scope.parameter("weight", .ones([features]))
        bias = scope.parameter("bias", .zeros([features]))
        runningMean = scope.buffer("running_mean", .zeros([features]))
        runningVar = scope.buffer("running_var", .ones([features]))
        batchesTracked = scope.buffer("num_batches_tracked", Tensor(scalar: Int64(0)))
        self.eps = eps
        self.momentum = momentum
    }

    /// `[N, C, H, W]` → same shape.
    public func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        let training = mode == .train
        if training { withNoGrad { batchesTracked.value.addInPlace(1) } }
        return x.batchNorm(
            weight: weight.value, bias: bias.value, runningMean: runningMean.value, runningVar: runningVar.value,
            training: training, momentum: momentum, eps: eps)
    }
}
