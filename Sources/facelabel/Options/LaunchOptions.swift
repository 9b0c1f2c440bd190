import ArgumentParser
import AutoLabel
import Foundation
import Torch

/// How a command that runs on several ranks (torchrun, srun: docs/clusters.md) joins the others.
struct LaunchOptions: ParsableArguments {
    @Option(
        help: """
            Seconds a rank waits for the others (to join, or in a collective) before it stops with an \
            error, when a launcher started several; rank 0's validation must fit within it.
            """)
    var distTimeout: Double = 1800

    func validate() throws { try OptionCheck.range(distTimeout, 1...86_400, "--dist-timeout") }

    /// The group of `launch`'s ranks computing on `device` (Gloo on the CPU, NCCL on GPUs), or nil
    /// for one process; throws when the group cannot be formed within the timeout.
    func join(_ launch: Launch, device: Device) throws -> ProcessGroup? {
        guard launch.isDistributed else { return nil }
        let backend = ProcessGroup.Backend(for: device)
        guard backend.isAvailable else {
            throw ValidationError(
                "\(launch.launcher) started \(launch.worldSize) ranks, but this build of facelabel has no \(backend) process group "
                    + (backend == .gloo
                        ? "(build it where the gloo headers are: make build installs libgloo-dev)" : "(make build TORCH=cuda)"))
        }
        do {
            return try ProcessGroup(launch.groupOptions(backend: backend, timeoutSeconds: distTimeout))
        } catch {
            throw LaunchFailure(
                "rank \(launch.rank) of \(launch.worldSize) could not join the \(backend) group at \(launch.storeAddress): "
                    + "\(error.message) (is every rank started with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT?)")
        }
    }
}

extension Launch {
    /// Which share of a command's work this process does, as every `count`-th unit from `index`:
    /// its rank among the launch's ranks, else `--shard` (`shard`) or the job array's task, else all.
    func part(shard: String?) throws -> (index: Int, count: Int) {
        let environment = ProcessInfo.processInfo.environment
        if isDistributed {
            if shard != nil {
                throw ValidationError("--shard is for the tasks of a job array; under \(launcher) each rank takes its own share")
            }
            return (rank, worldSize)
        }
        do {
            if let shard {
                let chosen = try Shard.parse(shard, environment: environment)
                return (chosen.index, chosen.count)
            }
            guard let (chosen, source) = try Shard.fromEnvironment(environment) else { return (0, 1) }
            note("shard \(chosen) (from \(source))")
            return (chosen.index, chosen.count)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// A training batch (`--batch`) is the batch of all ranks together: refused unless it splits
    /// evenly over them.
    func checkSplits(batch: Int) throws {
        guard batch % worldSize != 0 else { return }
        throw ValidationError(
            "--batch \(batch) is the batch of all \(worldSize) ranks together and must split evenly over them: "
                + "give a multiple of \(worldSize).")
    }
}

extension ProcessGroup {
    /// Throws on every rank unless every rank passes the same `value` (its settings), saying so.
    func agree(on value: some Encodable, what: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            try checkAgreement(on: Array(try encoder.encode(value)), what: what)
        } catch let error as TorchError {
            throw LaunchFailure("\(error.message): start every rank with the same command line and files")
        }
    }
}

extension ProcessGroup {
    /// On rank 0, every rank's `items`, one per batch of its share (batch b of one process is rank
    /// b mod W's (b / W)-th), in the order of one process's batches; nil on the other ranks, once
    /// theirs are sent through the store (keys named by `key`). A failed collective stops the rank of
    /// `launch` with ``LaunchFailure``, saying what of the work is `kept`.
    func gatherBatches<Item: Codable>(_ items: [Item], key: String, launch: Launch, kept: String) throws -> [Item]? {
        do {
            guard let parts = try gather(Array(try JSONEncoder().encode(items)), what: key) else { return nil }
            let byRank = try parts.map { try JSONDecoder().decode([Item].self, from: Data($0)) }
            return (0..<byRank.map(\.count).reduce(0, +)).map { byRank[$0 % worldSize][$0 / worldSize] }
        } catch let error as TorchError {
            throw LaunchFailure.stopped(launch, by: error, kept: kept)
        }
    }
}

/// The ranks could not start or go on together.
struct LaunchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// Rank `launch.rank` stopped because a collective failed (`error`); `kept` says what of the
    /// work stays, for the next launch.
    static func stopped(_ launch: Launch, by error: TorchError, kept: String) -> LaunchFailure {
        // Gloo's messages start with its source file and line: "[.../pair.cc:553] Connection closed by peer"
        let reason = error.message.replacing(#/^\[[^\]]*\] /#, with: "")
        return LaunchFailure(
            "rank \(launch.rank) of \(launch.worldSize) stopped: \(error.operation) failed: \(reason) (a rank failed or left, "
                + "or the ranks did not keep in step within --dist-timeout); \(kept)")
    }
}
