import ArgumentParser
import AutoLabel
import Foundation
import Pose
import PoseData

/// `facelabel calibrate --data DATA.yaml --weights W`: which thresholds keep the precision needed.
struct Calibrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure on labelled faces which --conf and --max-disagreement give the precision you need.",
        discussion: """
            Predicts on a split whose faces are all labelled (val by default). For each threshold it \
            keeps the faces autolabel would keep (after the closer look and the overlap check, as \
            autolabel does by default) and judges them: right when paired, one to one by score, with \
            a labelled face (box IoU 0.5 or more), wrong otherwise. Prints, for the score threshold \
            alone and for each flip-disagreement limit, the precision, recall and NME each threshold \
            would give, and recommends the thresholds that reach --target-precision with the most \
            recall. --out writes them for 'autolabel --calibrated' and 'refine --calibrated'.
            """)

    @Option(help: "A data set whose chosen split has every face labelled.") var data: String
    @Option(help: "Weights (.safetensors).") var weights: String
    @Option(help: "The labelled split.") var split = "val"
    @Option(help: "Network input size.") var imgsz = 640
    @Option(help: "The precision the labels must reach.") var targetPrecision = 0.99
    @Option(help: "With the flip check, a face found in one view only is kept at this score or above.") var confSingle: Float = 0.9
    @Option(help: "Keypoints under this confidence get visibility 0.") var kptConf: Float = 0.5
    @Flag(inversion: .prefixedNo, help: "Judge the faces after the overlap check, as autolabel and refine apply it by default.")
    var overlapCheck = true
    @Flag(inversion: .prefixedNo, help: "Judge the faces after their closer look (crop refinement), as autolabel and refine do by default.")
    var refineCrops = true
    @Option(help: "Write the recommended thresholds to this file (JSON).") var out: String?
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard Split(rawValue: split) != nil else { throw ValidationError("--split must be train, val or test.") }
        guard (0...1).contains(targetPrecision) else { throw ValidationError("--target-precision must be in [0, 1].") }
    }

    struct Output: Encodable {
        var rows: [Calibration.Row]
        var recommended: Calibration.Row?
        var plain: Calibration.Row?
        var faces: Int
    }

    func run() async throws {
        let device = try runtime.apply()
        let dataset = try DataLoading.dataset(data)
        let model = try PoseModel.load(URL(fileURLWithPath: weights), keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
        var settings = AutolabelSettings()
        (settings.imageSize, settings.keypointConfidence, settings.closerLook) = (imgsz, kptConf, refineCrops)
        let progress = ProgressLine("calibrate", plainEvery: 50)
        let (candidates, faces) = try Calibration.candidates(dataset, split: Split(rawValue: split)!, model: model, settings: settings) {
            progress.update($0, of: $1)
        }
        progress.finish()
        let rows = Calibration.sweep(candidates, faces: faces, confSingle: confSingle, checksOverlap: overlapCheck)
        let best = Calibration.recommend(rows, targetPrecision: targetPrecision)
        let plain = Calibration.recommend(rows, targetPrecision: targetPrecision, plainOnly: true)
        if let out {
            guard let best else {
                throw ValidationError("no thresholds reach precision \(targetPrecision) on \(faces) faces; nothing written to \(out)")
            }
            let file = Calibration.File(best, confSingle: confSingle, targetPrecision: targetPrecision, data: dataset.configURL.path, weights: weights)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(file), to: URL(fileURLWithPath: out))
        }
        if runtime.json { return try printJSON(Output(rows: rows, recommended: best, plain: plain, faces: faces)) }
        func percent(_ value: Double?) -> String { value.map { String(format: "%5.1f", $0 * 100) } ?? "    –" }
        print("\(candidates.count) candidates for \(faces) labelled faces of \(split)")
        print("max-disagreement  conf  kept  precision  at least*  recall    NME")
        for limit in Calibration.disagreements {
            let shown = rows.filter { $0.maxDisagreement == limit && (limit == nil || [0.2, 0.4, 0.6, 0.8].contains($0.conf) || $0.conf == best?.conf) }
            for row in shown {
                let name = limit.map { String(format: "%.2f", $0) } ?? "off"
                let nme = row.nme.map { String(format: "%5.2f%%", $0 * 100) } ?? "    –"
                print(String(repeating: " ", count: max(0, 16 - name.count)) + name + String(format: "  %4.2f  %4d", row.conf, row.kept)
                    + "      \(percent(row.precision))      \(percent(row.precisionLowerBound))   \(percent(row.recall))  \(nme)")
            }
        }
        print("* the least precision the kept faces show with 95% confidence (Wilson score interval)")
        guard let best else {
            print("no thresholds reach precision \(targetPrecision); the highest is \(percent(rows.compactMap(\.precision).max()))%")
            return
        }
        let thresholds = "--conf \(best.conf)" + (best.maxDisagreement.map { " --max-disagreement \($0)" } ?? "")
        print("recommended for precision \(targetPrecision): \(thresholds) (precision \(percent(best.precision))%, recall \(percent(best.recall))%)")
        if let plain, plain != best { print("the score alone: --conf \(plain.conf) (recall \(percent(plain.recall))%)") }
        if let bound = best.precisionLowerBound, bound < targetPrecision {
            let needed = Calibration.facesToShow(precision: targetPrecision).map { "; it takes at least \($0) kept faces, all right, to show \(targetPrecision)" } ?? ""
            print("note: \(best.kept) kept faces show precision \(percent(bound).trimmingCharacters(in: .whitespaces))% at least (95% confidence)\(needed): calibrate on more labelled faces for a surer recommendation")
        }
        if let out { print("written to \(out): pass --calibrated \(out) to autolabel or refine") }
    }
}
