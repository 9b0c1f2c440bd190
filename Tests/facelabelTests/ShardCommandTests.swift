import Foundation
import Imaging
import Testing

/// `autolabel --shard` and `facelabel shards`, through the binary.
@Suite(.serialized) struct `autolabel in shards` {
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").path

    /// Every file below `folder` by its relative path: a link's destination, a file's bytes.
    static func tree(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let manager = FileManager.default
        for case let relative as String in manager.enumerator(atPath: folder)! {
            let path = folder + "/" + relative
            if let destination = try? manager.destinationOfSymbolicLink(atPath: path) {
                files[relative] = Data(("link to " + destination).utf8)
            } else {
                var isFolder: ObjCBool = false
                if manager.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                    files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
                }
            }
        }
        return files
    }

    /// Stretches every image of a data set to `width` × `height` (its labels, normalised, stay
    /// true): images that are not square are letterboxed differently alone and in a batch.
    static func stretchImages(_ data: String, width: Int, height: Int) throws {
        for case let relative as String in FileManager.default.enumerator(atPath: data + "/images")!
        where relative.hasSuffix(".png") || relative.hasSuffix(".jpg") {
            let url = URL(fileURLWithPath: data + "/images/" + relative)
            try ImageCodec.write(
                try ImageCodec.decode(contentsOf: url, forLongSide: nil).image.resized(width: width, height: height), to: url)
        }
    }

    /// A data.yaml without its `path:` line, which names where the data set is.
    static func withoutPath(_ yaml: Data?) -> String {
        String(decoding: yaml ?? Data(), as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("path:") }.joined(separator: "\n")
    }

    @Test func `three shards (one interrupted, one from Slurm's variables) merge into the unsharded pass's data set`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel([
                "synth", "--out", scratch.path("data"), "--images", "31", "--imgsz", "128", "--unlabeled", "0.5", "--seed", "6",
            ]).status == 0)
        try Self.stretchImages(scratch.path("data"), width: 176, height: 128)
        let common = [
            "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "128", "--batch", "4", "--conf", "0.5",
        ]
        let whole = try runFaceLabel(["autolabel"] + common + ["--out", scratch.path("whole"), "--json"])
        #expect(whole.status == 0, "\(whole.errors)")
        let wholeSplits = try #require(try jsonObject(whole.output)["splits"] as? [String: [String: Int]])
        #expect(wholeSplits.values.reduce(0) { $0 + $1["added"]! } > 3, "too few labels added for the test to mean much")

        // an image's labels do not depend on the images beside it in its batch
        let alone = try runFaceLabel(["autolabel"] + common + ["--batch", "1", "--out", scratch.path("alone")])
        #expect(alone.status == 0, "\(alone.errors)")
        #expect(
            try Self.tree(scratch.path("alone")).filter { $0.key != "data.yaml" }
                == Self.tree(scratch.path("whole")).filter { $0.key != "data.yaml" })

        let pass = scratch.path("pass")
        let first = try runFaceLabel(["autolabel"] + common + ["--out", pass, "--shard", "0/3", "--json"])
        #expect(first.status == 0, "\(first.errors)")
        #expect(try jsonObject(first.output)["alreadyDone"] as? Bool == false)
        // an interrupted run of shard 1 left a folder without a manifest
        try FileManager.default.createDirectory(atPath: pass + "/shard-1-of-3/labels", withIntermediateDirectories: true)
        try Data("left over".utf8).write(to: URL(fileURLWithPath: pass + "/shard-1-of-3/labels/stale.txt"))
        let status = try runFaceLabel(["shards", "status", pass])
        #expect(status.status == 1)
        #expect(status.output.contains("1 of 3 shards finished") && status.output.contains("started, not finished: 1"), "\(status.output)")
        #expect(status.output.contains("not started: 2") && status.output.contains("sbatch --array=1-2 "), "\(status.output)")
        let early = try runFaceLabel(["shards", "merge", pass])
        #expect(early.status != 0 && early.errors.contains("2 of 3 shards are not finished (1-2)"), "\(early.errors)")

        #expect(try runFaceLabel(["autolabel"] + common + ["--out", pass, "--shard", "1/3"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: pass + "/shard-1-of-3/labels/stale.txt"))
        // task 7 of an array submitted as --array=5-7
        let slurm = try runFaceLabel(
            ["autolabel"] + common + ["--out", pass],
            environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "5"])
        #expect(slurm.status == 0 && slurm.errors.contains("shard 2/3 (from SLURM_ARRAY_TASK_ID=7"), "\(slurm.errors)")
        // a task run again finds its shard finished and does nothing
        let again = try runFaceLabel(["autolabel"] + common + ["--out", pass, "--shard", "0/3"])
        #expect(again.status == 0 && again.output.contains("finished already"), "\(again.output)")
        #expect(try runFaceLabel(["shards", "status", pass]).status == 0)

        let merged = try runFaceLabel(["shards", "merge", pass, "--into", scratch.path("merged"), "--json"])
        #expect(merged.status == 0, "\(merged.errors)")
        #expect(try jsonObject(merged.output)["splits"] as? [String: [String: Int]] == wholeSplits)
        var expected = try Self.tree(scratch.path("whole"))
        var found = try Self.tree(scratch.path("merged"))
        #expect(Self.withoutPath(expected.removeValue(forKey: "data.yaml")) == Self.withoutPath(found.removeValue(forKey: "data.yaml")))
        #expect(expected.count > 30 && expected.keys.sorted() == found.keys.sorted())
        #expect(expected == found, "files differ: \(expected.keys.filter { expected[$0] != found[$0] }.sorted())")
    }

    @Test func `bad shards, a shard of another pass and a changed data set are clear errors`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel([
                "synth", "--out", scratch.path("data"), "--images", "12", "--imgsz", "128", "--unlabeled", "0.5", "--seed", "3",
            ]).status == 0)
        let common = ["--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "128", "--out", scratch.path("pass")]
        let outside = try runFaceLabel(["autolabel"] + common + ["--shard", "2/2"])
        #expect(outside.status != 0 && outside.errors.contains("shard 2 does not exist among 2 (0 to 1)"), "\(outside.errors)")
        let malformed = try runFaceLabel(["autolabel"] + common + ["--shard", "1-of-2"])
        #expect(malformed.status != 0 && malformed.errors.contains("--shard takes I/N"), "\(malformed.errors)")
        let noIndex = try runFaceLabel(["autolabel"] + common + ["--shard", "auto/2"])
        #expect(noIndex.status != 0 && noIndex.errors.contains("none of SLURM_ARRAY_TASK_ID"), "\(noIndex.errors)")
        let kubernetes = try runFaceLabel(["autolabel"] + common + ["--shard", "auto/2"], environment: ["JOB_COMPLETION_INDEX": "1"])
        #expect(kubernetes.status == 0 && kubernetes.output.contains("shard 1/2"), "\(kubernetes.errors)")

        let otherSettings = try runFaceLabel(["autolabel"] + common + ["--shard", "0/2", "--conf", "0.4"])
        #expect(otherSettings.status != 0 && otherSettings.errors.contains("labelling settings differ"), "\(otherSettings.errors)")
        let otherCount = try runFaceLabel(["autolabel"] + common + ["--shard", "0/3"])
        #expect(otherCount.status != 0 && otherCount.errors.contains("it has 2 shards, this pass 3"), "\(otherCount.errors)")
        #expect(try runFaceLabel(["autolabel"] + common + ["--shard", "0/2"]).status == 0)

        // a manifest edited to name a shard that does not exist is refused, not trusted
        let manifest = scratch.path("pass/shard-1-of-2/manifest.json")
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "\"index\" : 1", with: "\"index\" : 9").write(toFile: manifest, atomically: true, encoding: .utf8)
        let edited = try runFaceLabel(["shards", "status", scratch.path("pass")])
        #expect(edited.status != 0 && edited.errors.contains("written by shard 9/2, not 1/2"), "\(edited.errors)")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)

        // an image added after the shards ran is not in any of them
        let image = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path("data/images/train")).sorted().first)
        try FileManager.default.copyItem(
            atPath: scratch.path("data/images/train/\(image)"), toPath: scratch.path("data/images/train/new-\(image)"))
        let changed = try runFaceLabel(["shards", "merge", scratch.path("pass")])
        #expect(changed.status != 0 && changed.errors.contains("the data set changed after the shards ran"), "\(changed.errors)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("pass/data")))
    }
}
