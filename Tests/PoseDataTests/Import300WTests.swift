import Foundation
import Testing

@testable import Imaging
@testable import Interchange
@testable import PoseData
@testable import Synth

/// The fixture `Fixtures/300w` (made by its `make_fixture.py`): 64×48 images with iBUG `.pts`
/// files of one symmetric 68-point template T. Its inner 51 points span x 20...44 and y 12...36
/// (1-based), so 19...43 and 11...35 after the shift to 0-based; point 17 (51-index 0) is at
/// (20, 13) and point 30 (51-index 13) at (32, 22).
@Suite struct Import300WTests {
    let source = fixture("300w")

    func importFixture(
        _ options: Import300W.Options, source: URL? = nil, in scratch: URL
    ) async throws -> (Import300W.Summary, Dataset) {
        let summary = try await Import300W.run(
            source: source ?? self.source, output: scratch.appendingPathComponent("out"), options: options)
        return (summary, try Dataset.load(URL(fileURLWithPath: summary.data)))
    }

    func expectNear(_ a: Double, _ b: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(a - b) < 1e-12, "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    func expectBox(
        _ box: BoundingBox, _ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectNear(box.minX * 64, minX, sourceLocation: sourceLocation)
        expectNear(box.minY * 48, minY, sourceLocation: sourceLocation)
        expectNear(box.maxX * 64, maxX, sourceLocation: sourceLocation)
        expectNear(box.maxY * 48, maxY, sourceLocation: sourceLocation)
    }

    @Test func `the fixture imports as hand-checked 51-point labels with duplicates merged`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (summary, dataset) = try await importFixture(.init(boxMargin: 4, valFraction: 0), in: scratch)

        #expect(summary.files == 8)
        #expect(summary.images == 6 && summary.mergedFiles == 2 && summary.faces == 8)
        #expect(summary.trainImages == 6 && summary.valImages == 0)
        #expect(summary.pointsOutsideImage == 1)
        #expect(summary.imagesWithoutPts == ["lfpw/image_0003.png"])
        #expect(summary.ptsWithoutImage == ["lfpw/image_0009.pts"])
        #expect(summary.sources.map(\.name) == ["300W", "helen", "ibug", "lfpw"])

        #expect(dataset.config.keypointShape == KeypointShape(count: 51, dimensions: 3))
        #expect(dataset.config.flipIndex == FaceLandmarks.flipIndex)
        #expect(dataset.config.names == ["face"])
        let train = try dataset.entries(.train)
        #expect(
            train.map(\.relativePath) == [
                "300W/indoor_001.png", "helen/x_01.png", "helen/y.png", "ibug/image_003_1.png", "lfpw/image_0001.png",
                "lfpw/image_0002.png",
            ])
        // --val-fraction 0 leaves val empty, which the data set then reports (issue 20: never a silent zero)
        #expect(
            dataset.images(.val).problems.map(\.reason) == [
                .emptySplitSource(split: "val", path: dataset.root.appendingPathComponent("images/val").standardizedFileURL.path)
            ])
        let faces = Dictionary(uniqueKeysWithValues: train.map { ($0.relativePath, $0.instances) })

        // x_01.png and x_02.png have the same bytes: one image, T then 0.5·T + (30, 22).
        let helen = try #require(faces["helen/x_01.png"])
        #expect(helen.count == 2)
        expectBox(helen[0].box, 19 - 4, 11 - 4, 43 + 4, 35 + 4)
        expectNear(helen[0].keypoints[0].x, 19 / 64)
        expectNear(helen[0].keypoints[0].y, 12 / 48)
        expectNear(helen[0].keypoints[13].x, 31 / 64)
        expectNear(helen[0].keypoints[13].y, 21 / 48)
        #expect(helen[0].keypoints.allSatisfy { $0.visibility == 2 })
        expectBox(helen[1].box, 39 - 4, 27 - 4, 51 + 4, 39 + 4)
        expectNear(helen[1].keypoints[0].x, 39 / 64)
        expectNear(helen[1].keypoints[0].y, 27.5 / 48)

        // The 51-point file of T gives the same label as the 68-point one.
        #expect(faces["lfpw/image_0001.png"] == [helen[0]])
        // image_0002 has a name like image_0001 and the same size, but shows another picture.
        expectBox(try #require(faces["lfpw/image_0002.png"]?.first).box, 21 - 4, 14 - 4, 45 + 4, 38 + 4)
        // image_003_2 is image_003_1 re-saved with ±1 noise: merged by its name and pixels.
        #expect(faces["ibug/image_003_1.png"]?.count == 2)
        #expect(faces["ibug/image_003_1.png"]?[1] == helen[1])

        // T moved 20 px left: point 17 sits at x = -1, clamped to the edge and not labelled.
        let indoor = try #require(faces["300W/indoor_001.png"]?.first)
        #expect(indoor.keypoints[0] == Keypoint(x: 0, y: 12 / 48, visibility: 0))
        #expect(indoor.keypoints.dropFirst().allSatisfy { $0.visibility == 2 })
        expectBox(indoor.box, 0, 11 - 4, 23 + 4, 35 + 4)

        // Images are links to the originals; the source tree is untouched.
        let link = dataset.root.appendingPathComponent("images/train/helen/x_01.png").path
        let original = source.appendingPathComponent("helen/x_01.png").resolvingSymlinksInPath().path
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == original)
    }

    @Test func `the default 20-pixel margin is clamped to the image`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let (_, dataset) = try await importFixture(.init(valFraction: 0), in: scratch)
        let face = try #require(try dataset.entries(.train).first { $0.relativePath == "lfpw/image_0001.png" }?.instances.first)
        expectBox(face.box, 0, 0, 43 + 20, 48)
    }

    @Test func `each source folder is split on its own, the same way for the same seed`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var valSets: [[String]] = []
        for run in 0..<3 {
            let folder = scratch.appendingPathComponent("\(run)")
            let (summary, dataset) = try await importFixture(.init(valFraction: 0.5, seed: run < 2 ? 7 : 8), in: folder)
            // helen 2 images → 1, lfpw 2 → 1, ibug 1 → 1 (0.5 rounds up), 300W 1 → 1.
            #expect(summary.sources.map(\.valImages) == [1, 1, 1, 1])
            #expect(summary.sources.map(\.trainImages) == [0, 1, 0, 1])
            #expect(summary.valImages == 4 && summary.trainImages == 2)
            #expect(summary.valFaces + summary.trainFaces == 8)
            valSets.append(try dataset.entries(.val).map(\.relativePath))
        }
        #expect(valSets[0] == valSets[1])
        #expect(valSets[0].contains("ibug/image_003_1.png") && valSets[0].contains("300W/indoor_001.png"))
    }

    @Test func `keeping the jaw writes 68 points whose flip index pairs mirrored points`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tree = scratch.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("helen"), to: tree.appendingPathComponent("helen"))
        let (summary, dataset) = try await importFixture(
            .init(keepsJaw: true, boxMargin: 0, valFraction: 0), source: tree, in: scratch)

        #expect(dataset.config.keypointShape == KeypointShape(count: 68, dimensions: 3))
        #expect(dataset.config.flipIndex == KeypointSchemeTests.ibugFlip68)
        #expect(summary.pointsOutsideImage == 1)  // y.pts: jaw point 0 at x = -1
        let faces = try dataset.entries(.train)
        let face = try #require(faces.first { $0.relativePath == "helen/x_01.png" }?.instances.first)
        // T is symmetric about x = 32 (1-based), 31 after the shift: each point and its flip
        // partner lie at the same height, mirrored about it.
        let flip = try #require(dataset.config.flipIndex)
        for index in 0..<68 {
            let (point, partner) = (face.keypoints[index], face.keypoints[flip[index]])
            expectNear((point.x + partner.x) * 64, 62)
            expectNear(point.y, partner.y)
        }
        // The box now spans the jaw: x 1...61, y 11...45 (0-based).
        expectBox(face.box, 1, 11, 61, 45)
    }

    @Test func `keeping the jaw of a 51-point file names the file and line`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let error = await #expect(throws: DataProblems.self) {
            try await importFixture(.init(keepsJaw: true), in: scratch)
        }
        #expect(error?.problems.map(\.description) == ["\(source.path)/lfpw/image_0001.pts:2: n_points is 51; expected 68"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
    }

    @Test func `bad .pts files are all reported and nothing is written`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tree = scratch.appendingPathComponent("src")
        try FileManager.default.copyItem(at: source, to: tree)
        let template = try String(contentsOf: tree.appendingPathComponent("helen/x_01.pts"), encoding: .utf8)
        var lines = template.split(separator: "\n").map(String.init)
        lines.remove(at: 10)
        try AtomicFile.write(lines.joined(separator: "\n"), to: tree.appendingPathComponent("helen/y.pts"))
        try AtomicFile.write("version: 1\nn_points: 68\n{\n1 2 oops\n", to: tree.appendingPathComponent("lfpw/image_0002.pts"))
        let out = scratch.appendingPathComponent("out")
        let error = await #expect(throws: DataProblems.self) {
            try await Import300W.run(source: tree, output: out, options: .init())
        }
        #expect(
            error?.problems.map(\.description) == [
                "\(tree.path)/helen/y.pts:71: found 67 points, but n_points (line 2) says 68",
                "\(tree.path)/lfpw/image_0002.pts:4: expected a point 'x y', found 3 values: '1 2 oops'",
            ])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["src"])
    }

    @Test func `an unreadable image is reported by name`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let tree = scratch.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try Data("not a png".utf8).write(to: tree.appendingPathComponent("a.png"))
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("helen/y.pts"), to: tree.appendingPathComponent("a.pts"))
        let error = await #expect(throws: DataProblems.self) {
            try await Import300W.run(source: tree, output: scratch.appendingPathComponent("out"), options: .init())
        }
        #expect(
            error?.problems.map(\.description) == [
                "\(tree.path)/a.png: unsupported image format (unknown signature); JPEG and PNG are supported"
            ])
    }

    @Test func `an existing output folder is kept unless overwriting`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        await #expect(throws: DataProblem.self) { try await Import300W.run(source: source, output: out) }
        let summary = try await Import300W.run(source: source, output: out, options: .init(overwrite: true))
        #expect(summary.images == 6)
    }

    @Test func `a face label clamps its box and marks points outside the image`() throws {
        let made = try #require(
            Import300W.instance(
                points: [Point(-2, 5), Point(10, 8), Point(30, 12)], imageWidth: 20, imageHeight: 10, boxMargin: 3))
        #expect(made.outside == 2)
        #expect(made.instance.box == BoundingBox(minX: 0, minY: 2 / 10, maxX: 1, maxY: 1))
        #expect(
            made.instance.keypoints == [
                Keypoint(x: 0, y: 0.5, visibility: 0), Keypoint(x: 0.5, y: 0.8, visibility: 2), Keypoint(x: 1, y: 1, visibility: 0),
            ])
        #expect(Import300W.instance(points: [Point(25, 5)], imageWidth: 20, imageHeight: 10, boxMargin: 0) == nil)
    }
}
