import ArgumentParser
import Foundation
import Pose
import PoseData
import Torch

/// `facelabel train`: trains YOLOv8-pose on a YOLO-pose data set, as the reference trainer does.
struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a YOLOv8-pose model on a YOLO-pose data set.",
        discussion: """
            Writes OUT/config.json, OUT/results.csv and OUT/weights/{last,best}.safetensors (the EMA \
            weights under the reference's keys). --resume continues OUT exactly where it stopped. \
            With --json, stdout carries {"weights": {"best", "last"}, "epochs", "metrics"}. Started by \
            torchrun or srun as several ranks, it trains data-parallel: --batch is the batch of all \
            ranks together, and rank 0 validates and writes OUT (docs/clusters.md).
            """)

    @Option(help: "The data set's data.yaml.") var data: String?
    @Option(
        help:
            "Model scale n, s, m, l or x, or depth,width,max_channels (fresh weights); or weights to start from (.safetensors or a PyTorch .pt)."
    ) var model = "n"
    @Option(help: "Run folder.") var out = "runs/train/exp"
    @Flag(help: "Continue the run in --out from its last epoch.") var resume = false
    @OptionGroup var hyper: Hyperparameters
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var launchOptions: LaunchOptions

    func validate() throws {
        if !resume && data == nil { throw ValidationError("--data is required (unless --resume).") }
        try OptionCheck.model(model)
    }

    struct Result: Encodable {
        var weights: [String: String]
        var epochs: Int
        var metrics: ValidationMetrics?
        var device: String
        /// Training images per second of each epoch this command ran.
        var imagesPerSecond: [Double]
        /// The most GPU memory the caching allocator held (0 on the CPU).
        var peakMemoryBytes: Int
        /// With several ranks: how many, the mean time of one gradient allreduce in each epoch and of
        /// the wait for the slowest rank before it (on CPUs; empty on GPUs), and the bytes each
        /// allreduce carries.
        var ranks: Int
        var gradientSyncMilliseconds: [Double]?
        var rankWaitMilliseconds: [Double]?
        var gradientBytes: Int?

        enum CodingKeys: String, CodingKey {
            case weights, epochs, metrics, device, imagesPerSecond = "images_per_second", peakMemoryBytes = "peak_memory_bytes"
            case ranks, gradientSyncMilliseconds = "gradient_sync_ms", rankWaitMilliseconds = "rank_wait_ms"
            case gradientBytes = "gradient_bytes"
        }
    }

    /// What every rank must have been given alike.
    private struct SharedSettings: Encodable {
        var config: RunDirectory.RunConfig
        var out: String
        var resume: Bool
    }

    func run() async throws {
        let launch = try RuntimeOptions.launch()
        let run = RunDirectory(URL(fileURLWithPath: out))
        let saved = resume ? try run.readConfig() : nil
        try launch.checkSplits(batch: saved?.training.batchSize ?? hyper.batch)
        let device = try runtime.apply(launch)
        let group = try launchOptions.join(launch, device: device)
        let leads = launch.rank == 0  // rank 0 validates, writes the run folder and reports
        let runConfig: RunDirectory.RunConfig
        if let saved {
            runConfig = saved
        } else {
            runConfig = try RunDirectory.RunConfig(
                dataset: try DataLoading.dataset(data!), model: model, training: hyper.config(device: device))
            if FileManager.default.fileExists(atPath: run.lastURL.path) {
                throw ValidationError("\(out) already holds a run: use --resume to continue it, or another --out.")
            }
        }
        let dataset = try DataLoading.dataset(runConfig.data)
        let training = runConfig.training
        let trainImages = try DataLoading.images(dataset, split: .train)
        let valImages = try DataLoading.images(dataset, split: .val)
        try group?.agree(on: SharedSettings(config: runConfig, out: out, resume: resume), what: "settings")
        if !resume && leads { try run.create(runConfig) }  // only once the data set is known to be usable
        // a run killed before its first epoch ended has no state to resume: it starts again from the first
        let resumesState = resume && FileManager.default.fileExists(atPath: run.stateURL.path)
        let network = PoseModel(runConfig.model, seed: training.seed)
        if let start = runConfig.startingWeights, !resumesState {
            let report = try network.loadMatching(from: URL(fileURLWithPath: start))
            if leads { note(report.summary(from: URL(fileURLWithPath: start).lastPathComponent, of: network.store.entries.count)) }
        }
        network.move(to: device)
        let trainer = run.trainer(model: network, config: runConfig, trainImages: trainImages, valImages: valImages)
        trainer.group = group
        if leads {
            trainer.observers = [TrainProgress(epochs: training.epochs)]
        } else {
            (trainer.validate, trainer.checkpoint) = (nil, nil)
        }
        if resumesState {
            try run.resume(trainer)
            if leads { note("resuming \(out) at epoch \(trainer.state.nextEpoch + 1)/\(training.epochs)") }
        } else if resume && leads {
            note("no epoch of \(out) had finished: training from the first")
        }
        let precision = trainer.autocastType.map { " with \($0) mixed precision" } ?? ""
        let ranks = group.map { " (rank 0 of \($0.worldSize), batch \(training.batchSize / $0.worldSize) each)" } ?? ""
        if leads {
            note(
                "training \(runConfig.model.scale.summary) (\(network.store.parameterCount) parameters) on \(trainImages.count) images, "
                    + "validating on \(valImages.count), on \(device)\(precision)\(ranks)")
        }
        let firstEpoch = trainer.state.nextEpoch
        device.resetPeakMemory()
        do {
            try await trainer.train()
            try group?.barrier()
        } catch let error as TorchError where group != nil {
            throw LaunchFailure.stopped(launch, by: error, kept: "\(out) keeps its last finished epoch: --resume continues it")
        }
        guard leads else { return }
        if let group { note("the \(group.worldSize) ranks finished with the same weights, bit for bit") }
        let final = trainer.state.history.last?.metrics
        let ran = trainer.state.history.dropFirst(firstEpoch)
        if runtime.json {
            try printJSON(
                Result(
                    weights: ["best": run.bestURL.path, "last": run.lastURL.path], epochs: trainer.state.nextEpoch, metrics: final,
                    device: device.description, imagesPerSecond: ran.map(\.imagesPerSecond), peakMemoryBytes: device.peakMemory,
                    ranks: launch.worldSize, gradientSyncMilliseconds: group.map { _ in ran.compactMap(\.gradientSyncMilliseconds) },
                    rankWaitMilliseconds: group.map { _ in ran.compactMap(\.rankWaitMilliseconds) },
                    gradientBytes: group.map { _ in
                        network.store.trainableParameters.reduce(0) { $0 + $1.value.count * $1.value.dtype.byteSize }
                    }))
        } else {
            if let final { print(final.summary) }
            print("weights: \(run.bestURL.path) (best), \(run.lastURL.path) (last)")
        }
    }
}

/// Reports each batch on a progress line and each epoch on its own line.
final class TrainProgress: TrainingObserver {
    let epochs: Int
    private let line: ProgressLine

    init(epochs: Int) {
        self.epochs = epochs
        line = ProgressLine("train", plainEvery: 50)
    }

    func batchFinished(epoch: Int, batch: Int, batches: Int, runningLoss: LossItems) {
        let losses = zip(["box", "pose", "kobj", "cls", "dfl"], runningLoss.values).map { String(format: "%@ %.3f", $0, $1) }
        line.update(batch + 1, of: batches, detail: "epoch \(epoch + 1)/\(epochs)  " + losses.joined(separator: " "))
    }

    func epochFinished(_ record: EpochRecord, isBest: Bool) {
        line.finish()
        var text = String(
            format: "epoch %d/%d  loss %.3f  %.1f img/s", record.epoch + 1, epochs, record.trainLoss.sum, record.imagesPerSecond)
        if let m = record.metrics {
            text += String(
                format: "  box mAP50 %.3f mAP50-95 %.3f  pose mAP50 %.3f mAP50-95 %.3f", m.box.map50, m.box.map50_95, m.pose.map50,
                m.pose.map50_95)
            if let nme = m.landmarks.nme { text += String(format: "  NME %.4f", nme) }
        }
        note(text + (isBest ? "  (best)" : ""))
    }

    func warning(_ message: String) { note("warning: \(message)") }
}
