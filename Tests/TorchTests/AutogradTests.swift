import Testing
import Torch
import TorchTestSupport

@Suite struct `Autograd` {
    @Test func `d/dx of x² + x + 36 at 2 is 5`() throws {
        let x = Tensor(scalar: 2.0).requiringGrad()
        (x * x + x + 36).backward()
        #expect(try #require(x.grad).item() == 5)
    }

    @Test func `gradients accumulate until dropped, and detach and withNoGrad stop recording`() throws {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        (x * 3).sum().backward()
        (x * 3).sum().backward()
        #expect(try #require(x.grad).toArray(of: Float.self) == [6, 6])
        x.zeroGrad()
        #expect(x.grad == nil)
        #expect(!(x.detached() * 2).requiresGrad)
        let y = withNoGrad { x * 2 }
        #expect(!y.requiresGrad && isGradEnabled)
    }

    @Test func `autocast computes convolutions in bfloat16 inside its region only, with float32 gradients`() throws {
        // 1 + 2⁻⁹ is exact in float32 but rounds to 1 in bfloat16 (7 fraction bits)
        let x = Tensor([1 + 1.0 / 512, 2] as [Float]).reshaped([1, 2, 1, 1])
        let weight = Tensor([1, 1] as [Float]).reshaped([1, 2, 1, 1]).requiringGrad()
        let mixed = withAutocast(.bfloat16) { x.conv2d(weight: weight) }
        #expect(mixed.dtype == .bfloat16)
        #expect(mixed.to(.float32).toArray(of: Float.self) == [3])
        let plain = x.conv2d(weight: weight)
        #expect(plain.dtype == .float32 && plain.toArray(of: Float.self) == [3 + 1.0 / 512])
        #expect(withAutocast(nil) { x.conv2d(weight: weight) }.dtype == .float32)
        // nested regions restore the outer one
        let afterInner = withAutocast(.bfloat16) { () -> Tensor in
            _ = withAutocast(.bfloat16) { x.conv2d(weight: weight) }
            return x.conv2d(weight: weight)
        }
        #expect(afterInner.dtype == .bfloat16)
        mixed.to(.float32).sum().backward()
        let grad = try #require(weight.grad)
        #expect(grad.dtype == .float32 && grad.toArray(of: Float.self) == [1, 2])
    }

    @Test func `a vector output back-propagates a given gradient and can retain the graph`() throws {
        let x = Tensor([1, 2] as [Float]).requiringGrad()
        let y = x * x
        y.backward(gradient: Tensor([1, 10] as [Float]), retainGraph: true)
        y.backward(gradient: Tensor([1, 0] as [Float]))
        #expect(try #require(x.grad).toArray(of: Float.self) == [4, 40])
    }
}

/// Finite differences in float64 for every differentiable op the model uses.
@Suite struct `Gradients match finite differences` {
    let generator = Generator(seed: 11)
    func random(_ shape: [Int], scale: Double = 1, offset: Double = 0) -> Tensor {
        Tensor.randn(shape, generator: generator, dtype: .float64) * Scalar(scale) + Scalar(offset)
    }
    func positive(_ shape: [Int]) -> Tensor { Tensor.rand(shape, generator: generator, dtype: .float64) + 0.5 }

    @Test func `arithmetic with broadcasting`() {
        expectGradientsMatchFiniteDifferences([random([2, 3]), random([3])]) { $0[0] + $0[1] }
        expectGradientsMatchFiniteDifferences([random([2, 3]), random([2, 1])]) { $0[0] - $0[1] }
        expectGradientsMatchFiniteDifferences([random([2, 3]), random([3])]) { $0[0] * $0[1] }
        expectGradientsMatchFiniteDifferences([random([2, 3]), positive([3])]) { $0[0] / $0[1] }
        expectGradientsMatchFiniteDifferences([random([4])]) { 3 - $0[0] * 2 + 1 }
        expectGradientsMatchFiniteDifferences([positive([4])]) { 2 / $0[0] }
        expectGradientsMatchFiniteDifferences([random([3, 4]), random([4, 2])]) { $0[0].matmul($0[1]) }
    }

    @Test func `elementwise math`() {
        expectGradientsMatchFiniteDifferences([positive([5])]) { $0[0].pow(1.5) }
        expectGradientsMatchFiniteDifferences([positive([5]), random([5])]) { $0[0].pow($0[1]) }
        expectGradientsMatchFiniteDifferences([positive([5])]) { $0[0].sqrt() }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].exp() }
        expectGradientsMatchFiniteDifferences([positive([5])]) { $0[0].log() }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].atan() }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].abs() }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].tanh() + $0[0].sin() + $0[0].cos() }
        expectGradientsMatchFiniteDifferences([random([8], scale: 2)]) { $0[0].clamped(min: -0.5, max: 0.5) }
        expectGradientsMatchFiniteDifferences([random([5]), random([5])]) {
            Tensor.maximum($0[0], $0[1]) + Tensor.minimum($0[0], $0[1]) * 2
        }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].sigmoid() }
        expectGradientsMatchFiniteDifferences([random([5])]) { $0[0].silu() }
        expectGradientsMatchFiniteDifferences([random([5]), random([5])]) { Tensor.where($0[0] .> 0, $0[0], $0[1]) }
    }

    @Test func `shape and indexing ops`() {
        expectGradientsMatchFiniteDifferences([random([2, 3, 4])]) { $0[0].permuted([2, 0, 1]).reshaped([4, 6]) }
        expectGradientsMatchFiniteDifferences([random([3, 1])]) { $0[0].expanded([3, 4]) * Tensor.arange(0, 4, dtype: .float64) }
        expectGradientsMatchFiniteDifferences([random([2, 3])]) { $0[0].repeated([2, 1]).flipped([0]).transposed(0, 1) }
        expectGradientsMatchFiniteDifferences([random([2, 3]), random([2, 2])]) { Tensor.cat([$0[0], $0[1]], dim: 1) }
        expectGradientsMatchFiniteDifferences([random([3]), random([3])]) { Tensor.stack([$0[0], $0[1]]) }
        expectGradientsMatchFiniteDifferences([random([2, 5])]) { x in
            let parts = x[0].split([2, 3], dim: 1)
            return parts[0].sum(dim: 1) * parts[1].mean(dim: 1)
        }
        expectGradientsMatchFiniteDifferences([random([3, 4])]) {
            $0[0].gather(dim: 1, Tensor([0, 3, 3, 1, 2, 0] as [Int64], shape: [3, 2]))
        }
        expectGradientsMatchFiniteDifferences([random([4, 3])]) { $0[0][mask: Tensor([true, false, true, true])] }
        expectGradientsMatchFiniteDifferences([random([4, 3])]) {
            $0[0][.range(1, 3), 2] + $0[0].narrow(dim: 0, start: 0, length: 2).select(dim: 1, 0)
        }
        expectGradientsMatchFiniteDifferences([random([4, 3])]) { $0[0].indexSelect(dim: 0, Tensor([3, 1] as [Int64])) }
        expectGradientsMatchFiniteDifferences([random([4, 3])]) { $0[0].maskedFill($0[0] .> 0.5, 0) }
        expectGradientsMatchFiniteDifferences([random([3]), random([2])]) { $0[0].scatter(dim: 0, Tensor([2, 0] as [Int64]), $0[1]) }
    }

    @Test func `reductions`() {
        expectGradientsMatchFiniteDifferences([random([3, 4])]) { $0[0].sum(dims: [0, 1]) + $0[0].mean() }
        expectGradientsMatchFiniteDifferences([random([3, 4])]) { $0[0].max(dim: 1).values + $0[0].min(dim: 1).values }
        expectGradientsMatchFiniteDifferences([random([3, 4])]) { $0[0].max() + $0[0].min() }
        expectGradientsMatchFiniteDifferences([random([6])]) { $0[0].topk(3).values }
        expectGradientsMatchFiniteDifferences([random([6])]) { $0[0].cumsum(dim: 0) }
        expectGradientsMatchFiniteDifferences([positive([4])]) { $0[0].prod() }
        expectGradientsMatchFiniteDifferences([random([4])]) { $0[0].norm() }
    }

    @Test func `neural-network ops`() {
        expectGradientsMatchFiniteDifferences([random([1, 2, 5, 5]), random([4, 2, 3, 3]), random([4])]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1))
        }
        expectGradientsMatchFiniteDifferences([random([1, 4, 4, 4]), random([4, 2, 3, 3])]) {
            $0[0].conv2d(weight: $0[1], padding: (1, 1), groups: 2)
        }
        expectGradientsMatchFiniteDifferences([random([3, 2, 3, 3]), positive([2]), random([2])]) {
            $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true, eps: 1e-3)
        }
        expectGradientsMatchFiniteDifferences([random([2, 2, 3, 3]), positive([2]), random([2])]) {
            $0[0].batchNorm(
                weight: $0[1], bias: $0[2], runningMean: Tensor.zeros([2], dtype: .float64),
                runningVar: Tensor.ones([2], dtype: .float64), training: false, eps: 1e-3)
        }
        expectGradientsMatchFiniteDifferences([random([1, 2, 5, 5])]) { $0[0].maxPool2d(kernel: (5, 5), stride: (1, 1), padding: (2, 2)) }
        expectGradientsMatchFiniteDifferences([random([1, 2, 3, 3])]) { $0[0].upsampleNearest2d(scale: 2) }
        expectGradientsMatchFiniteDifferences([random([3, 5])]) { $0[0].softmax(dim: 1) }
        expectGradientsMatchFiniteDifferences([random([3, 5])]) { $0[0].logSoftmax(dim: 0) }
        let target = Tensor.rand([3, 4], generator: generator, dtype: .float64)
        expectGradientsMatchFiniteDifferences([random([3, 4], scale: 3)]) {
            $0[0].binaryCrossEntropyWithLogits(target: target, reduction: .sum)
        }
        let weight = positive([4])
        expectGradientsMatchFiniteDifferences([random([3, 4], scale: 3)]) {
            $0[0].binaryCrossEntropyWithLogits(target: target, weight: weight, reduction: .none)
        }
        expectGradientsMatchFiniteDifferences([random([4, 3])]) { $0[0].crossEntropy(target: Tensor([0, 2, 1, 2] as [Int64])) }
    }
}
