import ArgumentParser
import Foundation
import Loader
import Pose
import PoseData

/// Loads a data set's yaml and one split's labelled images, reporting bad label lines as warnings.
enum DataLoading {
    static func dataset(_ path: String) throws -> Dataset {
        try Dataset.load(URL(fileURLWithPath: path))
    }

    /// The labelled images of a split. A split entry that is missing or holds no image is refused
    /// with its path; a bad label line is skipped with a warning.
    static func images(_ dataset: Dataset, split: Split) throws -> [LabelledImage] {
        let (images, problems) = dataset.labelledImages(split)
        let sources = problems.filter(\.reason.isSplitSource)
        if !sources.isEmpty { throw DataProblems(sources) }
        for problem in problems { note("warning: \(problem) (line skipped)") }
        guard !images.isEmpty else {
            throw ValidationError("\(dataset.configURL.path): the \(split) split has no images")
        }
        return images
    }
}

extension ValidationMetrics {
    /// One line per task, as the reference prints them.
    var summary: String {
        func row(_ name: String, _ s: DetectionScores) -> String {
            String(format: "%@  P %.3f  R %.3f  mAP50 %.3f  mAP50-95 %.3f", name, s.precision, s.recall, s.map50, s.map50_95)
        }
        var lines = ["\(images) images, \(instances) instances", row("box ", box), row("pose", pose)]
        let l = landmarks
        let parts = [
            l.nme.map { String(format: "NME %.4f", $0) }, l.mse.map { String(format: "MSE %.1f px²", $0) },
            l.failureRate.map { String(format: "FR@0.1 %.3f", $0) }, l.auc.map { String(format: "AUC@0.1 %.3f", $0) },
        ].compactMap { $0 }
        lines.append("landmarks  \(parts.joined(separator: "  "))  matched \(l.matched), missed \(l.missed)")
        return lines.joined(separator: "\n")
    }
}
