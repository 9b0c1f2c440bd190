import Foundation
import Testing

/// `facelabel import 300w|coco` and `facelabel export coco`, run as the built binary.
@Suite struct `facelabel import and export` {
    /// The 300-W fixture of the PoseData tests.
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PoseDataTests/Fixtures/300w").standardizedFileURL

    /// Runs the binary and returns stdout, stderr and the exit status.
    func run(_ arguments: [String]) throws -> (output: String, errors: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("facelabel")
        process.arguments = arguments
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self), process.terminationStatus)
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-conversion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func `a 300-W tree imports, exports to COCO and imports back`() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let faces = folder.appendingPathComponent("faces").path
        let imported = try run(["import", "300w", "--src", fixture.path, "--out", faces, "--json"])
        #expect(imported.status == 0)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(imported.output.utf8)) as? [String: Any])
        #expect(summary["images"] as? Int == 6 && summary["faces"] as? Int == 8 && summary["merged_files"] as? Int == 2)
        #expect(imported.errors.contains("warning: lfpw/image_0003.png: no .pts file; skipped"))

        let json = folder.appendingPathComponent("faces.json").path
        // six images split 80/20 in each source folder leave val empty: exporting it is refused by name
        let empty = try run(["export", "coco", "--data", faces + "/data.yaml", "--out", json, "--split", "val"])
        #expect(empty.status != 0 && empty.errors.contains("val: '\(faces)/images/val' holds no images"), "\(empty.errors)")
        let exported = try run(["export", "coco", "--data", faces + "/data.yaml", "--out", json, "--split", "train", "--json"])
        #expect(exported.status == 0)
        let exportSummary = try #require(try JSONSerialization.jsonObject(with: Data(exported.output.utf8)) as? [String: Any])
        #expect(exportSummary["split"] as? String == "train" && exportSummary["keypoints"] as? Int == 51)

        let back = folder.appendingPathComponent("back").path
        let reimported = try run([
            "import", "coco", "--json", json, "--images", faces + "/images/train", "--out", back, "--split", "val",
        ])
        #expect(reimported.status == 0)
        #expect(FileManager.default.fileExists(atPath: back + "/data.yaml"))
    }

    @Test func `a malformed .pts file fails with its line and writes nothing`() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("src")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("helen/y.png"), to: source.appendingPathComponent("y.png"))
        try Data("version: 1\nn_points: 68\n{\n1 2\n}\n".utf8).write(to: source.appendingPathComponent("y.pts"))
        let out = folder.appendingPathComponent("out").path
        let result = try run(["import", "300w", "--src", source.path, "--out", out])
        #expect(result.status == 1)
        #expect(result.errors.contains("error: \(source.path)/y.pts:5: found 1 point, but n_points (line 2) says 68"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func `bad options are refused before anything runs`() throws {
        #expect(try run(["import", "300w", "--src", "a", "--out", "b", "--val-fraction", "2"]).status == 64)
        #expect(try run(["export", "coco", "--data", "a.yaml", "--out", "b.json", "--split", "dev"]).status == 64)
    }
}
