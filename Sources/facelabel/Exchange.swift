import ArgumentParser
import AutoLabel
import Foundation
import Interchange
import PoseData

/// Where labels to review come from: a refinement run (its generated labels, with the ledger
/// label each came from) or a data set (its own labels).
struct ExchangeSource: ParsableArguments {
    @Option(help: "A refinement run: export its generated labels.") var run: String?
    @Option(help: "With --run, the iteration whose labels go out (default: every iteration).") var iteration: Int?
    @Option(help: "A data set never refined: export its own labels.") var data: String?
    @Option(help: "The file to write.") var out: String
    @Flag(help: "Replace the output file if it exists.") var overwrite = false

    func validate() throws {
        guard (run == nil) != (data == nil) else { throw ValidationError("give either --run or --data.") }
        if iteration != nil && run == nil { throw ValidationError("--iteration goes with --run.") }
        if let iteration { try OptionCheck.atLeast(iteration, 1, "--iteration") }
    }

    /// The configuration, the images with their labels, and a name for them.
    func images() throws -> (config: DatasetConfig, images: [ReviewExchange.ExportedImage], name: String) {
        if let run {
            let refinement = try RefinementRun.open(URL(fileURLWithPath: run))
            let (config, images) = try ReviewExchange.images(of: refinement, iteration: iteration)
            return (config, images, refinement.folder.lastPathComponent + (iteration.map { " iteration \($0)" } ?? ""))
        }
        let dataset = try DataLoading.dataset(data!)
        return (dataset.config, try ReviewExchange.images(ofDataset: dataset), dataset.root.lastPathComponent)
    }

    /// Writes `data` to --out, atomically; an existing file needs --overwrite.
    func write(_ data: Data) throws -> URL {
        let url = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: url.path) && !overwrite {
            throw ValidationError("\(out) already exists: choose another --out or pass --overwrite.")
        }
        try AtomicFile.write(data, to: url)
        return url
    }
}

/// `facelabel export labelstudio (--run RUN | --data DATA.yaml) --out tasks.json`.
struct ExportLabelStudioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelstudio",
        abstract: "Write labels as Label Studio tasks to review there, with the labelling configuration beside them.",
        discussion: """
            One task per image, its labels as predictions (a box per face, its points tied to it by \
            parentID, percentages of the image without rounding, each face's score, and the task's \
            lowest score as the prediction score, so that sorting by it puts the likeliest mistakes \
            first). Images are addressed for Label Studio's local storage: start Label Studio with \
            LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT \
            set to --document-root. OUT.xml receives the labelling configuration (model_index on each \
            point, so that Label Studio's COCO and YOLO exports work). 'import labelstudio' reads \
            Label Studio's JSON export back.
            """)

    @OptionGroup var source: ExchangeSource
    @Option(help: "Label Studio's LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT: image paths are written relative to it.") var documentRoot = "/"

    func run() async throws {
        let (config, images, name) = try source.images()
        let tasks = ReviewExchange.labelStudioTasks(
            images, config: config, documentRoot: URL(fileURLWithPath: documentRoot), modelVersion: "facelabel \(name)")
        let url = try source.write(try LabelStudio.json(tasks))
        let configURL = url.deletingPathExtension().appendingPathExtension("xml")
        try AtomicFile.write(
            Data(LabelStudio.labellingConfig(classNames: config.names, pointNames: ReviewExchange.pointNames(config)).utf8), to: configURL)
        let faces = images.reduce(0) { $0 + $1.labels.count }
        print("\(tasks.count) tasks, \(faces) faces: \(url.path); labelling configuration: \(configURL.path)")
    }
}

/// `facelabel export cvat (--run RUN | --data DATA.yaml) --out annotations.xml`.
struct ExportCVATCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvat",
        abstract: "Write labels as CVAT for images 1.1 XML to review there.",
        discussion: """
            Each face is a box of its class and a skeleton ('landmarks') of the layout's points in \
            one group; invisible points are outside, points of visibility 1 occluded; coordinates \
            in pixels without rounding. Image names are split/path. A box carries the ledger label \
            it came from (attribute facelabel_id), so that 'import cvat' knows it again.
            """)

    @OptionGroup var source: ExchangeSource

    func run() async throws {
        let (config, images, name) = try source.images()
        let url = try source.write(Data(ReviewExchange.cvatDocument(images, config: config, taskName: name).utf8))
        print("\(images.count) images, \(images.reduce(0) { $0 + $1.labels.count }) faces: \(url.path)")
    }
}

/// What `import labelstudio` and `import cvat` take: the run, the file, who reviewed.
struct ReviewImportOptions: ParsableArguments {
    @Option(help: "The refinement run whose ledger receives the decisions.") var run: String
    @Option(name: [.customLong("file"), .customLong("xml")], help: "The tool's export (Label Studio's JSON export, or CVAT's XML).")
    var file: String
    @Option(help: "The reviewer recorded with every decision (default: the file's reviewer, else the login name).")
    var reviewer: String?
    @Flag(help: "Print the summary as one JSON object on stdout.") var json = false

    /// The login name, recorded when neither --reviewer nor the file names the reviewer.
    static var loginName: String { ProcessInfo.processInfo.environment["USER"] ?? NSUserName() }

    var name: String { reviewer ?? Self.loginName }

    /// The run, opened to record the decisions.
    func refinementRun() throws -> RefinementRun { try RefinementRun.open(URL(fileURLWithPath: run), access: .readWrite) }

    func report(_ summary: ReviewExchange.ImportSummary) throws {
        if json { return try printJSON(summary) }
        print(
            "\(summary.images) images (\(summary.unanswered) not answered): \(summary.accepted) accepted, \(summary.corrected) corrected, "
                + "\(summary.rejected) rejected, \(summary.added) added")
        for conflict in summary.conflicts { note("warning: not imported: \(conflict)") }
    }
}

/// `facelabel import labelstudio --run RUN --file export.json`.
struct ImportLabelStudioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labelstudio",
        abstract: "Record a Label Studio JSON export of tasks from 'export labelstudio' as review decisions in a run's ledger.",
        discussion: """
            The latest annotation of each task that is not cancelled is the answer: a face unchanged \
            accepts its label, one changed corrects it, a face removed rejects it, a face drawn anew \
            is added. Tasks without an annotation change nothing. A label decided since the export \
            is not decided again (reported as a conflict).
            """)

    @OptionGroup var options: ReviewImportOptions

    func run() async throws {
        let run = try options.refinementRun()
        let tasks = try LabelStudio.read(URL(fileURLWithPath: options.file))
        try options.report(
            try ReviewExchange.importLabelStudio(
                tasks, into: run, reviewer: options.reviewer, fallback: ReviewImportOptions.loginName, file: options.file))
    }
}

/// `facelabel import cvat --run RUN --file annotations.xml`.
struct ImportCVATCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvat",
        abstract: "Record a CVAT for images 1.1 XML file (from 'export cvat', edited in CVAT) as review decisions in a run's ledger.",
        discussion: """
            Each image in the file is an answer: a face unchanged accepts its label, one changed \
            corrects it, a face without facelabel_id is added, and a label of the run's image that \
            is gone, and that nobody had decided on, is rejected.
            """)

    @OptionGroup var options: ReviewImportOptions
    @Option(help: "The iteration whose labels the file holds (default: every iteration).") var iteration: Int?

    func validate() throws {
        if let iteration { try OptionCheck.atLeast(iteration, 1, "--iteration") }
    }

    func run() async throws {
        let run = try options.refinementRun()
        let config = try run.config()
        let images = try CVATXML.read(
            URL(fileURLWithPath: options.file), classNames: config.names, pointNames: ReviewExchange.pointNames(config))
        try options.report(
            try ReviewExchange.importCVAT(images, into: run, iteration: iteration, reviewer: options.name, file: options.file))
    }
}
