import Foundation
import Testing
import Torch
import TorchNN

/// The loss scaler's arithmetic against hand-worked values (GradScaler's rules), on CPU tensors.
@Suite struct `Loss scaling` {
    /// One parameter whose gradient is `values` (the backward of Σ p·values).
    func parameter(gradient values: [Float]) -> Parameter {
        let store = ParameterStore()
        let weight = store.root.parameter("w", .zeros([values.count]))
        (weight.value * Tensor(values)).sum().backward()
        return weight
    }

    @Test func `the loss is multiplied by the scale and the gradients divided by it`() throws {
        let scaler = LossScaler(initialScale: 65536)
        #expect(scaler.scaled(Tensor(scalar: Float(2))).item() == 131_072)
        let weight = parameter(gradient: [131_072, -65536, 32768])
        scaler.unscale([weight])
        #expect(try #require(weight.grad).toArray(of: Float.self) == [2, -1, 0.5])
        #expect(scaler.mayStep)
    }

    @Test func `clean steps grow the scale after the interval and an inf or a NaN backs it off`() {
        let scaler = LossScaler(initialScale: 1024, growthFactor: 2, backoffFactor: 0.5, growthInterval: 3)
        func step(_ gradient: [Float]) -> Bool {
            scaler.unscale([parameter(gradient: gradient)])
            let allowed = scaler.mayStep
            scaler.update()
            return allowed
        }
        #expect(step([1, 2]) && step([3, 4]))
        #expect(scaler.currentScale == 1024)  // two clean steps: not yet
        #expect(step([5, 6]))
        #expect(scaler.currentScale == 2048)  // the third grows it, and the count restarts
        #expect(!step([.infinity, 1]))
        #expect(scaler.currentScale == 1024)
        #expect(step([1, 1]) && step([1, 1]))
        #expect(!step([.nan, 1]))  // a NaN resets the count too
        #expect(scaler.currentScale == 512)
        #expect(step([1, 1]) && step([1, 1]) && step([1, 1]))
        #expect(scaler.currentScale == 1024)
    }

    @Test func `a skipped step leaves the weights as they were`() throws {
        let store = ParameterStore()
        let weight = store.root.parameter("w", Tensor([1, 1] as [Float]))
        let optimizer = SGD(groups: [ParameterGroup(name: "w", parameters: [weight], learningRate: 0.1, weightDecay: 0, momentum: 0)])
        let scaler = LossScaler(initialScale: 4)
        scaler.scaled((weight.value * Tensor([Float.greatestFiniteMagnitude, 1])).sum()).backward()
        scaler.unscale([weight])
        #expect(!scaler.mayStep)
        if scaler.mayStep { optimizer.step() }
        scaler.update()
        #expect(weight.value.toArray(of: Float.self) == [1, 1])
        #expect(scaler.currentScale == 2)
    }
}
