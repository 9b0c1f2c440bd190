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
            says so and recommends nothing, unless --assume-complete.
            """)

    @Option(help: "A data set whose chosen split has every face labelled.") var data: String
    @Option(help: "The labelled split: train, val or test.") var split = Split.val
    @Option(help: "The precision the labels must reach, in (0, 1].") var targetPrecision = 0.99
    @Option(help: "Write the recommended thresholds to this file (JSON).") var out: String?
    @Flag(help: "Recommend thresholds even when the split looks incompletely labelled (its unlabelled faces are mistakes).")
    var assumeComplete = false
    @OptionGroup var model: ModelOptions<CalibrateDefaults>
    @OptionGroup var decoding: DecodingOption<CalibrateDefaults>
    @OptionGroup var keypoints: KeypointConfidenceOption
    @OptionGroup var looks: LookOptions
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try OptionCheck.positiveFraction(targetPrecision, "--target-precision")
    }

    struct Output: Encodable {
        var rows: [Calibration.Row]
        var recommended: Calibration.Row?
        var plain: Calibration.Row?
        var faces: Int
        var completeness: LabelCoverage
    }

    func run() async throws {
        let device = try runtime.apply()
        let dataset = try DataLoading.dataset(data)
        let network = try PoseModel.load(
            URL(fileURLWithPath: model.weights), keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
        let settings = AutolabelSettings(
            keypointConfidence: keypoints.kptConf, imageSize: model.imgsz, batchSize: model.batch, fastDecode: decoding.fastDecode,
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
        let best = refuses ? nil : Calibration.recommend(rows, targetPrecision: targetPrecision)
        let plain = refuses ? nil : Calibration.recommend(rows, targetPrecision: targetPrecision, plainOnly: true)
        if let out {
            if refuses {
                throw ValidationError(
                    "\(split) looks incompletely labelled (above); no thresholds recommended, nothing written to \(out)")
            }
            guard let best else {
                throw ValidationError("no thresholds reach precision \(targetPrecision) on \(faces) faces; nothing written to \(out)")
            }
            let file = Calibration.File(
                best, confSingle: looks.confSingle, targetPrecision: targetPrecision, data: dataset.configURL.path, weights: model.weights)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(file), to: URL(fileURLWithPath: out))
        }
        if runtime.json {
            return try printJSON(Output(rows: rows, recommended: best, plain: plain, faces: faces, completeness: completeness))
        }
        func percent(_ value: Double?) -> String { value.map { String(format: "%5.1f", $0 * 100) } ?? "    –" }
        print("\(candidates.count) candidates for \(faces) labelled faces of \(split)")
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
        if refuses {
            print("no thresholds recommended: \(split) looks incompletely labelled (see above; --assume-complete overrides)")
            return
        }
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
                    + "calibrate on more labelled faces for a surer recommendation")
        }
        if let out { print("written to \(out): pass --calibrated \(out) to autolabel or refine") }
    }
}
