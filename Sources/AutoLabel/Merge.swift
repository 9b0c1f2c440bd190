import PoseData

/// The method's merge rule (reference/method.md): a prediction whose box overlaps any existing
/// label (originals and labels added earlier) by IoU above the threshold is dropped; the others
/// are appended. Existing labels are never changed, and predictions are not compared with each
/// other (NMS already did that). Boxes a person rejected block predictions as labels do.
public enum Merge {
    /// The predictions to append to an image that holds `existing` labels. A person's rejections
    /// count as existing labels here, without being written: a prediction overlapping a rejected
    /// label's box by more than the threshold is never added again.
    public static func additions(
        existing: [PoseInstance], rejected: [BoundingBox] = [], predictions: [PoseInstance], iouThreshold: Double = 0.3
    ) -> [PoseInstance] {
        let blocking = existing.map(\.box) + rejected
        return predictions.filter { prediction in
            !blocking.contains { iou($0, prediction.box) > iouThreshold }
        }
    }

    /// Intersection over union of two boxes in the same (normalised or pixel) coordinates.
    public static func iou(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        let width = max(min(a.maxX, b.maxX) - max(a.minX, b.minX), 0)
        let height = max(min(a.maxY, b.maxY) - max(a.minY, b.minY), 0)
        let intersection = width * height
        let union = a.width * a.height + b.width * b.height - intersection
        return union > 0 ? intersection / union : 0
    }
}
