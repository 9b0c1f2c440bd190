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
    @Option(help: "Output folder for the new data set.") var out: String
    @Flag(help: "Replace the output folder if it exists.") var overwrite = false
    @OptionGroup var model: ModelOptions<AutolabelDefaults>
    @OptionGroup var detection: DetectionOptions<AutolabelDefaults>
    @OptionGroup var decoding: DecodingOption<AutolabelDefaults>
    @OptionGroup var labelling: LabellingOptions
    @OptionGroup var runtime: RuntimeOptions

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
        let settings = try labelling.settings(
            detection, imageSize: model.imgsz, batchSize: model.batch, fastDecode: decoding.fastDecode)
        let dataset = try DataLoading.dataset(data)
        let network = try PoseModel.load(
            URL(fileURLWithPath: model.weights), keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
        let progress = ProgressLine("autolabel", plainEvery: 100)
        let result = try Autolabeler(settings: settings).run(data: dataset.configURL, model: network, output: output) { done, total in
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
