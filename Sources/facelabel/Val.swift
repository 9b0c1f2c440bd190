import ArgumentParser
import Foundation
import Loader
import Pose
import PoseData
import PoseMetrics
import Torch

/// `facelabel val`: the reference's validation metrics plus landmark accuracy.
struct Val: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure weights on a split: box and pose P, R, mAP50, mAP50-95, and landmark MSE, NME, FR, AUC.",
        discussion: """
            With --json, stdout carries {"box": {"precision", "recall", "map50", "map50_95"}, "pose": {...}, \
            "landmarks": {"mse_px2", "nme", "fr_0_1", "auc_0_1", "matched", "missed"}, "images", "instances"}; \
            fractions are in [0, 1]. \
            Started by torchrun or srun as several ranks, rank r validates every W-th batch, and \
            rank 0 gathers what the others saw and prints the metrics one process prints.
            """)

    @Option(help: "The data set's data.yaml.") var data: String
    @Option(help: "Split: train, val or test.") var split = Split.val
    @Option(help: "Keypoints for the inter-ocular distance of NME, as A,B (default: 19,28 for 51 points, 36,45 for 68).")
    var eyes: String?
    @OptionGroup var model: ModelOptions<ValDefaults>
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var detection: DetectionOptions<ValDefaults>
    @OptionGroup var loader: LoaderOptions<ValDefaults>
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var launchOptions: LaunchOptions

    func validate() throws {
        _ = try eyeCorners()
    }

    func eyeCorners() throws -> EyeCorners? {
        guard let eyes else { return nil }
        let parts = eyes.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 >= 0 }), parts[0] != parts[1] else {
            throw ValidationError("--eyes must be two different keypoint indices A,B (from 0), not '\(eyes)'.")
        }
        return EyeCorners(parts[0], parts[1])
    }

    func run() async throws {
        let launch = try RuntimeOptions.launch()
        let device = try runtime.apply(launch)
        let group = try launchOptions.join(launch, device: device)
        try group?.agree(on: Array(CommandLine.arguments.dropFirst()), what: "command lines")
        let dataset = try DataLoading.dataset(data)
        let shape = dataset.config.keypointShape
        let network = try PoseModel.load(URL(fileURLWithPath: model.weights), keypointDimensions: shape.dimensions, device: device)
        guard network.config.keypointCount == shape.count, network.config.keypointDimensions == shape.dimensions else {
            let weights = "[\(network.config.keypointCount), \(network.config.keypointDimensions)]"
            throw ValidationError(
                "\(model.weights): the weights have kpt_shape \(weights), the data set [\(shape.count), \(shape.dimensions)]")
        }
        if let eyes = try eyeCorners(), max(eyes.first, eyes.second) >= shape.count {
            throw ValidationError("--eyes \(self.eyes!): the data set has \(shape.count) keypoints (0 to \(shape.count - 1)).")
        }
        precision.prepare(network)
        let images = try DataLoading.images(dataset, split: split)
        let batches = BatchLoader(
            images: images, imageSize: model.imgsz, batchSize: model.batch, seed: 0, workers: loader.workers(on: device),
            fastDecode: loader.fastDecode)
        let validator = Validator(
            config: network.config, sigmas: dataset.oksSigmas, eyeCorners: try eyeCorners(),
            options: SuppressionOptions(confidence: detection.conf, iou: detection.iou, multiLabel: true))
        let metrics: ValidationMetrics
        if let group {
            let parts = await validator.accumulators(network, on: batches, rank: launch.rank, of: launch.worldSize)
            guard let gathered = try group.gatherBatches(parts, key: "val", launch: launch, kept: "nothing is written: run it again")
            else { return }
            var all = validator.accumulator(network.config)
            for part in gathered { all.append(part) }
            metrics = ValidationMetrics(all.result())
        } else {
            metrics = await validator(network, on: batches)
        }
        for (url, reason) in batches.unreadableImages { note("warning: skipped unreadable image \(url.path): \(reason)") }
        if let coverage = metrics.coverage, coverage.looksIncomplete {
            note("warning: \(coverage.warning(split: split.rawValue)) here, so precision and mAP are understated.")
        }
        if runtime.json { try printJSON(metrics) } else { print(metrics.summary) }
    }
}

extension Split: ExpressibleByArgument {}
