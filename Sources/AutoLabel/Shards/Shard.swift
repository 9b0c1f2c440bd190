import Foundation
import PoseData

/// One of `count` parts of a data set's images, for labelling a large collection as a scheduler's
/// job array (one task per shard, each retried alone). An image belongs to the shard its
/// ``ImageKey``'s stable hash names, so the assignment depends on the image alone: not on the
/// order of listing, the machine or the run.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// From 0 to `count - 1`.
    public let index: Int
    public let count: Int

    /// The most shards a run may have.
    public static let maximumCount = 100_000

    public init(_ index: Int, of count: Int) throws(ShardProblem) {
        guard (1...Self.maximumCount).contains(count) else {
            throw ShardProblem("the shard count must lie in 1...\(Self.maximumCount), not \(count)")
        }
        guard (0..<count).contains(index) else { throw ShardProblem("shard \(index) does not exist among \(count) (0 to \(count - 1))") }
        (self.index, self.count) = (index, count)
    }

    public var description: String { "\(index)/\(count)" }

    /// The folder a shard writes into, below the run's output folder: `shard-3-of-10`.
    public var folderName: String { Self.folderName(index, of: count) }

    static func folderName(_ index: Int, of count: Int) -> String { "shard-\(index)-of-\(count)" }

    /// Reads a folder name written by ``folderName``; nil for any other name.
    public init?(folderName: String) {
        let parts = folderName.split(separator: "-")
        guard parts.count == 4, parts[0] == "shard", parts[2] == "of", let index = Int(parts[1]), let count = Int(parts[3]),
            String(index) == parts[1], String(count) == parts[3], let shard = try? Shard(index, of: count)
        else { return nil }
        self = shard
    }

    /// Whether the image of `key` is this shard's.
    public func contains(_ key: ImageKey) -> Bool { Self.index(of: key, count: count) == index }

    /// The shard of `key` among `count`: the 64-bit FNV-1a hash of its `split/path` text, modulo
    /// the count.
    public static func index(of key: ImageKey, count: Int) -> Int {
        Int(FNV1a.hash(Data(key.description.utf8)) % UInt64(count))
    }

    /// Reads `--shard`: `I/N` (shard I of N), or `auto/N` (N shards, this task's index from the
    /// scheduler's environment: ``arrayIndexVariables``).
    public static func parse(_ text: String, environment: [String: String]) throws(ShardProblem) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[1]) else {
            throw ShardProblem("--shard takes I/N (shard I of N, from 0) or auto/N, not '\(text)'")
        }
        if parts[0] == "auto" {
            guard let (name, value) = arrayIndexVariables.lazy.compactMap({ name in environment[name].map { (name, $0) } }).first else {
                throw ShardProblem(
                    "--shard \(text): none of \(arrayIndexVariables.joined(separator: ", ")) is set; give the index: --shard I/\(count)")
            }
            guard let index = Int(value) else { throw ShardProblem("\(name)=\(value) is not a shard index") }
            return try Shard(index, of: count)
        }
        guard let index = Int(parts[0]) else { throw ShardProblem("--shard takes I/N (shard I of N, from 0) or auto/N, not '\(text)'") }
        return try Shard(index, of: count)
    }

    /// The variables in which schedulers hand each task of an array its index: Slurm's job arrays,
    /// Kubernetes' Indexed Jobs and AWS Batch's array jobs.
    public static let arrayIndexVariables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"]

    /// The shard a job array's task is when `--shard` is not given: Slurm's task index (less the
    /// array's first, so `--array=1-10` is shards 0 to 9) among `SLURM_ARRAY_TASK_COUNT`, or AWS
    /// Batch's index among `AWS_BATCH_JOB_ARRAY_SIZE`; nil outside a job array. Kubernetes gives no
    /// count: use `--shard auto/N` there, and to resubmit a few shards of a Slurm array.
    public static func fromEnvironment(_ environment: [String: String]) throws(ShardProblem) -> (shard: Shard, source: String)? {
        func number(_ name: String) throws(ShardProblem) -> Int? {
            guard let value = environment[name] else { return nil }
            guard let number = Int(value) else { throw ShardProblem("\(name)=\(value) is not a whole number") }
            return number
        }
        if let task = try number("SLURM_ARRAY_TASK_ID"), let count = try number("SLURM_ARRAY_TASK_COUNT") {
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            return (try Shard(task - first, of: count), "SLURM_ARRAY_TASK_ID=\(task) of SLURM_ARRAY_TASK_COUNT=\(count)")
        }
        if let task = try number("AWS_BATCH_JOB_ARRAY_INDEX"), let count = try number("AWS_BATCH_JOB_ARRAY_SIZE") {
            return (try Shard(task, of: count), "AWS_BATCH_JOB_ARRAY_INDEX=\(task) of AWS_BATCH_JOB_ARRAY_SIZE=\(count)")
        }
        return nil
    }

    /// `indices` as a Slurm `--array=` list, runs written as ranges: `2,5-7`.
    public static func arrayList(_ indices: [Int]) -> String {
        var parts: [String] = []
        var position = 0
        let sorted = indices.sorted()
        while position < sorted.count {
            var end = position
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == position ? "\(sorted[position])" : "\(sorted[position])-\(sorted[end])")
            position = end + 1
        }
        return parts.joined(separator: ",")
    }
}

/// A shard that cannot be run, read or merged, with the reason.
public struct ShardProblem: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
