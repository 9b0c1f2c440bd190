import Foundation
import Imaging
import PoseData
import PoseMetrics

/// What the audits of a run say about its generated labels (``AuditEstimate``).
extension RefinementRun {
    /// What the audit of iteration `iteration` decided, counted, with how far each correction
    /// moved the points in the image's pixels.
    public func auditTally(iteration: Int) throws -> AuditTally {
        let eyeCorners = EyeCorners.standard(keypointCount: ledger.keypointShape.count)
        return try ledger.auditTally(iteration: iteration, splits: try settings().labelledSplits) { label, corrected in
            let info = try ImageCodec.info(contentsOf: imageFile(label.image))
            return Self.correction(from: label.instance, to: corrected, width: info.width, height: info.height, eyeCorners: eyeCorners)
        }
    }

    /// How far `corrected` moved the points of `generated` on a `width` × `height` image: the mean
    /// distance in pixels over the points both place, and the NME against the corrected points.
    static func correction(
        from generated: PoseInstance, to corrected: PoseInstance, width: Int, height: Int, eyeCorners: EyeCorners?
    ) -> (pixels: Double, nme: Double?) {
        let pixels = { (instance: PoseInstance) in
            instance.keypoints.map {
                PixelKeypoint(x: Float($0.x) * Float(width), y: Float($0.y) * Float(height), visibility: Float($0.visibility))
            }
        }
        let (before, after) = (pixels(generated), pixels(corrected))
        let placed = zip(before, after).filter { $0.0.isLabelled && $0.1.isLabelled }
        let distance = placed.map { hypot(Double($0.0.x - $0.1.x), Double($0.0.y - $0.1.y)) }
        let truth = zip(before, after).map { b, a in b.isLabelled ? a : PixelKeypoint(x: a.x, y: a.y, visibility: 0) }
        let nme = FaceAlignment.error(prediction: before, truth: truth, eyeCorners: eyeCorners).normalisedMeanError
        return (distance.isEmpty ? 0 : distance.reduce(0, +) / Double(distance.count), nme)
    }

    /// The estimate of every audited iteration, in order.
    public func auditEstimates(width: Double? = nil) throws -> [AuditEstimate] {
        try ledger.auditedIterations().map { AuditEstimate(try auditTally(iteration: $0), width: width) }
    }

    /// Every generated label the audit of iteration `iteration` samples from, with the audit's
    /// verdict where it gave one (``Calibration/sweep(audit:)``).
    public func auditedLabels(iteration: Int) throws -> [Calibration.AuditedLabel] {
        let verdicts = Dictionary(
            try ledger.auditDecisions(iteration: iteration).compactMap { label, decision -> (Int64, Bool)? in
                switch decision.status {
                case .accepted, .corrected: (label.id, true)
                case .rejected: (label.id, false)
                case .unreviewed, .added: nil
                }
            }, uniquingKeysWith: { $1 })
        let population = Set(try ledger.auditPopulation(iteration: iteration, splits: try settings().labelledSplits).labels)
        return try ledger.labels().filter { population.contains($0.id) }.map { label in
            Calibration.AuditedLabel(score: label.score ?? 0, disagreement: label.disagreement, right: verdicts[label.id])
        }
    }
}
