import Foundation
import Testing

@testable import Imaging
@testable import Loader
@testable import PoseData
@testable import Synth

@Suite struct SynthDatasetTests {
    @Test func `the same seed gives byte-identical files and another seed different ones`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let options = SynthDataset.Options(images: 5, imageSize: 96, seed: 7)
        try await SynthDataset.write(options: options, to: scratch.appendingPathComponent("a"))
        var serial = options
        serial.concurrency = 1
        try await SynthDataset.write(options: serial, to: scratch.appendingPathComponent("b"))
        var other = options
        other.seed = 8
        try await SynthDataset.write(options: other, to: scratch.appendingPathComponent("c"))
        let a = try snapshot(scratch.appendingPathComponent("a"))
        #expect(a == (try snapshot(scratch.appendingPathComponent("b"))))
        let c = try snapshot(scratch.appendingPathComponent("c"))
        #expect(a["images/train/000000.jpg"] != nil && a["images/train/000000.jpg"] != c["images/train/000000.jpg"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted() == ["a", "b", "c"])
    }

    @Test func `labelled and unlabelled faces add up to the truth, which checks clean`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("synth")
        let summary = try await SynthDataset.write(
            options: .init(images: 10, imageSize: 128, faces: 2...3, unlabeledFraction: 0.4, seed: 3), to: output)
        #expect(summary.trainImages == 8 && summary.valImages == 2)
        #expect(summary.labelledFaces + summary.unlabelledFaces == summary.faces)
        #expect(summary.unlabelledFaces > 0 && summary.labelledFaces > 0)

        let data = await DatasetCheck.run(configURL: output.appendingPathComponent("data.yaml"))
        let truth = await DatasetCheck.run(configURL: output.appendingPathComponent("truth/data.yaml"))
        #expect(data.problems == [] && truth.problems == [])
        let labelled = (data.counts(.train)?.faces ?? 0) + (data.counts(.val)?.faces ?? 0)
        let all = (truth.counts(.train)?.faces ?? 0) + (truth.counts(.val)?.faces ?? 0)
        #expect(labelled == summary.labelledFaces && all == summary.faces)
        #expect(truth.counts(.train)?.images == 8)

        // Every label line is one of the truth's lines for the same image.
        let dataset = try Dataset.load(output.appendingPathComponent("data.yaml"))
        let truthSet = try Dataset.load(output.appendingPathComponent("truth/data.yaml"))
        for split in [Split.train, .val] {
            for (partial, full) in zip(try dataset.entries(split), try truthSet.entries(split)) {
                #expect(partial.relativePath == full.relativePath)
                #expect(partial.instances.allSatisfy(full.instances.contains))
            }
        }
    }

    @Test func `the truth landmarks lie on the drawn features`() throws {
        // One large face, no roll or yaw, drawn without noise on a flat background.
        var random = SeededRandom(seed: 11)
        var face = SyntheticFace.random(center: Point(100, 110), headPixels: 180, random: &random, occlusion: false)
        (face.roll, face.yaw, face.glasses, face.hair) = (0, 0, nil, nil)
        (face.eyeOpening, face.mouthOpening, face.skin) = ((0.1, 0.1), 0.12, Color(0.8, 0.6, 0.5))
        var canvas = Canvas(width: 200, height: 220, color: Color(0.2, 0.5, 0.2))
        face.draw(on: &canvas)
        let image = canvas.image()
        let points = face.landmarks()
        func luma(_ point: Point) -> Int {
            let pixel = image[Int(point.x), Int(point.y)]
            return (Int(pixel.r) * 299 + Int(pixel.g) * 587 + Int(pixel.b) * 114) / 1000
        }
        #expect(image[100, 40] == (204, 153, 128))  // forehead: the skin colour (0.8, 0.6, 0.5)
        let skinLuma = luma(Point(100, 40))
        // Eye corners and lid points sit on the dark eye outline.
        for index in Array(FaceLandmarks.leftEye) + Array(FaceLandmarks.rightEye) {
            #expect(luma(points[index]) < skinLuma / 2, "eye point \(index)")
        }
        // Between the outer corner and the iris the eye is white; its middle is iris or pupil.
        let middle = Point((points[19].x + points[22].x) / 2, (points[19].y + points[22].y) / 2)
        #expect(near(image[Int(middle.x - 0.14 * face.scale), Int(middle.y)], (237, 235, 230), tolerance: 1))
        #expect(luma(middle) < 120)
        // The nose tip is on the darker nose base; the lips' colour fills between outer and inner lip.
        #expect(luma(points[16]) < skinLuma * 3 / 4)
        let lip = image[Int(points[34].x), Int((points[34].y + points[45].y) / 2)]
        #expect(near(lip, (UInt8(face.lips.r * 255 + 0.5), UInt8(face.lips.g * 255 + 0.5), UInt8(face.lips.b * 255 + 0.5)), tolerance: 2))
        // The open mouth is dark between the inner lips.
        #expect(luma(Point(points[45].x, (points[45].y + points[49].y) / 2)) < 40)
    }

    @Test func `the landmarks of a frontal symmetric face mirror by the flip index`() {
        var random = SeededRandom(seed: 5)
        var face = SyntheticFace.random(center: Point(0, 0), headPixels: 100, random: &random)
        (face.roll, face.yaw, face.eyeOpening) = (0, 0, (0.08, 0.08))
        let points = face.landmarks()
        for (index, partner) in FaceLandmarks.flipIndex.enumerated() {
            #expect(abs(points[index].x + points[partner].x) < 1e-9, "point \(index) and \(partner)")
            #expect(abs(points[index].y - points[partner].y) < 1e-9, "point \(index) and \(partner)")
        }
        // Inter-ocular points are the outer eye corners: 19 leftmost of its eye, 28 rightmost.
        #expect(points[19].x < points[22].x && points[28].x > points[25].x)
    }

    @Test func `a face label boxes its landmarks with a margin and stays in the image`() {
        var random = SeededRandom(seed: 2)
        let face = SyntheticFace.random(center: Point(60, 64), headPixels: 90, random: &random)
        let label = SynthDataset.label(for: face, imageSize: 128)
        #expect(label.keypoints.count == 51)
        let xs = label.keypoints.map(\.x)
        let ys = label.keypoints.map(\.y)
        let margin = 0.1 * max(xs.max()! - xs.min()!, ys.max()! - ys.min()!)
        #expect(abs(label.box.minX - max(0, xs.min()! - margin)) < 1e-9)
        #expect(abs(label.box.maxY - min(1, ys.max()! + margin)) < 1e-9)
        #expect([label.box.minX, label.box.minY, label.box.maxX, label.box.maxY].allSatisfy { (0...1).contains($0) })
    }

    @Test func `different image streams of one seed are not shifted copies`() {
        var first = SeededRandom(seed: 0, stream: 0)
        var second = SeededRandom(seed: 0, stream: 1)
        let a = (0..<64).map { _ in first.next() }
        let b = (0..<64).map { _ in second.next() }
        #expect(Set(a).isDisjoint(with: b))
    }
}

@Suite struct MaskTests {
    @Test func `a pixel-aligned square covers exactly its pixels`() {
        var mask = Mask(width: 8, height: 8)
        mask.fill([Point(2, 2), Point(6, 2), Point(6, 6), Point(2, 6)])
        for y in 0..<8 {
            for x in 0..<8 {
                #expect(mask.values[y * 8 + x] == ((2..<6).contains(x) && (2..<6).contains(y) ? 1 : 0))
            }
        }
    }

    @Test func `an edge through the middle of a pixel covers half of it`() {
        var mask = Mask(width: 4, height: 4)
        mask.fill([Point(0, 0), Point(1.5, 0), Point(1.5, 4), Point(0, 4)])
        #expect(mask.values[0] == 1 && mask.values[1] == 0.5 && mask.values[2] == 0)
        var triangle = Mask(width: 4, height: 4)
        triangle.fill([Point(0, 0), Point(4, 0), Point(0, 4)])  // area 8 of 16
        #expect(abs(triangle.values.reduce(0, +) - 8) < 0.3)
    }
}
