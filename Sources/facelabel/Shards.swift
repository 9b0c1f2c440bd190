import ArgumentParser
import AutoLabel
import Foundation

/// `facelabel shards`: the shards of an `autolabel --shard` pass.
struct Shards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the shards of an autolabel --shard pass that are left, or merge the finished ones.",
        subcommands: [Status.self, Merge.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List which shards are finished, started or missing, and the ones to run again as a Slurm --array= list.",
            discussion: """
                Exits 0 when every shard is finished, 1 when some are left. With --json, stdout carries \
                {"count", "finished", "started", "missing", "rerun"}.
                """)

        @Argument(help: "The pass's folder (autolabel --out).") var folder: String
        @Option(help: "The shard count, needed only before any shard has started.") var count: Int?
        @Flag(help: "Print the status as one JSON object on stdout.") var json = false

        func validate() throws {
            if let count { try OptionCheck.atLeast(count, 1, "--count", atMost: Shard.maximumCount) }
        }

        func run() async throws {
            let status = try ShardedAutolabel(folder: URL(fileURLWithPath: folder)).status(count: count)
            if json {
                try printJSON(status)
            } else {
                print("\(status.finished.count) of \(status.count) shards finished")
                if !status.started.isEmpty { print("started, not finished: \(Shard.arrayList(status.started))") }
                if !status.missing.isEmpty { print("not started: \(Shard.arrayList(status.missing))") }
                if !status.complete {
                    print("run again: sbatch --array=\(status.rerun) JOB (its autolabel with --shard auto/\(status.count))")
                }
            }
            if !status.complete { throw ExitCode(1) }
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assemble the finished shards into the data set the unsharded pass writes.",
            discussion: """
                Refuses while a shard is not finished, when the folder holds shards of different \
                passes, or when the data set's images changed after the shards ran. With --json, \
                stdout carries what autolabel --json prints.
                """)

        @Argument(help: "The pass's folder (autolabel --out).") var folder: String
        @Option(help: "Output folder for the data set (default: FOLDER/data).") var into: String?
        @Flag(help: "Replace the output folder if it exists.") var overwrite = false
        @Flag(help: "Print the result as one JSON object on stdout.") var json = false

        func run() async throws {
            let merged = try ShardedAutolabel(folder: URL(fileURLWithPath: folder)).merge(
                into: into.map { URL(fileURLWithPath: $0) }, overwrite: overwrite)
            try Autolabel.report(merged.splits, data: merged.data, json: json)
        }
    }
}
