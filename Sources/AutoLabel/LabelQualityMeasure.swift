import Foundation
import PoseData
import PoseMetrics

/// Measures generated labels against the known truth (`--truth`, which `synth` writes): which
/// truth faces had no original label, how many generated labels match one of them (box IoU ≥ 0.5,
/// one to one, by confidence), and how far their landmarks are from the truth (NME).
public struct LabelQualityMeasure {
    /// The truth labels of each image.
    let truth: [ImageKey: [PoseInstance]]
    let eyeCorners: EyeCorners?

    public init(truthData: URL) throws {
        let dataset = try Dataset.load(truthData)
        var truth: [ImageKey: [PoseInstance]] = [:]
        for split in Split.allCases {
            for entry in try dataset.entries(split) { truth[ImageKey(split, entry.relativePath)] = entry.instances }
        }
        self.truth = truth
        eyeCorners = EyeCorners.standard(keypointCount: dataset.config.keypointShape.count)
    }

    /// One image: its original labels and the generated ones (with confidences), and its size.
    public struct Image {
        public var key: ImageKey
        public var width: Int
        public var height: Int
        public var originals: [PoseInstance]
        public var generated: [(instance: PoseInstance, confidence: Double)]

        public init(
            key: ImageKey, width: Int, height: Int, originals: [PoseInstance], generated: [(instance: PoseInstance, confidence: Double)]
        ) {
            (self.key, self.width, self.height, self.originals, self.generated) = (key, width, height, originals, generated)
        }
    }

    /// A label is right when it finds a face of the truth that has no original label (box IoU ≥
    /// 0.5) and places its landmarks within 10% of the inter-ocular distance on average.
    public static let rightLabelNME = 0.1

    /// Whether `label`, on image `key` of `width` × `height` pixels with `originals`, is right (see
    /// ``rightLabelNME``).
    public func isRight(_ label: PoseInstance, image key: ImageKey, width: Int, height: Int, originals: [PoseInstance]) -> Bool {
        let faces = (truth[key] ?? []).filter { face in !originals.contains { Merge.iou($0.box, face.box) >= 0.5 } }
        guard let face = faces.max(by: { Merge.iou($0.box, label.box) < Merge.iou($1.box, label.box) }),
            Merge.iou(face.box, label.box) >= 0.5
        else {
            return false
        }
        let points = { (instance: PoseInstance) in
            instance.keypoints.map {
                PixelKeypoint(x: Float($0.x) * Float(width), y: Float($0.y) * Float(height), visibility: Float($0.visibility))
            }
        }
        let predicted = points(label)
        let measured = zip(points(face), predicted).map { truthPoint, point in
            point.isLabelled ? truthPoint : PixelKeypoint(x: truthPoint.x, y: truthPoint.y, visibility: 0)
        }
        return (FaceAlignment.error(prediction: predicted, truth: measured, eyeCorners: eyeCorners).normalisedMeanError ?? 1)
            <= Self.rightLabelNME
    }

    /// How the generated labels of one image fare against its truth.
    public struct Judgement {
        /// The truth faces without an original label.
        public var unlabelled: [PoseInstance]
        /// For each generated label (by index) that found one of them: that face, and the NME of
        /// the label's landmarks against it (the points the label marks visible).
        public var matches: [Int: (face: PoseInstance, nme: Double?)]
        /// The unlabelled faces no generated label found.
        public var missed: [PoseInstance]
    }

    /// Pairs the generated labels of `image` with its unlabelled faces of the truth (box IoU ≥
    /// 0.5, one to one, by confidence).
    public func judge(_ image: Image) -> Judgement {
        let truths = (truth[image.key] ?? []).filter { face in !image.originals.contains { Merge.iou($0.box, face.box) >= 0.5 } }
        let (w, h) = (Float(image.width), Float(image.height))
        func pixels(_ instance: PoseInstance) -> (PixelBox, [PixelKeypoint]) {
            let box = PixelBox(
                x1: Float(instance.box.minX) * w, y1: Float(instance.box.minY) * h, x2: Float(instance.box.maxX) * w,
                y2: Float(instance.box.maxY) * h)
            return (box, instance.keypoints.map { PixelKeypoint(x: Float($0.x) * w, y: Float($0.y) * h, visibility: Float($0.visibility)) })
        }
        let truthObjects = truths.map { face in
            let (box, points) = pixels(face)
            return TruthObject(classIndex: face.classIndex, box: box, keypoints: points)
        }
        let detections = image.generated.map { label in
            let (box, points) = pixels(label.instance)
            return DetectedObject(classIndex: label.instance.classIndex, confidence: Float(label.confidence), box: box, keypoints: points)
        }
        var matches: [Int: (face: PoseInstance, nme: Double?)] = [:]
        var found = Set<Int>()
        for match in FaceAlignment.greedyMatches(truths: truthObjects, detections: detections, minimumIoU: 0.5) {
            // Only the points the generated label marks visible are measured (the others carry no position).
            let predicted = detections[match.detection].keypoints
            let measured = zip(truthObjects[match.truth].keypoints, predicted).map { truthPoint, point in
                point.isLabelled ? truthPoint : PixelKeypoint(x: truthPoint.x, y: truthPoint.y, visibility: 0)
            }
            let error = FaceAlignment.error(prediction: predicted, truth: measured, eyeCorners: eyeCorners)
            matches[match.detection] = (truths[match.truth], error.normalisedMeanError)
            found.insert(match.truth)
        }
        return Judgement(unlabelled: truths, matches: matches, missed: truths.indices.filter { !found.contains($0) }.map { truths[$0] })
    }

    public func measure(_ images: [Image]) -> LabelQuality {
        var (generatedCount, correct, unlabelled) = (0, 0, 0)
        var errors: [Double] = []
        for image in images {
            let judgement = judge(image)
            unlabelled += judgement.unlabelled.count
            generatedCount += image.generated.count
            correct += judgement.matches.count
            errors += judgement.matches.values.compactMap(\.nme)
        }
        return LabelQuality(
            generated: generatedCount, correct: correct, unlabelledFaces: unlabelled,
            precision: generatedCount > 0 ? Double(correct) / Double(generatedCount) : nil,
            recall: unlabelled > 0 ? Double(correct) / Double(unlabelled) : nil,
            nme: errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count))
    }
}
