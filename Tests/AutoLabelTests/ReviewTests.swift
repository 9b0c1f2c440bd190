import Foundation
import Pose
import PoseData
import Testing

@testable import AutoLabel

/// A ledger with one image's original label and three generated labels: a.jpg 0.9, b.jpg 0.4 and
/// c.jpg 0.6 (their ids in that order).
func reviewLedger() throws -> (ledger: Ledger, folder: URL, ids: [Int64]) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let ledger = try Ledger(url: folder.appendingPathComponent("ledger.sqlite"))
    try ledger.recordOriginals([(.train, "a.jpg", ["0 0.5 0.5 0.2 0.2 0.5 0.5 2"])])
    try ledger.start(1, settings: "{}")
    try ledger.recordGenerated(
        iteration: 1,
        labels: [
            .init(split: .train, image: "a.jpg", line: "0 0.2 0.2 0.1 0.1 0.2 0.2 2", confidence: 0.9),
            .init(split: .train, image: "b.jpg", line: "0 0.7 0.7 0.2 0.2 0.7 0.7 2", confidence: 0.4),
            .init(split: .val, image: "c.jpg", line: "0 0.3 0.6 0.2 0.2 0.3 0.6 2", confidence: 0.6),
        ], model: "iter0/train/weights/best.safetensors", seconds: 1)
    let ids = try ledger.reviewItems().sorted { $0.image < $1.image }.map(\.id)  // a, b, c
    return (ledger, folder, ids)
}

@Suite struct `Review decisions in the ledger` {
    @Test func `the queue shows generated labels lowest score first, and filters`() throws {
        let (ledger, folder, _) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ledger.reviewItems().map(\.score) == [0.4, 0.6, 0.9])
        #expect(try ledger.reviewItems(ReviewFilter(minimumScore: 0.5)).map(\.image) == ["c.jpg", "a.jpg"])
        #expect(try ledger.reviewItems(ReviewFilter(imageContains: "b.")).map(\.image) == ["b.jpg"])
        #expect(try ledger.reviewItems(ReviewFilter(iteration: 2)).isEmpty)
    }

    @Test func `each decision is kept, the latest counts, and a stale version is a conflict`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corrected = "0 0.2 0.2 0.1 0.1 0.25 0.2 1"
        var item = try ledger.decide(ids[0], .accepted, reviewer: "ann", version: 0)
        #expect(item.status == .accepted && item.version == 1 && item.reviewer == "ann")
        item = try ledger.decide(ids[0], .corrected, line: corrected, reviewer: "bob", version: 1)
        #expect(item.status == .corrected && item.currentLine == corrected && item.line == "0 0.2 0.2 0.1 0.1 0.2 0.2 2")
        // another tab still at version 1
        let conflict = #expect(throws: ReviewConflict.self) { try ledger.decide(ids[0], .rejected, reviewer: "cat", version: 1) }
        #expect(conflict?.current.status == .corrected && conflict?.current.reviewer == "bob")
        // undo: back to unreviewed, the history keeps all three
        item = try ledger.decide(ids[0], .unreviewed, reviewer: "bob", version: 2)
        #expect(item.status == .unreviewed && item.currentLine == item.line)
        let history = try ledger.history(split: .train, image: "a.jpg")
        #expect(history.map(\.label.iteration) == [0, 1])
        #expect(history[1].decisions.map(\.status) == [.accepted, .corrected, .unreviewed])
        #expect(history[1].decisions.map(\.reviewer) == ["ann", "bob", "bob"])
        // originals are not reviewed; a correction needs its line, and only it has one
        #expect(throws: DataProblem.self) { try ledger.decide(history[0].label.id, .rejected, reviewer: "x", version: 0) }
        #expect(throws: DataProblem.self) { try ledger.decide(ids[1], .corrected, reviewer: "x", version: 0) }
        #expect(throws: DataProblem.self) { try ledger.decide(ids[1], .accepted, line: corrected, reviewer: "x", version: 0) }
    }

    @Test func `accepting the rest above a score takes only unreviewed labels at or above it`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        try ledger.decide(ids[2], .rejected, reviewer: "ann", version: 0)  // c.jpg, 0.6
        let accepted = try ledger.acceptRemaining(ReviewFilter(), minimumScore: 0.5, reviewer: "ann")
        #expect(accepted == [ids[0]])
        #expect(try ledger.reviewItems().map(\.status) == [.unreviewed, .rejected, .accepted])
    }

    @Test func `provenance, data set lines and counts follow the decisions`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corrected = "0 0.7 0.7 0.2 0.2 0.72 0.7 2"
        try ledger.decide(ids[0], .accepted, reviewer: "ann", version: 0)
        try ledger.decide(ids[1], .corrected, line: corrected, reviewer: "ann", version: 0)
        try ledger.decide(ids[2], .rejected, reviewer: "ann", version: 0)
        let added = try ledger.addLabel(split: .train, image: "b.jpg", line: "0 0.1 0.9 0.1 0.1 0.1 0.9 2", iteration: 1, reviewer: "ann", source: "cvat")
        var expected = ProvenanceCounts()
        (expected.accepted, expected.corrected, expected.rejected, expected.added) = (1, 1, 1, 1)
        var originals = ProvenanceCounts()
        originals.original = 1
        #expect(try ledger.provenance() == [0: originals, 1: expected])
        let lines = try ledger.reviewedLabels(upTo: 1)
        #expect(lines.image(.train, "b.jpg").lines == [corrected, "0 0.1 0.9 0.1 0.1 0.1 0.9 2"])
        #expect(lines.image(.val, "c.jpg").lines.isEmpty && lines.image(.val, "c.jpg").rejected == ["0 0.3 0.6 0.2 0.2 0.3 0.6 2"])
        #expect(try ledger.labelCounts(upTo: 1) == [.train: 4])
        #expect(try ledger.reviewItem(added)?.status == .added)
        // an unreviewed label is counted unless only confirmed labels are trained on
        try ledger.decide(ids[0], .unreviewed, reviewer: "ann", version: 1)
        #expect(try ledger.labelCounts(upTo: 1) == [.train: 4])
        #expect(try ledger.labelCounts(upTo: 1, verifiedOnly: true) == [.train: 3])
        #expect(try ledger.reviewedLabels(upTo: 1, verifiedOnly: true).image(.train, "a.jpg").lines.isEmpty)
    }
}

@Suite(.serialized) struct `Refinement after a review` {
    /// A two-iteration run whose first pass is reviewed before the second: one label rejected,
    /// one corrected, one accepted.
    func reviewedRun(trainOn: TrainOn) async throws -> (folder: URL, refiner: Refiner, rejected: ReviewItem, corrected: ReviewItem, accepted: ReviewItem) {
        let (folder, data, _) = try await tinyDataSet()
        var settings = tinySettings(truth: nil)
        settings.iterations = 1
        let run = folder.appendingPathComponent("run")
        _ = try await Refiner(run: run, data: data, settings: settings, resume: false).refine()
        let refiner = try Refiner(run: run, data: nil, settings: RefineSettings(), resume: true)
        let items = try refiner.ledger.reviewItems()
        // the three highest-scoring labels, each on its own image
        var chosen: [ReviewItem] = []
        for item in items.reversed() where !chosen.contains(where: { $0.image == item.image && $0.split == item.split }) {
            chosen.append(item)
            if chosen.count == 3 { break }
        }
        let shape = KeypointShape(count: 51, dimensions: 3)
        var instance = LabelFile.parse(chosen[1].line, file: "t", keypointShape: shape, classCount: nil).instances[0]
        instance.keypoints[0].x = min(instance.keypoints[0].x + 0.05, 1)
        instance.keypoints[3].visibility = 0
        let line = LabelFile.format([instance], keypointShape: shape).trimmingCharacters(in: .newlines)
        let rejected = try refiner.ledger.decide(chosen[0].id, .rejected, reviewer: "ann", version: 0)
        let corrected = try refiner.ledger.decide(chosen[1].id, .corrected, line: line, reviewer: "ann", version: 0)
        let accepted = try refiner.ledger.decide(chosen[2].id, .accepted, reviewer: "ann", version: 0)
        try refiner.extend(iterations: 2, trainOn: trainOn)
        _ = try await refiner.refine()
        return (folder, refiner, rejected, corrected, accepted)
    }

    func labelText(_ refiner: Refiner, _ iteration: Int, _ item: ReviewItem) throws -> String {
        let image = try Dataset.load(refiner.dataURL(iteration)).images(item.split).images.first { $0.relativePath == item.image }!
        return (try? String(contentsOf: image.labelURL, encoding: .utf8)) ?? ""
    }

    @Test func `rejected faces stay out, corrected points are trained on, and every count agrees`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .all)
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try refiner.summary()
        #expect(summary.iterations.map(\.index) == [0, 1, 2])
        // iteration 2 trained on the corrected line, not the generated one, and without the rejected label
        let text = try labelText(refiner, 2, corrected)
        #expect(text.contains(corrected.currentLine) && !text.contains(corrected.line))
        #expect(!(try labelText(refiner, 2, rejected)).contains(rejected.line))
        #expect(try labelText(refiner, 2, accepted).contains(accepted.line))
        // no label generated by iteration 2 overlaps the rejected box
        let shape = KeypointShape(count: 51, dimensions: 3)
        let box = LabelFile.parse(rejected.line, file: "t", keypointShape: shape, classCount: nil).instances[0].box
        let again = try refiner.ledger.reviewItems(ReviewFilter(iteration: 2)).filter { $0.split == rejected.split && $0.image == rejected.image }
        for item in again {
            let other = LabelFile.parse(item.line, file: "t", keypointShape: shape, classCount: nil).instances[0].box
            #expect(Merge.iou(box, other) <= refiner.settings.autolabel.mergeIoU)
        }
        // Table 1 = label files = ledger, for every iteration
        for iteration in summary.iterations {
            let dataset = try Dataset.load(refiner.dataURL(iteration.index))
            for (split, counts) in [(Split.train, iteration.train), (.val, iteration.val)] {
                #expect(try dataset.entries(split).reduce(0) { $0 + $1.instances.count } == counts.labels, "iteration \(iteration.index) \(split)")
            }
        }
        let last = summary.iterations[2]
        #expect(try refiner.ledger.labelCounts(upTo: 2) == [.train: last.train.labels, .val: last.val.labels])
        let first = try #require(try refiner.ledger.provenance()[1])
        #expect(first.rejected == 1 && first.corrected == 1 && first.accepted == 1)
    }

    @Test func `training on reviewed labels keeps the unconfirmed ones out`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .reviewed)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try Dataset.load(refiner.dataURL(2))
        let lines = try [Split.train, .val].reduce(0) { total, split in try total + dataset.entries(split).reduce(0) { $0 + $1.instances.count } }
        let originals = try refiner.ledger.labels().filter { $0.iteration == 0 }.count
        #expect(lines == originals + 2)  // the accepted and the corrected
        #expect(try labelText(refiner, 2, corrected).contains(corrected.currentLine))
        #expect(try labelText(refiner, 2, accepted).contains(accepted.line))
        #expect(!(try labelText(refiner, 2, rejected)).contains(rejected.line))
        #expect(try refiner.summary().iterations[2].train.labels + refiner.summary().iterations[2].val.labels == lines)
    }

    @Test func `a run started from a reviewed one carries its confirmed labels and who confirmed them`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .all)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: nil)
        (settings.iterations, settings.startRun) = (0, refiner.run.path)
        let second = try Refiner(run: folder.appendingPathComponent("second"), data: nil, settings: settings, resume: false)
        #expect(second.data == refiner.data)
        _ = try await second.refine()
        #expect(try labelText(second, 0, corrected).contains(corrected.currentLine))
        #expect(try labelText(second, 0, accepted).contains(accepted.line))
        #expect(!(try labelText(second, 0, rejected)).contains(rejected.line))
        let history = try second.ledger.history(split: corrected.split, image: corrected.image).first { $0.label.line == corrected.line }
        #expect(history?.decisions.map(\.reviewer) == ["ann"] && history?.label.status == .corrected)
        #expect(try second.ledger.reviewedLabels(upTo: 0).image(rejected.split, rejected.image).rejected == [rejected.line])
    }
}
