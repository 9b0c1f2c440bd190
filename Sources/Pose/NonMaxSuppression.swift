import PoseMetrics
import Torch

/// One keypoint in pixels, with its confidence (1 when the model has no visibility channel).
public struct PredictedKeypoint: Sendable, Equatable, Codable {
    public var x: Float, y: Float, confidence: Float

    public init(x: Float, y: Float, confidence: Float) {
        (self.x, self.y, self.confidence) = (x, y, confidence)
    }
}

/// A detected object with its keypoints.
public struct PoseDetection: Sendable, Equatable, Codable {
    public var box: PixelBox
    public var score: Float
    public var classIndex: Int
    public var keypoints: [PredictedKeypoint]

    public init(box: PixelBox, score: Float, classIndex: Int, keypoints: [PredictedKeypoint]) {
        (self.box, self.score, self.classIndex, self.keypoints) = (box, score, classIndex, keypoints)
    }
}

/// Settings of non-maximum suppression (reference §2.6).
public struct SuppressionOptions: Sendable, Equatable, Codable {
    /// Candidates need a class score above this (predict 0.25, val 0.001).
    public var confidence: Float = 0.25
    /// A box is suppressed when its IoU with a kept, higher-scoring box of its class exceeds this.
    public var iou: Float = 0.7
    public var maxDetections = 300
    /// Suppress across classes, not only within each.
    public var classAgnostic = false
    /// One candidate per (anchor, class) above the threshold instead of the best class only;
    /// no effect with one class.
    public var multiLabel = false
    /// Candidates kept for suppression, by score.
    public var maxCandidates = 30_000

    public init(
        confidence: Float = 0.25, iou: Float = 0.7, maxDetections: Int = 300, classAgnostic: Bool = false,
        multiLabel: Bool = false
    ) {
        precondition((0...1).contains(confidence) && (0...1).contains(iou), "confidence and IoU thresholds must lie in [0, 1]")
        self.confidence = confidence
        self.iou = iou
        self.maxDetections = maxDetections
        self.classAgnostic = classAgnostic
        self.multiLabel = multiLabel
    }
}

/// Greedy non-maximum suppression over decoded predictions (reference §2.6).
///
/// - Parameters:
///   - decoded: `[B, 4 + nc + K·D, A]` from ``PoseModel/decode(_:)``.
/// - Returns: per image, the kept detections sorted by score, highest first.
public func suppress(
    _ decoded: Tensor, classCount: Int, keypointDimensions: Int, options: SuppressionOptions = SuppressionOptions()
) -> [[PoseDetection]] {
    let (batch, channels, _) = decoded.shape3
    let keypointCount = (channels - 4 - classCount) / keypointDimensions
    return (0..<batch).map { image in
        let rows = decoded.select(dim: 0, image)  // [C, A]
        let scores = rows.narrow(dim: 0, start: 4, length: classCount)  // [nc, A]
        let best = scores.max(dim: 0).values  // [A]
        let keep = (best .> Scalar(Double(options.confidence))).nonzero().flattened()  // [N]
        guard keep.count > 0 else { return [] }
        let candidates = rows.indexSelect(dim: 1, keep).transposed(0, 1).contiguous()  // [N, C]
        let values = candidates.toArray(of: Float.self)

        var found: [PoseDetection] = []
        for row in 0..<keep.count {
            let v = values[(row * channels)..<((row + 1) * channels)].map { $0 }
            let (cx, cy, w, h) = (v[0], v[1], v[2], v[3])
            let box = PixelBox(x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2)
            let keypoints = (0..<keypointCount).map { k in
                let base = 4 + classCount + k * keypointDimensions
                return PredictedKeypoint(x: v[base], y: v[base + 1], confidence: keypointDimensions == 3 ? v[base + 2] : 1)
            }
            let classScores = v[4..<(4 + classCount)]
            if options.multiLabel && classCount > 1 {
                for (index, score) in classScores.enumerated() where score > options.confidence {
                    found.append(PoseDetection(box: box, score: score, classIndex: index, keypoints: keypoints))
                }
            } else {
                let (index, score) = classScores.enumerated().max { $0.element < $1.element }!
                found.append(PoseDetection(box: box, score: score, classIndex: index, keypoints: keypoints))
            }
        }
        // Stable by score, so ties keep anchor order.
        let order = found.indices.sorted { (found[$0].score, $1) > (found[$1].score, $0) }.prefix(options.maxCandidates)
        var kept: [PoseDetection] = []
        for index in order {
            let candidate = found[index]
            let suppressed = kept.contains { other in
                (options.classAgnostic || other.classIndex == candidate.classIndex)
                    && other.box.nmsIoU(candidate.box) > options.iou
            }
            if !suppressed { kept.append(candidate) }
            if kept.count == options.maxDetections { break }
        }
        return kept
    }
}
