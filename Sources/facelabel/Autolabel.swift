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

            Started by torchrun or srun as several ranks, each rank labels one shard into OUT.ranks \
            and rank 0 then merges them into OUT: the data set one process writes (docs/clusters.md).
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
    @OptionGroup var launchOptions: LaunchOptions

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
        let launch = try RuntimeOptions.launch()
        if launch.isDistributed { return try await labelTogether(launch) }
        let device = try runtime.apply()
        let output = URL(fileURLWithPath: out)
        if let shard = try chosenShard() {
            try await label(shard, into: output, device: device)
            return
        }
        try checkOutputIsFree()
        let settings = try labelSettings()
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

    func checkOutputIsFree() throws {
        if FileManager.default.fileExists(atPath: out) && !overwrite {
            throw ValidationError("\(out) already exists: choose another --out or pass --overwrite.")
        }
    }

    func labelSettings() throws -> AutolabelSettings {
        try labelling.settings(detection, imageSize: model.imgsz, batchSize: model.batch, fastDecode: decoding.fastDecode)
    }

    /// The pass these options describe on `dataset`, in `count` shards.
    func pass(of dataset: Dataset, count: Int) throws -> ShardedAutolabel.Pass {
        try ShardedAutolabel.Pass(
            data: dataset.configURL, weights: URL(fileURLWithPath: model.weights), settings: labelSettings(), count: count)
    }

    /// Labels `shard` of `pass` (on `dataset`) into `sharded`'s folder.
    func label(
        _ shard: Shard, of pass: ShardedAutolabel.Pass, on dataset: Dataset, into sharded: ShardedAutolabel, device: Device,
        showsProgress: Bool = true
    ) throws -> ShardedAutolabel.Outcome {
        let weights = URL(fileURLWithPath: model.weights)
        let progress = showsProgress ? ProgressLine("autolabel \(shard)", plainEvery: 100) : nil
        let outcome = try sharded.run(
            shard, of: pass,
            loadModel: { try PoseModel.load(weights, keypointDimensions: dataset.config.keypointShape.dimensions, device: device) }
        ) { done, total in progress?.update(done, of: total) }
        progress?.finish()
        return outcome
    }

    /// Labels one shard of the pass into `output`'s shard folder.
    func label(_ shard: Shard, into output: URL, device: Device) async throws {
        let sharded = ShardedAutolabel(folder: output)
        let dataset = try DataLoading.dataset(data)
        let outcome = try label(shard, of: pass(of: dataset, count: shard.count), on: dataset, into: sharded, device: device)
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

    /// Labels as one of several ranks: rank r labels shard r of W into OUT.ranks (a rank whose
    /// shard an interrupted launch finished does not label it again), and once every rank is done,
    /// rank 0 merges the shards into OUT, the data set one process writes, and removes OUT.ranks.
    func labelTogether(_ launch: Launch) async throws {
        if shard != nil {
            throw ValidationError("--shard is for the tasks of a job array; under \(launch.launcher) each rank labels its own shard")
        }
        try checkOutputIsFree()
        let device = try runtime.apply(launch)
        guard let group = try launchOptions.join(launch, device: device) else { return }
        let parts = ShardedAutolabel(folder: URL(fileURLWithPath: out + ".ranks"))
        let leads = launch.rank == 0
        let dataset = try DataLoading.dataset(data)
        let pass = try pass(of: dataset, count: launch.worldSize)
        try group.agree(on: pass, what: "labelling settings")
        do {
            let shard = try Shard(launch.rank, of: launch.worldSize)
            _ = try label(shard, of: pass, on: dataset, into: parts, device: device, showsProgress: leads)
            try group.barrier()
        } catch let error as TorchError {
            throw LaunchFailure.stopped(
                launch, by: error, kept: "finished shards are kept in \(parts.folder.path): the same launch again labels only the others")
        }
        guard leads else { return }
        let merged = try parts.merge(into: URL(fileURLWithPath: out), overwrite: overwrite)
        try FileManager.default.removeItem(at: parts.folder)
        try Self.report(merged.splits, data: merged.data, json: runtime.json)
    }
}
