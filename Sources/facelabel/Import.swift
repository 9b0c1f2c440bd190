import ArgumentParser
import Foundation
import Imaging
import Interchange
import PoseData

/// `facelabel import 300w|coco`: other annotation formats as YOLO-pose data sets.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import a 300-W tree or a COCO keypoints file as a data set, or a labelling tool's review into a run.",
        subcommands: [Import300WCommand.self, ImportCOCOCommand.self, ImportLabelStudioCommand.self, ImportCVATCommand.self])
}

/// `facelabel import 300w --src DIR --out DIR`.
struct Import300WCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "300w",
        abstract: "Import images with iBUG .pts files (300W, AFW, HELEN, IBUG, LFPW) as a 51-point face data set.",
        discussion: """
            Pairs every image with the .pts file of the same stem (beside it, or in a labels/ folder \
            beside images/). 68-point files lose the 17 jaw points unless --keep-jaw; 51-point files \
            are taken as they are. iBUG coordinates are 1-based and are shifted to 0-based. The box \
            is the landmark extent widened by --box-margin pixels and clamped to the image. Files \
            that show the same image (one per annotated face in the sources) become one image with \
            one label line per face. Each first-level folder is split into train and val on its \
            own. Any malformed file stops the import before anything is written.
            """)

    @Option(help: "The folder to import.")
    var src: String

    @Option(help: "Output folder (must not exist unless --overwrite).")
    var out: String

    @Flag(help: "Keep all 68 points, jaw included.")
    var keepJaw = false

    @Option(help: "Pixels added around the landmark extent on each side.")
    var boxMargin = 20.0

    @Option(help: "Fraction of each source folder's images in the val split.")
    var valFraction = 0.2

    @Option(help: "Random seed of the split.")
    var seed: UInt64 = 0

    @Flag(help: "The .pts coordinates are 0-based (iBUG's are 1-based).")
    var zeroBased = false

    @Flag(help: "Copy the images instead of linking to them.")
    var copy = false

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Option(help: "Files read at the same time.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print the summary as one JSON object on stdout.")
    var json = false

    func validate() throws {
        try OptionCheck.nonNegative(boxMargin, "--box-margin")
        try OptionCheck.fraction(valFraction, "--val-fraction")
        try OptionCheck.workers(workers)
    }

    func run() async throws {
        let options = Interchange.Import300W.Options(
            keepsJaw: keepJaw, boxMargin: boxMargin, valFraction: valFraction, seed: seed, origin: zeroBased ? 0 : 1,
            imageMode: copy ? .copy : .symlink, overwrite: overwrite, concurrency: workers)
        let progress = ConversionCommand.Progress(label: "reading")
        let summary = try await ConversionCommand.failingOnProblems {
            try await Interchange.Import300W.run(
                source: URL(fileURLWithPath: src), output: URL(fileURLWithPath: out), options: options,
                progress: { done, total in progress.update(done, total) })
        }
        let output = ConversionCommand.self
        for path in summary.imagesWithoutPts { output.warn("\(path): no .pts file; skipped") }
        for path in summary.ptsWithoutImage { output.warn("\(path): no image; skipped") }
        if summary.pointsOutsideImage > 0 {
            let points = output.counted(summary.pointsOutsideImage, "point lies", "points lie")
            output.warn("\(points) outside their image; written with visibility 0")
        }
        if json {
            print(try output.json(summary))
            return
        }
        let merged = "\(summary.mergedFiles) files merged"
        print("\(summary.files) annotated files -> \(summary.images) images (\(merged)), \(summary.faces) faces")
        print("train: \(summary.trainImages) images, \(summary.trainFaces) faces")
        print("val:   \(summary.valImages) images, \(summary.valFaces) faces")
        print("data:  \(summary.data)")
    }
}

/// `facelabel import coco --json F --images DIR --out DIR`.
struct ImportCOCOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coco",
        abstract: "Import a COCO keypoints JSON file and its images as a YOLO-pose data set.",
        discussion: """
            Categories become classes (in id order) and must share one keypoint layout; the flip \
            index comes from the categories' flip_idx (written by 'export coco'), from known point \
            names, or from left/right pairs in the names. Crowd annotations are left out. Every \
            image is found in --images by its file_name (or its last path component) and its size \
            is checked against the JSON. Any problem stops the import before anything is written.
            """)

    @Option(name: [.customLong("json"), .customLong("annotations")], help: "The COCO keypoints JSON file.")
    var annotations: String

    @Option(help: "The folder that file_name entries are relative to.")
    var images: String

    @Option(help: "Output folder (must not exist unless --overwrite).")
    var out: String

    @Option(help: "Put every image in this split (train, val or test) instead of splitting.")
    var split: Split?

    @Option(help: "Fraction of the images in the val split when --split is not given.")
    var valFraction = 0.2

    @Option(help: "Random seed of the split.")
    var seed: UInt64 = 0

    @Flag(help: "Copy the images instead of linking to them.")
    var copy = false

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Flag(help: "Print the summary as one JSON object on stdout.")
    var summaryJson = false

    func validate() throws {
        try OptionCheck.fraction(valFraction, "--val-fraction")
    }

    func run() async throws {
        let output = ConversionCommand.self
        let options = COCOConversion.ImportOptions(
            split: split, valFraction: valFraction, seed: seed, imageMode: copy ? .copy : .symlink,
            overwrite: overwrite)
        let summary = try await output.failingOnProblems {
            try COCOConversion.importDataset(
                json: URL(fileURLWithPath: annotations), images: URL(fileURLWithPath: images),
                output: URL(fileURLWithPath: out), options: options)
        }
        if summary.crowdAnnotations > 0 {
            output.warn("\(output.counted(summary.crowdAnnotations, "crowd annotation", "crowd annotations")) left out")
        }
        if summary.pointsOutsideImage > 0 {
            let points = output.counted(summary.pointsOutsideImage, "point lies", "points lie")
            output.warn("\(points) outside their image; written with visibility 0")
        }
        if summary.boxesClamped > 0 {
            output.warn("\(output.counted(summary.boxesClamped, "box", "boxes")) reached outside their image; clamped")
        }
        if !summary.hasFlipIndex { output.warn("no flip index found; horizontal-flip augmentation will be off") }
        if summaryJson {
            print(try output.json(summary))
            return
        }
        let classes = summary.classes.joined(separator: ", ")
        print("\(summary.images) images, \(summary.annotations) objects of \(summary.keypoints) points, classes: \(classes)")
        let test = summary.testImages > 0 ? ", test: \(summary.testImages) images" : ""
        print("train: \(summary.trainImages) images, val: \(summary.valImages) images\(test)")
        print("data:  \(summary.data)")
    }
}

// MARK: - Helpers shared by import and export

/// Output and error handling of the conversion commands (`import`, `export`).
enum ConversionCommand {
    /// Runs `body`; data problems are printed one per line as `error: file:line: reason` on stderr
    /// and end the command with exit status 1.
    static func failingOnProblems<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DataProblems {
            for problem in error.problems { printError("\(problem)") }
            throw ExitCode(1)
        } catch let error as DataProblem {
            printError("\(error)")
            throw ExitCode(1)
        } catch let error as ImageError {
            printError("\(error)")
            throw ExitCode(1)
        }
    }

    /// "1 box", "2 boxes".
    static func counted(_ count: Int, _ singular: String, _ plural: String) -> String {
        "\(count) \(count == 1 ? singular : plural)"
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    /// One JSON object: snake_case keys, sorted, slashes unescaped.
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Progress on stderr: a line redrawn in place on a terminal, a line per 10% otherwise.
    final class Progress: @unchecked Sendable {
        private let label: String
        private let lock = NSLock()
        private let isTerminal = isatty(STDERR_FILENO) != 0
        private var lastDecile = -1

        init(label: String) { self.label = label }

        func update(_ done: Int, _ total: Int) {
            lock.lock()
            defer { lock.unlock() }
            if isTerminal {
                if done == total || done % 16 == 0 {
                    let end = done == total ? "\n" : ""
                    FileHandle.standardError.write(Data("\r\(label) \(done)/\(total)\(end)".utf8))
                }
            } else {
                let decile = total == 0 ? 10 : done * 10 / total
                if decile != lastDecile {
                    lastDecile = decile
                    FileHandle.standardError.write(Data("\(label) \(done)/\(total)\n".utf8))
                }
            }
        }
    }
}
