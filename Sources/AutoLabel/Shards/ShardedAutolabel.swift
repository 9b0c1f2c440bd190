import Foundation
import Pose
import PoseData

/// One `autolabel` pass split into shards, for collections too large for one job: each task of a
/// scheduler's job array labels one ``Shard`` into `shard-I-of-N/` below the pass's folder (a data
/// set of its images, with the labels the whole pass gives them) and writes its `manifest.json`
/// last. A shard whose manifest is there is done, so rerunning a task is idempotent; a folder
/// without one was interrupted and is labelled again. ``merge(into:overwrite:)`` assembles the data
/// set the unsharded pass writes, label files byte for byte.
public struct ShardedAutolabel {
    /// The pass's folder (`autolabel --out`), which holds the shards.
    public let folder: URL

    public init(folder: URL) { self.folder = folder.standardizedFileURL }

    /// What makes shards parts of one pass: the same data set, weights, settings and shard count.
    public struct Pass: Codable, Equatable, Sendable {
        /// The data set's `data.yaml`, absolute.
        public var data: String
        /// The weights file, and a hash and length of its bytes.
        public var weights: String
        public var weightsHash: String
        public var weightsBytes: Int
        public var settings: AutolabelSettings
        public var count: Int

        public init(data: URL, weights: URL, settings: AutolabelSettings, count: Int) throws {
            let bytes = try Data(contentsOf: weights)
            self.data = data.standardizedFileURL.path
            self.weights = weights.standardizedFileURL.path
            (weightsHash, weightsBytes) = (String(FNV1a.hash(bytes), radix: 16), bytes.count)
            (self.settings, self.count) = (settings, count)
        }

        /// How `other` differs from this pass, in words; nil when it is the same pass.
        func difference(from other: Pass) -> String? {
            if count != other.count { return "it has \(other.count) shards, this pass \(count)" }
            if data != other.data { return "its data set is \(other.data), this pass's \(data)" }
            if weightsHash != other.weightsHash || weightsBytes != other.weightsBytes {
                return "its weights (\(other.weights)) differ from this pass's (\(weights))"
            }
            if settings != other.settings { return "its labelling settings differ from this pass's" }
            return nil
        }
    }

    /// What a finished shard wrote: its pass, its images and its counts.
    public struct Manifest: Codable, Equatable, Sendable {
        public var pass: Pass
        public var index: Int
        /// The shard's images of each split, by their path below `images/<split>/`.
        public var images: [String: [String]]
        public var splits: [String: AutolabelResult.SplitSummary]
        public var finished: Date

        /// nil for a manifest whose index and count describe no shard (``manifests()`` refuses those).
        public var shard: Shard? { try? Shard(index, of: pass.count) }

        /// Its shard folder's name, as the manifest says.
        var folderName: String { Shard.folderName(index, of: pass.count) }
    }

    public enum Outcome {
        /// The shard was labelled now.
        case labelled(Manifest)
        /// Its manifest was there already (an earlier run of the task finished it).
        case alreadyDone(Manifest)
    }

    /// The folder of `shard`.
    public func folder(of shard: Shard) -> URL { folder.appendingPathComponent(shard.folderName, isDirectory: true) }

    static let manifestName = "manifest.json"

    /// Labels `shard` of `pass` with the model `loadModel` gives (called only when the shard is
    /// still to be labelled), unless an earlier run finished it. Refuses a folder that holds shards
    /// of another pass.
    public func run(
        _ shard: Shard, of pass: Pass, loadModel: () throws -> PoseModel, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Outcome {
        for manifest in try manifests() {
            if let difference = pass.difference(from: manifest.pass) {
                throw ShardProblem(
                    "\(folder.appendingPathComponent(manifest.folderName).path) is a shard of another pass (\(difference)): "
                        + "give this pass another --out")
            }
            if manifest.index == shard.index { return .alreadyDone(manifest) }
        }
        let dataset = try Dataset.load(URL(fileURLWithPath: pass.data))
        let labels = try Autolabeler(settings: pass.settings).label(dataset, model: loadModel(), share: .shard(shard), progress: progress)
        let output = folder(of: shard)
        // a folder without a manifest is an interrupted run's: replaced
        _ = try Autolabeler.write(labels, of: dataset, to: output)
        let manifest = Manifest(
            pass: pass, index: shard.index,
            images: Dictionary(uniqueKeysWithValues: labels.existing.map { ($0.key.rawValue, $0.value.map(\.image.relativePath)) }),
            splits: Dictionary(uniqueKeysWithValues: labels.splits.map { ($0.key.rawValue, $0.value) }), finished: Date())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(manifest).write(to: output.appendingPathComponent(Self.manifestName), options: .atomic)
        return .labelled(manifest)
    }

    /// The manifests of the finished shards, by index.
    public func manifests() throws -> [Manifest] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try shardFolders().compactMap { shard, url in
            let file = url.appendingPathComponent(Self.manifestName)
            guard FileManager.default.fileExists(atPath: file.path) else { return nil }
            let manifest: Manifest
            do {
                manifest = try decoder.decode(Manifest.self, from: Data(contentsOf: file))
            } catch {
                throw ShardProblem("\(file.path): not a shard manifest (\(error))")
            }
            guard manifest.shard == shard else {
                throw ShardProblem("\(file.path): written by shard \(manifest.index)/\(manifest.pass.count), not \(shard)")
            }
            return manifest
        }.sorted { $0.index < $1.index }
    }

    /// The shard folders there are, finished or not.
    func shardFolders() throws -> [(Shard, URL)] {
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).compactMap { url in
            Shard(folderName: url.lastPathComponent).map { ($0, url) }
        }
    }

    /// Which shards are finished, started (a folder without a manifest) or missing.
    public struct Status: Sendable, Encodable {
        public var count: Int
        public var finished: [Int]
        public var started: [Int]
        public var missing: [Int]
        /// The shards to run again (started or missing), as a Slurm `--array=` list.
        public var rerun: String
        public var complete: Bool { finished.count == count }
    }

    /// The shards' status; `count` is needed only when no shard has started yet.
    public func status(count: Int? = nil) throws -> Status { try status(of: manifests(), count: count) }

    /// The status given the finished shards' manifests.
    private func status(of finished: [Manifest], count: Int? = nil) throws -> Status {
        let folders = try shardFolders().map(\.0)
        let counts = Set(finished.map(\.pass.count) + folders.map(\.count) + (count.map { [$0] } ?? []))
        guard let total = counts.first else {
            throw ShardProblem("\(folder.path) holds no shard yet: give the shard count (--count N)")
        }
        guard counts.count == 1 else {
            throw ShardProblem(
                "\(folder.path) holds shards of \(counts.sorted().map(String.init).joined(separator: " and ")) shards: one pass per folder")
        }
        let done = Set(finished.map(\.index))
        let started = Set(folders.map(\.index)).subtracting(done)
        let rest = (0..<total).filter { !done.contains($0) }
        return Status(
            count: total, finished: done.sorted(), started: started.sorted(), missing: rest.filter { !started.contains($0) },
            rerun: Shard.arrayList(rest))
    }

    /// Assembles the finished shards into the data set the unsharded pass writes (label files byte
    /// for byte; only `data.yaml`'s `path` names the new place), in `output` (default: `data`
    /// below the pass's folder). Refuses when a shard is missing, when the shards are of different
    /// passes, or when the data set's images are no longer those the shards labelled.
    public func merge(into output: URL? = nil, overwrite: Bool = false) throws -> (splits: [Split: AutolabelResult.SplitSummary], data: URL)
    {
        let manifests = try manifests()
        guard let first = manifests.first else { throw ShardProblem("\(folder.path) holds no finished shard") }
        for manifest in manifests {
            if let difference = first.pass.difference(from: manifest.pass) {
                throw ShardProblem("\(folder.appendingPathComponent(manifest.folderName).path) is a shard of another pass (\(difference))")
            }
        }
        let status = try status(of: manifests)
        guard status.complete else {
            throw ShardProblem(
                "\(status.count - status.finished.count) of \(status.count) shards are not finished (\(status.rerun)): "
                    + "run them (sbatch --array=\(status.rerun) with --shard auto/\(status.count)), then merge")
        }
        let dataset = try Dataset.load(URL(fileURLWithPath: first.pass.data))
        var entries: [Split: [DatasetWriter.Entry]] = [:]
        var summaries: [Split: AutolabelResult.SplitSummary] = [:]
        for split in dataset.config.splits {
            let (images, problems) = dataset.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            let listed = manifests.reduce(0) { $0 + ($1.images[split.rawValue]?.count ?? 0) }
            let labelled = manifests.map { Set($0.images[split.rawValue] ?? []) }
            entries[split] = try images.map { image in
                let shard = Shard.index(of: ImageKey(split, image.relativePath), count: first.pass.count)
                guard labelled[shard].contains(image.relativePath) else {
                    throw ShardProblem(
                        "\(split.rawValue)/\(image.relativePath) is in the data set but not in shard \(shard)/\(first.pass.count): "
                            + "the data set changed after the shards ran")
                }
                let labels = folder(of: try Shard(shard, of: first.pass.count))
                    .appendingPathComponent("labels/\(split.rawValue)/\((image.relativePath as NSString).deletingPathExtension).txt")
                let text = FileManager.default.fileExists(atPath: labels.path) ? try String(contentsOf: labels, encoding: .utf8) : ""
                return DatasetWriter.Entry(image: image.url, relativePath: image.relativePath, keptText: text, instances: [])
            }
            guard listed == images.count else {
                throw ShardProblem(
                    "the shards labelled \(listed) \(split.rawValue) images, the data set has \(images.count): "
                        + "the data set changed after the shards ran")
            }
            summaries[split] = manifests.reduce(into: AutolabelResult.SplitSummary(images: 0, existing: 0, added: 0)) { sum, manifest in
                guard let part = manifest.splits[split.rawValue] else { return }
                (sum.images, sum.existing, sum.added) = (sum.images + part.images, sum.existing + part.existing, sum.added + part.added)
            }
        }
        var config = dataset.config
        config.path = nil
        let target = output ?? folder.appendingPathComponent("data", isDirectory: true)
        return (summaries, try DatasetWriter(overwrite: overwrite).write(config: config, splits: entries, to: target))
    }
}
