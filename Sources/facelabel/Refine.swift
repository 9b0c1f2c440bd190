import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData
import Torch

/// `facelabel refine`: the iterative refinement loop of the method.
struct Refine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train, pseudo-label, merge and retrain for several iterations, measuring each.",
        discussion: """
            Iteration 0 trains on the labels as given; each later iteration labels the unlabelled \
            faces with the previous iteration's best weights and fine-tunes from them. RUN holds \
            ledger.sqlite (every label with its origin), one folder per iteration (data set, weights, \
            results) and report/ (tables, figures, report.html). A run stopped at any point continues \
            with --resume. --protocol paper follows the published procedure; the default also measures \
            every iteration on the original val labels and stops when an iteration adds fewer than \
            --stop-below labels. \
            Labels reviewed with 'facelabel review' are used from the next iteration on: corrected \
            ones as corrected, rejected ones left out and never generated again. \
            '--resume --iterations N' continues a finished run to iteration N, and '--resume --calibrated \
            FILE' labels from the next pass on with FILE's thresholds (calibrate, or calibrate \
            --from-review RUN); \
            '--from RUN' starts a new run from the originals and the confirmed labels of a reviewed one. \
            Started by torchrun or srun as several ranks, each rank labels every W-th batch of \
            the images and every iteration trains data-parallel; rank 0 measures and writes RUN while the others \
            wait (docs/clusters.md).
            """)

    @Option(help: "The data set's data.yaml (not needed with --resume or --from).") var data: String?
    @Option(help: "Run folder.") var out = "runs/refine/exp"
    @Option(help: "Iterations after iteration 0 (default 4; with --resume, a larger number continues a finished run).")
    var iterations: Int?
    @Option(help: "Train on all labels but the rejected (all, the paper's way) or only on those a person confirmed (reviewed).")
    var trainOn: TrainOn?
    @Option(
        name: .customLong("from"),
        help:
            """
            A reviewed run to start from: its originals and the labels a person confirmed are this run's iteration 0, its rejections \
            are kept.
            """
    )
    var startRun: String?
    @Option(help: "Procedure: paper or default.") var `protocol` = RefineProtocol.default
    @Option(help: "Truth data set (same images, every face labelled) to measure the generated labels.") var truth: String?
    @Option(
        help:
            """
            Stop after an iteration that adds fewer labels than this: a count (30) or a percentage of the labels already there (2%). \
            Default protocol only.
            """
    )
    var stopBelow = StopThreshold.percent(2)
    @Option(help: "Model scale n…x or depth,width,max_channels, or weights iteration 0 starts from.") var model = "n"
    @Flag(help: "Continue the run in --out.") var resume = false
    @Option(
        help:
            """
            A fully labelled val set (data.yaml) for Table 2b when there is no --truth; without either, Table 2b uses the original val \
            labels, which miss the unlabelled faces.
            """
    )
    var goldVal: String?
    @OptionGroup var detection: DetectionOptions<AutolabelDefaults>
    @OptionGroup var labelling: LabellingOptions
    @OptionGroup var hyper: Hyperparameters
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var launchOptions: LaunchOptions

    func validate() throws {
        if !resume && data == nil && startRun == nil { throw ValidationError("--data is required (unless --resume or --from).") }
        if resume && startRun != nil { throw ValidationError("--from starts a new run; it cannot be combined with --resume.") }
        if let iterations { try OptionCheck.atLeast(iterations, 0, "--iterations", atMost: 1000) }
        try OptionCheck.model(model)
    }

    /// The run's settings for training on `device`.
    func settings(device: Device) throws -> RefineSettings {
        func absolute(_ path: String?) -> String? { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        return RefineSettings(
            iterations: iterations ?? RefineSettings().iterations, training: hyper.config(device: device),
            autolabel: try labelling.settings(detection, imageSize: hyper.imgsz, batchSize: hyper.batch, fastDecode: hyper.fastDecode),
            protocolName: self.protocol, stopBelow: stopBelow, model: model, truth: absolute(truth), trainOn: trainOn ?? .all,
            goldVal: absolute(goldVal), startRun: absolute(startRun))
    }

    func run() async throws {
        let launch = try RuntimeOptions.launch()
        if !resume { try launch.checkSplits(batch: hyper.batch) }  // a resumed run's batch is checked once it is open
        let device = try runtime.apply(launch)
        let group = try launchOptions.join(launch, device: device)
        try group?.agree(on: Array(CommandLine.arguments.dropFirst()), what: "command lines")
        let folder = URL(fileURLWithPath: out)
        guard launch.rank == 0 else { return try await follow(launch, group: group!, device: device) }
        let refiner: Refiner
        if resume {
            guard RefinementRun.isRun(folder) else {
                throw ValidationError(
                    "\(folder.standardizedFileURL.path): not a refinement run (no ledger.sqlite), so nothing to resume: "
                        + "a run stopped before it wrote its ledger starts again without --resume")
            }
            refiner = try Refiner(run: try RefinementRun.open(folder, access: .readWrite))
            let calibrated = labelling.calibrated == nil ? nil : try labelling.applyCalibration(to: refiner.settings.autolabel)
            try refiner.extend(iterations: iterations, trainOn: trainOn, labelling: calibrated)
        } else {
            // a run started from a reviewed one starts from that run's input (its ledger only read)
            let input = try data.map { URL(fileURLWithPath: $0) } ?? RefinementRun.open(URL(fileURLWithPath: startRun!)).inputData
            refiner = try Refiner(run: try RefinementRun.create(in: folder, data: input, settings: try settings(device: device)))
        }
        refiner.device = device
        let observer = RefineProgress(epochs: refiner.settings.training.epochs)
        refiner.observer = observer
        refiner.group = group
        if let group {
            let batch = refiner.settings.training.batchSize
            try launch.checkSplits(batch: batch)
            try group.barrier()  // the run is there for the other ranks to open
            note(
                "every iteration labels and trains on \(group.worldSize) ranks (batch \(batch / group.worldSize) each, \(group.options.backend))"
            )
        }
        let summary: RunSummary
        do {
            summary = try await refiner.refine()
        } catch let error as TorchError where group != nil {
            throw LaunchFailure.stopped(launch, by: error, kept: "\(out) keeps what it finished: --resume continues it")
        }
        withExtendedLifetime(observer) {}
        let report = try ReportFolder.write(refiner.run, summary: summary)
        if runtime.json {
            try printJSON(RefineOutput(summary: summary, report: report.path))
        } else {
            Tables.print(summary, run: out, report: report)
        }
    }
}

extension Refine {
    /// A rank other than 0: opens the run rank 0 created or opened (read-only) and trains each
    /// iteration with the others.
    func follow(_ launch: Launch, group: ProcessGroup, device: Device) async throws {
        do {
            try group.barrier()
            let refiner = try Refiner(run: try RefinementRun.open(URL(fileURLWithPath: out)))
            try launch.checkSplits(batch: refiner.settings.training.batchSize)
            (refiner.device, refiner.group) = (device, group)
            try await refiner.follow()
        } catch let error as TorchError {
            throw LaunchFailure.stopped(launch, by: error, kept: "rank 0 keeps the run's files")
        }
    }
}

struct RefineOutput: Encodable {
    var summary: RunSummary
    var report: String
}

/// Progress of a refinement run: its messages and each iteration's training lines.
final class RefineProgress: RefineObserver {
    let epochs: Int
    init(epochs: Int) { self.epochs = epochs }
    func message(_ text: String) { note(text) }
    func trainingObservers(iteration index: Int) -> [any TrainingObserver] { [TrainProgress(epochs: epochs)] }
}

extension RefineProtocol: ExpressibleByArgument {}
extension TrainOn: ExpressibleByArgument {}
extension StopThreshold: ExpressibleByArgument {}
