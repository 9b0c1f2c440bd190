import Foundation
import Pose
import PoseData
import Testing

@testable import AutoLabel

@Suite struct `Audit statistics` {
    @Test func `Wilson's interval and the finite-population correction give the hand-worked values`() throws {
        // 9 right of 10 from a population so large it is sampling with replacement: Wilson's
        // interval is 59.6%…98.2% (centre (0.9 + 1.92/10) / 1.384)
        let wide = AuditEstimate.wilson(0.9, AuditEstimate.effective(10, of: 100_000_000))
        #expect(abs(wide.lower - 0.5958) < 1e-4 && abs(wide.upper - 0.9821) < 1e-4)
        // 10 of a population of 20 are worth 10 · 19 / 10 = 19 drawn with replacement
        #expect(AuditEstimate.effective(10, of: 20) == 19)
        // a census leaves no doubt
        #expect(AuditEstimate.effective(20, of: 20) == .infinity)
        let census = AuditEstimate(tally(population: 20, accepted: 18, rejected: 2))
        #expect(census.precision == 0.9 && census.precisionInterval == Interval(0.9, 0.9))
        // 45 right of 50 of 1,000 labels: narrower than with replacement, wider than nothing
        let sample = try #require(AuditEstimate(tally(population: 1000, accepted: 45, rejected: 5)).precisionInterval)
        let unbounded = AuditEstimate.wilson(0.9, 50)
        #expect(sample.lower > unbounded.lower && sample.upper < unbounded.upper && sample.width > 0.1)
    }

    func tally(population: Int, accepted: Int, rejected: Int, images: Int = 100, checked: Int = 0, missed: Int = 0) -> AuditTally {
        var tally = AuditTally(iteration: 1, population: population, images: images)
        (tally.accepted, tally.rejected) = (accepted, rejected)
        // the missed faces one to an image, as a Poisson count with few faces would have them
        tally.missedByImage = (0..<checked).map { $0 < missed ? 1 : 0 }
        return tally
    }

    @Test func `the decisions a width needs are the fewest whose interval is that narrow`() throws {
        let estimate = AuditEstimate(
            tally(population: 100_000, accepted: 40, rejected: 10, images: 5000, checked: 25, missed: 5), width: 0.05)
        let more = try #require(estimate.moreLabels)
        let n = 50 + more
        // p = 0.8: about 4 z² p (1 − p) / w² = 983 decisions in all
        #expect((950...1010).contains(n), "\(n)")
        #expect(AuditEstimate.wilson(0.8, AuditEstimate.effective(n, of: 100_000)).width <= 0.05)
        #expect(AuditEstimate.wilson(0.8, AuditEstimate.effective(n - 1, of: 100_000)).width > 0.05)
        // so few faces are missed that the images checked already pin recall down
        #expect(estimate.moreImages == 0)
        let recall = AuditEstimate(tally(population: 500, accepted: 80, rejected: 20, images: 400, checked: 20, missed: 8), width: 0.1)
        #expect((recall.recallInterval?.width ?? 0) > 0.1 && (recall.moreImages ?? 0) > 0)
        // a width only a census reaches: every label of the run
        #expect(AuditEstimate(tally(population: 30, accepted: 2, rejected: 1), width: 0.0001).moreLabels == 27)
    }

    @Test func `Gamma draws have the mean and variance of their shape, below 1 too`() {
        var random = SeededRandom(seed: 7)
        for shape in [0.5, 2.5, 40] {
            let draws = (0..<20_000).map { _ in AuditEstimate.gamma(shape, &random) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count - 1)
            #expect(abs(mean - shape) < 0.03 * shape + 0.01, "shape \(shape): mean \(mean)")
            #expect(abs(variance - shape) < 0.08 * shape + 0.02, "shape \(shape): variance \(variance)")
        }
    }

    @Test func `recall combines precision and missed faces, and its interval holds the estimate`() throws {
        // 80 of 100 sampled labels right of 500; 20 faces missed on 50 of 400 images: recall
        // 500·0.8 / (500·0.8 + 400·0.4) = 400 / 560
        let estimate = AuditEstimate(tally(population: 500, accepted: 80, rejected: 20, images: 400, checked: 50, missed: 20))
        let recall = try #require(estimate.recall)
        #expect(abs(recall - 400.0 / 560) < 1e-12)
        let interval = try #require(estimate.recallInterval)
        #expect(interval.contains(recall) && interval.lower > 0.55 && interval.upper < 0.85)
        let missed = try #require(estimate.missedPerImageInterval)
        #expect(missed.contains(0.4) && missed.lower > 0.2 && missed.upper < 0.65)
        // the same 20 faces four to an image are fewer independent events: a wider interval
        var clustered = tally(population: 500, accepted: 80, rejected: 20, images: 400, checked: 50)
        clustered.missedByImage = (0..<50).map { $0 < 5 ? 4 : 0 }
        // variance (5 · 3.6² + 45 · 0.4²) / 49 = 72 / 49 over the mean 0.4
        #expect(abs(clustered.missedDispersion - 72.0 / 49 / 0.4) < 1e-9)
        let wider = try #require(AuditEstimate(clustered).missedPerImageInterval)
        #expect(wider.width > missed.width * 1.5 && wider.contains(0.4), "\(wider) against \(missed)")
        // no face missed on any checked image still leaves doubt
        let none = AuditEstimate(tally(population: 500, accepted: 80, rejected: 20, images: 400, checked: 50, missed: 0))
        #expect(none.recall == 1 && (none.recallInterval?.lower ?? 1) < 0.99)
    }
}

/// A refinement run whose iteration 1 "generated" labels are made from the truth without a model:
/// about three in four unlabelled faces found (one in five of those with its points off by more
/// than 10% NME), and a false face on about one image in five; right labels score 0.5 to 1, false
/// ones 0.2 to 0.6.
func pseudoLabelledRun(images: Int = 120) async throws -> (run: RefinementRun, truth: URL, folder: URL) {
    let (folder, data, truth) = try await tinyDataSet(images: images)
    let run = try RefinementRun.create(in: folder.appendingPathComponent("run"), data: data, settings: tinySettings(truth: truth))
    let dataset = try Dataset.load(data)
    try Refiner.write(dataset, to: run.dataFolder(0)) { _, _ in [] }
    var originals: [(image: ImageKey, lines: [String])] = []
    for split in [Split.train, .val] {
        for entry in try dataset.entries(split) {
            originals.append((ImageKey(split, entry.relativePath), entry.instances.map { run.ledger.line($0) }))
        }
    }
    try run.ledger.recordOriginals(originals)
    try run.ledger.start(0, settings: "{}")
    try run.ledger.markLabelled(0, seconds: 0)
    let truthSet = try Dataset.load(truth)
    var random = SeededRandom(seed: 11)
    var generated: [GeneratedLabel] = []
    let measures = LabelMeasures(keypointConfidences: [], disagreement: nil, shapeResidual: nil, decision: .kept)
    for split in [Split.train, .val] {
        for entry in try truthSet.entries(split) {
            let key = ImageKey(split, entry.relativePath)
            let labelled = originals.first { $0.image == key }!.lines
            for face in entry.instances where !labelled.contains(run.ledger.line(face)) && random.chance(0.75) {
                var found = face
                if random.chance(0.2) {
                    found.keypoints = face.keypoints.map { Keypoint(x: $0.x + 0.06, y: $0.y, visibility: $0.visibility) }
                }
                generated.append(GeneratedLabel(image: key, instance: found, confidence: random.uniform(0.5, 1), measures: measures))
            }
            if random.chance(0.2) {
                let box = BoundingBox(centerX: 0.9, centerY: 0.9, width: 0.15, height: 0.15)
                let false_ = PoseInstance(box: box, keypoints: entry.instances.first?.keypoints ?? [])
                generated.append(GeneratedLabel(image: key, instance: false_, confidence: random.uniform(0.2, 0.6), measures: measures))
            }
        }
    }
    try run.ledger.start(1, settings: "{}")
    try run.ledger.recordGenerated(iteration: 1, labels: generated, dropped: [], model: "iter0/train/weights/best.safetensors", seconds: 0)
    return (run, truth, folder)
}

@Suite(.serialized) struct `Audits of a run` {
    @Test func `a sample is uniformly random, fixed by its seed, extended by a larger count, and refused with another seed`() async throws {
        let (run, _, folder) = try await pseudoLabelledRun(images: 40)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = run.ledger
        let (labels, images) = try ledger.auditPopulation(iteration: 1, splits: [.train, .val])
        #expect(images.count == 40 && labels.count > 10)
        let first = try ledger.drawAudit(iteration: 1, labels: 5, images: 3, seed: 9, splits: [.train, .val])
        #expect(first.map(\.kind) == Array(repeating: .label, count: 5) + Array(repeating: .image, count: 3))
        #expect(first.compactMap(\.labelId) == Array(Ledger.shuffled(labels, seed: 9, stream: 1).prefix(5)))
        #expect(first.compactMap(\.labelId) != labels.prefix(5).map { $0 }, "in random order, not the ledger's")
        let extended = try ledger.drawAudit(iteration: 1, labels: 8, images: 3, seed: 9, splits: [.train, .val])
        #expect(Array(extended.prefix(5)) == Array(first.prefix(5)) && extended.count == 11)
        #expect(throws: DataProblem.self) { try ledger.drawAudit(iteration: 1, labels: 8, images: 3, seed: 10, splits: [.train, .val]) }
        #expect(throws: DataProblem.self) { try ledger.drawAudit(iteration: 2, labels: 8, images: 3, seed: 9, splits: [.train, .val]) }
    }

    @Test func `decisions taken in the audit, and only those, are counted`() async throws {
        let (run, _, folder) = try await pseudoLabelledRun(images: 40)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = run.ledger
        let items = try ledger.drawAudit(iteration: 1, labels: 4, images: 2, seed: 1, splits: [.train, .val])
        let ids = items.compactMap(\.labelId)
        try ledger.decide(ids[0], .accepted, reviewer: "ann", version: 0, source: Ledger.auditSource)
        try ledger.decide(ids[1], .rejected, reviewer: "ann", version: 0, source: Ledger.auditSource)
        var moved = try #require(try ledger.label(ids[2])).instance
        moved.keypoints = moved.keypoints.map { Keypoint(x: $0.x + 1.0 / 64, y: $0.y, visibility: $0.visibility) }
        try ledger.decide(ids[2], .corrected, corrected: moved, reviewer: "ann", version: 0, source: Ledger.auditSource)
        try ledger.decide(ids[3], .accepted, reviewer: "ann", version: 0)  // the ordinary queue: not the audit's
        let images = items.filter { $0.kind == .image }
        let face = PoseInstance(box: BoundingBox(centerX: 0.5, centerY: 0.5, width: 0.2, height: 0.2), keypoints: moved.keypoints)
        try ledger.addLabel(face, on: images[0].image, iteration: 1, reviewer: "ann", source: Ledger.auditSource)
        try ledger.setChecked(images[0].id, by: "ann")
        try ledger.setChecked(images[1].id, by: "ann")
        try ledger.setChecked(images[1].id, by: nil)  // undone
        var tally = try run.auditTally(iteration: 1)
        #expect((tally.accepted, tally.corrected, tally.rejected, tally.imagesChecked, tally.missedFaces) == (1, 1, 1, 1, 1))
        // the correction moved every point one pixel of the 64-pixel image
        #expect(tally.correctionPixels.count == 1 && abs(tally.correctionPixels[0] - 1) < 1e-3)
        // an undo in the audit takes the label out of the count
        try ledger.decide(ids[0], .unreviewed, reviewer: "ann", version: 1, source: Ledger.auditSource)
        tally = try run.auditTally(iteration: 1)
        #expect(tally.labelsAudited == 2)
        #expect(try ledger.auditItems(iteration: 1).filter(\.done).count == 3)  // ids[1], ids[2], images[0]
    }

    @Test func `a scripted reviewer's audits hold the truth's precision and recall about 19 times in 20`() async throws {
        let (run, truth, folder) = try await pseudoLabelledRun(images: 300)
        defer { try? FileManager.default.removeItem(at: folder) }
        let reviewer = try ScriptedReviewer(run: run, iteration: 1, truthData: truth)
        let (precision, recall) = (try #require(reviewer.truth.precision), try #require(reviewer.truth.recall))
        #expect((0.4...0.9).contains(precision) && (0.5...0.9).contains(recall), "precision \(precision), recall \(recall)")
        let estimates = (0..<40).map { AuditEstimate(reviewer.tally(labels: 50, images: 100, seed: UInt64($0))) }
        let precisionHolds = estimates.filter { $0.precisionInterval!.contains(precision) }.count
        let recallHolds = estimates.filter { $0.recallInterval!.contains(recall) }.count
        #expect(precisionHolds >= 33 && recallHolds >= 33, "held: precision \(precisionHolds)/40, recall \(recallHolds)/40")
        // and not by being useless: the intervals are a fraction of the range
        let widths = estimates.map { ($0.precisionInterval!.width, $0.recallInterval!.width) }
        #expect(widths.map(\.0).reduce(0, +) / 40 < 0.3 && widths.map(\.1).reduce(0, +) / 40 < 0.35, "\(widths) \(reviewer.truth)")
        // the same reviewer through the ledger counts what it counts in memory
        let items = try run.ledger.drawAudit(iteration: 1, labels: 40, images: 20, seed: 3, splits: [.train, .val])
        try reviewer.audit(items, in: run.ledger, reviewer: "script")
        #expect(try run.auditTally(iteration: 1) == reviewer.tally(labels: 40, images: 20, seed: 3))
        #expect(try run.summary().audits?.first?.labelsAudited == 40)
    }

    @Test func `calibrating from an audit raises the threshold until the audited labels reach the precision`() async throws {
        let (run, truth, folder) = try await pseudoLabelledRun()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reviewer = try ScriptedReviewer(run: run, iteration: 1, truthData: truth)
        let population = try run.ledger.auditPopulation(iteration: 1, splits: [.train, .val]).labels.count
        try reviewer.audit(
            try run.ledger.drawAudit(iteration: 1, labels: population, images: 0, seed: 0, splits: [.train, .val]), in: run.ledger,
            reviewer: "script")
        let labels = try run.auditedLabels(iteration: 1)
        #expect(labels.count == population && labels.allSatisfy { $0.right != nil })
        let rows = Calibration.sweep(audit: labels, minimumConf: 0.2)
        #expect(rows.first?.conf == 0.2 && rows.allSatisfy { $0.maxDisagreement == nil && $0.conf >= 0.2 })
        // at 0.2 every label is kept: the audit's precision is the truth's
        #expect(rows[0].kept == population && abs(rows[0].precision! - reviewer.truth.precision!) < 1e-9)
        // false faces score 0.2 to 0.6: a threshold of 0.6 keeps right ones only
        let best = try #require(Calibration.recommend(rows, targetPrecision: 0.99))
        #expect(best.conf > 0.45 && best.conf <= 0.6 && best.precision! >= 0.99, "\(best)")
        let sure = try #require(Calibration.recommend(rows, targetPrecision: 0.97, byLowerBound: true))
        #expect(sure.precisionLowerBound! >= 0.97 && sure.conf >= best.conf)
    }
}
