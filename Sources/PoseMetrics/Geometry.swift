/// An axis-aligned box by its corners (`x1, y1, x2, y2`, "xyxy"), in pixels of the original image.
///
/// Metrics work in `Float`, as the reference's tensors do, so that comparisons with the IoU
/// thresholds fall the same way.
public struct PixelBox: Sendable, Hashable, Codable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
    }

    /// `x2 − x1`, not clamped (the reference's `xyxy2xywh`).
    public var width: Float { x2 - x1 }
    /// `y2 − y1`, not clamped.
    public var height: Float { y2 - y1 }
    /// `width · height`, not clamped (as the reference's `box_iou` and OKS area).
    public var area: Float { width * height }

    /// Intersection over union with `other`, exactly as the reference's `box_iou`
    /// (`ultralytics/utils/metrics.py`):
    /// `inter / (area(self) + area(other) − inter + epsilon)`, where `inter` is the product of the
    /// overlaps along x and y, each clamped at 0, and the areas are not clamped.
    ///
    /// ```swift
    /// let a = PixelBox(x1: 0, y1: 0, x2: 10, y2: 10)
    /// a.iou(PixelBox(x1: 5, y1: 0, x2: 15, y2: 10))  // 50 / 150 ≈ 0.3333
    /// ```
    /// - Parameter epsilon: added to the union; `box_iou`'s default is `1e-7`. Pass 0 for the plain
    ///   ratio (NaN for two empty boxes; ``nmsIoU(_:)`` is 0 there).
    public func iou(_ other: PixelBox, epsilon: Float = Similarity.boxEpsilon) -> Float {
        let overlapX = max(min(x2, other.x2) - max(x1, other.x1), 0)
        let overlapY = max(min(y2, other.y2) - max(y1, other.y1), 0)
        let intersection = overlapX * overlapY
        return intersection / (area + other.area - intersection + epsilon)
    }

    /// Intersection over union as torchvision's `box_iou` computes it for NMS: no epsilon, and 0
    /// when the union is empty.
    public func nmsIoU(_ other: PixelBox) -> Float {
        let intersection = max(min(x2, other.x2) - max(x1, other.x1), 0) * max(min(y2, other.y2) - max(y1, other.y1), 0)
        let union = max(x2 - x1, 0) * max(y2 - y1, 0) + max(other.x2 - other.x1, 0) * max(other.y2 - other.y1, 0) - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// One keypoint in pixels of the original image.
///
/// For ground truth, `visibility` is the label's flag (0 = not labelled; any other value counts as
/// labelled, as in the reference, which only tests `v != 0`). For predictions it carries the
/// model's keypoint confidence, which no metric here reads.
public struct PixelKeypoint: Sendable, Hashable, Codable {
    public var x: Float
    public var y: Float
    public var visibility: Float

    public init(x: Float, y: Float, visibility: Float = 2) {
        (self.x, self.y, self.visibility) = (x, y, visibility)
    }

    /// Whether a ground-truth point takes part in OKS and landmark errors (`visibility != 0`).
    public var isLabelled: Bool { visibility != 0 }
}

/// One ground-truth object of an image: class, box and keypoints, in original-image pixels.
public struct TruthObject: Sendable, Hashable, Codable {
    public var classIndex: Int
    public var box: PixelBox
    /// K points; may be empty when only boxes are evaluated.
    public var keypoints: [PixelKeypoint]

    public init(classIndex: Int = 0, box: PixelBox, keypoints: [PixelKeypoint] = []) {
        self.classIndex = classIndex
        self.box = box
        self.keypoints = keypoints
    }
}

/// One detection of an image: class, confidence, box and keypoints, in original-image pixels.
public struct DetectedObject: Sendable, Hashable, Codable {
    public var classIndex: Int
    public var confidence: Float
    public var box: PixelBox
    /// K points (`visibility` holds the keypoint confidence, which the metrics ignore).
    public var keypoints: [PixelKeypoint]

    public init(classIndex: Int = 0, confidence: Float, box: PixelBox, keypoints: [PixelKeypoint] = []) {
        self.classIndex = classIndex
        self.confidence = confidence
        self.box = box
        self.keypoints = keypoints
    }
}
