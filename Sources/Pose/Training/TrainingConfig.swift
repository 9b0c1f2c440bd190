import Foundation
import Loader
import PoseData

/// Which optimizer trains the model.
public enum OptimizerChoice: String, Sendable, Codable, CaseIterable {
    /// The reference's rule (§4.2): SGD (lr 0.01, momentum 0.9) for runs of more than 10,000
    /// iterations, else AdamW with lr = round(0.002 · 5 / (4 + nc), 6).
    case auto
    case sgd = "SGD"
    case adamw = "AdamW"
}

/// Every training hyperparameter, with the defaults of the reference's `default.yaml` (§4.1).
public struct TrainingConfig: Sendable, Codable, Equatable {
    public var epochs = 100
    public var imageSize = 640
    public var batchSize = 16
    /// Nominal batch size: gradients accumulate to about this many images per step.
    public var nominalBatchSize = 64
    public var optimizer = OptimizerChoice.auto
    public var initialLearningRate = 0.01
    /// Final learning rate as a fraction of the initial one.
    public var finalLearningRateFactor = 0.01
    public var momentum = 0.937
    public var weightDecay = 0.0005
    public var warmupEpochs = 3.0
    public var warmupMomentum = 0.8
    public var warmupBiasLearningRate = 0.1
    public var cosineSchedule = false
    /// Turn the mosaic off for the last epochs.
    public var closeMosaic = 10
    /// Epochs without improvement before stopping; 0 never stops.
    public var patience = 50
    public var seed: UInt64 = 0
    /// Data-loading tasks.
    public var workers = 2
    public var cacheImages = false
    /// Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at
    /// least ``imageSize``: many times faster on camera photos, but the pixels then differ a little
    /// from the reference's, which decodes at full size. Off by default.
    public var fastDecode = false
    public var gains = LossGains()
    public var augmentation = AugmentationSettings()
    /// Mixed precision (the reference's `amp`, off here by default): the forward pass computes
    /// convolutions in bfloat16 where the CPU does so natively (AVX512-BF16 or AMX); elsewhere
    /// training stays in float32. Weights, gradients, the loss and validation are float32 either
    /// way. bfloat16 keeps 8 significant bits (the reference's CUDA AMP, float16, keeps 11): on the
    /// accuracy benchmark it trained about 1.4× faster but placed landmarks less precisely (README,
    /// "Precision"), so float32 is the default.
    public var mixedPrecision = false
    /// Validate after every epoch (always after the last).
    public var validateEachEpoch = true

    public init() {}

    /// Reads a saved configuration; a setting it lacks (written by an earlier version) keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfig()
        (epochs, imageSize, batchSize) = (try c.value(.epochs, or: d.epochs), try c.value(.imageSize, or: d.imageSize), try c.value(.batchSize, or: d.batchSize))
        nominalBatchSize = try c.value(.nominalBatchSize, or: d.nominalBatchSize)
        optimizer = try c.value(.optimizer, or: d.optimizer)
        initialLearningRate = try c.value(.initialLearningRate, or: d.initialLearningRate)
        finalLearningRateFactor = try c.value(.finalLearningRateFactor, or: d.finalLearningRateFactor)
        (momentum, weightDecay) = (try c.value(.momentum, or: d.momentum), try c.value(.weightDecay, or: d.weightDecay))
        warmupEpochs = try c.value(.warmupEpochs, or: d.warmupEpochs)
        warmupMomentum = try c.value(.warmupMomentum, or: d.warmupMomentum)
        warmupBiasLearningRate = try c.value(.warmupBiasLearningRate, or: d.warmupBiasLearningRate)
        cosineSchedule = try c.value(.cosineSchedule, or: d.cosineSchedule)
        (closeMosaic, patience, seed) = (try c.value(.closeMosaic, or: d.closeMosaic), try c.value(.patience, or: d.patience), try c.value(.seed, or: d.seed))
        (workers, cacheImages) = (try c.value(.workers, or: d.workers), try c.value(.cacheImages, or: d.cacheImages))
        fastDecode = try c.value(.fastDecode, or: d.fastDecode)
        (gains, augmentation) = (try c.value(.gains, or: d.gains), try c.value(.augmentation, or: d.augmentation))
        mixedPrecision = try c.value(.mixedPrecision, or: d.mixedPrecision)
        validateEachEpoch = try c.value(.validateEachEpoch, or: d.validateEachEpoch)
    }

    /// Batches to accumulate before a step: max(round(nbs / batch), 1).
    public var accumulation: Int { max(Int((Double(nominalBatchSize) / Double(batchSize)).rounded(.toNearestOrEven)), 1) }

    /// The weight decay actually applied: wd · batch · accumulate / nbs (§4.3).
    public var scaledWeightDecay: Double {
        weightDecay * Double(batchSize) * Double(accumulation) / Double(nominalBatchSize)
    }

    public var schedule: LearningRateScheduleKind { cosineSchedule ? .cosine : .linear }

    public enum LearningRateScheduleKind: Sendable { case linear, cosine }
}
