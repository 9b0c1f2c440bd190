import Foundation

/// The per-epoch learning-rate factor `lf(e)` of the reference trainer (reference §4.5): the
/// learning rate of epoch `e` (0-based) is `initial · lf(e)`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// `max(1 − e/E, 0) · (1 − lrf) + lrf`
    case linear(finalFactor: Double)
    /// `((1 − cos(e·π/E)) / 2) · (lrf − 1) + 1`
    case cosine(finalFactor: Double)

    public func factor(epoch: Int, epochs: Int) -> Double {
        let e = Double(epoch)
        let total = Double(epochs)
        switch self {
        case .linear(let lrf): return max(1 - e / total, 0) * (1 - lrf) + lrf
        case .cosine(let lrf): return ((1 - cos(e * .pi / total)) / 2) * (lrf - 1) + 1
        }
    }
}

/// The reference trainer's warmup (reference §4.4): over the first `iterations` batches the bias
/// group's learning rate falls from `biasLearningRate`, the others rise from 0, momentum rises from
/// `startMomentum`, and gradient accumulation grows from 1 to `nominalBatch / batch`.
public struct Warmup: Sendable, Equatable {
    public var iterations: Int
    public var biasLearningRate: Double
    public var startMomentum: Double

    /// `max(round(warmupEpochs · batchesPerEpoch), 100)` iterations, or none for `warmupEpochs <= 0`.
    public init(warmupEpochs: Double, batchesPerEpoch: Int, biasLearningRate: Double, startMomentum: Double) {
        iterations = warmupEpochs > 0 ? max(Int((warmupEpochs * Double(batchesPerEpoch)).rounded()), 100) : -1
        self.biasLearningRate = biasLearningRate
        self.startMomentum = startMomentum
    }

    /// Whether global batch `iteration` is still in warmup.
    public func isActive(iteration: Int) -> Bool { iteration <= iterations }

    /// The learning rate of group `groupIndex` (0 = biases) at `iteration`, heading for `target`.
    public func learningRate(iteration: Int, groupIndex: Int, target: Double) -> Double {
        interpolate(iteration, from: groupIndex == 0 ? biasLearningRate : 0, to: target)
    }

    /// The momentum at `iteration`, heading for `target`.
    public func momentum(iteration: Int, target: Double) -> Double {
        interpolate(iteration, from: startMomentum, to: target)
    }

    /// Batches to accumulate before a step at `iteration`: `max(1, round(interp(ni, [0, nw], [1, nbs/batch])))`,
    /// rounding halves to even as numpy does.
    public func accumulation(iteration: Int, nominalBatch: Int, batch: Int) -> Int {
        let value = interpolate(iteration, from: 1, to: Double(nominalBatch) / Double(batch))
        return max(1, Int(value.rounded(.toNearestOrEven)))
    }

    /// numpy.interp over the two points (0, from) and (iterations, to), clamped at both ends.
    private func interpolate(_ iteration: Int, from start: Double, to end: Double) -> Double {
        guard iterations > 0 else { return end }
        let t = min(max(Double(iteration) / Double(iterations), 0), 1)
        return start + (end - start) * t
    }
}
