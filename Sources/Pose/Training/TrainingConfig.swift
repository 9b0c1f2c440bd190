import Foundation
import Loader
import PoseData

/// Which optimizer trains the model.
public enum OptimizerChoice: String, Sendable, Codable, CaseIterable {
    /// The reference's rule (reference §4.2): SGD (lr 0.01, momentum 0.9) for runs of more than 10,000
    /// iterations, else AdamW with lr = round(0.002 · 5 / (4 + nc), 6).
    case auto
    case sgd = "SGD"
    case adamw = "AdamW"
}

/// Every training hyperparameter, with the defaults of the reference's `default.yaml` (reference §4.1).
public struct TrainingConfig: Sendable, Codable, Equatable {
    public var epochs: Int
    public var imageSize: Int
    public var batchSize: Int
    /// Nominal batch size: gradients accumulate to about this many images per step.
    public var nominalBatchSize: Int
    public var optimizer: OptimizerChoice
    public var initialLearningRate: Double
    /// Final learning rate as a fraction of the initial one.
    public var finalLearningRateFactor: Double
    public var momentum: Double
    public var weightDecay: Double
    public var warmupEpochs: Double
    public var warmupMomentum: Double
    public var warmupBiasLearningRate: Double
    public var cosineSchedule: Bool
    /// Turn the mosaic off for the last epochs.
    public var closeMosaic: Int
    /// Epochs without improvement before stopping; 0 never stops.
    public var patience: Int
    public var seed: UInt64
    /// Data-loading tasks.
    public var workers: Int
    public var cacheImages: Bool
    /// Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at
    /// least ``imageSize``: many times faster on camera photos, but the pixels then differ a little
    /// from the reference's, which decodes at full size. Off by default.
    public var fastDecode: Bool
    public var gains: LossGains
    public var augmentation: AugmentationSettings
    /// Mixed precision (the reference's `amp`, off here by default): the forward pass computes
    /// convolutions in bfloat16 where the CPU does so natively (AVX512-BF16 or AMX); elsewhere
    /// training stays in float32. Weights, gradients, the loss and validation are float32 either
    /// way. bfloat16 keeps 8 significant bits (the reference's CUDA AMP, float16, keeps 11): it
    /// trains faster but places landmarks less precisely (measured in docs/training.md,
    /// "Precision"), so float32 is the default.
    public var mixedPrecision: Bool
    /// Validate after every epoch (always after the last).
    public var validateEachEpoch: Bool

    public init(
        epochs: Int = 100, imageSize: Int = 640, batchSize: Int = 16, nominalBatchSize: Int = 64, optimizer: OptimizerChoice = .auto,
        initialLearningRate: Double = 0.01, finalLearningRateFactor: Double = 0.01, momentum: Double = 0.937,
        weightDecay: Double = 0.0005, warmupEpochs: Double = 3.0, warmupMomentum: Double = 0.8, warmupBiasLearningRate: Double = 0.1,
        cosineSchedule: Bool = false, closeMosaic: Int = 10, patience: Int = 50, seed: UInt64 = 0, workers: Int = 2,
        cacheImages: Bool = false, fastDecode: Bool = false, gains: LossGains = LossGains(),
        augmentation: AugmentationSettings = AugmentationSettings(), mixedPrecision: Bool = false, validateEachEpoch: Bool = true
    ) {
        (self.epochs, self.imageSize, self.batchSize, self.nominalBatchSize) = (epochs, imageSize, batchSize, nominalBatchSize)
        (self.optimizer, self.initialLearningRate, self.finalLearningRateFactor, self.momentum) = (
            optimizer, initialLearningRate, finalLearningRateFactor, momentum
        )
        (self.weightDecay, self.warmupEpochs, self.warmupMomentum, self.warmupBiasLearningRate) = (
            weightDecay, warmupEpochs, warmupMomentum, warmupBiasLearningRate
        )
        (self.cosineSchedule, self.closeMosaic, self.patience, self.seed) = (cosineSchedule, closeMosaic, patience, seed)
        (self.workers, self.cacheImages, self.fastDecode, self.gains) = (workers, cacheImages, fastDecode, gains)
        (self.augmentation, self.mixedPrecision, self.validateEachEpoch) = (augmentation, mixedPrecision, validateEachEpoch)
    }

    /// Reads a saved configuration; a setting it lacks (written by an earlier version) keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        (epochs, imageSize, batchSize) = (
            try c.value(.epochs, or: d.epochs), try c.value(.imageSize, or: d.imageSize), try c.value(.batchSize, or: d.batchSize)
        )
        nominalBatchSize = try c.value(.nominalBatchSize, or: d.nominalBatchSize)
        optimizer = try c.value(.optimizer, or: d.optimizer)
        initialLearningRate = try c.value(.initialLearningRate, or: d.initialLearningRate)
        finalLearningRateFactor = try c.value(.finalLearningRateFactor, or: d.finalLearningRateFactor)
        (momentum, weightDecay) = (try c.value(.momentum, or: d.momentum), try c.value(.weightDecay, or: d.weightDecay))
        warmupEpochs = try c.value(.warmupEpochs, or: d.warmupEpochs)
        warmupMomentum = try c.value(.warmupMomentum, or: d.warmupMomentum)
        warmupBiasLearningRate = try c.value(.warmupBiasLearningRate, or: d.warmupBiasLearningRate)
        cosineSchedule = try c.value(.cosineSchedule, or: d.cosineSchedule)
        (closeMosaic, patience, seed) = (
            try c.value(.closeMosaic, or: d.closeMosaic), try c.value(.patience, or: d.patience), try c.value(.seed, or: d.seed)
        )
        (workers, cacheImages) = (try c.value(.workers, or: d.workers), try c.value(.cacheImages, or: d.cacheImages))
        fastDecode = try c.value(.fastDecode, or: d.fastDecode)
        (gains, augmentation) = (try c.value(.gains, or: d.gains), try c.value(.augmentation, or: d.augmentation))
        mixedPrecision = try c.value(.mixedPrecision, or: d.mixedPrecision)
        validateEachEpoch = try c.value(.validateEachEpoch, or: d.validateEachEpoch)
    }

    /// Batches to accumulate before a step: max(round(nbs / batch), 1).
    public var accumulation: Int { max(Int((Double(nominalBatchSize) / Double(batchSize)).rounded(.toNearestOrEven)), 1) }

    /// The weight decay actually applied: wd · batch · accumulate / nbs (reference §4.3).
    public var scaledWeightDecay: Double {
        weightDecay * Double(batchSize) * Double(accumulation) / Double(nominalBatchSize)
    }

    public var schedule: LearningRateScheduleKind { cosineSchedule ? .cosine : .linear }

    public enum LearningRateScheduleKind: Sendable { case linear, cosine }
}
