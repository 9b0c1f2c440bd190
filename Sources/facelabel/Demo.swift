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
            images; see docs/formats.md), then prints Table 1 (labels per iteration), Table 2 (metrics) \
            and the quality of the generated labels against the truth, and the path of report.html.
            """)

    @Option(help: "Folder for the data set and the run.") var out = "runs/demo"
    @Option(help: "Synthetic images (at least 4).") var images = 160
    @Option(help: "Fraction of faces left unlabelled, in [0, 1].") var unlabeled = 0.3
    @Option(help: "Iterations after iteration 0.") var iterations = 3
    @Option(help: "Training epochs per iteration (at least 1).") var epochs = 5
    @Option(help: "Images per batch (at most 1024).") var batch = DemoDefaults.batch
    @Option(
        help:
            """
            Stop after an iteration that adds fewer labels than this (a count, or a percentage such as 2%); 1 runs every iteration \
            that adds a label.
            """
    )
    var stopBelow = StopThreshold.labels(1)
    @Option(help: "Starting weights (the bundled checkpoint), or a model scale n…x to start from scratch.")
    var model = "Weights/yolov8n-pose-synth51.safetensors"
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var size: ImageSizeOption<DemoDefaults>
    @OptionGroup var detection: DetectionOptions<DemoDefaults>
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try OptionCheck.atLeast(images, 4, "--images", atMost: 100_000)
        try OptionCheck.model(model)
        try OptionCheck.fraction(unlabeled, "--unlabeled")
        try OptionCheck.atLeast(iterations, 0, "--iterations", atMost: 1000)
        try OptionCheck.atLeast(epochs, 1, "--epochs")
        try OptionCheck.batch(batch)
    }

    func run() async throws {
        let device = try runtime.apply()
        if ModelScale(model) == nil && !FileManager.default.fileExists(atPath: model) {
            throw ValidationError("\(model) not found: run from the repository root, or pass --model PATH or --model n.")
        }
        let imgsz = size.imgsz
        let folder = URL(fileURLWithPath: out)
        let run = folder.appendingPathComponent("run")
        try? FileManager.default.removeItem(at: run)
        note("synthesising \(images) images at \(imgsz) px, \(Int(unlabeled * 100))% of faces unlabelled")
        let synthesis = try await SynthDataset.write(
            options: SynthDataset.Options(images: images, imageSize: imgsz, unlabeledFraction: unlabeled, seed: seed),
            to: folder.appendingPathComponent("data"), overwrite: true)
        // fine-tuning from a checkpoint: a short warmup, no mosaic-free tail, no early stop; the
        // reference's amp on a GPU
        let training = TrainingConfig(
            epochs: epochs, imageSize: imgsz, batchSize: batch, warmupEpochs: 1, closeMosaic: 0, patience: 0, seed: seed, cacheImages: true,
            mixedPrecision: device != .cpu)
        let settings = RefineSettings(
            iterations: iterations, training: training,
            autolabel: AutolabelSettings(confidence: detection.conf, nmsIoU: detection.iou, imageSize: imgsz, batchSize: batch),
            stopBelow: stopBelow, model: model, truth: URL(fileURLWithPath: synthesis.truth).standardizedFileURL.path)
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
