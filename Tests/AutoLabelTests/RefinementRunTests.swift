import Foundation
import GRDB
import PoseData
import Testing

@testable import AutoLabel

@Suite struct `Refinement run folder` {
    @Test func `a new run needs a missing or empty folder, and its ledger records the input and the layout`() async throws {
        let (folder, data, _) = try await tinyDataSet(images: 4)
        defer { try? FileManager.default.removeItem(at: folder) }
        let busy = folder.appendingPathComponent("busy")
        try FileManager.default.createDirectory(at: busy, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: busy.appendingPathComponent("notes.txt"))
        #expect(throws: RefinementRun.Failure.notEmpty(busy.path)) {
            try RefinementRun.create(in: busy, data: data, settings: RefineSettings())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: busy.path) == ["notes.txt"])
        // the leftovers of a start killed before the ledger took its name do not count
        let fresh = folder.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: fresh.appendingPathComponent(".ledger.sqlite.partial"))
        let run = try RefinementRun.create(in: fresh, data: data, settings: tinySettings(truth: nil))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fresh.path) == ["ledger.sqlite"])
        #expect(run.inputData == data.standardizedFileURL && run.ledger.keypointShape == KeypointShape(count: 51, dimensions: 3))
        #expect(try run.settings() == tinySettings(truth: nil))
        let reopened = try RefinementRun.open(fresh)
        #expect(reopened.inputData == run.inputData && reopened.dataYAML(2).path == fresh.path + "/iter2/data/data.yaml")
        #expect(throws: RefinementRun.Failure.alreadyARun(fresh.path)) {
            try RefinementRun.create(in: fresh, data: data, settings: RefineSettings())
        }
    }

    @Test func `a ledger written by an earlier version is read as it is, upgraded in memory, never on disk`() async throws {
        let (folder, data, _) = try await tinyDataSet(images: 4)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("old")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        // an earlier version's ledger: schema v3, no keypoint layout recorded, a label and a candidate left out
        let queue = try DatabaseQueue(path: run.appendingPathComponent("ledger.sqlite").path)
        try LedgerSchema.migrator.migrate(queue, upTo: "v3-label-quality")
        let line = "0 0.5 0.5 0.2 0.2 " + Array(repeating: "0.5 0.5 2", count: 51).joined(separator: " ")
        try await queue.write { db in
            try db.execute(
                sql: "INSERT INTO setting VALUES ('data', ?), ('settings', ?)",
                arguments: [data.path, try RefinementRun.json(RefineSettings())])
            try db.execute(sql: "INSERT INTO image (split, path) VALUES ('train', 'a.jpg')")
            try db.execute(
                sql: "INSERT INTO label (imageId, iteration, confidence, model, line) VALUES (1, 1, 0.8, 'iter0/w', ?)", arguments: [line])
            try db.execute(
                sql: "INSERT INTO dropped (imageId, iteration, confidence, line, reason) VALUES (1, 1, 0.3, ?, 'dropped:flip')",
                arguments: [line])
        }
        let before = try fingerprint(run)
        let opened = try RefinementRun.open(run)
        #expect(opened.ledger.keypointShape == KeypointShape(count: 51, dimensions: 3))  // from the input data set
        let label = try #require(try opened.ledger.labels().first)
        #expect(
            label.image == ImageKey(.train, "a.jpg") && label.score == 0.8 && label.ownScore == nil && label.instance.keypoints.count == 51)
        #expect(try opened.ledger.droppedCandidates().map(\.candidate.measures.decision) == [.droppedByFlip])
        #expect(try fingerprint(run) == before)
        // writing is refused on a read-only run
        #expect(throws: (any Error).self) { try opened.ledger.decide(label.id, .accepted, reviewer: "ann", version: 0) }
        #expect(try fingerprint(run) == before)
        // opened for writing, the file itself is brought up to date
        let writable = try RefinementRun.open(run, access: .readWrite)
        try writable.ledger.decide(label.id, .accepted, reviewer: "ann", version: 0)
        #expect(try writable.ledger.label(label.id)?.status == .accepted)
    }

    @Test func `a line that is not a label of the run's layout is an error naming the ledger and the label`() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("ledger.sqlite")
        let ledger = try Ledger(url: url, keypointShape: onePoint)
        try ledger.recordOriginals([(ImageKey(.train, "a.jpg"), ["0 0.5 0.5 0.2 0.2 0.5 0.5", "", "  "])])
        let problem = #expect(throws: DataProblem.self) { try ledger.labels() }
        #expect(problem?.description == "\(url.path): label 1: expected 8 fields (class, 4 box values, 1 keypoints × 3), found 7")
    }
}
