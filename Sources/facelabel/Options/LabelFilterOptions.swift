import ArgumentParser
import AutoLabel
import Foundation

/// The filters of a labelling pass beyond the score threshold (`autolabel`, `refine`).
struct LabelFilterOptions: ParsableArguments {
    @Option(help: "Drop a face whose landmarks move by more than this, relative to its inter-ocular distance, when the image is mirrored (the flip check; off by default, the paper's rule).")
    var maxDisagreement: Double?
    @Option(help: "With the flip check, keep a face found in only one of the two views at this score or above.") var confSingle: Float = 0.9
    @Flag(inversion: .prefixedNo, help: "With the flip check, label each face with the confidence-weighted mean of its two views' points (lowers NME).")
    var fuseViews = true
    @Option(help: "A face whose shape the data set's own labels make implausible (beyond their 99th percentile): drop, flag (kept, first in review) or off.")
    var shapeCheck = ShapeCheck.off
    @Flag(inversion: .prefixedNo, help: "Look at each small face again on two crops enlarged to --imgsz: take its points there (they gain resolution), and score it with the mean of its scores in the whole image and in the crops (a crop that finds no face there counts 0).")
    var refineCrops = true
    @Flag(inversion: .prefixedNo, help: "Drop a new face that repeats another: its box overlaps a higher-scored new face by more than --merge-iou, or lies mostly inside a larger face's box (an eye or a mouth taken for a face). --no-overlap-check --no-refine-crops is the paper's rule.")
    var overlapCheck = true
    @Option(help: "A file from 'facelabel calibrate --out': use its --conf, --max-disagreement and --conf-single.") var calibrated: String?

    func validate() throws {
        if let maxDisagreement, maxDisagreement <= 0 { throw ValidationError("--max-disagreement must be positive.") }
        guard (0...1).contains(confSingle) else { throw ValidationError("--conf-single must be in [0, 1].") }
    }

    /// The filters in `settings`; a calibration file's thresholds replace --conf and --max-disagreement.
    func apply(to settings: inout AutolabelSettings) throws {
        (settings.maxDisagreement, settings.singleViewConfidence, settings.fusesViews) = (maxDisagreement, confSingle, fuseViews)
        (settings.shapeCheck, settings.closerLook, settings.checksOverlap) = (shapeCheck, refineCrops, overlapCheck)
        guard let calibrated else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: calibrated))
        let file: Calibration.File
        do {
            file = try JSONDecoder().decode(Calibration.File.self, from: data)
        } catch {
            throw ValidationError("--calibrated \(calibrated): not a file of 'facelabel calibrate --out' (\(error))")
        }
        (settings.confidence, settings.maxDisagreement, settings.singleViewConfidence) = (file.conf, file.maxDisagreement, file.confSingle)
        note(
            "calibrated (\(calibrated)): --conf \(file.conf)" + (file.maxDisagreement.map { " --max-disagreement \($0)" } ?? "")
                + String(format: ", precision %.3f on its calibration split", file.precision ?? 0))
    }
}

extension ShapeCheck: ExpressibleByArgument {}
