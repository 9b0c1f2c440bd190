import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData

/// `facelabel autolabel`: one pseudo-labelling pass into a new data set.
struct Autolabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the faces a model finds, and nobody labelled, to a copy of a data set.",
        discussion: """
            Predicts on the chosen splits; a prediction whose box overlaps an existing label by more \
            than --merge-iou is dropped, the rest are appended after the existing lines, which are \
            kept byte for byte. Keypoints under --kpt-conf get visibility 0. The input data set is \
            never modified. With --json, stdout carries {"splits": {"train": {"images", "existing", \
            "added"}, "val": {...}}, "data": path}.
            """)

    @Option(help: "The data set's data.yaml.") var data: String
    @Option(help: "Weights (.safetensors).") var weights: String
    @Option(help: "Output folder for the new data set.") var out: String
    @Option(help: "Confidence threshold of the predictions.") var conf: Float = 0.7
    @Option(help: "NMS IoU threshold.") var nmsIou: Float = 0.7
    @Option(help: "Drop predictions overlapping an existing label by more than this IoU.") var mergeIou = 0.3
    @Option(help: "Splits to label, comma-separated.") var splits = "train,val"
    @Option(help: "Keypoints under this confidence get visibility 0.") var kptConf: Float = 0.5
    @Option(help: "Network input size.") var imgsz = 640
    @Option(help: "Images (and closer-look crops) per forward pass.") var batch = 8
    @Flag(help: "Replace the output folder if it exists.") var overwrite = false
    @Flag(inversion: .prefixedNo, help: "Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at least --imgsz: several times faster on camera photos; results are mapped back to the full-size pixels. --no-fast-decode decodes at full size, as the reference does.") var fastDecode = true
    @OptionGroup var filters: LabelFilterOptions
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard (0...1).contains(conf), (0...1).contains(nmsIou), (0...1).contains(mergeIou), (0...1).contains(kptConf) else {
            throw ValidationError("--conf, --nms-iou, --merge-iou and --kpt-conf must be in [0, 1].")
        }
        _ = try chosenSplits()
    }

    func chosenSplits() throws -> [Split] {
        try splits.split(separator: ",").map { name in
            guard let split = Split(rawValue: String(name)) else { throw ValidationError("--splits: unknown split '\(name)'.") }
            return split
        }
    }

    struct Output: Encodable {
        var splits: [String: AutolabelResult.SplitSummary]
        var data: String
    }

    func run() async throws {
        let device = try runtime.apply()
        let output = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: output.path) && !overwrite {
            throw ValidationError("\(out) already exists: choose another --out or pass --overwrite.")
        }
        var settings = AutolabelSettings()
        (settings.confidence, settings.nmsIoU, settings.mergeIoU, settings.keypointConfidence) = (conf, nmsIou, mergeIou, kptConf)
        (settings.splits, settings.imageSize, settings.batchSize) = (try chosenSplits(), imgsz, batch)
        settings.fastDecode = fastDecode
        try filters.apply(to: &settings)
        let dataset = try DataLoading.dataset(data)
        let model = try PoseModel.load(
            URL(fileURLWithPath: weights), keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
        let progress = ProgressLine("autolabel", plainEvery: 100)
        let result = try Autolabeler(settings: settings).run(data: dataset.configURL, model: model, output: output) { done, total in
            progress.update(done, of: total)
        }
        progress.finish()
        let splitSummaries = Dictionary(uniqueKeysWithValues: result.splits.map { ($0.key.rawValue, $0.value) })
        if runtime.json {
            try printJSON(Output(splits: splitSummaries, data: result.data.path))
        } else {
            for (split, summary) in splitSummaries.sorted(by: { $0.key > $1.key }) {
                print("\(split): \(summary.images) images, \(summary.existing) existing labels, \(summary.added) added")
            }
            print("data set: \(result.data.path)")
        }
    }
}
