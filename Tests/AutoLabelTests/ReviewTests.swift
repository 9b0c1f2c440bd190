import Foundation
import Pose
import PoseData
import Testing

@testable import AutoLabel

/// The layout of ``reviewLedger()``'s labels: one point.
let onePoint = KeypointShape(count: 1, dimensions: 3)

/// A label line of ``onePoint``, parsed.
func onePointLabel(_ line: String) -> PoseInstance {
    LabelFile.parse(line, file: "t", keypointShape: onePoint, classCount: nil).instances[0]
}

/// A ledger with one image's original label and three generated labels: a.jpg 0.9, b.jpg 0.4 and
/// c.jpg 0.6 (their ids in that order).
func reviewLedger() throws -> (ledger: Ledger, folder: URL, ids: [Int64]) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let ledger = try Ledger(url: folder.appendingPathComponent("ledger.sqlite"), keypointShape: onePoint)
    try ledger.recordOriginals([(ImageKey(.train, "a.jpg"), ["0 0.5 0.5 0.2 0.2 0.5 0.5 2"])])
    try ledger.start(1, settings: "{}")
    func generated(_ key: ImageKey, _ line: String, _ confidence: Double) -> GeneratedLabel {
        GeneratedLabel(
            image: key, instance: onePointLabel(line), confidence: confidence,
            measures: LabelMeasures(keypointConfidences: [1], disagreement: nil, shapeResidual: nil, decision: .kept))
    }
    try ledger.recordGenerated(
        iteration: 1,
        labels: [
            generated(ImageKey(.train, "a.jpg"), "0 0.2 0.2 0.1 0.1 0.2 0.2 2", 0.9),
            generated(ImageKey(.train, "b.jpg"), "0 0.7 0.7 0.2 0.2 0.7 0.7 2", 0.4),
            generated(ImageKey(.val, "c.jpg"), "0 0.3 0.6 0.2 0.2 0.3 0.6 2", 0.6),
        ], dropped: [], model: "iter0/train/weights/best.safetensors", seconds: 1)
    let ids = try ledger.labels(matching: ReviewFilter()).sorted { $0.image < $1.image }.map(\.id)  // a, b, c
    return (ledger, folder, ids)
}

@Suite struct `Review decisions in the ledger` {
    @Test func `the queue shows generated labels lowest score first, and filters`() throws {
        let (ledger, folder, _) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ledger.labels(matching: ReviewFilter()).map(\.score) == [0.4, 0.6, 0.9])
        #expect(try ledger.labels(matching: ReviewFilter(minimumScore: 0.5)).map(\.image.path) == ["c.jpg", "a.jpg"])
        #expect(try ledger.labels(matching: ReviewFilter(imageContains: "b.")).map(\.image.path) == ["b.jpg"])
        #expect(try ledger.labels(matching: ReviewFilter(iteration: 2)).isEmpty)
    }

    @Test func `each decision is kept, the latest counts, and a stale version is a conflict`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corrected = "0 0.2 0.2 0.1 0.1 0.25 0.2 1"
        var item = try ledger.decide(ids[0], .accepted, reviewer: "ann", version: 0)
        #expect(item.status == .accepted && item.version == 1 && item.reviewer == "ann")
        item = try ledger.decide(ids[0], .corrected, corrected: onePointLabel(corrected), reviewer: "bob", version: 1)
        #expect(item.status == .corrected && item.currentLine == corrected && item.line == "0 0.2 0.2 0.1 0.1 0.2 0.2 2")
        // another tab still at version 1
        let conflict = #expect(throws: ReviewConflict.self) { try ledger.decide(ids[0], .rejected, reviewer: "cat", version: 1) }
        #expect(conflict?.current.status == .corrected && conflict?.current.reviewer == "bob")
        // undo: back to unreviewed, the history keeps all three
        item = try ledger.decide(ids[0], .unreviewed, reviewer: "bob", version: 2)
        #expect(item.status == .unreviewed && item.currentLine == item.line)
        let history = try ledger.history(of: ImageKey(.train, "a.jpg"))
        #expect(history.map(\.label.iteration) == [0, 1])
        #expect(history[1].decisions.map(\.status) == [.accepted, .corrected, .unreviewed])
        #expect(history[1].decisions.map(\.reviewer) == ["ann", "bob", "bob"])
        // originals are not reviewed; a correction needs its line, and only it has one
        #expect(throws: DataProblem.self) { try ledger.decide(history[0].label.id, .rejected, reviewer: "x", version: 0) }
        #expect(throws: DataProblem.self) { try ledger.decide(ids[1], .corrected, reviewer: "x", version: 0) }
        #expect(throws: DataProblem.self) {
            try ledger.decide(ids[1], .accepted, corrected: onePointLabel(corrected), reviewer: "x", version: 0)
        }
    }

    @Test func `accepting the rest above a score takes only unreviewed labels at or above it`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        try ledger.decide(ids[2], .rejected, reviewer: "ann", version: 0)  // c.jpg, 0.6
        let accepted = try ledger.acceptRemaining(ReviewFilter(), minimumScore: 0.5, reviewer: "ann")
        #expect(accepted == [ids[0]])
        #expect(try ledger.labels(matching: ReviewFilter()).map(\.status) == [.unreviewed, .rejected, .accepted])
    }

    @Test func `provenance, data set lines and counts follow the decisions`() throws {
        let (ledger, folder, ids) = try reviewLedger()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corrected = "0 0.7 0.7 0.2 0.2 0.72 0.7 2"
        try ledger.decide(ids[0], .accepted, reviewer: "ann", version: 0)
        try ledger.decide(ids[1], .corrected, corrected: onePointLabel(corrected), reviewer: "ann", version: 0)
        try ledger.decide(ids[2], .rejected, reviewer: "ann", version: 0)
        let added = try ledger.addLabel(
            onePointLabel("0 0.1 0.9 0.1 0.1 0.1 0.9 2"), on: ImageKey(.train, "b.jpg"), iteration: 1, reviewer: "ann", source: "cvat")
        var expected = ProvenanceCounts()
        (expected.accepted, expected.corrected, expected.rejected, expected.added) = (1, 1, 1, 1)
        var originals = ProvenanceCounts()
        originals.original = 1
        #expect(try ledger.provenance() == [0: originals, 1: expected])
        let lines = try ledger.reviewedLabels(upTo: 1)
        #expect(lines.image(ImageKey(.train, "b.jpg")).lines == [corrected, "0 0.1 0.9 0.1 0.1 0.1 0.9 2"])
        #expect(
            lines.image(ImageKey(.val, "c.jpg")).lines.isEmpty
                && lines.image(ImageKey(.val, "c.jpg")).rejected.map(\.line) == ["0 0.3 0.6 0.2 0.2 0.3 0.6 2"])
        #expect(try ledger.labelCounts(upTo: 1) == [.train: 4])
        #expect(try ledger.label(added)?.status == .added)
        // an unreviewed label is counted unless only confirmed labels are trained on
        try ledger.decide(ids[0], .unreviewed, reviewer: "ann", version: 1)
        #expect(try ledger.labelCounts(upTo: 1) == [.train: 4])
        #expect(try ledger.labelCounts(upTo: 1, verifiedOnly: true) == [.train: 3])
        #expect(try ledger.reviewedLabels(upTo: 1, verifiedOnly: true).image(ImageKey(.train, "a.jpg")).lines.isEmpty)
    }
}

@Suite(.serialized) struct `Refinement after a review` {
    /// A two-iteration run whose first pass is reviewed before the second: one label rejected,
    /// one corrected, one accepted.
    func reviewedRun(
        trainOn: TrainOn
    ) async throws -> (folder: URL, refiner: Refiner, rejected: LedgerLabel, corrected: LedgerLabel, accepted: LedgerLabel) {
        let (folder, data, _) = try await tinyDataSet()
        var settings = tinySettings(truth: nil)
        settings.iterations = 1
        let run = folder.appendingPathComponent("run")
        _ = try await startRefiner(run, data: data, settings: settings).refine()
        let refiner = try resumeRefiner(run)
        let items = try refiner.run.ledger.labels(matching: ReviewFilter())
        // the three highest-scoring labels, each on its own image
        var chosen: [LedgerLabel] = []
        for item in items.reversed() where !chosen.contains(where: { $0.image == item.image }) {
            chosen.append(item)
            if chosen.count == 3 { break }
        }
        var instance = chosen[1].instance
        instance.keypoints[0].x = min(instance.keypoints[0].x + 0.05, 1)
        instance.keypoints[3].visibility = 0
        let rejected = try refiner.run.ledger.decide(chosen[0].id, .rejected, reviewer: "ann", version: 0)
        let corrected = try refiner.run.ledger.decide(chosen[1].id, .corrected, corrected: instance, reviewer: "ann", version: 0)
        let accepted = try refiner.run.ledger.decide(chosen[2].id, .accepted, reviewer: "ann", version: 0)
        try refiner.extend(iterations: 2, trainOn: trainOn)
        _ = try await refiner.refine()
        return (folder, refiner, rejected, corrected, accepted)
    }

    func labelText(_ refiner: Refiner, _ iteration: Int, _ item: LedgerLabel) throws -> String {
        let image = try Dataset.load(refiner.run.dataYAML(iteration)).images(item.image.split).images.first {
            $0.relativePath == item.image.path
        }!
        return (try? String(contentsOf: image.labelURL, encoding: .utf8)) ?? ""
    }

    @Test func `rejected faces stay out, corrected points are trained on, and every count agrees`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .all)
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try refiner.run.summary()
        #expect(summary.iterations.map(\.index) == [0, 1, 2])
        // iteration 2 trained on the corrected line, not the generated one, and without the rejected label
        let text = try labelText(refiner, 2, corrected)
        #expect(text.contains(corrected.currentLine) && !text.contains(corrected.line))
        #expect(!(try labelText(refiner, 2, rejected)).contains(rejected.line))
        #expect(try labelText(refiner, 2, accepted).contains(accepted.line))
        // no label generated by iteration 2 overlaps the rejected box
        let again = try refiner.run.ledger.labels(matching: ReviewFilter(iteration: 2)).filter { $0.image == rejected.image }
        for item in again {
            #expect(Merge.iou(rejected.instance.box, item.instance.box) <= refiner.settings.autolabel.mergeIoU)
        }
        // Table 1 = label files = ledger, for every iteration
        for iteration in summary.iterations {
            let dataset = try Dataset.load(refiner.run.dataYAML(iteration.index))
            for (split, counts) in [(Split.train, iteration.train), (.val, iteration.val)] {
                #expect(
                    try dataset.entries(split).reduce(0) { $0 + $1.instances.count } == counts.labels,
                    "iteration \(iteration.index) \(split)")
            }
        }
        let last = summary.iterations[2]
        #expect(try refiner.run.ledger.labelCounts(upTo: 2) == [.train: last.train.labels, .val: last.val.labels])
        let first = try #require(try refiner.run.ledger.provenance()[1])
        #expect(first.rejected == 1 && first.corrected == 1 && first.accepted == 1)
    }

    @Test func `training on reviewed labels keeps the unconfirmed ones out`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .reviewed)
        defer { try? FileManager.default.removeItem(at: folder) }
        let dataset = try Dataset.load(refiner.run.dataYAML(2))
        let lines = try [Split.train, .val].reduce(0) { total, split in
            try total + dataset.entries(split).reduce(0) { $0 + $1.instances.count }
        }
        let originals = try refiner.run.ledger.labels().filter { $0.iteration == 0 }.count
        #expect(lines == originals + 2)  // the accepted and the corrected
        #expect(try labelText(refiner, 2, corrected).contains(corrected.currentLine))
        #expect(try labelText(refiner, 2, accepted).contains(accepted.line))
        #expect(!(try labelText(refiner, 2, rejected)).contains(rejected.line))
        #expect(try refiner.run.summary().iterations[2].train.labels + refiner.run.summary().iterations[2].val.labels == lines)
    }

    @Test func `a run started from a reviewed one carries its confirmed labels and who confirmed them`() async throws {
        let (folder, refiner, rejected, corrected, accepted) = try await reviewedRun(trainOn: .all)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: nil)
        (settings.iterations, settings.startRun) = (0, refiner.run.folder.path)
        let source = try fingerprint(refiner.run.folder)
        let second = try startRefiner(folder.appendingPathComponent("second"), data: refiner.run.inputData, settings: settings)
        _ = try await second.refine()
        #expect(try labelText(second, 0, corrected).contains(corrected.currentLine))
        #expect(try labelText(second, 0, accepted).contains(accepted.line))
        #expect(!(try labelText(second, 0, rejected)).contains(rejected.line))
        let history = try second.run.ledger.history(of: corrected.image).first { $0.label.line == corrected.line }
        #expect(history?.decisions.map(\.reviewer) == ["ann"] && history?.label.status == .corrected)
        #expect(try second.run.ledger.reviewedLabels(upTo: 0).image(rejected.image).rejected.map(\.line) == [rejected.line])
        // the reviewed run is only read: not a byte of it changed
        #expect(try fingerprint(refiner.run.folder) == source)
    }
}
