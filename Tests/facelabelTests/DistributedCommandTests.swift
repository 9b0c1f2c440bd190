import Foundation
import PoseData
import Testing
import Torch
import TorchTestSupport

/// `train` on several ranks (Gloo on loopback), started as torchrun would start them.
@Suite(.serialized, .enabled(if: ProcessGroup.Backend.gloo.isAvailable, "built without the gloo headers"))
struct `several ranks under a launcher` {
    /// The variables torchrun gives each of `worldSize` ranks on one machine.
    static func rankEnvironment(_ rank: Int, of worldSize: Int, port: Int) -> [String: String] {
        [
            "RANK": "\(rank)", "WORLD_SIZE": "\(worldSize)", "LOCAL_RANK": "\(rank)", "LOCAL_WORLD_SIZE": "\(worldSize)",
            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)",
        ]
    }

    /// Runs `arguments` as every rank of a group of `worldSize` (rank r's extra arguments from
    /// `perRank`) and returns each rank's stdout, stderr and status.
    static func runRanks(
        _ worldSize: Int, _ arguments: [String], perRank: (Int) -> [String] = { _ in [] }
    ) throws -> [(output: String, errors: String, status: Int32)] {
        let port = freeLoopbackPort()
        let ranks = try (0..<worldSize).map { rank in
            try StartedFaceLabel(arguments + perRank(rank), environment: rankEnvironment(rank, of: worldSize, port: port))
        }
        return ranks.map { $0.wait() }
    }

    static func synth(_ scratch: Scratch, images: Int) throws -> String {
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "\(images)", "--imgsz", "64", "--seed", "3"])
        #expect(synth.status == 0, "\(synth.errors)")
        return scratch.path("data/data.yaml")
    }

    /// The model's trainable weights in a run's resume state (BatchNorm's running statistics left out).
    static func trainedWeights(_ run: String) throws -> [String: Tensor] {
        let state = try Safetensors.read(from: URL(fileURLWithPath: run + "/weights/last.state.safetensors"))
        return Dictionary(
            uniqueKeysWithValues: state.tensors.filter {
                $0.name.hasPrefix("train.") && !$0.name.contains("running_") && !$0.name.contains("num_batches")
            }.map { ($0.name, $0.tensor) })
    }

    @Test func `two ranks step exactly as one process that accumulates their two slices, and leave one run folder`() throws {
        let scratch = try Scratch()
        let data = try Self.synth(scratch, images: 15)  // 12 training images: 3 batches of 4
        // no warmup and SGD: the learning rate and momentum do not depend on the batches per epoch
        let common = [
            "train", "--data", data, "--imgsz", "64", "--nbs", "4", "--epochs", "1", "--warmup-epochs", "0", "--optimizer", "SGD",
            "--workers", "1", "--threads", "1", "--seed", "2",
        ]
        let ranks = try Self.runRanks(2, common + ["--batch", "4", "--out", scratch.path("two")])
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[0].errors.contains("on cpu (rank 0 of 2, batch 2 each)"))
        #expect(ranks[0].errors.contains("the 2 ranks finished with the same weights, bit for bit"))
        #expect(ranks[1].errors.isEmpty && ranks[1].output.isEmpty, "rank 1 reports nothing: \(ranks[1].errors)")

        // one process, batches of 2 accumulated in pairs: the same 3 steps on the same images
        let one = try runFaceLabel(common + ["--batch", "2", "--out", scratch.path("one")])
        #expect(one.status == 0, "\(one.errors)")
        let (distributed, single) = (try Self.trainedWeights(scratch.path("two")), try Self.trainedWeights(scratch.path("one")))
        #expect(distributed.count > 100 && distributed.keys.sorted() == single.keys.sorted())
        var worst = 0.0
        for (key, tensor) in distributed { worst = max(worst, (tensor - single[key]!).abs().max().item()) }
        #expect(worst <= 1e-6, "the largest difference is \(worst)")
        // and the weights moved: the comparison is not between two untouched models
        let initial = try runFaceLabel(common + ["--batch", "4", "--lr0", "0.000001", "--out", scratch.path("still")])
        #expect(initial.status == 0)
        let barelyTrained = try Self.trainedWeights(scratch.path("still"))
        let moved = distributed.map { key, tensor in (tensor - barelyTrained[key]!).abs().max().item() }.max() ?? 0
        #expect(moved > 1e-3)

        // rank 0 alone wrote the run folder: one set of checkpoints, one results.csv with one epoch
        let files = try FileManager.default.subpathsOfDirectory(atPath: scratch.path("two")).sorted()
        #expect(
            files == [
                "config.json", "results.csv", "weights", "weights/best.safetensors", "weights/last.safetensors",
                "weights/last.state.safetensors",
            ])
        let results = try String(contentsOfFile: scratch.path("two/results.csv"), encoding: .utf8)
        #expect(results.split(separator: "\n").count == 2)
        let val = try runFaceLabel([
            "val", "--data", data, "--weights", scratch.path("two/weights/best.safetensors"), "--imgsz", "64", "--json",
        ])
        #expect(val.status == 0, "\(val.errors)")
        #expect(try jsonObject(val.output)["pose"] != nil)
    }

    @Test func `a rank killed mid-epoch stops the other with a clear error, and the run resumes`() throws {
        let scratch = try Scratch()
        let data = try Self.synth(scratch, images: 40)
        let run = scratch.path("run")
        let arguments = [
            "train", "--data", data, "--imgsz", "64", "--batch", "4", "--epochs", "3", "--workers", "1", "--threads", "1",
            "--dist-timeout", "120", "--out", run,
        ]
        let port = freeLoopbackPort()
        let first = try StartedFaceLabel(arguments, environment: Self.rankEnvironment(0, of: 2, port: port))
        let second = try StartedFaceLabel(arguments, environment: Self.rankEnvironment(1, of: 2, port: port))
        // once the first epoch is saved, rank 1 dies during the second
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: run + "/weights/last.state.safetensors") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(second.process.processIdentifier, SIGKILL)
        let started = Date()
        let survivor = first.wait()
        _ = second.wait()
        #expect(survivor.status != 0)
        #expect(survivor.errors.contains("rank 0 of 2 stopped:"), "\(survivor.errors)")
        #expect(survivor.errors.contains("keeps its last finished epoch: --resume continues it"))
        #expect(Date().timeIntervalSince(started) < 100, "the survivor waited for the whole timeout")
        // nothing partial: the files of a finished epoch, whole
        let files = try FileManager.default.subpathsOfDirectory(atPath: run).sorted()
        #expect(
            files == [
                "config.json", "results.csv", "weights", "weights/best.safetensors", "weights/last.safetensors",
                "weights/last.state.safetensors",
            ])
        let epochsSaved = try String(contentsOfFile: run + "/results.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect((1...2).contains(epochsSaved))
        // one process continues it (a checkpoint does not depend on the world size that wrote it)
        let resumed = try runFaceLabel(["train", "--resume", "--out", run, "--workers", "1"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(resumed.errors.contains("resuming \(run) at epoch \(epochsSaved + 1)/3"))
        #expect(try String(contentsOfFile: run + "/results.csv", encoding: .utf8).split(separator: "\n").count == 4)
    }

    @Test func `autolabel on two ranks writes the data set one process writes`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel([
            "synth", "--out", scratch.path("data"), "--images", "31", "--imgsz", "128", "--unlabeled", "0.5", "--seed", "6",
        ])
        #expect(synth.status == 0)
        let common = [
            "autolabel", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "128", "--batch", "4",
            "--conf", "0.5", "--threads", "1",
        ]
        let alone = try runFaceLabel(common + ["--out", scratch.path("alone"), "--json"])
        #expect(alone.status == 0, "\(alone.errors)")
        let ranks = try Self.runRanks(2, common + ["--out", scratch.path("ranks"), "--json"])
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[1].output.isEmpty)
        let splits = try #require(try jsonObject(alone.output)["splits"] as? [String: [String: Int]])
        #expect(try jsonObject(ranks[0].output)["splits"] as? [String: [String: Int]] == splits)
        #expect(splits.values.reduce(0) { $0 + $1["added"]! } > 3, "too few labels added for the test to mean much")
        var expected = try `autolabel in shards`.tree(scratch.path("alone"))
        var found = try `autolabel in shards`.tree(scratch.path("ranks"))
        #expect(
            `autolabel in shards`.withoutPath(expected.removeValue(forKey: "data.yaml"))
                == `autolabel in shards`.withoutPath(found.removeValue(forKey: "data.yaml")))
        #expect(expected.count > 30 && expected == found, "files differ: \(expected.keys.filter { expected[$0] != found[$0] }.sorted())")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("ranks.ranks")), "the ranks' shards are removed once merged")
    }

    @Test func `predict on two ranks, and in three shards of a job array, writes and prints what one process does`() throws {
        let scratch = try Scratch()
        // 9 images in batches of 4: the last batch is one image, letterboxed as one process does
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "9", "--imgsz", "128", "--seed", "6"])
        #expect(synth.status == 0)
        let common = [
            "predict", "--source", scratch.path("data/images"), "--weights", Self.weights, "--imgsz", "128", "--batch", "4",
            "--conf", "0.25", "--save-txt", "--threads", "1",
        ]
        let alone = try runFaceLabel(common + ["--out", scratch.path("alone"), "--json"])
        #expect(alone.status == 0, "\(alone.errors)")
        let ranks = try Self.runRanks(2, common + ["--out", scratch.path("ranks"), "--json"])
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[0].output == alone.output && ranks[1].output.isEmpty)
        for index in 0..<3 {
            let task = try runFaceLabel(
                common + ["--out", scratch.path("shards")],
                environment: ["SLURM_ARRAY_TASK_ID": "\(index + 1)", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"])
            #expect(task.status == 0 && task.errors.contains("shard \(index)/3 (from SLURM_ARRAY_TASK_ID"), "\(task.errors)")
        }
        let expected = try `autolabel in shards`.tree(scratch.path("alone"))
        #expect(expected.count == 9 && expected.values.contains { !$0.isEmpty }, "\(expected.keys.sorted())")
        #expect(try `autolabel in shards`.tree(scratch.path("ranks")) == expected)
        #expect(try `autolabel in shards`.tree(scratch.path("shards")) == expected)
        let refused = try Self.runRanks(2, common + ["--out", scratch.path("no"), "--shard", "0/2"])
        #expect(refused.allSatisfy { $0.status != 0 && $0.errors.contains("--shard is for the tasks of a job array") })
    }

    @Test func `measure on two ranks, and in three shards of a job array, writes and prints what one process does`() throws {
        let scratch = try Scratch()
        // 10 images in groups of 8: rank 0 measures the first group, rank 1 the second
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "10", "--imgsz", "128", "--seed", "8"])
        #expect(synth.status == 0)
        let common = [
            "measure", "--weights", Self.weights, "--source", scratch.path("data/images"), "--imgsz", "128", "--save-img", "--threads", "1",
            "--json",
        ]
        let alone = try runFaceLabel(common + ["--out", scratch.path("alone")])
        #expect(alone.status == 0, "\(alone.errors)")
        let ranks = try Self.runRanks(2, common + ["--out", scratch.path("ranks")])
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[0].output == alone.output && ranks[1].output.isEmpty)
        let expected = try `autolabel in shards`.tree(scratch.path("alone"))
        #expect(expected.keys.filter { $0.hasPrefix("images/") }.count == 10 && expected["measurements.html"] != nil)
        #expect(try `autolabel in shards`.tree(scratch.path("ranks")) == expected)

        // shards in any order (shard 2 has no group of its own): the last one writes the tables
        let sharded = common + ["--out", scratch.path("shards")]
        let first = try runFaceLabel(sharded + ["--shard", "0/3"])
        #expect(first.status == 0 && first.output.contains(#""missing":[1,2]"#), "\(first.output) \(first.errors)")
        let slurm = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"]
        let empty = try runFaceLabel(sharded, environment: slurm)
        #expect(empty.status == 0 && empty.errors.contains("shard 2/3 (from SLURM_ARRAY_TASK_ID") && empty.output.contains(#""images":0"#))
        let last = try runFaceLabel(sharded + ["--shard=1/3"])
        #expect(last.status == 0 && last.output == alone.output, "\(last.errors)")
        let parts = try `autolabel in shards`.tree(scratch.path("shards"))
        #expect(parts.filter { !$0.key.hasPrefix("shards/") } == expected)
        #expect(parts.keys.filter { $0.hasPrefix("shards/") }.sorted() == (0..<3).map { "shards/measure-\($0)-of-3.json" })
        // a shard run again writes the same; a shard of another measurement is refused, naming the part
        #expect(try runFaceLabel(sharded + ["--shard", "0/3"]).output == alone.output)
        let other = try runFaceLabel(sharded + ["--shard", "2/3", "--conf", "0.5"])
        #expect(other.status != 0 && other.errors.contains("measure-0-of-3.json is a shard of another measurement"), "\(other.errors)")
        let compare = try runFaceLabel(["measure", "--weights", Self.weights, "--compare", "a.jpg", "b.jpg", "--shard", "0/2"])
        #expect(compare.status != 0 && compare.errors.contains("--compare measures two photos: run it as one process, not in shards"))
    }

    @Test func `val on two ranks prints the metrics one process prints`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "36", "--imgsz", "128", "--seed", "2"])
        #expect(synth.status == 0)
        // 7 val images in batches of 2: four batches, rank 0 takes the first and third
        let common = [
            "val", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "128", "--batch", "2", "--threads", "1",
            "--json",
        ]
        let alone = try runFaceLabel(common)
        #expect(alone.status == 0, "\(alone.errors)")
        let metrics = try jsonObject(alone.output)
        #expect((metrics["images"] as? Int ?? 0) >= 5 && ((metrics["box"] as? [String: Any])?["map50"] as? Double ?? 0) > 0.3, "\(metrics)")
        let ranks = try Self.runRanks(2, common)
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[0].output == alone.output && ranks[1].output.isEmpty)
    }

    @Test func `refine on two ranks labels and trains every iteration on both, and rank 0 alone writes the run`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel([
            "synth", "--out", scratch.path("data"), "--images", "20", "--imgsz", "64", "--unlabeled", "0.4", "--seed", "5",
        ])
        #expect(synth.status == 0)
        let run = scratch.path("run")
        let ranks = try Self.runRanks(
            2,
            [
                "refine", "--data", scratch.path("data/data.yaml"), "--out", run, "--iterations", "1", "--epochs", "1", "--imgsz", "64",
                "--batch", "4", "--workers", "1", "--threads", "1", "--conf", "0.01",
            ])
        for (rank, result) in ranks.enumerated() { #expect(result.status == 0, "rank \(rank): \(result.errors)") }
        #expect(ranks[1].output.isEmpty && ranks[1].errors.isEmpty, "rank 1 reports nothing: \(ranks[1].errors)")
        // each iteration's training ended with the ranks' weights compared (they agreed, or the ranks would have failed)
        #expect(ranks[0].errors.contains("every iteration labels and trains on 2 ranks (batch 2 each, gloo)"))
        #expect(ranks[0].errors.contains("iteration 1: pose mAP50-95"))
        #expect(ranks[0].output.contains("report: \(run)/report/report.html"))
        for iteration in 0...1 {
            #expect(FileManager.default.fileExists(atPath: "\(run)/iter\(iteration)/train/weights/best.safetensors"))
            let results = try String(contentsOfFile: "\(run)/iter\(iteration)/train/results.csv", encoding: .utf8)
            #expect(results.split(separator: "\n").count == 2, "one epoch, written once")
        }
        let report = try runFaceLabel(["report", run, "--json"])
        #expect(report.status == 0, "\(report.errors)")

        // the ranks labelled their batches of iteration 1's images (rank r every second batch of 4
        // from the r-th): together, what one process adds with iteration 0's weights
        let alone = try runFaceLabel([
            "autolabel", "--data", "\(run)/iter0/data/data.yaml", "--weights", "\(run)/iter0/train/weights/best.safetensors",
            "--imgsz", "64", "--batch", "4", "--conf", "0.01", "--threads", "1", "--out", scratch.path("alone"),
        ])
        #expect(alone.status == 0, "\(alone.errors)")
        let expected = try `autolabel in shards`.tree(scratch.path("alone")).filter { $0.key.hasPrefix("labels/") }
        let found = try `autolabel in shards`.tree("\(run)/iter1/data").filter { $0.key.hasPrefix("labels/") }
        #expect(expected.count == 20 && expected == found, "files differ: \(expected.keys.filter { expected[$0] != found[$0] }.sorted())")
        let original = try `autolabel in shards`.tree("\(run)/iter0/data")
        let dataset = try Dataset.load(URL(fileURLWithPath: "\(run)/iter0/data/data.yaml"))
        // the rank of each image whose label file gained labels
        let labelled = [Split.train, .val].flatMap { split in
            dataset.images(split).images.enumerated().filter { _, image in
                let file = "labels/\(split)/" + image.labelURL.lastPathComponent
                return expected[file] != nil && original[file] != expected[file]
            }.map { position, _ in position / 4 % 2 }
        }
        #expect(Set(labelled) == [0, 1], "each rank's batches hold images that gained labels")
    }

    @Test func `env shows the launch and checks the group's allreduce on every rank`() throws {
        let alone = try runFaceLabel(["env", "--check-group", "--json"])
        #expect(alone.status == 0, "\(alone.errors)")
        let report = try jsonObject(alone.output)
        #expect((report["launch"] as? [String: Any])?["launcher"] as? String == "none")
        #expect((report["process_groups"] as? [String])?.contains("gloo") == true)
        #expect((report["group_check"] as? [String: Any])?["ok"] as? Bool == true)

        let ranks = try Self.runRanks(2, ["env", "--check-group", "--json"])
        for (rank, result) in ranks.enumerated() {
            #expect(result.status == 0, "rank \(rank): \(result.errors)")
            let report = try jsonObject(result.output)
            let launch = try #require(report["launch"] as? [String: Any])
            #expect(launch["launcher"] as? String == "torchrun" && launch["rank"] as? Int == rank && launch["world_size"] as? Int == 2)
            #expect((launch["store"] as? String)?.hasSuffix(", hosted by rank 0") == true)
            let check = try #require(report["group_check"] as? [String: Any])
            #expect(check["ok"] as? Bool == true && check["world_size"] as? Int == 2 && check["backend"] as? String == "gloo")
        }
    }

    @Test func `a launch that cannot work is one clear error on every rank`() throws {
        let scratch = try Scratch()
        let data = try Self.synth(scratch, images: 12)
        let arguments = ["train", "--data", data, "--imgsz", "64", "--epochs", "1", "--workers", "1", "--dist-timeout", "60"]

        let noAddress = try runFaceLabel(
            arguments + ["--out", scratch.path("a")], environment: ["RANK": "0", "WORLD_SIZE": "2", "MASTER_PORT": "29500"])
        #expect(noAddress.status != 0)
        #expect(noAddress.errors.contains("WORLD_SIZE is 2 but MASTER_ADDR is not set"), "\(noAddress.errors)")

        let uneven = try runFaceLabel(
            arguments + ["--batch", "5", "--out", scratch.path("b")], environment: Self.rankEnvironment(0, of: 2, port: 1))
        #expect(uneven.status != 0)
        #expect(uneven.errors.contains("--batch 5 is the batch of all 2 ranks together and must split evenly"))

        let differing = try Self.runRanks(2, arguments + ["--batch", "4", "--out", scratch.path("c")]) { rank in
            ["--lr0", rank == 0 ? "0.01" : "0.02"]
        }
        for (rank, result) in differing.enumerated() {
            #expect(result.status != 0)
            #expect(result.errors.contains("rank 1's settings differ from rank 0's"), "rank \(rank): \(result.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("c")), "nothing written before the ranks agreed")

        let alone = try runFaceLabel(
            ["calibrate", "--weights", Self.weights, "--data", scratch.path("data/data.yaml")],
            environment: Self.rankEnvironment(0, of: 2, port: 1))
        #expect(alone.status != 0)
        #expect(alone.errors.contains("torchrun started this process as rank 0 of 2, but this command runs as one process"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: torchrun), "no torchrun (make bench-pose installs one)"))
    func `torchrun starts the ranks, hosting the store itself`() throws {
        let scratch = try Scratch()
        let data = try Self.synth(scratch, images: 12)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("facelabel")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.torchrun)
        process.arguments = [
            "--standalone", "--nproc-per-node", "2", "--no-python", binary.path, "train", "--data", data, "--imgsz", "64", "--batch",
            "4", "--epochs", "1", "--workers", "1", "--out", scratch.path("run"),
        ]
        let errors = Pipe()
        (process.standardError, process.standardOutput) = (errors, FileHandle.nullDevice)
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("the 2 ranks finished with the same weights, bit for bit"))
        #expect(FileManager.default.fileExists(atPath: scratch.path("run/weights/best.safetensors")))
    }

    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").path

    /// The bench's Python environment (Scripts/bench-pose.sh) has torch, hence torchrun.
    static let torchrun = FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/facelabel-bench/venv/bin/torchrun"
}
