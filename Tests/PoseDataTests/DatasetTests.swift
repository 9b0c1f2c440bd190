import Foundation
import Testing

@testable import Imaging
@testable import PoseData

@Suite struct DatasetTests {
    @Test func `the label of an image replaces the last images folder and the extension`() {
        #expect(Dataset.labelURL(forImage: URL(fileURLWithPath: "/d/images/train/a.jpg")).path == "/d/labels/train/a.txt")
        #expect(
            Dataset.labelURL(forImage: URL(fileURLWithPath: "/images/x/images/val/b.v2.PNG")).path
                == "/images/x/labels/val/b.v2.txt")
        #expect(Dataset.labelURL(forImage: URL(fileURLWithPath: "/d/pics/c.jpeg")).path == "/d/pics/c.txt")
    }

    @Test func `a folder split lists its images recursively and sorted`() throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try makeSmallDataset(in: root)
        try "not an image".write(to: root.appendingPathComponent("images/train/notes.md"), atomically: false, encoding: .utf8)
        let dataset = try Dataset.load(root.appendingPathComponent("data.yaml"))
        let (train, problems) = dataset.images(.train)
        #expect(problems.isEmpty)
        #expect(train.map(\.relativePath) == ["a.jpg", "c.jpg", "sub/b.png"])
        #expect(train.map(\.url.path) == ["a.jpg", "c.jpg", "sub/b.png"].map { root.path + "/images/train/" + $0 })
        #expect(train[2].labelURL.path == root.path + "/labels/train/sub/b.txt")
        #expect(dataset.images(.val).images.map(\.relativePath) == ["d.jpg"])
        #expect(dataset.images(.test).images.isEmpty)
    }

    @Test func `a split folder that is a link is walked and keeps the link's spelling`() throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try makeSmallDataset(in: root)
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.moveItem(at: root.appendingPathComponent("images/train"), to: elsewhere)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("images/train"), withDestinationURL: elsewhere)
        let (train, problems) = try Dataset.load(root.appendingPathComponent("data.yaml")).images(.train)
        #expect(problems.isEmpty)
        #expect(train.map(\.url.path) == ["a.jpg", "c.jpg", "sub/b.png"].map { root.path + "/images/train/" + $0 })
        #expect(train[0].labelURL.path == root.path + "/labels/train/a.txt")
    }

    @Test func `a list split resolves dot, relative and absolute lines against the list`() throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try makeSmallDataset(in: root)
        let list = root.appendingPathComponent("lists/train.txt")
        try AtomicFile.write(
            "./../images/train/a.jpg\n../images/train/sub/b.png\n\n\(root.path)/images/val/d.jpg\n../readme.md\n", to: list)
        let config = DatasetConfig(
            path: root.path, train: ["lists/train.txt", "../images/train/c.jpg.missing", "../images/val"],
            val: ["images/val"], keypointShape: KeypointShape(count: 2, dimensions: 3), names: ["face"])
        let dataset = Dataset(configURL: root.appendingPathComponent("x.yaml"), config: config)
        let (train, problems) = dataset.images(.train)
        // d.jpg comes from both the list and the folder "../images/val" (retried as "images/val"):
        // listed once. Its place in a derived data set is "val/d.jpg" from the list.
        #expect(train.map(\.url.lastPathComponent) == ["a.jpg", "b.png", "d.jpg"])
        #expect(train.map(\.relativePath) == ["a.jpg", "sub/b.png", "val/d.jpg"])
        #expect(
            problems.map(\.description) == [
                "\(root.path)/x.yaml: train: '\(root.deletingLastPathComponent().path)/images/train/c.jpg.missing' does not exist"
            ])
    }

    @Test func `images sharing a label stem get distinct places`() throws {
        let root = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try ImageCodec.write(gradientImage(width: 12, height: 12), to: root.appendingPathComponent("images/x.jpg"))
        try ImageCodec.write(gradientImage(width: 12, height: 12), to: root.appendingPathComponent("images/x.png"))
        let config = DatasetConfig(
            train: ["images"], val: ["images"], keypointShape: KeypointShape(count: 1, dimensions: 2), names: ["a"])
        let dataset = Dataset(configURL: root.appendingPathComponent("d.yaml"), config: config)
        #expect(dataset.images(.train).images.map(\.relativePath) == ["x.jpg", "x-1.png"])
    }
}

@Suite struct DatasetWriterTests {
    @Test func `a derived data set links the original images, holds its own labels and leaves the source unchanged`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let source = scratch.appendingPathComponent("source")
        let yaml = try makeSmallDataset(in: source)
        let before = try snapshot(source)

        let dataset = try Dataset.load(yaml)
        var train = try dataset.entries(.train)
        let added = PoseInstance(
            box: BoundingBox(centerX: 0.5, centerY: 0.5, width: 0.25, height: 0.25),
            keypoints: [Keypoint(x: 0.45, y: 0.5, visibility: 2), Keypoint(x: 0.55, y: 0.5, visibility: 0)])
        train[1].instances.append(added)  // c.jpg had no labels
        let output = scratch.appendingPathComponent("iter1")
        let written = try DatasetWriter().write(
            config: dataset.config, splits: [.train: train, .val: try dataset.entries(.val)], to: output)

        #expect(try snapshot(source) == before)
        #expect(written == output.appendingPathComponent("data.yaml"))
        let derived = try Dataset.load(written)
        #expect(derived.config.path == output.path)
        #expect(derived.config.train == ["images/train"] && derived.config.val == ["images/val"])
        #expect(derived.config.flipIndex == [1, 0] && derived.config.names == ["face"])
        #expect(try derived.entries(.train).map(\.instances) == train.map(\.instances))
        #expect(try derived.entries(.val).map(\.instances) == (try dataset.entries(.val)).map(\.instances))
        #expect(
            try String(contentsOf: output.appendingPathComponent("labels/train/c.txt"), encoding: .utf8)
                == "0 0.5 0.5 0.25 0.25 0.45 0.5 2 0.55 0.5 0\n")
        // Unchanged labels are written in the same text as the source's.
        #expect(
            try Data(contentsOf: output.appendingPathComponent("labels/train/sub/b.txt"))
                == Data(contentsOf: source.appendingPathComponent("labels/train/sub/b.txt")))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: output.appendingPathComponent("images/train/sub/b.png").path)
                == source.appendingPathComponent("images/train/sub/b.png").path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["iter1", "source"])
    }

    @Test func `the copy mode copies the image bytes`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataset = try Dataset.load(try makeSmallDataset(in: scratch.appendingPathComponent("source")))
        let output = scratch.appendingPathComponent("copied")
        try DatasetWriter(imageMode: .copy).write(
            config: dataset.config, splits: [.train: try dataset.entries(.train), .val: []], to: output)
        let copy = output.appendingPathComponent("images/train/a.jpg")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: copy.path)) == nil)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: scratch.appendingPathComponent("source/images/train/a.jpg")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("images/val").path) == [])
    }

    @Test func `an existing output is kept unless overwrite is asked for`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataset = try Dataset.load(try makeSmallDataset(in: scratch.appendingPathComponent("source")))
        let output = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try "keep".write(to: output.appendingPathComponent("mine.txt"), atomically: false, encoding: .utf8)
        let splits: [Split: [DatasetWriter.Entry]] = [.train: try dataset.entries(.train), .val: try dataset.entries(.val)]
        #expect(throws: DataProblem.self) { try DatasetWriter().write(config: dataset.config, splits: splits, to: output) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path) == ["mine.txt"])

        try DatasetWriter(overwrite: true).write(config: dataset.config, splits: splits, to: output)
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).sorted() == ["data.yaml", "images", "labels"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["out", "source"])
    }

    @Test func `a failure while writing leaves no output and no partial folder`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataset = try Dataset.load(try makeSmallDataset(in: scratch.appendingPathComponent("source")))
        var train = try dataset.entries(.train)
        train.append(.init(image: scratch.appendingPathComponent("source/images/train/gone.jpg"), relativePath: "gone.jpg", instances: []))
        let output = scratch.appendingPathComponent("out")
        #expect(throws: (any Error).self) {
            try DatasetWriter(imageMode: .copy).write(config: dataset.config, splits: [.train: train, .val: []], to: output)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["source"])
        // Two entries with one label file between them are refused too.
        let clash = [train[0], DatasetWriter.Entry(image: train[1].image, relativePath: "a.png", instances: [])]
        let error = #expect(throws: DataProblem.self) {
            try DatasetWriter().write(config: dataset.config, splits: [.train: clash, .val: []], to: output)
        }
        #expect(error?.description.hasSuffix("place 'a.png' in train is invalid or taken") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["source"])
    }
}
