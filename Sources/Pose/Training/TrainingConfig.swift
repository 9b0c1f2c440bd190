import Foundation
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

    /// Batches to accumulate before a step: max(round(nbs / batch), 1).
    public var accumulation: Int { max(Int((Double(nominalBatchSize) / Double(batchSize)).rounded(.toNearestOrEven)), 1) }

    /// The weight decay actually applied: wd · batch · accumulate / nbs (§4.3).
    public var scaledWeightDecay: Double {
        weightDecay * Double(batchSize) * Double(accumulation) / Double(nominalBatchSize)
    }

    public var schedule: LearningRateScheduleKind { cosineSchedule ? .cosine : .linear }

    public enum LearningRateScheduleKind: Sendable { case linear, cosine }
}
