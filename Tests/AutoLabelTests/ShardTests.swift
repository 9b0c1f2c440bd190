import AutoLabel
import Foundation
import Pose
import PoseData
import Testing

@Suite struct `Shards of a labelling pass` {
    @Test func `an image's shard is the FNV-1a hash of its split and path modulo the count`() throws {
        // hashes worked out by hand (Python): train/a.jpg 0x53366191e122cb10, val/helen/b.png 0x16815b09f7a4ae35
        #expect(Shard.index(of: ImageKey(.train, "a.jpg"), count: 10) == 0x5336_6191_e122_cb10 % 10)
        #expect(Shard.index(of: ImageKey(.train, "a.jpg"), count: 10) == 2)
        #expect(Shard.index(of: ImageKey(.val, "helen/b.png"), count: 10) == 9)
        #expect(Shard.index(of: ImageKey(.val, "helen/b.png"), count: 3) == 1)
        #expect(try Shard(9, of: 10).contains(ImageKey(.val, "helen/b.png")))
        // every image is in exactly one shard, and shards are about equal
        let keys = (0..<3000).map { ImageKey(.train, "\($0).jpg") }
        let sizes = try (0..<3).map { index in try keys.filter { try Shard(index, of: 3).contains($0) }.count }
        #expect(sizes.reduce(0, +) == 3000 && sizes.allSatisfy { (900...1100).contains($0) }, "\(sizes)")
    }

    @Test func `--shard is I/N or auto/N, and a job array's variables give the default`() throws {
        #expect(try Shard.parse("3/10", environment: [:]) == Shard(3, of: 10))
        #expect(try Shard.parse("auto/4", environment: ["JOB_COMPLETION_INDEX": "2"]) == Shard(2, of: 4))
        #expect(try Shard.parse("auto/4", environment: ["SLURM_ARRAY_TASK_ID": "3", "JOB_COMPLETION_INDEX": "1"]) == Shard(3, of: 4))
        for (text, reason) in [
            ("10/10", "shard 10 does not exist among 10 (0 to 9)"), ("1/0", "the shard count must lie in 1...100000, not 0"),
            ("-1/4", "shard -1 does not exist"), ("3", "--shard takes I/N"), ("a/b", "--shard takes I/N"),
            ("auto/4", "none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set"),
        ] {
            #expect(throws: ShardProblem.self) { try Shard.parse(text, environment: [:]) }
            do {
                _ = try Shard.parse(text, environment: [:])
            } catch {
                #expect(error.description.contains(reason), "\(text): \(error)")
            }
        }
        // Slurm's task ids need not start at 0: --array=5-7 is shards 0 to 2
        let slurm = try #require(
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "5"]))
        #expect(slurm.shard == (try Shard(1, of: 3)))
        let aws = try #require(try Shard.fromEnvironment(["AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "2"]))
        #expect(aws.shard == (try Shard(0, of: 2)))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1"]) == nil)
        #expect(throws: ShardProblem.self) { try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3"]) }
    }

    @Test func `folder names read back, and shard lists are written as Slurm arrays`() throws {
        #expect(try Shard(3, of: 10).folderName == "shard-3-of-10")
        #expect(Shard(folderName: "shard-3-of-10") == (try Shard(3, of: 10)))
        for name in ["shard-10-of-10", "shard-03-of-10", "shard-3-of-", "data", "shard-3-of-10-x"] {
            #expect(Shard(folderName: name) == nil, "\(name)")
        }
        #expect(Shard.arrayList([7, 2, 5, 6, 9, 10, 11]) == "2,5-7,9-11")
        #expect(Shard.arrayList([0]) == "0" && Shard.arrayList([]) == "")
    }
}

@Suite struct `A labelling pass shared by several processes` {
    @Test func `what each finds combines into what one process finds, bit for bit and in its order`() async throws {
        let (folder, data, _) = try await tinyDataSet(images: 12)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try Dataset.load(data)
        // the bundled model at a low threshold finds many faces, kept and dropped (repeats of one face)
        var settings = tinySettings(truth: nil).autolabel
        (settings.confidence, settings.batchSize) = (0.01, 2)
        let labeller = Autolabeler(settings: settings)
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors")
        let model = try PoseModel.load(weights, keypointDimensions: 3, device: .cpu)
        let whole = try labeller.label(dataset, model: model).findings
        #expect(whole.generated.count >= 10 && whole.dropped.count >= 10, "\(whole.generated.count) kept, \(whole.dropped.count) dropped")
        // three ranks, each every third batch of two: its numbers are one process's
        let ranks = try (0..<3).map { try labeller.label(dataset, model: model, share: .batches(index: $0, count: 3)).findings }
        #expect(ranks.allSatisfy { !$0.generated.isEmpty }, "every rank adds labels")
        // the last rank first: the order comes from the data set
        let combined = Autolabeler.Findings(combining: ranks.reversed(), of: dataset)
        #expect(combined.generated == whole.generated)
        #expect(combined.dropped == whole.dropped)
        #expect(combined.splits == whole.splits)
        let counts = ranks.map { $0.splits[.train]!.images + $0.splits[.val]!.images }
        #expect(counts.reduce(0, +) == 12 && counts.allSatisfy { $0 > 0 }, "\(counts)")
        // shards of a job array group images by hash, so batches differ: the same labels, scores
        // within float32's rounding
        let shards = try (0..<3).map { try labeller.label(dataset, model: model, share: .shard(Shard($0, of: 3))).findings }
        let sharded = Autolabeler.Findings(combining: shards, of: dataset)
        #expect(sharded.generated.map(\.instance) == whole.generated.map(\.instance))
        #expect(zip(sharded.generated, whole.generated).allSatisfy { abs($0.confidence - $1.confidence) < 1e-5 })
    }
}
