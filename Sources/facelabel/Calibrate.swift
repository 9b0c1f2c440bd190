import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData
import PoseMetrics

/// `facelabel calibrate --data DATA.yaml --weights W`: which thresholds keep the precision needed.
struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure on labelled faces which --conf and --max-disagreement give the precision you need.",
        discussion: """
            Predicts on a split whose faces are all labelled (val by default). For each threshold it \
            keeps the faces autolabel would keep (after the closer look and the overlap check, as \
            autolabel does by default; the flip check's views fused unless --no-fuse-views) and \
            judges them: right when paired, one to one by score, with a labelled face (box IoU 0.5 \
            or more), wrong otherwise. Prints, for the score threshold \
            alone and for each flip-disagreement limit, the precision, recall and NME each threshold \
            would give, and recommends the thresholds that reach --target-precision with the most \
            recall. --out writes them for 'autolabel --calibrated' and 'refine --calibrated'. \
            A split on which the model confidently finds many faces that no label covers looks \
            incompletely labelled: each such face would count as a wrong label, so calibrate then \
            says so and recommends nothing, unless --assume-complete. \
            With --from-review RUN it needs no labelled split: it scores each threshold on the \
            labels a person audited in RUN ('review RUN --audit N', a random sample of the generated \
            labels), so it can only raise the thresholds RUN labelled with; --by-lower-bound asks \
            the lower end of the precision's 95% interval to reach --target-precision. \
            'refine --resume --out RUN --calibrated FILE' labels the next passes with them.
            """)

    @Option(help: "A data set whose chosen split has every face labelled.") var data: String?
    @Option(help: "Calibrate on the audit of this refinement run instead of a labelled split.") var fromReview: String?
    @Option(help: "With --from-review: the audited iteration (default: the latest audited).") var iteration: Int?
    @Flag(help: "Recommend thresholds whose precision reaches the target at the lower end of its 95% interval.")
    var byLowerBound = false
    @Option(help: "The labelled split: train, val or test.") var split = Split.val
    @Option(help: "The precision the labels must reach, in (0, 1].") var targetPrecision = 0.99
    @Option(help: "Write the recommended thresholds to this file (JSON).") var out: String?
    @Flag(help: "Recommend thresholds even when the split looks incompletely labelled (its unlabelled faces are mistakes).")
    var assumeComplete = false
    @Option(help: "Weights (.safetensors or a PyTorch .pt); not with --from-review.") var weights: String?
    @OptionGroup var size: ImageSizeOption<CalibrateDefaults>
    @Option(help: "Images per forward pass (at most 1024).") var batch: Int = CalibrateDefaults.batch
    @OptionGroup var decoding: DecodingOption<CalibrateDefaults>
    @OptionGroup var keypoints: KeypointConfidenceOption
    @OptionGroup var looks: LookOptions
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try OptionCheck.positiveFraction(targetPrecision, "--target-precision")
        guard (data == nil) != (fromReview == nil) else {
            throw ValidationError("give either --data (with --weights) or --from-review RUN")
        }
        if data != nil && weights == nil { throw ValidationError("--data needs --weights: the model whose thresholds to calibrate") }
        if fromReview != nil && weights != nil {
            throw ValidationError("--from-review calibrates the run's own labels; it takes no --weights")
        }
        try OptionCheck.batch(batch)
        if iteration != nil && fromReview == nil { throw ValidationError("--iteration needs --from-review") }
    }

    struct Output: Encodable {
        var rows: [Calibration.Row]
        var recommended: Calibration.Row?
        var plain: Calibration.Row?
        var faces: Int
        var completeness: LabelCoverage
    }

    func run() async throws {
        if let fromReview { return try calibrateFromReview(fromReview) }
        let device = try runtime.apply()
        let dataset = try DataLoading.dataset(data!)
        let network = try PoseModel.load(
            URL(fileURLWithPath: weights!), keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
        let settings = AutolabelSettings(
            keypointConfidence: keypoints.kptConf, imageSize: size.imgsz, batchSize: batch, fastDecode: decoding.fastDecode,
            singleViewConfidence: looks.confSingle, fusesViews: looks.fuseViews, closerLook: looks.closerLook,
            checksOverlap: looks.overlapCheck)
        let progress = ProgressLine("calibrate", plainEvery: 50)
        let (candidates, faces, images) = try Calibration.candidates(dataset, split: split, model: network, settings: settings) {
            progress.update($0, of: $1)
        }
        progress.finish()
        let completeness = Calibration.coverage(candidates, faces: faces, images: images)
        let refuses = completeness.looksIncomplete && !assumeComplete
        if completeness.looksIncomplete {
            note(
                "warning: \(completeness.warning(split: split.rawValue)) here, so the precision below is too low and the thresholds "
                    + "it suggests keep too few faces. Calibrate on a split whose faces are all labelled (--data, --split)"
                    + (assumeComplete
                        ? "; --assume-complete: recommending anyway." : ", or pass --assume-complete if those faces are not faces."))
        }
        let rows = Calibration.sweep(candidates, faces: faces, confSingle: looks.confSingle, checksOverlap: looks.overlapCheck)
        let best = refuses ? nil : Calibration.recommend(rows, targetPrecision: targetPrecision, byLowerBound: byLowerBound)
        let plain =
            refuses ? nil : Calibration.recommend(rows, targetPrecision: targetPrecision, plainOnly: true, byLowerBound: byLowerBound)
        if let out {
            if refuses {
                throw ValidationError(
                    "\(split) looks incompletely labelled (above); no thresholds recommended, nothing written to \(out)")
            }
            try write(best, to: out, faces: "\(faces) faces", confSingle: looks.confSingle, data: dataset.configURL.path, weights: weights!)
        }
        if runtime.json {
            return try printJSON(Output(rows: rows, recommended: best, plain: plain, faces: faces, completeness: completeness))
        }
        print("\(candidates.count) candidates for \(faces) labelled faces of \(split)")
        printRows(rows, best: best)
        if refuses {
            print("no thresholds recommended: \(split) looks incompletely labelled (see above; --assume-complete overrides)")
            return
        }
        printRecommendation(best, plain: plain, rows: rows)
    }

    /// Writes `best`'s thresholds to `out` (atomically); an error when no row reaches the target.
    func write(_ best: Calibration.Row?, to out: String, faces: String, confSingle: Float, data: String, weights: String) throws {
        guard let best else {
            throw ValidationError("no thresholds reach precision \(targetPrecision) on \(faces); nothing written to \(out)")
        }
        let file = Calibration.File(best, confSingle: confSingle, targetPrecision: targetPrecision, data: data, weights: weights)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(file), to: URL(fileURLWithPath: out))
    }

    func percent(_ value: Double?) -> String { value.map { String(format: "%5.1f", $0 * 100) } ?? "    –" }

    func printRows(_ rows: [Calibration.Row], best: Calibration.Row?) {
        print("max-disagreement  conf  kept  precision  at least*  recall    NME")
        for limit in Calibration.disagreements {
            let shown = rows.filter {
                $0.maxDisagreement == limit && (limit == nil || [0.2, 0.4, 0.6, 0.8].contains($0.conf) || $0.conf == best?.conf)
            }
            for row in shown {
                let name = limit.map { String(format: "%.2f", $0) } ?? "off"
                let nme = row.nme.map { String(format: "%5.2f%%", $0 * 100) } ?? "    –"
                print(
                    String(repeating: " ", count: max(0, 16 - name.count)) + name + String(format: "  %4.2f  %4d", row.conf, row.kept)
                        + "      \(percent(row.precision))      \(percent(row.precisionLowerBound))   \(percent(row.recall))  \(nme)")
            }
        }
        print("* the least precision the kept faces show with 95% confidence (Wilson score interval)")
    }

    func printRecommendation(_ best: Calibration.Row?, plain: Calibration.Row?, rows: [Calibration.Row]) {
        guard let best else {
            print("no thresholds reach precision \(targetPrecision); the highest is \(percent(rows.compactMap(\.precision).max()))%")
            return
        }
        let thresholds = "--conf \(best.conf)" + (best.maxDisagreement.map { " --max-disagreement \($0)" } ?? "")
        let reached = "precision \(percent(best.precision))%, recall \(percent(best.recall))%"
        print("recommended for precision \(targetPrecision): \(thresholds) (\(reached))")
        if let plain, plain != best { print("the score alone: --conf \(plain.conf) (recall \(percent(plain.recall))%)") }
        if let bound = best.precisionLowerBound, bound < targetPrecision {
            let needed =
                Calibration.facesToShow(precision: targetPrecision).map {
                    "; it takes at least \($0) kept faces, all right, to show \(targetPrecision)"
                } ?? ""
            let least = percent(bound).trimmingCharacters(in: .whitespaces)
            print(
                "note: \(best.kept) kept faces show precision \(least)% at least (95% confidence)\(needed): "
                    + "calibrate on more labelled (or audited) faces for a surer recommendation")
        }
        if let out { print("written to \(out): pass --calibrated \(out) to autolabel or refine") }
    }
}

extension Calibrate {
    struct ReviewOutput: Encodable {
        var iteration: Int
        var rows: [Calibration.Row]
        var recommended: Calibration.Row?
        var plain: Calibration.Row?
        var audited: Int
    }

    /// `--from-review RUN`: the thresholds scored on RUN's audit.
    func calibrateFromReview(_ folder: String) throws {
        let run = try RefinementRun.open(URL(fileURLWithPath: folder))
        guard let audited = try iteration ?? run.ledger.auditedIterations().last else {
            throw ValidationError("\(folder) has no audit: 'facelabel review \(folder) --audit 100' draws one")
        }
        let labels = try run.auditedLabels(iteration: audited)
        let decided = labels.filter { $0.right != nil }.count
        guard decided > 0 else { throw ValidationError("iteration \(audited) of \(folder): no label of the audit decided yet") }
        let settings = try run.settings()
        let rows = Calibration.sweep(audit: labels, minimumConf: settings.autolabel.confidence)
        let best = Calibration.recommend(rows, targetPrecision: targetPrecision, byLowerBound: byLowerBound)
        let plain = Calibration.recommend(rows, targetPrecision: targetPrecision, plainOnly: true, byLowerBound: byLowerBound)
        if let out {
            try write(
                best, to: out, faces: "\(decided) audited labels", confSingle: settings.autolabel.singleViewConfidence,
                data: run.inputData.path, weights: try run.weights(audited - 1)?.path ?? "")
        }
        if runtime.json {
            return try printJSON(ReviewOutput(iteration: audited, rows: rows, recommended: best, plain: plain, audited: decided))
        }
        print("\(decided) audited labels of iteration \(audited) (of \(labels.count) generated); recall: the share of the right ones kept")
        printRows(rows, best: best)
        printRecommendation(best, plain: plain, rows: rows)
    }
}
