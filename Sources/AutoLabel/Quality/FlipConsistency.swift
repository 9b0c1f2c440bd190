import Foundation
import Pose
import PoseMetrics

/// Whether a model says the same of an image and of its mirror: a face whose landmarks move when
/// the image is mirrored (and mapped back) is one the model is unsure of, whatever its box score.
///
/// The mirrored view's detections are mapped back into the original image: x → W − x, the box's
/// sides swapped, and point j taken from the mirrored point `flipIndex[j]` (the left eye of the
/// mirror is the right eye of the image). Faces of the two views are paired one to one by box IoU,
/// highest first. A pair's disagreement is the mean distance between the points both views are
/// confident of, divided by the inter-ocular distance (the outer eye corners of the layout, as
/// NME uses them; the box diagonal for other layouts).
public struct FlipConsistency: Sendable {
    public let flipIndex: [Int]
    public let eyeCorners: EyeCorners?
    /// Two faces pair when their boxes overlap by at least this IoU.
    public var matchIoU: Float = 0.5
    /// Points under this confidence take no part in the disagreement.
    public var keypointConfidence: Float = 0.5

    public init(flipIndex: [Int], eyeCorners: EyeCorners?) {
        self.flipIndex = flipIndex
        self.eyeCorners = eyeCorners
    }

    /// A face of one view, the other view's face it pairs with (mapped back), and their disagreement.
    public struct Pair: Sendable, Equatable {
        public var original: PoseDetection?
        public var mirrored: PoseDetection?
        public var disagreement: Double?

        /// The face's box score: the mean of the two views' when both found it (a face the
        /// model is sure of in one view only is less likely a face), the one view's otherwise.
        public var score: Float {
            switch (original, mirrored) {
            case (let a?, let b?): (a.score + b.score) / 2
            case (let a?, nil): a.score
            case (nil, let b?): b.score
            case (nil, nil): 0
            }
        }
        public var isPaired: Bool { original != nil && mirrored != nil }
    }

    /// A detection of the image mirrored left to right (of `width` pixels), in the original image.
    public func unmirrored(_ detection: PoseDetection, width: Float) -> PoseDetection {
        var result = detection
        result.box.x1 = width - detection.box.x2
        result.box.x2 = width - detection.box.x1
        result.keypoints = flipIndex.map { source in
            var point = detection.keypoints[source]
            point.x = width - point.x
            return point
        }
        return result
    }

    /// Pairs the faces of the image with those of its mirror (`mirrored` as detected on the mirror,
    /// not yet mapped back); a face left over on either side is a pair of one.
    public func pairs(_ original: [PoseDetection], mirrored: [PoseDetection], width: Float) -> [Pair] {
        let back = mirrored.map { unmirrored($0, width: width) }
        var candidates: [(iou: Float, a: Int, b: Int)] = []
        for (a, face) in original.enumerated() {
            for (b, other) in back.enumerated() {
                let overlap = face.box.nmsIoU(other.box)
                if overlap >= matchIoU { candidates.append((overlap, a, b)) }
            }
        }
        candidates.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.a, $0.b) < ($1.a, $1.b) }
        var (usedA, usedB) = (Set<Int>(), Set<Int>())
        var result: [Pair] = []
        for candidate in candidates where !usedA.contains(candidate.a) && !usedB.contains(candidate.b) {
            usedA.insert(candidate.a)
            usedB.insert(candidate.b)
            let (a, b) = (original[candidate.a], back[candidate.b])
            result.append(Pair(original: a, mirrored: b, disagreement: disagreement(a, b)))
        }
        result += original.indices.filter { !usedA.contains($0) }.map { Pair(original: original[$0], mirrored: nil, disagreement: nil) }
        result += back.indices.filter { !usedB.contains($0) }.map { Pair(original: nil, mirrored: back[$0], disagreement: nil) }
        return result
    }

    /// The mean distance between the points both faces are confident of, over the face's size
    /// (inter-ocular distance of `a`, or its box diagonal); nil when no point counts.
    public func disagreement(_ a: PoseDetection, _ b: PoseDetection) -> Double? {
        var distances: [Double] = []
        for (p, q) in zip(a.keypoints, b.keypoints) where p.confidence >= keypointConfidence && q.confidence >= keypointConfidence {
            distances.append(Double(hypot(p.x - q.x, p.y - q.y)))
        }
        guard !distances.isEmpty, let size = scale(of: a), size > 0 else { return nil }
        return distances.reduce(0, +) / Double(distances.count) / size
    }

    /// The inter-ocular distance of a face when both eye corners are confident, else its box diagonal.
    func scale(of face: PoseDetection) -> Double? {
        if let eyeCorners, eyeCorners.first < face.keypoints.count, eyeCorners.second < face.keypoints.count {
            let (p, q) = (face.keypoints[eyeCorners.first], face.keypoints[eyeCorners.second])
            if p.confidence >= keypointConfidence && q.confidence >= keypointConfidence { return Double(hypot(p.x - q.x, p.y - q.y)) }
        }
        return Double(hypot(face.box.x2 - face.box.x1, face.box.y2 - face.box.y1))
    }

    /// The two views of a face as one: the box and score averaged, each point the mean of the two
    /// weighted by their confidences (its confidence the mean of the two).
    public func fused(_ pair: Pair) -> PoseDetection? {
        guard let a = pair.original, let b = pair.mirrored else { return pair.original ?? pair.mirrored }
        var result = a
        result.score = (a.score + b.score) / 2
        result.box = PixelBox(
            x1: (a.box.x1 + b.box.x1) / 2, y1: (a.box.y1 + b.box.y1) / 2, x2: (a.box.x2 + b.box.x2) / 2, y2: (a.box.y2 + b.box.y2) / 2)
        result.keypoints = PredictedKeypoint.confidenceWeightedMean(of: [a.keypoints, b.keypoints])
        return result
    }
}

extension PredictedKeypoint {
    /// Several looks at one face's points as one: each point the mean of the looks' positions
    /// weighted by their confidences (the first look's where no look is confident), its
    /// confidence the mean of theirs.
    static func confidenceWeightedMean(of looks: [[PredictedKeypoint]]) -> [PredictedKeypoint] {
        looks[0].indices.map { k in
            let total = looks.map { $0[k].confidence }.reduce(0, +)
            var point = looks[0][k]
            if total > 0 {
                point.x = looks.map { $0[k].x * $0[k].confidence }.reduce(0, +) / total
                point.y = looks.map { $0[k].y * $0[k].confidence }.reduce(0, +) / total
            }
            point.confidence = total / Float(looks.count)
            return point
        }
    }
}
