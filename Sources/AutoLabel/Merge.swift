import PoseData

/// The method's merge rule (docs/reference/method.md): a prediction whose box overlaps any existing
/// label (originals and labels added earlier) by IoU above the threshold is dropped; the others
/// are appended. Existing labels are never changed, and the method compares predictions with each
/// other only through NMS (``repeatedFaces(_:scores:existing:iouThreshold:nestedShare:)`` is our
/// overlap check, on by default). Boxes a person rejected block predictions as labels do.
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

    /// The overlap check, a filter beyond the method (which compares predictions with nothing but
    /// the existing labels): of one image's new faces (`boxes`, `scores` their box scores), those
    /// that repeat a face. First, like NMS at the merge rule's threshold, a face whose IoU with a
    /// higher-scored kept one exceeds `iouThreshold` (one face found twice, both boxes through the
    /// reference NMS at 0.7); then a face whose box lies, for at least `nestedShare` of its area,
    /// inside a larger box, kept or `existing` (an eye or a mouth taken for a face).
    public static func repeatedFaces(
        _ boxes: [BoundingBox], scores: [Float], existing: [BoundingBox], iouThreshold: Double = 0.3, nestedShare: Double = 0.7
    ) -> Set<Int> {
        var repeated = Set<Int>()
        var kept: [Int] = []
        for index in boxes.indices.sorted(by: { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }) {
            if kept.contains(where: { iou(boxes[$0], boxes[index]) > iouThreshold }) { repeated.insert(index) } else { kept.append(index) }
        }
        let containers = existing + kept.map { boxes[$0] }
        for index in kept {
            let box = boxes[index]
            let area = box.width * box.height
            if containers.contains(where: { $0.width * $0.height > area && intersection($0, box) >= nestedShare * area }) {
                repeated.insert(index)
            }
        }
        return repeated
    }

    /// Intersection over union of two boxes in the same (normalised or pixel) coordinates.
    public static func iou(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        let shared = intersection(a, b)
        let union = a.width * a.height + b.width * b.height - shared
        return union > 0 ? shared / union : 0
    }

    /// The area two boxes share.
    static func intersection(_ a: BoundingBox, _ b: BoundingBox) -> Double {
        max(min(a.maxX, b.maxX) - max(a.minX, b.minX), 0) * max(min(a.maxY, b.maxY) - max(a.minY, b.minY), 0)
    }
}
