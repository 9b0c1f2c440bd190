import Foundation
import Loader
import PoseData
import Torch
import TorchNN

/// A training run's folder, as the reference lays it out:
/// `config.json`, `results.csv`, `weights/{last,best}.safetensors`, plus
/// `weights/last.state.safetensors` holding what `--resume` needs (training weights, optimizer
/// state, counters). Every file is written atomically.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var resultsURL: URL { url.appendingPathComponent("results.csv") }
    public var weightsURL: URL { url.appendingPathComponent("weights") }
    public var lastURL: URL { weightsURL.appendingPathComponent("last.safetensors") }
    public var bestURL: URL { weightsURL.appendingPathComponent("best.safetensors") }
    public var stateURL: URL { weightsURL.appendingPathComponent("last.state.safetensors") }

    /// Everything a run was started with, fully resolved.
    public struct RunConfig: Codable, Sendable, Equatable {
        public var data: String
        public var model: PoseModelConfig
        public var training: TrainingConfig
        /// The weights training started from, if any.
        public var startingWeights: String?
        /// The keypoint σ used by the loss and OKS.
        public var sigmas: [Float]
        public var flipIndex: [Int]?

        public init(
            data: String, model: PoseModelConfig, training: TrainingConfig, startingWeights: String?, sigmas: [Float], flipIndex: [Int]?
        ) {
            (self.data, self.model, self.training, self.startingWeights, self.sigmas, self.flipIndex) =
                (data, model, training, startingWeights, sigmas, flipIndex)
        }
    }

    public func create(_ config: RunConfig) throws {
        try FileManager.default.createDirectory(at: weightsURL, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: configURL, options: .atomic)
    }

    public func readConfig() throws -> RunConfig {
        try JSONDecoder().decode(RunConfig.self, from: Data(contentsOf: configURL))
    }

    /// A trainer for `config` on `trainImages` that validates the averaged model on `valImages`
    /// every epoch (metrics and loss, batches twice as large) and saves each epoch here.
    public func trainer(model: PoseModel, config: RunConfig, trainImages: [LabelledImage], valImages: [LabelledImage]) -> Trainer {
        let training = config.training
        let loss = PoseLoss(config: config.model, gains: training.gains, sigmas: config.sigmas)
        let loader = BatchLoader(
            images: trainImages, imageSize: training.imageSize, batchSize: training.batchSize, seed: training.seed,
            workers: training.workers, cacheImages: training.cacheImages, fastDecode: training.fastDecode)
        let valLoader = BatchLoader(
            images: valImages, imageSize: training.imageSize, batchSize: training.batchSize * 2, seed: 0,
            workers: training.workers, cacheImages: training.cacheImages, fastDecode: training.fastDecode)
        let trainer = Trainer(model: model, loss: loss, config: training, loader: loader, flipIndex: config.flipIndex)
        let validator = Validator(config: config.model, sigmas: config.sigmas)
        trainer.validate = { model in await validator(model, on: valLoader, loss: loss) }
        trainer.checkpoint = { trainer, isBest in try self.save(trainer, isBest: isBest) }
        return trainer
    }

    /// Saves the epoch that just ended: the averaged weights as `last` (and `best`), `results.csv`,
    /// then the resume state, which holds everything a resumed run needs (model, average, optimizer,
    /// counters). The state file is the commit point: each file is written atomically, and a run
    /// killed between them resumes from the previous state and writes the same files again.
    public func save(_ trainer: Trainer, isBest: Bool) throws {
        let metadata = [
            "producer": "facelabel", "epoch": String(trainer.state.nextEpoch),
            "fitness": String(trainer.state.history.last?.metrics?.fitness ?? 0),
        ]
        try trainer.average.save(to: lastURL, metadata: metadata)
        if isBest { try trainer.average.save(to: bestURL, metadata: metadata) }
        try writeResults(trainer.state.history)
        let stateJSON = try String(decoding: JSONEncoder().encode(trainer.state), as: UTF8.self)
        let tensors =
            trainer.model.store.stateDict.map { ("train.\($0.name)", $0.tensor) }
            + trainer.average.store.stateDict.map { ("average.\($0.name)", $0.tensor) }
            + trainer.optimizer.stateTensors().map { ("optimizer.\($0.name)", $0.tensor) }
        try Safetensors.write(tensors, metadata: ["state": stateJSON], to: stateURL)
    }

    /// Loads the weights, optimizer state and counters of the last saved epoch into `trainer`.
    public func resume(_ trainer: Trainer) throws {
        let saved = try Safetensors.read(from: stateURL)
        guard let json = saved.metadata["state"] else {
            throw Safetensors.Error(path: stateURL.path, reason: "no training state in the metadata")
        }
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(json.utf8))
        let model = Safetensors.Contents(
            tensors: saved.tensors.filter { $0.name.hasPrefix("train.") }.map { (String($0.name.dropFirst(6)), $0.tensor) })
        try trainer.model.store.load(model, strict: true, source: stateURL.path)
        let optimizer = Safetensors.Contents(
            tensors: saved.tensors.filter { $0.name.hasPrefix("optimizer.") }.map { (String($0.name.dropFirst(10)), $0.tensor) })
        try trainer.optimizer.loadState(optimizer)
        // the average saved with the state (a `last` file may already hold the epoch after it)
        let average = saved.tensors.filter { $0.name.hasPrefix("average.") }.map { (String($0.name.dropFirst(8)), $0.tensor) }
        if average.isEmpty {
            try trainer.average.store.load(from: lastURL)  // a state written before the average was kept in it
        } else {
            try trainer.average.store.load(Safetensors.Contents(tensors: average), strict: true, source: stateURL.path)
        }
        trainer.restore(state)
    }

    /// `results.csv` with the reference's columns (reference §4.9).
    func writeResults(_ history: [EpochRecord]) throws {
        let header =
            ["epoch"] + LossItems.names.map { "train/\($0)" } + [
                "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
                "metrics/precision(P)", "metrics/recall(P)", "metrics/mAP50(P)", "metrics/mAP50-95(P)",
            ] + LossItems.names.map { "val/\($0)" } + ["lr/pg0", "lr/pg1", "lr/pg2"]
        var lines = [header.joined(separator: ",")]
        for record in history {
            let box = record.metrics?.box ?? DetectionScores()
            let pose = record.metrics?.pose ?? DetectionScores()
            var values = [String(record.epoch + 1)]
            values += record.trainLoss.values.map { format($0) }
            values += [box.precision, box.recall, box.map50, box.map50_95, pose.precision, pose.recall, pose.map50, pose.map50_95].map {
                format($0)
            }
            values += (record.metrics?.loss?.values ?? [Double](repeating: .nan, count: 5)).map { format($0) }
            values += record.learningRates.map { format($0) }
            lines.append(values.joined(separator: ","))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: resultsURL, options: .atomic)
    }

    private func format(_ value: Double) -> String { value.isNaN ? "" : String(format: "%.5g", value) }
}

extension RunDirectory.RunConfig {
    /// A run that trains `model` on `dataset`: `model` is a scale (n, s, m, l, x, or a custom
    /// `depth,width,max_channels`: fresh weights) or
    /// a weights file to start from (safetensors, or a PyTorch checkpoint such as the reference's
    /// `yolov8n-pose.pt` or a detection model's), whose scale is kept while the head follows the data set's
    /// classes and keypoint layout.
    public init(dataset: Dataset, model: String, training: TrainingConfig) throws {
        let scale: ModelScale
        var startingWeights: String?
        if let named = ModelScale(model) {
            scale = named
        } else {
            let url = URL(fileURLWithPath: model)
            scale = try PoseModel.scale(of: PoseModel.readWeights(url), path: url.path)
            startingWeights = url.path
        }
        let shape = dataset.config.keypointShape
        self.init(
            data: dataset.configURL.path,
            model: PoseModelConfig(
                scale: scale, classCount: max(dataset.config.names.count, 1), keypointCount: shape.count,
                keypointDimensions: shape.dimensions),
            training: training, startingWeights: startingWeights, sigmas: dataset.oksSigmas, flipIndex: dataset.config.flipIndex)
    }
}
