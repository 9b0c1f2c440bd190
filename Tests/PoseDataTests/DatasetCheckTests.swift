import Foundation
import Testing

@testable import Imaging
@testable import Interchange
@testable import Loader
@testable import PoseData

@Suite struct DatasetCheckTests {
    @Test func `a clean data set is counted per split and nothing is written into it`() async throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = try makeSmallDataset(in: root)
        let before = try snapshot(root)
        let report = await DatasetCheck.run(configURL: yaml)
        #expect(report.problems == [])
        #expect(report.isOK)
        var train = DatasetCheckReport.Counts()
        (train.images, train.labelledImages, train.faces, train.imagesWithoutLabels) = (3, 2, 3, 1)
        var val = DatasetCheckReport.Counts()
        (val.images, val.labelledImages, val.faces) = (1, 1, 1)
        #expect(report.splits.map(\.split) == [.train, .val])
        #expect(report.counts(.train) == train && report.counts(.val) == val)
        #expect(try snapshot(root) == before)
    }

    @Test func `every kind of problem is reported with its file and line`() async throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = try makeSmallDataset(in: root)
        let path = root.path
        // A truncated JPEG, a copy of a.jpg, a tiny PNG and a GIF under a .bmp name, all in val.
        let jpeg = try ImageCodec.encodeJPEG(noiseImage(width: 32, height: 32))
        try jpeg.prefix(jpeg.count / 2).write(to: root.appendingPathComponent("images/val/cut.jpg"))
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("images/train/a.jpg"), to: root.appendingPathComponent("images/val/e.jpg"))
        try ImageCodec.write(gradientImage(width: 8, height: 12), to: root.appendingPathComponent("images/val/tiny.png"))
        try Data("GIF89a".utf8).write(to: root.appendingPathComponent("images/val/g.bmp"))
        // A bad line appended to a.txt and a label for e.jpg whose class is out of range.
        try "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2\n0 0.5 0.5\n".write(
            to: root.appendingPathComponent("labels/train/a.txt"), atomically: false, encoding: .utf8)
        try "3 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2\n".write(
            to: root.appendingPathComponent("labels/val/e.txt"), atomically: false, encoding: .utf8)
        let before = try snapshot(root)

        let report = await DatasetCheck.run(configURL: yaml, options: .init(concurrency: 3))
        let cut = report.problems.first { $0.file.hasSuffix("cut.jpg") }
        #expect(cut?.description.hasPrefix("\(path)/images/val/cut.jpg: corrupt or truncated image: ") == true)
        #expect(
            report.problems.filter { !$0.file.hasSuffix("cut.jpg") }.map(\.description) == [
                "\(path)/labels/train/a.txt:2: expected 11 fields (class, 4 box values, 2 keypoints × 3), found 3",
                "\(path)/labels/val/e.txt:1: class '3' is not one of 0...0",
                "\(path)/images/val/e.jpg: same content as \(path)/images/train/a.jpg",
                "\(path)/images/val/g.bmp: unsupported image format (GIF); JPEG and PNG are supported",
                "\(path)/images/val/tiny.png: image is 8x12 pixels; at least 10 pixels on each side are needed",
            ])
        #expect(!report.isOK)
        var val = DatasetCheckReport.Counts()
        (val.images, val.labelledImages, val.faces, val.imagesWithoutLabels) = (5, 1, 1, 4)
        (val.unreadableImages, val.duplicateImages) = (3, 1)
        #expect(report.counts(.val) == val)
        #expect(report.counts(.train)?.faces == 3)  // the bad line is not counted
        #expect(try snapshot(root) == before)

        // The JSON form carries the same.
        let object = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
        #expect(object?["data"] as? String == yaml.path)
        let splits = object?["splits"] as? [String: [String: Int]]
        #expect(splits?["val"]?["unreadable_images"] == 3 && splits?["val"]?["duplicate_images"] == 1)
        #expect(splits?["train"]?["images_without_labels"] == 1)
        #expect((object?["problems"] as? [String])?.count == 6)
    }

    @Test func `a broken yaml or a missing split folder is a problem, not a crash`() async throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = root.appendingPathComponent("data.yaml")
        try "train: images/train\nval: images/val\nkpt_shape: [2]\nnames: [face]\n".write(to: yaml, atomically: false, encoding: .utf8)
        let broken = await DatasetCheck.run(configURL: yaml)
        #expect(broken.problems.map(\.description) == ["\(yaml.path):3: 'kpt_shape' must be [K, 2] or [K, 3] with 0 < K ≤ 4096"])
        #expect(broken.splits.isEmpty && !broken.isOK)

        try "train: images/train\nval: images/val\nkpt_shape: [2, 3]\nnames: [face]\n".write(to: yaml, atomically: false, encoding: .utf8)
        let empty = await DatasetCheck.run(configURL: yaml)
        #expect(
            empty.problems.map(\.description) == [
                "\(yaml.path): train: '\(root.path)/images/train' does not exist",
                "\(yaml.path): val: '\(root.path)/images/val' does not exist",
            ])
        #expect(empty.counts(.train) == DatasetCheckReport.Counts())
    }

    @Test func `FNV-1a matches its published test vectors`() {
        #expect(FNV1a.hash(Data()) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash(Data("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash(Data("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }
}

/// Issue 20: a split that resolves to a folder or list with no images is a problem, never a silent
/// zero (`train: ../../../etc` checked as "no problems" with 0 training images).
@Suite struct `Splits that hold no images` {
    @Test func `an empty folder, a folder of other files and an empty list are each reported with their path`() async throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeSmallDataset(in: root)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)
        try AtomicFile.write("notes\n", to: root.appendingPathComponent("docs/readme.txt"))
        try AtomicFile.write("", to: root.appendingPathComponent("none.txt"))
        let yaml = root.appendingPathComponent("bad.yaml")
        try AtomicFile.write(
            "path: \(root.path)\ntrain: [images/train, docs]\nval: empty\ntest: none.txt\nkpt_shape: [2, 3]\nnames: {0: face}\n", to: yaml)
        let report = await DatasetCheck.run(configURL: yaml)
        #expect(!report.isOK)
        let reasons = report.problems.map(\.reason)
        #expect(reasons.contains(.emptySplitSource(split: "train", path: root.appendingPathComponent("docs").path)))
        #expect(reasons.contains(.emptySplitSource(split: "val", path: root.appendingPathComponent("empty").path)))
        #expect(reasons.contains(.emptySplitSource(split: "test", path: root.appendingPathComponent("none.txt").path)))
        #expect(report.problems.allSatisfy { $0.reason.isSplitSource })
        #expect(report.counts(.train)?.images == 3)  // the folder that has images still counts
        #expect(
            report.problems.first { $0.reason == .emptySplitSource(split: "val", path: root.appendingPathComponent("empty").path) }?
                .description == "\(yaml.path): val: '\(root.appendingPathComponent("empty").path)' holds no images (jpg, png, ...)")
    }

    @Test func `absolute and relative split paths keep working as the reference reads them`() async throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try makeSmallDataset(in: root)
        let nested = root.appendingPathComponent("configs/data.yaml")
        // no `path`: entries relative to the yaml's folder, `../` that exists, and an absolute one
        try AtomicFile.write(
            "train: ../images/train\nval: \(root.appendingPathComponent("images/val").path)\nkpt_shape: [2, 3]\nnames: {0: face}\n",
            to: nested)
        let report = await DatasetCheck.run(configURL: nested)
        #expect(report.problems == [])
        #expect(report.counts(.train)?.images == 3 && report.counts(.val)?.images == 1)
    }
}

/// Issue 20: files far larger than their kind ever is are refused by name and limit before they
/// are read.
@Suite struct `Input size limits` {
    @Test func `an oversized label file, pts file and data yaml are refused with the file and the limit`() throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let labels = root.appendingPathComponent("labels/a.txt")
        let line = "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2\n"
        try AtomicFile.write(String(repeating: line, count: (16 << 20) / line.utf8.count + 1), to: labels)
        let error = #expect(throws: DataProblems.self) {
            try LabelFile.parse(contentsOf: labels, keypointShape: KeypointShape(count: 2, dimensions: 3), classCount: 1)
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: labels.path)[.size] as? Int)
        #expect(size > 16 << 20)
        #expect(error?.problems.first?.description == "\(labels.path): \(size) bytes, over the 16 MiB limit for a label file")
        let points = root.appendingPathComponent("a.pts")
        try AtomicFile.write(String(repeating: "1 2\n", count: (1 << 20) / 4 + 1), to: points)
        #expect(throws: DataProblem(file: points.path, reason: .fileTooLarge(bytes: (1 << 20) + 4, limit: 1 << 20, kind: ".pts file"))) {
            try PtsFile.read(points)
        }
        let yaml = root.appendingPathComponent("data.yaml")
        try AtomicFile.write("train: a\n" + String(repeating: "# padding\n", count: 110_000), to: yaml)
        let yamlError = #expect(throws: DataProblems.self) { try DatasetConfig.read(contentsOf: yaml) }
        #expect(yamlError?.problems.first?.reason == .fileTooLarge(bytes: 1_100_009, limit: 1 << 20, kind: "data.yaml"))
        // a label file that does not exist is no labels, as before
        #expect(
            try LabelFile.parse(
                contentsOf: root.appendingPathComponent("none.txt"), keypointShape: KeypointShape(count: 2, dimensions: 3), classCount: 1)
                == nil)
    }
}
