import Foundation
import Testing
import TorchNN

@Suite struct `Learning-rate schedules and warmup` {
    @Test func `linear schedule falls from 1 to lrf`() {
        let schedule = LearningRateSchedule.linear(finalFactor: 0.01)
        #expect(schedule.factor(epoch: 0, epochs: 100) == 1)
        #expect(Swift.abs(schedule.factor(epoch: 50, epochs: 100) - 0.505) < 1e-12)
        #expect(Swift.abs(schedule.factor(epoch: 100, epochs: 100) - 0.01) < 1e-12)
        #expect(Swift.abs(schedule.factor(epoch: 120, epochs: 100) - 0.01) < 1e-12)
    }

    @Test func `cosine schedule is 1 at the start, the midpoint halfway, lrf at the end`() {
        let schedule = LearningRateSchedule.cosine(finalFactor: 0.01)
        #expect(schedule.factor(epoch: 0, epochs: 10) == 1)
        #expect(Swift.abs(schedule.factor(epoch: 5, epochs: 10) - 0.505) < 1e-12)
        #expect(Swift.abs(schedule.factor(epoch: 10, epochs: 10) - 0.01) < 1e-12)
    }

    @Test func `warmup lasts max(round(3 · nb), 100) iterations`() {
        #expect(Warmup(warmupEpochs: 3, batchesPerEpoch: 10, biasLearningRate: 0.1, startMomentum: 0.8).iterations == 100)
        #expect(Warmup(warmupEpochs: 3, batchesPerEpoch: 50, biasLearningRate: 0.1, startMomentum: 0.8).iterations == 150)
        #expect(!Warmup(warmupEpochs: 0, batchesPerEpoch: 50, biasLearningRate: 0.1, startMomentum: 0.8).isActive(iteration: 0))
    }

    @Test func `warmup ramps the bias rate down, other rates and momentum up, and accumulation as numpy rounds`() {
        let warmup = Warmup(warmupEpochs: 3, batchesPerEpoch: 10, biasLearningRate: 0.1, startMomentum: 0.8)  // 100 iterations
        #expect(Swift.abs(warmup.learningRate(iteration: 25, groupIndex: 0, target: 0.01) - 0.0775) < 1e-12)
        #expect(Swift.abs(warmup.learningRate(iteration: 25, groupIndex: 1, target: 0.01) - 0.0025) < 1e-12)
        #expect(Swift.abs(warmup.momentum(iteration: 50, target: 0.937) - 0.8685) < 1e-12)
        #expect(warmup.learningRate(iteration: 150, groupIndex: 2, target: 0.01) == 0.01)
        // interp(ni, [0, 100], [1, 4]): 1.5 at ni = 50/3 → rounds to 2 (even); 2.5 at 50 → 2; 3.5 at 250/3 → 4
        #expect(warmup.accumulation(iteration: 0, nominalBatch: 64, batch: 16) == 1)
        #expect(warmup.accumulation(iteration: 50, nominalBatch: 64, batch: 16) == 2)
        #expect(warmup.accumulation(iteration: 51, nominalBatch: 64, batch: 16) == 3)
        #expect(warmup.accumulation(iteration: 100, nominalBatch: 64, batch: 16) == 4)
    }
}
