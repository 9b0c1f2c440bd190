import Foundation
import PoseData
import Torch
import TorchNN

/// What happened in one epoch.
public struct EpochRecord: Sendable, Codable, Equatable {
    /// 0-based.
    public var epoch: Int
    /// Running means of the gained training loss terms.
    public var trainLoss: LossItems
    public var metrics: ValidationMetrics?
    /// Learning rate of each parameter group (bias, weights, BatchNorm weights) at the epoch's end.
    public var learningRates: [Double]
    public var seconds: Double
    /// Training images per second in this epoch.
    public var imagesPerSecond: Double
}

/// Hooks into training; every method has an empty default.
public protocol TrainingObserver: AnyObject {
    func batchFinished(epoch: Int, batch: Int, batches: Int, runningLoss: LossItems)
    func epochFinished(_ record: EpochRecord, isBest: Bool)
    func warning(_ message: String)
}

extension TrainingObserver {
    public func batchFinished(epoch: Int, batch: Int, batches: Int, runningLoss: LossItems) {}
    public func epochFinished(_ record: EpochRecord, isBest: Bool) {}
    public func warning(_ message: String) {}
}

/// The state a run resumes from (everything else follows from the seed).
public struct TrainingState: Sendable, Codable, Equatable {
    /// The next epoch to run (0-based).
    public var nextEpoch: Int
    public var bestFitness: Double?
    public var bestEpoch: Int
    public var emaUpdates: Int
    public var lastOptimizerStep: Int
    public var history: [EpochRecord]

    public init() {
        (nextEpoch, bestFitness, bestEpoch, emaUpdates, lastOptimizerStep, history) = (0, nil, 0, 0, -1, [])
    }
}

/// Trains a ``PoseModel`` as the reference trainer does (§4): parameter groups, warmup, per-epoch
/// schedule, accumulation to the nominal batch, gradient clipping at 10, EMA, close-mosaic, best
/// checkpoint by fitness and early stopping.
public final class Trainer {
    public let model: PoseModel
    /// The exponential moving average of `model`'s weights: what is validated and saved.
    public let average: PoseModel
    public let config: TrainingConfig
    public let loss: PoseLoss
    public let loader: BatchLoader
    public let flipIndex: [Int]?
    public private(set) var state = TrainingState()
    public private(set) var ema: ModelEMA
    public let optimizer: any Optimizer
    private let initialRates: [Double]
    /// The momentum warmup heads for (the reference keeps `args.momentum`, even for `auto`).
    private let targetMomentum: Double
    private let warmupBiasRate: Double
    /// The type the forward pass computes in under mixed precision (bfloat16), or nil for float32.
    public let autocastType: DType?
    public var observers: [any TrainingObserver] = []
    /// Validates the averaged model; nil skips validation (fitness then stays 0).
    public var validate: ((PoseModel) async throws -> ValidationMetrics)?
    /// Called after every epoch with the state to persist (checkpoints).
    public var checkpoint: ((Trainer, _ isBest: Bool) throws -> Void)?

    public init(model: PoseModel, loss: PoseLoss, config: TrainingConfig, loader: BatchLoader, flipIndex: [Int]?) {
        self.model = model
        self.loss = loss
        self.config = config
        self.loader = loader
        self.flipIndex = flipIndex
        average = PoseModel(model.config, seed: config.seed)
        ema = ModelEMA(model: model.store, average: average.store)

        let (choice, rate, momentum) = Self.resolveOptimizer(config: config, imageCount: loader.images.count, classCount: model.config.classCount)
        var biases: [Parameter] = []
        var normWeights: [Parameter] = []
        var weights: [Parameter] = []
        for parameter in model.store.trainableParameters {
            if parameter.key.contains("bias") {
                biases.append(parameter)
            } else if parameter.key.hasSuffix(".bn.weight") {
                normWeights.append(parameter)
            } else {
                weights.append(parameter)
            }
        }
        let groups = [
            ParameterGroup(name: "bias", parameters: biases, learningRate: rate, weightDecay: 0, momentum: momentum),
            ParameterGroup(name: "weight", parameters: weights, learningRate: rate, weightDecay: config.scaledWeightDecay, momentum: momentum),
            ParameterGroup(name: "bn", parameters: normWeights, learningRate: rate, weightDecay: 0, momentum: momentum),
        ]
        optimizer = choice == .sgd ? SGD(groups: groups, nesterov: true) : AdamW(groups: groups)
        initialRates = groups.map(\.learningRate)
        targetMomentum = config.momentum
        warmupBiasRate = config.optimizer == .auto ? 0 : config.warmupBiasLearningRate
        autocastType = config.mixedPrecision && DType.cpuHasNativeBFloat16 ? .bfloat16 : nil
    }

    /// The training-mode forward pass, in mixed precision when on, with float32 outputs for the loss.
    public func forward(_ images: Tensor) -> RawPredictions {
        model(images, mode: .train, autocast: autocastType)
    }

    /// The reference's `build_optimizer` choice (§4.2): the optimizer, its learning rate and momentum.
    static func resolveOptimizer(config: TrainingConfig, imageCount: Int, classCount: Int) -> (OptimizerChoice, Double, Double) {
        switch config.optimizer {
        case .sgd: return (.sgd, config.initialLearningRate, config.momentum)
        case .adamw: return (.adamw, config.initialLearningRate, config.momentum)
        case .auto:
            let iterations = Int((Double(imageCount) / Double(max(config.batchSize, config.nominalBatchSize))).rounded(.up)) * config.epochs
            if iterations > 10_000 { return (.sgd, 0.01, 0.9) }
            let rate = ((0.002 * 5 / Double(4 + classCount)) * 1e6).rounded() / 1e6
            return (.adamw, rate, 0.9)
        }
    }

    public var schedule: LearningRateSchedule {
        config.cosineSchedule
            ? .cosine(finalFactor: config.finalLearningRateFactor) : .linear(finalFactor: config.finalLearningRateFactor)
    }

    /// Restores a saved state: the models' weights and the optimizer's must already be loaded.
    public func restore(_ saved: TrainingState) {
        state = saved
        ema = ModelEMA(model: model.store, average: average.store, updates: saved.emaUpdates, keepingAverage: true)
    }

    /// Runs the remaining epochs. Returns the history.
    @discardableResult
    public func train() async throws -> [EpochRecord] {
        let batchesPerEpoch = loader.batchesPerEpoch
        let warmup = Warmup(
            warmupEpochs: config.warmupEpochs, batchesPerEpoch: batchesPerEpoch, biasLearningRate: warmupBiasRate,
            startMomentum: config.warmupMomentum)
        var augmenter = Augmenter(settings: config.augmentation, imageSize: config.imageSize, flipIndex: flipIndex)
        while state.nextEpoch < config.epochs {
            let epoch = state.nextEpoch
            let started = Date()
            if epoch >= config.epochs - config.closeMosaic { augmenter.settings.mosaic = 0 }
            let factor = schedule.factor(epoch: epoch, epochs: config.epochs)
            for index in optimizer.groups.indices { optimizer.groups[index].learningRate = initialRates[index] * factor }
            optimizer.zeroGrad()
            var sums = [Double](repeating: 0, count: 5)
            var seen = 0
            var images = 0
            let queue = loader.trainingBatches(epoch: epoch, augmenter: augmenter)
            var batchIndex = 0
            while let batch = await queue.next() {
                let iteration = batchIndex + batchesPerEpoch * epoch
                var accumulation = config.accumulation
                if warmup.isActive(iteration: iteration) {
                    accumulation = warmup.accumulation(iteration: iteration, nominalBatch: config.nominalBatchSize, batch: config.batchSize)
                    for index in optimizer.groups.indices {
                        optimizer.groups[index].learningRate = warmup.learningRate(
                            iteration: iteration, groupIndex: index, target: initialRates[index] * factor)
                        if optimizer is SGD {
                            optimizer.groups[index].momentum = warmup.momentum(iteration: iteration, target: targetMomentum)
                        }
                    }
                }
                if batch.count > 0 {
                    let raw = forward(batch.imageTensor())
                    let (total, items) = loss(
                        raw, targets: batch.targets(keypointDimensions: model.config.keypointDimensions),
                        imageSize: (batch.height, batch.width), model: model)
                    total.backward()
                    for (k, value) in items.values.enumerated() { sums[k] += value }
                    seen += 1
                    images += batch.count
                }
                if iteration - state.lastOptimizerStep >= accumulation {
                    clipGradientNorm(model.store.trainableParameters, maxNorm: 10)
                    optimizer.step()
                    optimizer.zeroGrad()
                    ema.update()
                    state.lastOptimizerStep = iteration
                }
                let means = sums.map { $0 / Double(max(seen, 1)) }
                let running = LossItems(box: means[0], pose: means[1], keypointObjectness: means[2], classification: means[3], distribution: means[4])
                for observer in observers {
                    observer.batchFinished(epoch: epoch, batch: batchIndex, batches: batchesPerEpoch, runningLoss: running)
                }
                batchIndex += 1
            }
            let trainingSeconds = Date().timeIntervalSince(started)
            for (url, reason) in loader.unreadableImages where epoch == 0 {
                for observer in observers { observer.warning("skipped unreadable image \(url.path): \(reason)") }
            }
            let isLast = epoch == config.epochs - 1
            var metrics: ValidationMetrics?
            if let validate, config.validateEachEpoch || isLast { metrics = try await validate(average) }
            let fitness = metrics?.fitness ?? 0
            let isBest = state.bestFitness == nil || state.bestFitness! < fitness || state.bestFitness == 0
            if isBest || fitness == state.bestFitness {
                state.bestFitness = max(state.bestFitness ?? fitness, fitness)
                state.bestEpoch = epoch
            }
            let means = sums.map { $0 / Double(max(seen, 1)) }
            let record = EpochRecord(
                epoch: epoch,
                trainLoss: LossItems(box: means[0], pose: means[1], keypointObjectness: means[2], classification: means[3], distribution: means[4]),
                metrics: metrics, learningRates: optimizer.groups.map(\.learningRate),
                seconds: Date().timeIntervalSince(started), imagesPerSecond: Double(images) / max(trainingSeconds, 1e-9))
            state.history.append(record)
            state.nextEpoch = epoch + 1
            state.emaUpdates = ema.updates
            try checkpoint?(self, isBest || fitness == state.bestFitness)
            for observer in observers { observer.epochFinished(record, isBest: isBest) }
            if config.patience > 0 && epoch - state.bestEpoch >= config.patience {
                for observer in observers {
                    observer.warning("stopping early: no improvement for \(config.patience) epochs (best was epoch \(state.bestEpoch + 1))")
                }
                break
            }
        }
        return state.history
    }
}
