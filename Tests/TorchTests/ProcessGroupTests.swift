import Foundation
import Synchronization
import Testing
import Torch
import TorchTestSupport

/// Runs `body` once per rank of a Gloo group of `worldSize` on loopback, each rank on a thread of
/// its own (joining blocks until every rank has joined), and returns what each rank returned.
func withGroup<T: Sendable>(
    worldSize: Int, timeoutSeconds: Double = 30, _ body: @escaping @Sendable (ProcessGroup) throws -> T
) throws -> [T] {
    let port = freeLoopbackPort()
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let finished = DispatchGroup()
    for rank in 0..<worldSize {
        finished.enter()
        // a thread of its own each, not the shared pool, which may run the ranks one after the other
        Thread {
            let outcome = Result<T, any Error> {
                let group = try ProcessGroup(
                    .init(
                        storeHost: "127.0.0.1", storePort: port, hostsStore: rank == 0, keyPrefix: "test", rank: rank,
                        worldSize: worldSize, backend: .gloo, timeoutSeconds: timeoutSeconds, hostname: "127.0.0.1"))
                return try body(group)
            }
            results.withLock { $0[rank] = outcome }
            finished.leave()
        }.start()
    }
    finished.wait()
    return try (0..<worldSize).map { rank in try results.withLock { $0[rank]! }.get() }
}

@Suite(.enabled(if: ProcessGroup.Backend.gloo.isAvailable, "built without the gloo headers"))
struct `Process groups over c10d` {
    @Test(arguments: [1, 2]) func `allreduce sums, averages and takes the maximum, over buckets of mixed dtypes`(worldSize: Int) throws {
        let results = try withGroup(worldSize: worldSize) { group in
            let r = Float(group.rank)
            let a = Tensor([1 + r, 2 * r, -r, 4], shape: [2, 2])
            let b = Tensor([10 * r], shape: [1])
            let counts = Tensor([Int64(group.rank) + 1, 7], shape: [2])
            // a 12-byte bucket limit puts a and b in buckets of their own; counts, of another dtype, too
            try group.allReduce([a, b, counts], .sum, bucketBytes: 12)
            let average = Tensor([r, 2 * r + 1], shape: [2])
            try group.allReduce([average], .average)
            let maximum = Tensor([r, -r], shape: [2])
            try group.allReduce([maximum], .max)
            return [
                a.toArray(of: Float.self), b.toArray(of: Float.self), counts.toArray(of: Int64.self).map(Float.init),
                average.toArray(of: Float.self), maximum.toArray(of: Float.self),
            ]
        }
        // hand-worked: ranks 0 and 1 (or rank 0 alone)
        let expected: [[Float]] =
            worldSize == 1
            ? [[1, 0, 0, 4], [0], [1, 7], [0, 1], [0, 0]]
            : [[3, 2, -1, 8], [10], [3, 14], [0.5, 2], [1, 0]]
        for result in results { #expect(result == expected) }
    }

    @Test(arguments: [1, 2]) func `broadcast gives every rank the root's tensors, and the store carries blobs`(worldSize: Int) throws {
        let results = try withGroup(worldSize: worldSize) { group in
            let root = group.worldSize - 1
            let weights = Tensor([Float(group.rank), 1, 2], shape: [3]).requiringGrad()
            let strided = Tensor((0..<6).map { Float($0 + 10 * group.rank) }, shape: [2, 3]).transposed(0, 1)
            try group.broadcast([weights, strided], from: root)
            try group.set("from-\(group.rank)", Array("rank \(group.rank)".utf8))
            try group.barrier()
            let heard = try (0..<group.worldSize).map { String(decoding: try group.get("from-\($0)"), as: UTF8.self) }
            return (weights.toArray(of: Float.self), strided.contiguous().toArray(of: Float.self), heard)
        }
        let root = Float(worldSize - 1)
        for (weights, strided, heard) in results {
            #expect(weights == [root, 1, 2])
            #expect(strided == [0, 3, 1, 4, 2, 5].map { $0 + 10 * root })
            #expect(heard == (0..<worldSize).map { "rank \($0)" })
        }
    }

    @Test func `ranks agree on equal values, every time they compare, and all fail on differing ones`() throws {
        let results = try withGroup(worldSize: 2) { group in
            // the same question twice with other answers: each comparison has keys of its own
            try group.checkAgreement(on: [1, 2, 3], what: "weights")
            try group.checkAgreement(on: [4, 5], what: "weights")
            do {
                try group.checkAgreement(on: [UInt8(group.rank)], what: "weights")
                return "agreed"
            } catch {
                return "\(error)"
            }
        }
        for result in results { #expect(result.contains("rank 1's weights differ from rank 0's"), "\(result)") }
    }

    @Test func `a rank that never joins is an error within the timeout, naming the store`() throws {
        let port = freeLoopbackPort()
        let started = Date()
        let error = #expect(throws: TorchError.self) {
            try ProcessGroup(
                .init(
                    storeHost: "127.0.0.1", storePort: port, hostsStore: true, rank: 0, worldSize: 2, backend: .gloo,
                    timeoutSeconds: 2, hostname: "127.0.0.1"))
        }
        #expect(error?.operation.contains("127.0.0.1:\(port) as rank 0 of 2") == true)
        #expect(Date().timeIntervalSince(started) < 30)
    }
}

@Suite struct `The launch environment` {
    @Test func `no launcher variables is one process`() throws {
        #expect(try Launch.read([:]) == .single)
        #expect(!Launch.single.isDistributed)
    }

    @Test func `torchrun's variables, with its agent store and restart count`() throws {
        let launch = try Launch.read([
            "RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "node7",
            "MASTER_PORT": "29500", "TORCHELASTIC_RESTART_COUNT": "2", "TORCHELASTIC_USE_AGENT_STORE": "True",
            "GLOO_SOCKET_IFNAME": "eth1",
        ])
        #expect(launch.launcher == .torchrun)
        #expect((launch.rank, launch.worldSize, launch.localRank, launch.localWorldSize) == (3, 4, 1, 2))
        #expect(launch.storeAddress == "node7:29500")
        #expect(launch.defaultThreads(cores: 16) == 8)
        let options = launch.groupOptions(backend: .gloo, timeoutSeconds: 60)
        #expect(!options.hostsStore)  // the agent hosts it
        #expect(options.keyPrefix == "facelabel/attempt_2")
        #expect(options.interface == "eth1" && options.hostname == nil)
    }

    @Test func `without the agent store rank 0 hosts it, and loopback groups talk over loopback`() throws {
        let environment = ["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1234"]
        let options = try Launch.read(environment).groupOptions(backend: .gloo, timeoutSeconds: 60)
        #expect(options.hostsStore && options.hostname == "127.0.0.1")
        var second = environment
        second["RANK"] = "1"
        #expect(try !Launch.read(second).groupOptions(backend: .gloo, timeoutSeconds: 60).hostsStore)
    }

    @Test func `Slurm's variables, with the master address required`() throws {
        var environment = [
            "SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_STEP_NUM_TASKS": "8", "SLURM_LOCALID": "1",
            "SLURM_STEP_TASKS_PER_NODE": "4(x2)",
        ]
        let missing = #expect(throws: LaunchError.self) { try Launch.read(environment) }
        #expect(missing?.description.contains("SLURM_STEP_NUM_TASKS is 8 but MASTER_ADDR is not set") == true)
        environment["MASTER_ADDR"] = "head"
        #expect(throws: LaunchError.self) { try Launch.read(environment) }  // MASTER_PORT too
        environment["MASTER_PORT"] = "29400"
        let launch = try Launch.read(environment)
        #expect(launch.launcher == .slurm)
        #expect((launch.rank, launch.worldSize, launch.localRank, launch.localWorldSize) == (5, 8, 1, 4))
        // a job array's single task is one process, and so is a batch script's shell outside any srun step
        #expect(try !Launch.read(["SLURM_PROCID": "0", "SLURM_NTASKS": "1", "SLURM_STEP_NUM_TASKS": "1"]).isDistributed)
        #expect(try Launch.read(["SLURM_PROCID": "0", "SLURM_NTASKS": "4"]) == .single)
    }

    @Test func `bad values name the variable and the allowed range`() {
        let cases: [([String: String], String)] = [
            (["WORLD_SIZE": "2", "MASTER_ADDR": "h", "MASTER_PORT": "1"], "RANK is not set"),
            (["RANK": "2", "WORLD_SIZE": "2"], "RANK is '2': it must be a whole number from 0 to 1"),
            (["RANK": "0", "WORLD_SIZE": "zero"], "WORLD_SIZE is 'zero'"),
            (["RANK": "0", "WORLD_SIZE": "2"], "WORLD_SIZE is 2 but MASTER_ADDR is not set"),
            (["RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "h", "MASTER_PORT": "70000"], "MASTER_PORT is '70000'"),
        ]
        for (environment, message) in cases {
            let error = #expect(throws: LaunchError.self) { try Launch.read(environment) }
            #expect(error?.description.contains(message) == true, "\(environment): \(error?.description ?? "none")")
        }
    }
}
