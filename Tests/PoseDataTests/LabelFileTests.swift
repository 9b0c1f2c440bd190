import Foundation
import Testing

@testable import PoseData

@Suite struct LabelFileTests {
    /// Two keypoints with visibility: 11 fields per line.
    let shape = KeypointShape(count: 2, dimensions: 3)

    func parse(_ text: String, classCount: Int? = 1) -> LabelFile.Parsed {
        LabelFile.parse(text, file: "f.txt", keypointShape: shape, classCount: classCount)
    }

    func descriptions(_ text: String, classCount: Int? = 1) -> [String] {
        parse(text, classCount: classCount).problems.map(\.description)
    }

    @Test func `a good line becomes an instance with its exact values`() {
        let parsed = parse("0 0.5 0.25 0.2 0.1 0.45 0.2 2 0.55 0.3 0\n")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.lines == [1])
        #expect(
            parsed.instances == [
                PoseInstance(
                    classIndex: 0, box: BoundingBox(centerX: 0.5, centerY: 0.25, width: 0.2, height: 0.1),
                    keypoints: [Keypoint(x: 0.45, y: 0.2, visibility: 2), Keypoint(x: 0.55, y: 0.3, visibility: 0)])
            ])
    }

    @Test func `a label line with 4 fields names the file and line`() {
        #expect(
            descriptions("0 0.5 0.5 0.2\n") == [
                "f.txt:1: expected 11 fields (class, 4 box values, 2 keypoints × 3), found 4"
            ])
    }

    @Test func `blank lines are skipped but keep the line numbers`() {
        let parsed = parse("\n0 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2\n   \n0 0.5\n")
        #expect(parsed.instances.count == 1 && parsed.lines == [2])
        #expect(parsed.problems.map(\.line) == [4])
    }

    @Test func `text and non-finite numbers are named by their field`() {
        #expect(
            descriptions("0 0.5 abc 0.2 0.2 0.1 0.1 2 0.2 0.2 2\n0 0.5 0.5 nan 0.2 0.1 0.1 2 0.2 inf 2") == [
                "f.txt:1: field 3 is not a number: 'abc'",
                "f.txt:2: field 4 is not finite: 'nan'",
                "f.txt:2: field 10 is not finite: 'inf'",
            ])
    }

    @Test func `a class outside the names or not whole is rejected`() {
        #expect(
            descriptions("1 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2\n0.5 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2") == [
                "f.txt:1: class '1' is not one of 0...0",
                "f.txt:2: class '0.5' is not one of 0...0",
            ])
        #expect(
            descriptions("-1 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2", classCount: nil) == [
                "f.txt:1: class '-1' is not a non-negative whole number"
            ])
        // "3.0" is a whole number, as the reference reads it.
        #expect(parse("3.0 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2", classCount: 4).instances.first?.classIndex == 3)
    }

    @Test func `box values outside their range are rejected and a zero size too`() {
        #expect(
            descriptions("0 1.2 0.5 0 0.2 0.1 0.1 2 0.2 0.2 2") == [
                "f.txt:1: box cx 1.2 is outside [0, 1]",
                "f.txt:1: box w 0.0 is outside (0, 1]",
            ])
    }

    @Test func `coordinates just outside the unit range are clamped and farther ones rejected`() {
        let parsed = parse("0 0.5 0.5 0.2 0.2 1.0005 -0.0004 2 0.2 0.2 2")
        #expect(parsed.problems.isEmpty)
        #expect(parsed.instances.first?.keypoints.first == Keypoint(x: 1, y: 0, visibility: 2))
        #expect(
            descriptions("0 0.5 0.5 0.2 0.2 0.1 0.1 2 1.01 -0.2 2") == [
                "f.txt:1: keypoint 1 x 1.01 is outside [0, 1]",
                "f.txt:1: keypoint 1 y -0.2 is outside [0, 1]",
            ])
    }

    @Test func `visibility is 0, 1, 2 or a confidence`() {
        let parsed = parse("0 0.5 0.5 0.2 0.2 0.1 0.1 0.73 0.2 0.2 1")
        #expect(parsed.instances.first?.keypoints.map(\.visibility) == [0.73, 1])
        #expect(
            descriptions("0 0.5 0.5 0.2 0.2 0.1 0.1 1.5 0.2 0.2 3") == [
                "f.txt:1: keypoint 0 visibility 1.5 is neither 0, 1, 2 nor a confidence in [0, 1]",
                "f.txt:1: keypoint 1 visibility 3.0 is neither 0, 1, 2 nor a confidence in [0, 1]",
            ])
    }

    @Test func `a repeated line is reported and kept once`() {
        let line = "0 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 2"
        let parsed = parse("\(line)\n\(line)\n")
        #expect(parsed.instances.count == 1)
        #expect(parsed.problems.map(\.description) == ["f.txt:2: duplicate of line 1"])
    }

    @Test func `two-dimensional keypoints read as visible and write without visibility`() {
        let flat = KeypointShape(count: 2, dimensions: 2)
        let parsed = LabelFile.parse("0 0.5 0.5 0.2 0.2 0.1 0.1 0.2 0.2", file: "g.txt", keypointShape: flat, classCount: 1)
        #expect(parsed.instances.first?.keypoints.map(\.visibility) == [2, 2])
        #expect(LabelFile.format(parsed.instances, keypointShape: flat) == "0 0.5 0.5 0.2 0.2 0.1 0.1 0.2 0.2\n")
    }

    @Test func `formatting reads back exactly and writes whole numbers plainly`() {
        let instance = PoseInstance(
            classIndex: 0, box: BoundingBox(centerX: 1.0 / 3, centerY: 0.5, width: 0.1 + 0.2, height: 1),
            keypoints: [Keypoint(x: 0, y: 2.0 / 7, visibility: 2), Keypoint(x: 0.0625, y: 1, visibility: 0.9)])
        let text = LabelFile.format([instance], keypointShape: shape)
        #expect(text == "0 0.3333333333333333 0.5 0.30000000000000004 1 0 0.2857142857142857 2 0.0625 1 0.9\n")
        #expect(parse(text).instances == [instance])
        #expect(
            LabelFile.format([instance], keypointShape: shape, decimals: 6)
                == "0 0.333333 0.5 0.3 1 0 0.285714 2 0.0625 1 0.9\n")
    }

    @Test func `reading a missing file gives no instances and a bad file throws every problem`() throws {
        let folder = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try LabelFile.read(folder.appendingPathComponent("none.txt"), keypointShape: shape, classCount: 1) == [])
        let bad = folder.appendingPathComponent("bad.txt")
        try "0 0.5\n0 0.5 0.5 0.2 0.2 0.1 0.1 2 0.2 0.2 7\n".write(to: bad, atomically: false, encoding: .utf8)
        let error = #expect(throws: DataProblems.self) { try LabelFile.read(bad, keypointShape: shape, classCount: 1) }
        #expect(error?.problems.map(\.line) == [1, 2])
        #expect(error?.description.hasPrefix("\(bad.path):1: expected 11 fields") == true)
        let binary = folder.appendingPathComponent("binary.txt")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        #expect(throws: DataProblems([DataProblem(file: binary.path, reason: .notText)])) {
            try LabelFile.read(binary, keypointShape: shape, classCount: 1)
        }
    }

    @Test func `writing replaces the file atomically and leaves no temporary file`() throws {
        let folder = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("labels/a.txt")
        let instance = PoseInstance(
            box: BoundingBox(centerX: 0.5, centerY: 0.5, width: 0.5, height: 0.5),
            keypoints: [Keypoint(x: 0.25, y: 0.25), Keypoint(x: 0.75, y: 0.25)])
        try LabelFile.write([instance], to: url, keypointShape: shape)
        try LabelFile.write([instance, instance], to: url, keypointShape: shape)
        #expect(try String(contentsOf: url, encoding: .utf8) == String(repeating: "0 0.5 0.5 0.5 0.5 0.25 0.25 2 0.75 0.25 2\n", count: 2))
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["a.txt"])
    }
}

/// Issue 20 (found by fuzzing): a repeated label is recognised by its numbers, as the reference's
/// `np.unique` over the float32 labels does, not by its text.
@Suite struct `Repeated label lines` {
    @Test func `lines that write the same numbers differently are one label`() {
        let shape = KeypointShape(count: 2, dimensions: 2)
        let text =
            "2 0.1 0.1 0.05 0.05 0.1 0.0 0.12 0.1\n2 0.10 0.1 5e-2 0.05 0.1 -0 0.12 0.1000000001\n2 0.1 0.1 0.05 0.05 0.1 0.0 0.12 0.2\n"
        let parsed = LabelFile.parse(text, file: "a.txt", keypointShape: shape, classCount: 4)
        #expect(parsed.instances.count == 2)
        #expect(parsed.problems == [DataProblem(file: "a.txt", line: 2, reason: .duplicateLine(firstLine: 1))])
        let round = LabelFile.parse(
            LabelFile.format(parsed.instances, keypointShape: shape), file: "b.txt", keypointShape: shape, classCount: 4)
        #expect(round.instances == parsed.instances && round.problems.isEmpty)
    }
}
