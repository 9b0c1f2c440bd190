import Foundation
import Testing

/// Every command that reads a refinement run, given a folder that is not one (issue 29: `report
/// typo/` used to create `typo/ledger.sqlite` and advise `--data`).
@Suite struct `Commands given a folder that is not a run` {
    static func commands(_ folder: String, _ scratch: Scratch) -> [[String]] {
        [
            ["report", folder], ["review", folder], ["review", folder, "--history", "train/a.jpg"],
            ["export", "labelstudio", "--run", folder, "--out", scratch.path("tasks.json")],
            ["export", "cvat", "--run", folder, "--out", scratch.path("faces.xml")],
            ["import", "labelstudio", "--run", folder, "--file", scratch.path("export.json")],
            ["import", "cvat", "--run", folder, "--file", scratch.path("faces.xml")],
            ["refine", "--resume", "--out", folder],
        ]
    }

    @Test func `a missing folder is refused with the reason, and not created`() throws {
        let scratch = try Scratch()
        let folder = scratch.path("typo")
        for arguments in Self.commands(folder, scratch) {
            let result = try runFaceLabel(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.errors.contains("\(folder): not a refinement run (no ledger.sqlite)"), "\(arguments): \(result.errors)")
            #expect(!FileManager.default.fileExists(atPath: folder), "\(arguments) created \(folder)")
            if arguments[0] == "refine" { #expect(result.errors.contains("starts again without --resume"), "\(result.errors)") }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test func `a folder holding other files is refused, and nothing is written into it`() throws {
        let scratch = try Scratch()
        let folder = scratch.path("notes")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        for arguments in Self.commands(folder, scratch) {
            let result = try runFaceLabel(arguments)
            #expect(result.status != 0 && result.errors.contains("not a refinement run"), "\(arguments): \(result.errors)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["notes.txt"], "\(arguments)")
        }
        // and a new run is not started in it either
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "4", "--imgsz", "64"])
        #expect(synth.status == 0)
        let refine = try runFaceLabel([
            "refine", "--data", scratch.path("data/data.yaml"), "--out", folder, "--imgsz", "64", "--epochs", "1",
        ])
        #expect(refine.status != 0 && refine.errors.contains("\(folder): exists and holds other files"), "\(refine.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["notes.txt"])
    }
}
