import AutoLabel
import Foundation
import PoseData
import Testing

/// Issue 18 through the commands: calibration on the user's own labelled faces, and the filters of
/// a refinement run recorded in its ledger.
@Suite(.serialized) struct `label quality commands` {
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").path

    @Test func `calibrate recommends thresholds that reach the target precision on its own val, and autolabel takes them`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel([
                "synth", "--out", scratch.path("data"), "--images", "30", "--imgsz", "256", "--unlabeled", "0", "--seed", "5",
            ]).status == 0)
        let calibrated = try runFaceLabel([
            "calibrate", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "256", "--target-precision",
            "0.95",
            "--out", scratch.path("calibration.json"), "--json",
        ])
        #expect(calibrated.status == 0, "\(calibrated.errors)")
        let result = try jsonObject(calibrated.output)
        // every face of the split is labelled: none found confidently is without a label
        let completeness = try #require(result["completeness"] as? [String: Any])
        #expect(completeness["looksIncomplete"] as? Bool == false && completeness["unlabelledFaces"] as? Int == 0)
        let best = try #require(result["recommended"] as? [String: Any])
        #expect((best["precision"] as? Double ?? 0) >= 0.95 && (best["recall"] as? Double ?? 0) > 0)
        // what 30 images' faces show for certain is less than what they measure
        let bound = try #require(best["precisionLowerBound"] as? Double)
        #expect(bound > 0.5 && bound < (best["precision"] as? Double ?? 0))
        let rows = try #require(result["rows"] as? [[String: Any]])
        // the recommendation has the most recall of every row at the target precision
        let reaching = rows.filter { ($0["precision"] as? Double ?? 0) >= 0.95 }
        #expect(reaching.allSatisfy { ($0["recall"] as? Double ?? 0) <= (best["recall"] as? Double ?? 0) })
        let file = try jsonObject(try String(contentsOfFile: scratch.path("calibration.json"), encoding: .utf8))
        #expect(file["conf"] as? Double == best["conf"] as? Double && file["targetPrecision"] as? Double == 0.95)
        #expect(file["precisionLowerBound"] as? Double == bound)

        let labelled = try runFaceLabel([
            "autolabel", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "256", "--calibrated",
            scratch.path("calibration.json"), "--out", scratch.path("labelled"), "--json",
        ])
        #expect(labelled.status == 0 && labelled.errors.contains("calibrated ("), "\(labelled.errors)")
    }

    @Test func `calibrate on a split with 30% of its faces unlabelled says so and recommends nothing, unless told`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel([
                "synth", "--out", scratch.path("data"), "--images", "100", "--imgsz", "256", "--unlabeled", "0.3", "--seed", "5",
            ]).status == 0)
        let common = ["calibrate", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "256"]
        let plain = try runFaceLabel(common + ["--target-precision", "0.95"])
        #expect(plain.status == 0, "\(plain.errors)")
        #expect(
            plain.errors.contains("warning: val looks incompletely labelled: the model finds 12 faces with score 0.70"), "\(plain.errors)")
        #expect(plain.errors.contains("on 10 of 20 images (50%), beside 31 labelled faces"))
        #expect(plain.output.contains("no thresholds recommended: val looks incompletely labelled"))
        #expect(!plain.output.contains("recommended for precision"))

        let written = try runFaceLabel(common + ["--target-precision", "0.95", "--out", scratch.path("calibration.json")])
        #expect(written.status != 0 && written.errors.contains("nothing written to"), "\(written.errors)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("calibration.json")))

        // val says the same of the split, and why its precision is low
        let val = try runFaceLabel([
            "val", "--data", scratch.path("data/data.yaml"), "--weights", Self.weights, "--imgsz", "256", "--json",
        ])
        #expect(val.status == 0 && val.errors.contains("warning: val looks incompletely labelled"), "\(val.errors)")
        #expect((try jsonObject(val.output)["coverage"] as? [String: Any])?["looksIncomplete"] as? Bool == true)

        // taken at its word, the split's unlabelled faces are mistakes: 70% precision is all it shows
        let assumed = try runFaceLabel(common + ["--target-precision", "0.7", "--assume-complete", "--json"])
        #expect(assumed.status == 0 && assumed.errors.contains("--assume-complete: recommending anyway"), "\(assumed.errors)")
        let result = try jsonObject(assumed.output)
        #expect((result["completeness"] as? [String: Any])?["looksIncomplete"] as? Bool == true)
        #expect(result["recommended"] != nil)
    }

    @Test func `a run with the flip and shape checks records every label's measures and every candidate it left out`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel([
                "synth", "--out", scratch.path("data"), "--images", "24", "--imgsz", "128", "--unlabeled", "0.4", "--seed", "6",
            ]).status == 0)
        let refined = try runFaceLabel([
            "refine", "--data", scratch.path("data/data.yaml"), "--out", scratch.path("run"), "--model", Self.weights, "--iterations", "1",
            "--epochs", "1", "--imgsz", "128", "--batch", "8", "--conf", "0.2", "--stop-below", "0", "--warmup-epochs", "0",
            "--close-mosaic", "0",
            "--max-disagreement", "0.05", "--shape-check", "flag", "--truth", scratch.path("data/truth/data.yaml"), "--json",
        ])
        #expect(refined.status == 0, "\(refined.errors)")
        let ledger = try RefinementRun.open(URL(fileURLWithPath: scratch.path("run"))).ledger
        let decisions = Set(try ledger.filterCounts().filter { $0.iteration == 1 }.compactMap(\.decision))
        let dropped = try ledger.droppedCandidates()
        #expect(
            decisions.contains("kept") && decisions.isSubset(of: ["kept", "flagged:shape", "dropped:flip", "dropped:single-view"]),
            "\(decisions)")
        #expect(dropped.allSatisfy { [.droppedByFlip, .droppedAsSingleView].contains($0.candidate.measures.decision) })
        #expect(
            dropped.filter { $0.candidate.measures.decision == .droppedByFlip }.allSatisfy {
                ($0.candidate.measures.disagreement ?? 0) > 0.05
            })
        // every generated label knows its disagreement (or was found in one view) and its shape residual
        let items = try ledger.labels(matching: ReviewFilter(iteration: 1))
        #expect(items.allSatisfy { ($0.disagreement ?? 0) <= 0.05 })
        // and each look's score, of which its own score is made: the two views' mean, then the
        // mean of that and the closer look's
        #expect(items.allSatisfy { $0.ownScore != nil || $0.mirroredScore != nil })
        let seenBoth = items.filter { $0.ownScore != nil && $0.mirroredScore != nil }
        #expect(!seenBoth.isEmpty && seenBoth.contains { $0.closerScore != nil })
        for item in seenBoth {
            let views = (item.ownScore! + item.mirroredScore!) / 2
            let expected = item.closerScore.map { (views + $0) / 2 } ?? views
            #expect(abs((item.score ?? 0) - expected) < 1e-4, "label \(item.id): \(item)")
        }
        let summary = try #require(try jsonObject(refined.output)["summary"] as? [String: Any])
        let filtering = try #require(summary["filtering"] as? [String: Any])
        #expect(filtering["1"] != nil)
        let report = try String(contentsOfFile: scratch.path("run/report/report.html"), encoding: .utf8)
        #expect(report.contains("Label filters: what each labelling pass kept and removed") && report.contains("truth&#39;s val labels"))
    }
}
