import ArgumentParser
import AutoLabel
import Foundation
import Imaging
import Pose
import PoseData
import Torch

/// `facelabel predict`: detections and landmarks on images.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect faces and their landmarks in images.",
        discussion: """
            SOURCE is an image, a folder (searched recursively) or a glob such as 'photos/*.jpg'. \
            With --json, stdout carries {"images": [{"file", "width", "height", "detections": \
            [{"box": {"x1","y1","x2","y2"}, "score", "classIndex", "keypoints": [{"x","y","confidence"}]}]}]} \
            in original-image pixels. \
            Started by torchrun or srun as several ranks, rank r predicts every W-th batch of the \
            sorted images, each rank writes its images' files, and rank 0 prints what one process \
            prints. --shard I/N (or a job array's index) predicts every N-th batch from the I-th, \
            so that the tasks of an array together write what one process writes (docs/clusters.md).
            """)

    @Option(help: "Image, folder or glob.") var source: String
    @Option(help: "Most detections per image (at least 1).") var maxDet = 300
    @Flag(help: "Suppress across classes.") var agnosticNms = false
    @Option(help: "Output folder for --save-txt and --save-img.") var out = "runs/predict"
    @Flag(help: "Write YOLO-pose label lines (keypoint confidence in the visibility slot, score last).") var saveTxt = false
    @Flag(help: "Write images with boxes and landmarks drawn.") var saveImg = false
    @Option(help: "Predict one shard: I/N (from 0), or auto/N with I from the job array's environment.") var shard: String?
    @OptionGroup var model: ModelOptions<PredictDefaults>
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var detection: DetectionOptions<PredictDefaults>
    @OptionGroup var decoding: DecodingOption<PredictDefaults>
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var launchOptions: LaunchOptions

    func validate() throws {
        try OptionCheck.atLeast(maxDet, 1, "--max-det", atMost: 30_000)
    }

    func run() async throws {
        let launch = try RuntimeOptions.launch()
        let device = try runtime.apply(launch)
        let group = try launchOptions.join(launch, device: device)
        let part = try launch.part(shard: shard)
        try group?.agree(on: Array(CommandLine.arguments.dropFirst()), what: "command lines")
        let network = try PoseModel.load(URL(fileURLWithPath: model.weights), device: device)
        precision.prepare(network)
        let files = try ImageSource.files(source)
        let predictor = Predictor(
            model: network, imageSize: model.imgsz,
            options: SuppressionOptions(confidence: detection.conf, iou: detection.iou, maxDetections: maxDet, classAgnostic: agnosticNms),
            fastDecode: decoding.fastDecode)
        // the batches one process forms, so that every image is letterboxed and predicted as there
        let share = WorkShare(files, groupSize: model.batch, part: part)
        let progress = launch.rank == 0 ? ProgressLine("predict", plainEvery: 50) : nil
        var predicted: [[ImagePrediction]] = []
        var done = 0
        for batch in share.groups {
            predicted.append(try predictor.predict(batch, batchSize: model.batch))
            try save(predicted.last!)
            done += batch.count
            progress?.update(done, of: share.itemCount)
        }
        progress?.finish()
        if let group {
            let kept = "each rank's files are written; run it again for the rest"
            guard let all = try group.gatherBatches(predicted, key: "predict", launch: launch, kept: kept) else { return }
            predicted = all
        }
        let results = Array(predicted.joined())
        if runtime.json {
            try printJSON(["images": results])
        } else {
            for result in results {
                print("\(result.file): \(result.detections.count) detection\(result.detections.count == 1 ? "" : "s")")
            }
            if saveTxt || saveImg { print("results in \(URL(fileURLWithPath: out).path)") }
        }
    }

    /// Writes the label lines (`--save-txt`) and drawn images (`--save-img`) of `results`, each
    /// file atomically.
    func save(_ results: [ImagePrediction]) throws {
        guard saveTxt || saveImg else { return }
        let output = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        for result in results {
            let stem = URL(fileURLWithPath: result.file).deletingPathExtension().lastPathComponent
            if saveTxt {
                let labels = output.appendingPathComponent("labels")
                try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
                let text = result.labelLines(score: true).map { $0 + "\n" }.joined()
                try Data(text.utf8).write(to: labels.appendingPathComponent(stem + ".txt"), options: .atomic)
            }
            if saveImg { try Overlay.save(result, to: output.appendingPathComponent(stem + ".jpg")) }
        }
    }
}

/// Resolves a `--source`: an image, a folder of images, or a glob.
enum ImageSource {
    static func files(_ source: String) throws -> [URL] {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) {
            return isFolder.boolValue ? Dataset.imageFiles(under: URL(fileURLWithPath: source)) : [URL(fileURLWithPath: source)]
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(source, 0, nil, &matches) == 0 else {
            throw ValidationError("--source \(source): no such file, folder or matching images")
        }
        let paths = (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
        let images = paths.filter { Dataset.imageExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
        guard !images.isEmpty else { throw ValidationError("--source \(source): no images match") }
        return images.sorted().map { URL(fileURLWithPath: $0) }
    }
}

/// Prediction overlays: each detection's box and landmarks (the confident ones); the scores are in
/// `--save-txt` and `--json`.
enum Overlay {
    static func save(_ prediction: ImagePrediction, to url: URL) throws {
        var canvas = ImageCanvas(try ImageCodec.decode(contentsOf: URL(fileURLWithPath: prediction.file)))
        for (detection, label) in zip(prediction.detections, prediction.labels()) {
            canvas.drawPose(label, color: ImageCanvas.palette[detection.classIndex % ImageCanvas.palette.count])
        }
        try canvas.write(to: url)
    }
}
