import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData
import Torch

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

            With --shard I/N the pass labels only shard I of N (an image's shard is a hash of its \
            path) into OUT/shard-I-of-N, for the tasks of a job array; --shard auto/N takes I from \
            SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX. In a Slurm or \
            AWS Batch array the shard defaults from its variables. A finished shard is not labelled \
            again. `facelabel shards status OUT` lists the shards left; `facelabel shards merge OUT` \
            assembles the data set the unsharded pass writes.
            """)

    @Option(help: "The data set's data.yaml.") var data: String
    @Option(help: "Output folder for the new data set.") var out: String
    @Flag(help: "Replace the output folder if it exists.") var overwrite = false
    @Option(help: "Label one shard: I/N (from 0), or auto/N with I from the job array's environment.") var shard: String?
    @OptionGroup var model: ModelOptions<AutolabelDefaults>
    @OptionGroup var detection: DetectionOptions<AutolabelDefaults>
    @OptionGroup var decoding: DecodingOption<AutolabelDefaults>
    @OptionGroup var labelling: LabellingOptions
    @OptionGroup var runtime: RuntimeOptions

    struct Output: Encodable {
        var splits: [String: AutolabelResult.SplitSummary]
        var data: String
    }

    struct ShardOutput: Encodable {
        var shard: String
        var alreadyDone: Bool
        var splits: [String: AutolabelResult.SplitSummary]
        var folder: String
    }

    /// The shard to label: `--shard`, else the job array's, else none.
    func chosenShard() throws -> Shard? {
        let environment = ProcessInfo.processInfo.environment
        do {
            if let shard { return try Shard.parse(shard, environment: environment) }
            guard let (shard, source) = try Shard.fromEnvironment(environment) else { return nil }
            note("shard \(shard) (from \(source))")
            return shard
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let device = try runtime.apply()
        let output = URL(fileURLWithPath: out)
        if let shard = try chosenShard() {
            try await label(shard, into: output, device: device)
            return
        }
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
        try Self.report(result.splits, data: result.data, json: runtime.json)
    }

    /// What a pass wrote: each split's images, existing labels and additions, and the data set.
    static func report(_ splits: [Split: AutolabelResult.SplitSummary], data: URL, json: Bool) throws {
        let splitSummaries = Dictionary(uniqueKeysWithValues: splits.map { ($0.key.rawValue, $0.value) })
        if json { return try printJSON(Output(splits: splitSummaries, data: data.path)) }
        printSummaries(splitSummaries)
        print("data set: \(data.path)")
    }

    /// One line per split, train first.
    static func printSummaries(_ splits: [String: AutolabelResult.SplitSummary]) {
        for (split, summary) in splits.sorted(by: { $0.key > $1.key }) {
            print("\(split): \(summary.images) images, \(summary.existing) existing labels, \(summary.added) added")
        }
    }

    /// Labels one shard of the pass into `output`'s shard folder.
    func label(_ shard: Shard, into output: URL, device: Device) async throws {
        let settings = try labelling.settings(
            detection, imageSize: model.imgsz, batchSize: model.batch, fastDecode: decoding.fastDecode)
        let dataset = try DataLoading.dataset(data)
        let weights = URL(fileURLWithPath: model.weights)
        let pass = try ShardedAutolabel.Pass(data: dataset.configURL, weights: weights, settings: settings, count: shard.count)
        let sharded = ShardedAutolabel(folder: output)
        let progress = ProgressLine("autolabel \(shard)", plainEvery: 100)
        let outcome = try sharded.run(
            shard, of: pass,
            loadModel: { try PoseModel.load(weights, keypointDimensions: dataset.config.keypointShape.dimensions, device: device) }
        ) { done, total in progress.update(done, of: total) }
        progress.finish()
        let (manifest, alreadyDone) =
            switch outcome {
            case .labelled(let manifest): (manifest, false)
            case .alreadyDone(let manifest): (manifest, true)
            }
        let folder = sharded.folder(of: shard).path
        if runtime.json {
            try printJSON(ShardOutput(shard: shard.description, alreadyDone: alreadyDone, splits: manifest.splits, folder: folder))
            return
        }
        if alreadyDone { print("shard \(shard) was finished already (\(folder)/manifest.json); nothing to do") }
        Self.printSummaries(manifest.splits)
        print("shard \(shard): \(folder); when every shard is finished: facelabel shards merge \(out)")
    }
}
