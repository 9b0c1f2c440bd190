import Foundation
import Loader
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
    /// With several ranks on CPUs, the mean wall time of one gradient allreduce, in milliseconds,
    /// and of the wait before it for the slowest rank to finish its batches (not timed on GPUs).
    public var gradientSyncMilliseconds: Double?
    public var rankWaitMilliseconds: Double?
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

/// Trains a ``PoseModel`` as the reference trainer does (reference §4): parameter groups, warmup, per-epoch
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
    /// The type the forward pass computes in under mixed precision (float16 on a GPU, bfloat16 on
    /// a CPU that computes it natively), or nil for float32.
    public private(set) var autocastType: DType?
    /// The dynamic loss scale of float16 mixed precision (nil otherwise: bfloat16 has float32's range).
    public private(set) var scaler: LossScaler?
    /// Where the model trains (the model's device when the trainer was made).
    public let device: Device
    public var observers: [any TrainingObserver] = []
    /// Validates the averaged model; nil skips validation (fitness then stays 0).
    public var validate: ((PoseModel) async throws -> ValidationMetrics)?
    /// Called after every epoch with the state to persist (checkpoints).
    public var checkpoint: ((Trainer, _ isBest: Bool) throws -> Void)?
    /// The ranks that train together, data-parallel (nil: this process alone). Each rank takes its
    /// slice of every batch (``BatchLoader/trainingBatches(epoch:augmenter:rank:of:)``); gradients
    /// are summed over the ranks before every optimizer step, so that every rank steps identically.
    /// Only one rank should validate and checkpoint: the validation's fitness is taken from rank 0.
    public var group: ProcessGroup?

    public init(model: PoseModel, loss: PoseLoss, config: TrainingConfig, loader: BatchLoader, flipIndex: [Int]?) {
        self.model = model
        self.loss = loss
        self.config = config
        self.loader = loader
        self.flipIndex = flipIndex
        device = model.device
        average = PoseModel(model.config, seed: config.seed)
        average.move(to: device)
        ema = ModelEMA(model: model.store, average: average.store)

        let (choice, rate, momentum) = Self.resolveOptimizer(
            config: config, imageCount: loader.images.count, classCount: model.config.classCount)
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
            ParameterGroup(
                name: "weight", parameters: weights, learningRate: rate, weightDecay: config.scaledWeightDecay, momentum: momentum),
            ParameterGroup(name: "bn", parameters: normWeights, learningRate: rate, weightDecay: 0, momentum: momentum),
        ]
        optimizer = choice == .sgd ? SGD(groups: groups, nesterov: true) : AdamW(groups: groups)
        initialRates = groups.map(\.learningRate)
        targetMomentum = config.momentum
        warmupBiasRate = config.optimizer == .auto ? 0 : config.warmupBiasLearningRate
        autocastType = Self.autocastType(mixedPrecision: config.mixedPrecision, device: device)
        scaler = autocastType == .float16 ? LossScaler(device: device) : nil
    }

    /// Mixed precision as the reference runs it on a GPU (float16 autocast with loss scaling), and
    /// on a CPU in bfloat16 where it computes that natively; otherwise float32.
    static func autocastType(mixedPrecision: Bool, device: Device) -> DType? {
        guard mixedPrecision else { return nil }
        if device != .cpu { return .float16 }
        return DType.cpuHasNativeBFloat16 ? .bfloat16 : nil
    }

    /// The training-mode forward pass, in mixed precision when on, with float32 outputs for the loss.
    public func forward(_ images: Tensor) -> RawPredictions {
        model(images, mode: .train, autocast: autocastType)
    }

    /// The reference's AMP check before it trusts float16: the same fixed input through the model in
    /// float32 and under autocast must decode to the same detections (``decodedOutputsAgree(_:_:classCount:)``);
    /// a GPU or driver with broken float16 kernels fails it.
    public static func mixedPrecisionAgrees(_ model: PoseModel, autocast: DType, imageSize: Int = 256) -> Bool {
        withNoGrad {
            let input = Tensor.rand([1, 3, imageSize, imageSize], generator: Generator(seed: 0)).to(model.device)
            return decodedOutputsAgree(
                model.decode(model(input, mode: .eval)), model.decode(model(input, mode: .eval, autocast: autocast)),
                classCount: model.config.classCount)
        }
    }

    /// Whether two decoded outputs `[B, 4 + nc + K·D, A]` agree: boxes and keypoints within half a
    /// pixel, class scores within 0.05 (false for an inf or a NaN).
    static func decodedOutputsAgree(_ reference: Tensor, _ other: Tensor, classCount: Int) -> Bool {
        let difference = (reference - other).abs()
        let channels = reference.size(1)
        let scores = difference.narrow(dim: 1, start: 4, length: classCount).max().item()
        let boxes = difference.narrow(dim: 1, start: 0, length: 4).max().item()
        let keypoints = difference.narrow(dim: 1, start: 4 + classCount, length: channels - 4 - classCount).max().item()
        return scores <= 0.05 && boxes <= 0.5 && keypoints <= 0.5
    }

    /// The reference's `build_optimizer` choice (reference §4.2): the optimizer, its learning rate and momentum.
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
        if config.mixedPrecision && device == .cpu, let fallback = DType.cpuBFloat16Fallback {
            for observer in observers { observer.warning("mixed precision (--amp): \(fallback)") }
        }
        if let group { try startTogether(group) }
        if try autocastType == .float16 && !everyRankAgrees(Self.mixedPrecisionAgrees(model, autocast: .float16)) {
            (autocastType, scaler) = (nil, nil)
            for observer in observers {
                observer.warning("mixed precision disagrees with float32 on this GPU (the AMP check): training in float32")
            }
        }
        while state.nextEpoch < config.epochs {
            let epoch = state.nextEpoch
            let started = Date()
            if epoch >= config.epochs - config.closeMosaic { augmenter.settings.mosaic = 0 }
            let factor = schedule.factor(epoch: epoch, epochs: config.epochs)
            for index in optimizer.groups.indices { optimizer.groups[index].learningRate = initialRates[index] * factor }
            optimizer.zeroGrad()
            var running = RunningLoss()
            var images = 0
            var syncs = (count: 0, seconds: 0.0, waiting: 0.0)
            let queue = loader.trainingBatches(epoch: epoch, augmenter: augmenter, rank: group?.rank ?? 0, of: group?.worldSize ?? 1)
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
                    let raw = forward(batch.imageTensor(on: device))
                    let (total, terms) = loss(
                        raw, targets: batch.targets(keypointDimensions: model.config.keypointDimensions),
                        imageSize: (batch.height, batch.width), model: model)
                    (scaler?.scaled(total) ?? total).backward()
                    running.add(terms)
                    images += batch.count
                }
                if iteration - state.lastOptimizerStep >= accumulation {
                    let parameters = model.store.trainableParameters
                    if let group, device == .cpu {
                        // timed apart: the wait for the slowest rank, then the allreduce itself
                        let arrived = Date()
                        try group.barrier()
                        let syncStarted = Date()
                        try sumGradients(parameters, over: group)
                        syncs.count += 1
                        syncs.waiting += syncStarted.timeIntervalSince(arrived)
                        syncs.seconds += Date().timeIntervalSince(syncStarted)
                    } else if let group {
                        // a GPU's collectives queue behind its work: timing them would stall every step on a host sync
                        try sumGradients(parameters, over: group)
                    }
                    scaler?.unscale(parameters)
                    clipGradientNorm(parameters, maxNorm: 10)
                    // the reference's scaler.step: a step whose gradients overflowed is skipped
                    if scaler?.mayStep ?? true { optimizer.step() }
                    scaler?.update()
                    optimizer.zeroGrad()
                    // BatchNorm's running statistics are rank 0's, as DDP's broadcast_buffers keeps them
                    if let group { try group.broadcast(model.store.buffers.map(\.value)) }
                    ema.update()
                    state.lastOptimizerStep = iteration
                }
                let means = running.means(exact: batchIndex + 1 == batchesPerEpoch)
                for observer in observers {
                    observer.batchFinished(epoch: epoch, batch: batchIndex, batches: batchesPerEpoch, runningLoss: means)
                }
                batchIndex += 1
            }
            device.synchronize()  // the epoch's queued GPU work belongs to its time
            let trainingSeconds = Date().timeIntervalSince(started)
            for (url, reason) in loader.unreadableImages where epoch == 0 {
                for observer in observers { observer.warning("skipped unreadable image \(url.path): \(reason)") }
            }
            let isLast = epoch == config.epochs - 1
            var metrics: ValidationMetrics?
            if let validate, config.validateEachEpoch || isLast { metrics = try await validate(average) }
            var fitness = metrics?.fitness ?? 0
            if let group { fitness = try group.broadcast([fitness])[0] }  // rank 0 validates
            let isBest = state.bestFitness == nil || state.bestFitness! < fitness || state.bestFitness == 0
            if isBest || fitness == state.bestFitness {
                state.bestFitness = max(state.bestFitness ?? fitness, fitness)
                state.bestEpoch = epoch
            }
            var trainLoss = running.means(exact: true)
            if let group { (trainLoss, images) = try running.means(over: group, images: images) }
            let record = EpochRecord(
                epoch: epoch, trainLoss: trainLoss,
                metrics: metrics, learningRates: optimizer.groups.map(\.learningRate),
                seconds: Date().timeIntervalSince(started), imagesPerSecond: Double(images) / max(trainingSeconds, 1e-9),
                gradientSyncMilliseconds: syncs.count > 0 ? syncs.seconds * 1000 / Double(syncs.count) : nil,
                rankWaitMilliseconds: syncs.count > 0 ? syncs.waiting * 1000 / Double(syncs.count) : nil)
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
        if let group { try group.checkAgreement(on: weightsDigest(), what: "trained weights") }
        return state.history
    }
}

extension Trainer {
    /// Every rank starts from rank 0's weights (model and average, parameters and buffers).
    private func startTogether(_ group: ProcessGroup) throws(TorchError) {
        try group.broadcast(model.store.stateDict.map(\.tensor) + average.store.stateDict.map(\.tensor))
    }

    /// A digest of every tensor of the model and its average, byte for byte (FNV-1a): after
    /// training, every rank's must be rank 0's, or the ranks drifted apart.
    private func weightsDigest() -> [UInt8] {
        var digest = Data()
        for (_, tensor) in model.store.stateDict + average.store.stateDict {
            withUnsafeBytes(of: FNV1a.hash(Data(tensor.bytes())).littleEndian) { digest.append(contentsOf: $0) }
        }
        return Array(digest)
    }

    /// Whether `agrees` holds on every rank (true alone).
    private func everyRankAgrees(_ agrees: Bool) throws(TorchError) -> Bool {
        guard let group else { return agrees }
        return try group.allReduce([agrees ? 0 : 1], .max)[0] == 0
    }

    /// Sums the gradients over the ranks, in buckets. A rank whose slices held no image (every one
    /// unreadable) has no gradients: it contributes zeros, so that every rank reduces the same tensors.
    private func sumGradients(_ parameters: [Parameter], over group: ProcessGroup) throws(TorchError) {
        let missing = parameters.filter { $0.grad == nil }
        if !missing.isEmpty {
            missing.map { $0.value.sum() * 0 }.reduce(Tensor.zeros([], device: device)) { $0 + $1 }.backward()
        }
        try group.allReduce(parameters.map { $0.grad! })
    }
}

/// The running means of the loss terms over an epoch's (or a validation's) batches, summed on the
/// device and read on the host only when asked and at most every `refreshSeconds` (a GPU step then
/// never waits for the host to print a loss).
struct RunningLoss {
    static let refreshSeconds = 0.25
    private var sum: Tensor?  // [5]
    private var batches = 0
    private var lastRead: (items: LossItems, at: Date)?

    mutating func add(_ terms: Tensor) {
        let terms = terms.to(.float64)  // summed in double, as the host would
        sum = sum.map { $0 + terms } ?? terms
        batches += 1
    }

    var isEmpty: Bool { batches == 0 }

    /// The means over every rank's batches, and the images of every rank added up.
    func means(over group: ProcessGroup, images: Int) throws(TorchError) -> (LossItems, Int) {
        let sums = sum?.toArray(of: Double.self) ?? [0, 0, 0, 0, 0]
        let totals = try group.allReduce(sums + [Double(batches), Double(images)])
        let count = max(totals[5], 1)
        return (LossItems(totals[0..<5].map { $0 / count }), Int(totals[6]))
    }

    /// The means, read afresh when `exact` or when the last reading is older than the refresh time.
    mutating func means(exact: Bool) -> LossItems {
        if !exact, let lastRead, Date().timeIntervalSince(lastRead.at) < Self.refreshSeconds { return lastRead.items }
        let items = sum.map { LossItems($0.toArray(of: Double.self).map { $0 / Double(batches) }) } ?? LossItems([0, 0, 0, 0, 0])
        lastRead = (items, Date())
        return items
    }
}
