import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData
import Synth
import Torch

/// `facelabel demo` (what `make demo` runs): the method end to end on the built-in synthetic data.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the method on a built-in synthetic data set and show how the labels grow.",
        discussion: """
            Synthesises faces with about 30% of them left unlabelled, refines for a few iterations \
            starting from the bundled checkpoint (trained by `facelabel train` on other synthetic \
            images; see the README), then prints Table 1 (labels per iteration), Table 2 (metrics) \
            and the quality of the generated labels against the truth, and the path of report.html.
            """)

    @Option(help: "Folder for the data set and the run.") var out = "runs/demo"
    @Option(help: "Synthetic images.") var images = 160
    @Option(help: "Image size.") var imgsz = 256
    @Option(help: "Fraction of faces left unlabelled.") var unlabeled = 0.3
    @Option(help: "Iterations after iteration 0.") var iterations = 3
    @Option(help: "Training epochs per iteration.") var epochs = 5
    @Option(help: "Images per batch.") var batch = 16
    @Option(help: "Confidence of pseudo-labels. Below refine's 0.7 (the paper's): after minutes of fine-tuning, this model scores most real faces between 0.4 and 0.8.")
    var conf: Float = 0.5
    @Option(help: "Stop after an iteration that adds fewer labels than this (a count, or a percentage such as 2%); 1 runs every iteration that adds a label.")
    var stopBelow = StopThreshold.labels(1)
    @Option(help: "Starting weights (the bundled checkpoint), or a model scale n…x to start from scratch.")
    var model = "Weights/yolov8n-pose-synth51.safetensors"
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var runtime: RuntimeOptions

    func run() async throws {
        let device = try runtime.apply()
        if ModelScale(rawValue: model) == nil && !FileManager.default.fileExists(atPath: model) {
            throw ValidationError("\(model) not found: run from the repository root, or pass --model PATH or --model n.")
        }
        let folder = URL(fileURLWithPath: out)
        let run = folder.appendingPathComponent("run")
        try? FileManager.default.removeItem(at: run)
        let dataFolder = folder.appendingPathComponent("data")
        var options = SynthDataset.Options()
        (options.images, options.imageSize, options.unlabeledFraction, options.seed) = (images, imgsz, unlabeled, seed)
        note("synthesising \(images) images at \(imgsz) px, \(Int(unlabeled * 100))% of faces unlabelled")
        let synthesis = try await SynthDataset.write(options: options, to: dataFolder, overwrite: true)

        var settings = RefineSettings()
        (settings.iterations, settings.stopBelow) = (iterations, stopBelow)
        settings.model = model
        settings.truth = URL(fileURLWithPath: synthesis.truth).standardizedFileURL.path
        var training = TrainingConfig()
        (training.epochs, training.imageSize, training.batchSize, training.seed) = (epochs, imgsz, batch, seed)
        // Fine-tuning from a checkpoint: a short warmup, no mosaic-free tail, no early stop.
        (training.warmupEpochs, training.closeMosaic, training.patience, training.cacheImages) = (1, 0, 0, true)
        training.mixedPrecision = device != .cpu  // the reference's amp on a GPU
        settings.training = training
        (settings.autolabel.imageSize, settings.autolabel.batchSize, settings.autolabel.confidence) = (imgsz, batch, conf)
        let refiner = try Refiner(run: try RefinementRun.create(in: run, data: URL(fileURLWithPath: synthesis.data), settings: settings))
        refiner.device = device
        let progress = RefineProgress(epochs: epochs)
        refiner.observer = progress
        let started = Date()
        let summary = try await refiner.refine()
        withExtendedLifetime(progress) {}
        let report = try ReportFolder.write(refiner.run, summary: summary)
        if runtime.json {
            try printJSON(RefineOutput(summary: summary, report: report.path))
        } else {
            print(String(format: "finished in %.1f minutes", Date().timeIntervalSince(started) / 60))
            Tables.print(summary, run: run.path, report: report)
        }
    }
}
