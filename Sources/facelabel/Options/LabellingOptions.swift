import ArgumentParser
import AutoLabel
import Foundation
import PoseData

/// How each candidate face is looked at and judged (`autolabel`, `refine`, `calibrate`).
struct LookOptions: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: """
            The closer look: see each small face again on two crops enlarged to --imgsz, take its \
            points there (they gain resolution) and score it with the mean of its scores in the whole \
            image and in the crops (a crop that finds no face there counts 0). The old spelling \
            --[no-]refine-crops still works.
            """)
    var closerLook = true
    @Flag(
        inversion: .prefixedNo,
        help: """
            Drop a new face that repeats another: its box overlaps a higher-scored new face by more than \
            --merge-iou, or lies mostly inside a larger face's box (an eye taken for a face). \
            --no-overlap-check --no-closer-look is the paper's rule.
            """)
    var overlapCheck = true
    @Flag(inversion: .prefixedNo, help: "With the flip check, label each face with the confidence-weighted mean of its two views' points.")
    var fuseViews = true
    @Option(help: "With the flip check, keep a face found in only one of the two views at this score or above (0 to 1).")
    var confSingle: Float = 0.9

    func validate() throws { try OptionCheck.fraction(confSingle, "--conf-single") }
}

/// A labelling pass beyond its detection settings (`autolabel`, `refine`): the merge rule, the
/// splits, the keypoint threshold and the filters.
struct LabellingOptions: ParsableArguments {
    @Option(help: "Drop a prediction whose box overlaps an existing label by more than this IoU (0 to 1).") var mergeIou = 0.3
    @Option(help: "Splits to label, comma-separated (train, val, test).") var splits = "train,val"
    @OptionGroup var keypoints: KeypointConfidenceOption
    @OptionGroup var looks: LookOptions
    @Option(
        help: """
            The flip check: drop a face whose landmarks move by more than this, relative to its \
            inter-ocular distance, when the image is mirrored (above 0; off by default, the paper's rule).
            """)
    var maxDisagreement: Double?
    @Option(
        help:
            """
            A face whose shape the data set's own labels make implausible (beyond their 99th percentile): drop, flag (kept, first in \
            review) or off.
            """
    )
    var shapeCheck = ShapeCheck.off
    @Option(help: "A file from 'facelabel calibrate --out': use its --conf, --max-disagreement and --conf-single.") var calibrated: String?

    func validate() throws {
        try OptionCheck.fraction(mergeIou, "--merge-iou")
        if let maxDisagreement { try OptionCheck.positive(maxDisagreement, "--max-disagreement") }
        _ = try chosenSplits()
    }

    func chosenSplits() throws -> [Split] {
        let names = splits.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return try names.map { name in
            guard let split = Split(rawValue: name) else { throw ValidationError("--splits: '\(name)' is not train, val or test.") }
            return split
        }
    }

    /// The settings of a labelling pass; a calibration file's thresholds replace --conf,
    /// --max-disagreement and --conf-single.
    func settings<Defaults>(
        _ detection: DetectionOptions<Defaults>, imageSize: Int, batchSize: Int, fastDecode: Bool
    ) throws -> AutolabelSettings {
        let settings = AutolabelSettings(
            confidence: detection.conf, nmsIoU: detection.iou, mergeIoU: mergeIou, keypointConfidence: keypoints.kptConf,
            splits: try chosenSplits(), imageSize: imageSize, batchSize: batchSize, fastDecode: fastDecode,
            maxDisagreement: maxDisagreement,
            singleViewConfidence: looks.confSingle, fusesViews: looks.fuseViews, shapeCheck: shapeCheck, closerLook: looks.closerLook,
            checksOverlap: looks.overlapCheck)
        return try applyCalibration(to: settings)
    }

    /// `settings` with the thresholds of the --calibrated file, if one is given, in place of
    /// --conf, --max-disagreement and --conf-single.
    func applyCalibration(to settings: AutolabelSettings) throws -> AutolabelSettings {
        guard let calibrated else { return settings }
        let file: Calibration.File
        do {
            file = try JSONDecoder().decode(Calibration.File.self, from: Data(contentsOf: URL(fileURLWithPath: calibrated)))
        } catch {
            throw ValidationError("--calibrated \(calibrated): not a file of 'facelabel calibrate --out' (\(error))")
        }
        var settings = settings
        settings.confidence = file.conf
        settings.maxDisagreement = file.maxDisagreement
        settings.singleViewConfidence = file.confSingle
        note(
            "calibrated (\(calibrated)): --conf \(file.conf)" + (file.maxDisagreement.map { " --max-disagreement \($0)" } ?? "")
                + String(format: ", precision %.3f on its calibration split", file.precision ?? 0))
        return settings
    }
}

extension ShapeCheck: ExpressibleByArgument {}
