import ArgumentParser
import Foundation
import Loader
import Pose
import PoseData
import PoseMetrics

/// `facelabel val`: the reference's validation metrics plus landmark accuracy.
struct Val: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure weights on a split: box and pose P, R, mAP50, mAP50-95, and landmark MSE, NME, FR, AUC.",
        discussion: """
            With --json, stdout carries {"box": {"precision", "recall", "map50", "map50_95"}, "pose": {...}, \
            "landmarks": {"mse_px2", "nme", "fr_0_1", "auc_0_1", "matched", "missed"}, "images", "instances"}; \
            fractions are in [0, 1].
            """)

    @Option(help: "The data set's data.yaml.") var data: String
    @Option(help: "Weights (.safetensors).") var weights: String
    @Option(help: "Split: train, val or test.") var split = "val"
    @Option(help: "Network input size.") var imgsz = 640
    @Option(help: "Images per batch.") var batch = 32
    @Option(help: "Confidence threshold of NMS.") var conf: Float = 0.001
    @Option(help: "NMS IoU threshold.") var iou: Float = 0.7
    @Option(help: "Keypoints for the inter-ocular distance of NME, as A,B (default: 19,28 for 51 points, 36,45 for 68).")
    var eyes: String?
    @Option(help: "Data-loading tasks (default: 2 on a CPU, min(8, cores) on a GPU).") var workers: Int?
    @Flag(help: "Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at least --imgsz: several times faster on camera photos, but the pixels then differ a little from the reference's full-size decode (off by default, so that metrics equal the reference's).") var fastDecode = false
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard Split(rawValue: split) != nil else { throw ValidationError("--split must be train, val or test.") }
        guard imgsz >= 32, imgsz % 32 == 0 else { throw ValidationError("--imgsz must be a multiple of 32.") }
        _ = try eyeCorners()
    }

    func eyeCorners() throws -> EyeCorners? {
        guard let eyes else { return nil }
        let parts = eyes.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--eyes must be two keypoint indices A,B.") }
        return EyeCorners(parts[0], parts[1])
    }

    func run() async throws {
        let device = try runtime.apply()
        let dataset = try DataLoading.dataset(data)
        let shape = dataset.config.keypointShape
        let model = try PoseModel.load(URL(fileURLWithPath: weights), keypointDimensions: shape.dimensions, device: device)
        guard model.config.keypointCount == shape.count, model.config.keypointDimensions == shape.dimensions else {
            throw ValidationError(
                "\(weights): the weights have kpt_shape [\(model.config.keypointCount), \(model.config.keypointDimensions)], the data set [\(shape.count), \(shape.dimensions)]")
        }
        precision.prepare(model)
        let images = try DataLoading.images(dataset, split: Split(rawValue: split)!)
        let loader = BatchLoader(
            images: images, imageSize: imgsz, batchSize: batch, seed: 0, workers: workers ?? Hyperparameters.defaultWorkers(device: device),
            fastDecode: fastDecode)
        let validator = Validator(
            config: model.config, sigmas: dataset.oksSigmas, eyeCorners: try eyeCorners(),
            options: SuppressionOptions(confidence: conf, iou: iou, multiLabel: true))
        let metrics = await validator(model, on: loader)
        for (url, reason) in loader.unreadableImages { note("warning: skipped unreadable image \(url.path): \(reason)") }
        if runtime.json { try printJSON(metrics) } else { print(metrics.summary) }
    }
}
