import Foundation
import Testing
import Torch
import TorchNN
import TorchTestSupport

@Suite struct `Optimizers` {
    /// Two steps from the fixture's start with its recorded gradients, compared after each step.
    func replay(_ prefix: String, _ make: ([Parameter]) -> any Optimizer) throws {
        let golden = try Goldens.load()
        let store = ParameterStore()
        let parameter = store.root.parameter("p", try golden.required("\(prefix).start"))
        let optimizer = make([parameter])
        for step in 0..<2 {
            optimizer.zeroGrad()
            (parameter.value * (try golden.required("\(prefix).grad\(step)"))).sum().backward()
            optimizer.step()
            expectClose(
                parameter.value.detached(), try golden.required("\(prefix).after\(step)"), rtol: 1e-6, atol: 1e-7, "\(prefix) step \(step)")
        }
    }

    @Test func `SGD with Nesterov momentum and weight decay matches torch.optim.SGD`() throws {
        try replay("sgd") { parameters in
            SGD(groups: [ParameterGroup(name: "all", parameters: parameters, learningRate: 0.01, weightDecay: 5e-4, momentum: 0.937)])
        }
    }

    @Test func `AdamW matches torch.optim.AdamW`() throws {
        try replay("adamw") { parameters in
            AdamW(groups: [ParameterGroup(name: "all", parameters: parameters, learningRate: 0.002, weightDecay: 0.01, momentum: 0.9)])
        }
    }

    @Test func `AdamW steps a parameter that missed a step with its own bias correction`() {
        // a and b step together, except that b gets no gradient in the first step: in the second,
        // b takes a first step, exactly as a fresh optimizer would take it alone
        func make(_ parameters: [Parameter]) -> AdamW {
            AdamW(groups: [ParameterGroup(name: "all", parameters: parameters, learningRate: 0.1, weightDecay: 0.01, momentum: 0.9)])
        }
        let gradient = Tensor([0.5, -2, 3] as [Float])
        let store = ParameterStore()
        let (a, b) = (store.root.parameter("a", .ones([3])), store.root.parameter("b", .ones([3])))
        let optimizer = make([a, b])
        (a.value * gradient).sum().backward()
        optimizer.step()
        optimizer.zeroGrad()
        ((a.value + b.value) * gradient).sum().backward()
        optimizer.step()

        let alone = ParameterStore().root.parameter("b", .ones([3]))
        (alone.value * gradient).sum().backward()
        make([alone]).step()
        #expect(b.value.toArray(of: Float.self) == alone.value.toArray(of: Float.self))
        #expect(a.value.toArray(of: Float.self) != alone.value.toArray(of: Float.self))
    }

    @Test func `optimizer state saved and restored continues exactly`() throws {
        for kind in ["sgd", "adamw"] {
            func make(_ parameters: [Parameter]) -> any Optimizer {
                let group = ParameterGroup(name: "all", parameters: parameters, learningRate: 0.01, weightDecay: 1e-3, momentum: 0.9)
                return kind == "sgd" ? SGD(groups: [group]) : AdamW(groups: [group])
            }
            let gradients = (0..<4).map { Tensor.randn([3], generator: Generator(seed: UInt64($0))) }
            func train(_ parameter: Parameter, _ optimizer: any Optimizer, steps: Range<Int>) {
                for step in steps {
                    optimizer.zeroGrad()
                    (parameter.value * gradients[step]).sum().backward()
                    optimizer.step()
                }
            }
            let straight = ParameterStore().root.parameter("p", .ones([3]))
            train(straight, make([straight]), steps: 0..<4)

            let first = ParameterStore().root.parameter("p", .ones([3]))
            let firstOptimizer = make([first])
            train(first, firstOptimizer, steps: 0..<2)
            let state = Safetensors.Contents(tensors: firstOptimizer.stateTensors())
            let resumed = ParameterStore().root.parameter("p", first.value.detached())
            let resumedOptimizer = make([resumed])
            try resumedOptimizer.loadState(state)
            train(resumed, resumedOptimizer, steps: 2..<4)
            #expect(resumed.value.toArray(of: Float.self) == straight.value.toArray(of: Float.self), "\(kind)")
        }
    }

    @Test func `gradient clipping scales the joint norm down to the limit and leaves small gradients alone`() throws {
        let store = ParameterStore()
        let a = store.root.parameter("a", .zeros([2]))
        let b = store.root.parameter("b", .zeros([1]))
        (a.value * Tensor([30, 40] as [Float])).sum().backward()
        (b.value * Tensor([0] as [Float])).sum().backward()
        let norm = try #require(clipGradientNorm([a, b], maxNorm: 10)).item()
        #expect(Swift.abs(norm - 50) < 1e-4)
        expectClose(try #require(a.grad), Tensor([6, 8] as [Float]), atol: 1e-4)
        let before = try #require(a.grad).toArray(of: Float.self)
        clipGradientNorm([a, b], maxNorm: 100)
        #expect(try #require(a.grad).toArray(of: Float.self) == before)
    }

    @Test func `SGD fits a line: the loss falls under a bound`() {
        let store = ParameterStore(seed: 4)
        let w = store.root.parameter("w", .zeros([1]))
        let bias = store.root.parameter("b", .zeros([1]))
        let x = Tensor.linspace(-1, 1, count: 32)
        let y = x * 3 - 0.5
        let optimizer = SGD(groups: [ParameterGroup(name: "all", parameters: [w, bias], learningRate: 0.1, momentum: 0.9)])
        var first = 0.0
        var last = 0.0
        for step in 0..<200 {
            optimizer.zeroGrad()
            let loss = (x * w.value + bias.value - y).pow(2).mean()
            loss.backward()
            optimizer.step()
            if step == 0 { first = loss.item() }
            last = loss.item()
        }
        #expect(first > 1 && last < 1e-6)
        #expect(Swift.abs(w.value.item() - 3) < 1e-3 && Swift.abs(bias.value.item() + 0.5) < 1e-3)
    }
}

@Suite struct `Model EMA` {
    @Test func `the decay ramps as 0.9999 · (1 − exp(−u / 2000))`() {
        let model = ParameterStore()
        let average = ParameterStore()
        _ = model.root.parameter("w", .ones([1]))
        _ = average.root.parameter("w", .zeros([1]))
        let ema = ModelEMA(model: model, average: average)
        #expect(Swift.abs(ema.decay(update: 1) - 0.9999 * (1 - Foundation.exp(-1.0 / 2000))) < 1e-15)
        #expect(Swift.abs(ema.decay(update: 2000) - 0.9999 * (1 - Foundation.exp(-1.0))) < 1e-15)
    }

    @Test func `updates average floating-point entries and leave the batch counter alone`() {
        let model = ParameterStore()
        let average = ParameterStore()
        let (_, bn) = convBlock(model)
        let (_, averageBN) = convBlock(average)
        let ema = ModelEMA(model: model, average: average, decay: 0.5, tau: 1e-9)  // d = 0.5 from the first update
        #expect(averageBN.weight.value.toArray(of: Float.self) == [1, 1, 1, 1])
        withNoGrad {
            bn.weight.value.fillInPlace(3)
            bn.runningMean.value.fillInPlace(2)
            bn.batchesTracked.value.fillInPlace(7)
        }
        ema.update()
        #expect(ema.updates == 1)
        #expect(averageBN.weight.value.toArray(of: Float.self) == [2, 2, 2, 2])
        #expect(averageBN.runningMean.value.toArray(of: Float.self) == [1, 1, 1, 1])
        #expect(averageBN.batchesTracked.value.itemInt() == 0)
    }
}
