import Foundation
import Testing
import Torch
import TorchNN
import TorchTestSupport

/// A small conv net: Conv-BN-SiLU ×2, max pool, upsample, a 1×1 head.
final class TinyNet {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, head: Conv2d

    init(_ store: ParameterStore) {
        let root = store.root / "model"
        conv1 = Conv2d(root / 0 / "conv", input: 3, output: 8, kernel: 3, stride: 2, bias: false)
        bn1 = BatchNorm2d(root / 0 / "bn", features: 8, eps: 0.001, momentum: 0.03)
        conv2 = Conv2d(root / 1 / "conv", input: 8, output: 8, kernel: 3, bias: false)
        bn2 = BatchNorm2d(root / 1 / "bn", features: 8, eps: 0.001, momentum: 0.03)
        head = Conv2d(root / 2, input: 8, output: 1, kernel: 1)
    }

    /// `[N, 3, H, W]` → `[N, 1, H/2, W/2]` logits
    func callAsFunction(_ x: Tensor, mode: Mode) -> Tensor {
        let a = bn1(conv1(x), mode: mode).silu()
        let b = bn2(conv2(a), mode: mode).silu()
        let pooled = b.maxPool2d(kernel: (2, 2)).upsampleNearest2d(scale: 2)
        return head(pooled + a)
    }
}

@Suite struct `Training a small conv net` {
    @Test func `the loss halves on a fixed batch: learning happens`() {
        let store = ParameterStore(seed: 0)
        let net = TinyNet(store)
        let generator = Generator(seed: 1)
        let images = Tensor.randn([4, 3, 16, 16], generator: generator)
        // target: where the first channel is bright, at half resolution
        let target = (images.narrow(dim: 1, start: 0, length: 1).maxPool2d(kernel: (2, 2)) .> 0.5).to(.float32)
        let optimizer = AdamW(groups: [ParameterGroup(name: "all", parameters: store.parameters, learningRate: 0.01, momentum: 0.9)])
        var losses: [Double] = []
        for _ in 0..<60 {
            optimizer.zeroGrad()
            let loss = net(images, mode: .train).binaryCrossEntropyWithLogits(target: target)
            loss.backward()
            clipGradientNorm(store.parameters, maxNorm: 10)
            optimizer.step()
            losses.append(loss.item())
        }
        #expect(losses.allSatisfy { $0.isFinite })
        #expect(losses.last! < losses.first! / 2, "losses: \(losses.first!) → \(losses.last!)")
    }
}

@Suite struct `No leaks in training` {
    @Test func `live tensors return to their baseline after 50 forward and backward passes`() async {
        await #expect(processExitsWith: .success) {
            let store = ParameterStore(seed: 0)
            let net = TinyNet(store)
            let optimizer = SGD(groups: [ParameterGroup(name: "all", parameters: store.parameters, learningRate: 0.01, momentum: 0.9)])
            let images = Tensor.randn([2, 3, 16, 16], generator: Generator(seed: 1))
            func step() {
                optimizer.zeroGrad()
                net(images, mode: .train).pow(2).mean().backward()
                optimizer.step()
            }
            step()  // creates the momentum buffers, which live as long as the optimizer
            optimizer.zeroGrad()
            let baseline = Tensor.liveCount
            let residentBefore = residentBytes()
            for _ in 0..<50 { step() }
            optimizer.zeroGrad()
            precondition(Tensor.liveCount == baseline, "live tensors \(Tensor.liveCount) != baseline \(baseline)")
            let growth = residentBytes() - residentBefore
            precondition(growth < 16 << 20, "resident memory grew by \(growth) bytes")
        }
    }
}
