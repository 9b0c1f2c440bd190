import ArgumentParser
import Foundation
import Imaging
import Pose
import PoseData

/// `facelabel predict`: detections and landmarks on images.
struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect faces and their landmarks in images.",
        discussion: """
            SOURCE is an image, a folder (searched recursively) or a glob such as 'photos/*.jpg'. \
            With --json, stdout carries {"images": [{"file", "width", "height", "detections": \
            [{"box": {"x1","y1","x2","y2"}, "score", "classIndex", "keypoints": [{"x","y","confidence"}]}]}]} \
            in original-image pixels.
            """)

    @Option(help: "Weights (.safetensors).") var weights: String
    @Option(help: "Image, folder or glob.") var source: String
    @Option(help: "Network input size.") var imgsz = 640
    @Option(help: "Confidence threshold.") var conf: Float = 0.25
    @Option(help: "NMS IoU threshold.") var iou: Float = 0.7
    @Option(help: "Most detections per image.") var maxDet = 300
    @Option(help: "Images per forward pass.") var batch = 1
    @Flag(help: "Suppress across classes.") var agnosticNms = false
    @Option(help: "Output folder for --save-txt and --save-img.") var out = "runs/predict"
    @Flag(help: "Write YOLO-pose label lines (keypoint confidence in the visibility slot, score last).") var saveTxt = false
    @Flag(help: "Write images with boxes and landmarks drawn.") var saveImg = false
    @Flag(inversion: .prefixedNo, help: "Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at least --imgsz: several times faster on camera photos; results are mapped back to the full-size pixels. --no-fast-decode decodes at full size, as the reference does.") var fastDecode = true
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard imgsz >= 32, imgsz % 32 == 0 else { throw ValidationError("--imgsz must be a multiple of 32.") }
        guard (0...1).contains(conf), (0...1).contains(iou) else { throw ValidationError("--conf and --iou must be in [0, 1].") }
        guard batch >= 1, maxDet >= 1 else { throw ValidationError("--batch and --max-det must be at least 1.") }
    }

    func run() async throws {
        let device = try runtime.apply()
        let model = try PoseModel.load(URL(fileURLWithPath: weights), device: device)
        precision.prepare(model)
        let files = try ImageSource.files(source)
        let predictor = Predictor(
            model: model, imageSize: imgsz,
            options: SuppressionOptions(confidence: conf, iou: iou, maxDetections: maxDet, classAgnostic: agnosticNms),
            fastDecode: fastDecode)
        let progress = ProgressLine("predict", plainEvery: 50)
        var results: [ImagePrediction] = []
        for start in stride(from: 0, to: files.count, by: batch) {
            results += try predictor.predict(Array(files[start..<min(start + batch, files.count)]), batchSize: batch)
            progress.update(results.count, of: files.count)
        }
        progress.finish()
        let output = URL(fileURLWithPath: out)
        if saveTxt || saveImg { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) }
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
        if runtime.json {
            try printJSON(["images": results])
        } else {
            for result in results { print("\(result.file): \(result.detections.count) detection\(result.detections.count == 1 ? "" : "s")") }
            if saveTxt || saveImg { print("results in \(output.path)") }
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
        guard glob(source, 0, nil, &matches) == 0 else { throw ValidationError("--source \(source): no such file, folder or matching images") }
        let paths = (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
        let images = paths.filter { Dataset.imageExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
        guard !images.isEmpty else { throw ValidationError("--source \(source): no images match") }
        return images.sorted().map { URL(fileURLWithPath: $0) }
    }
}

/// Prediction overlays: each detection's box, landmarks (confident ones) and score.
enum Overlay {
    static func save(_ prediction: ImagePrediction, to url: URL) throws {
        var canvas = ImageCanvas(try ImageCodec.decode(contentsOf: URL(fileURLWithPath: prediction.file)))
        for (detection, label) in zip(prediction.detections, prediction.labels()) {
            canvas.drawPose(label, color: ImageCanvas.palette[detection.classIndex % ImageCanvas.palette.count], label: String(format: "%.2f", detection.score))
        }
        try canvas.write(to: url)
    }
}
