import Foundation
import Imaging
import Pose
import PoseData
import PoseMetrics

/// What to do with a generated face whose shape the data set's own labels make implausible.
public enum ShapeCheck: String, Sendable, Codable, CaseIterable {
    /// Leave it out.
    case drop
    /// Keep it, and put it first in the review queue.
    case flag
    case off
}

/// What became of a candidate face, and why.
public enum FilterDecision: String, Sendable, Codable, CaseIterable {
    case kept
    /// Kept, but implausible in shape: first in the review queue.
    case flagged = "flagged:shape"
    /// Its landmarks move by more than `--max-disagreement` when the image is mirrored.
    case droppedByFlip = "dropped:flip"
    /// Found in one view only, with a score under `--conf-single`.
    case droppedAsSingleView = "dropped:single-view"
    /// Implausible in shape (`--shape-check drop`).
    case droppedByShape = "dropped:shape"
    /// It repeats a face: a second box of a face kept, or a part of a face (the overlap check,
    /// ``Merge/repeatedFaces(_:scores:existing:iouThreshold:nestedShare:)``).
    case droppedByOverlap = "dropped:overlap"

    public var keeps: Bool { self == .kept || self == .flagged }
}

/// The measures a candidate face was judged by.
public struct LabelMeasures: Sendable, Codable, Equatable {
    /// The confidence of each point.
    public var keypointConfidences: [Float]
    /// Flip disagreement (nil without the flip check, or for a face found in one view).
    public var disagreement: Double?
    /// Shape residual (nil without a shape model).
    public var shapeResidual: Double?
    public var decision: FilterDecision
    /// The box score the image's own view gave the face (nil when only the mirror found it).
    public var ownScore: Float?
    /// The box score the mirrored view gave it (nil when the mirror missed it, or was not looked at).
    public var mirroredScore: Float?
    /// The box score the closer look gave it: 0 when it found no face there, nil
    /// when the face was not looked at again (too large, or crops off).
    public var closerScore: Float?

    public init(
        keypointConfidences: [Float], disagreement: Double?, shapeResidual: Double?, decision: FilterDecision, ownScore: Float? = nil,
        mirroredScore: Float? = nil, closerScore: Float? = nil
    ) {
        (self.keypointConfidences, self.disagreement, self.shapeResidual, self.decision) = (
            keypointConfidences, disagreement, shapeResidual, decision
        )
        (self.ownScore, self.mirroredScore, self.closerScore) = (ownScore, mirroredScore, closerScore)
    }
}

/// A face a model proposes for an image, in its full-size pixels, with what was measured of it.
public struct Candidate: Sendable, Equatable {
    public var detection: PoseDetection
    public var measures: LabelMeasures
}

/// Finds the candidate faces of an image and judges them: the box score threshold (the paper's
/// rule; with the flip check, the score of a face both views found is their mean), then, when
/// asked, flip consistency (``FlipConsistency``, the two views fused unless `fusesViews` is off),
/// the closer look at each small face at the network's full resolution (its points
/// from the crops, its score the mean of the whole image's and the crops') and the shape model (``ShapeModel``). The
/// merge rule and the overlap check come after, in ``Autolabeler``.
public struct CandidateFinder {
    public let predictor: Predictor
    public var settings: AutolabelSettings
    public let flip: FlipConsistency?
    public let shapes: ShapeModel?

    /// `flipIndex` is needed for the flip check (without it the check is off); `shapes` for the shape check.
    public init(model: PoseModel, settings: AutolabelSettings, flipIndex: [Int]?, shapes: ShapeModel?) {
        self.settings = settings
        let seesMirror = settings.maxDisagreement != nil && flipIndex != nil
        // a face's score may be a mean of looks (two views, the closer look): faces are looked
        // for below the threshold, since one scored 0.75 in one look and 0.65 in the other is a
        // face of score 0.7
        let floor = seesMirror || settings.closerLook ? settings.confidence / 2 : settings.confidence
        // square inputs always: a label must not depend on the images that shared its batch (a
        // pass split into shards gives the labels of the whole pass)
        predictor = Predictor(
            model: model, imageSize: settings.imageSize, options: SuppressionOptions(confidence: floor, iou: settings.nmsIoU),
            fastDecode: false, squareInputs: true)
        flip =
            seesMirror
            ? FlipConsistency(flipIndex: flipIndex!, eyeCorners: EyeCorners.standard(keypointCount: model.config.keypointCount)) : nil
        self.shapes = settings.shapeCheck == .off ? nil : shapes
    }

    /// Decodes an image as the settings ask (a reduced scale with `fastDecode`).
    public func decode(_ url: URL) throws -> ScaledImage {
        try ImageCodec.decode(contentsOf: url, forLongSide: settings.fastDecode ? settings.imageSize : nil)
    }

    /// The candidates of `images` (decoded), in full-size pixels, each with its decision; the faces
    /// whose score (after the closer look, when there is one) is under the threshold are not
    /// candidates.
    public func candidates(_ images: [ScaledImage], names: [String]) -> [[Candidate]] {
        let pictures = images.map(\.image)
        let original = predictor.predict(images: pictures, names: names)
        let mirrored = flip == nil ? nil : predictor.predict(images: pictures.map { $0.mirrored() }, names: names)
        // each image's faces, judged by the score and the flip check
        let found = images.indices.map { index in
            let image = images[index]
            var faces: [(detection: PoseDetection, disagreement: Double?, decision: FilterDecision, own: Float?, mirrored: Float?)] = []
            if let flip, let mirrored {
                for pair in flip.pairs(original[index].detections, mirrored: mirrored[index].detections, width: Float(image.image.width)) {
                    var decision = FilterDecision.kept
                    if pair.isPaired {
                        if let disagreement = pair.disagreement, disagreement > settings.maxDisagreement ?? .infinity {
                            decision = .droppedByFlip
                        }
                    } else if pair.score < settings.singleViewConfidence {
                        decision = .droppedAsSingleView
                    }
                    var detection = settings.fusesViews ? flip.fused(pair)! : (pair.original ?? pair.mirrored!)
                    detection.score = pair.score
                    faces.append((detection, pair.disagreement, decision, pair.original?.score, pair.mirrored?.score))
                }
            } else {
                faces = original[index].detections.map { ($0, nil, .kept, $0.score, nil) }
            }
            return faces
        }
        // every small face kept so far is seen closer, the crops of all the images together
        let looks =
            settings.closerLook ? closerLooks(at: found.map { $0.map { $0.decision.keeps ? $0.detection : nil } }, in: pictures) : nil
        return images.indices.map { index in
            let image = images[index]
            return found[index].enumerated().compactMap { face, candidate in
                var detection = candidate.detection
                var decision = candidate.decision
                var closerScore: Float?
                if let look = looks?[index][face] {
                    closerScore = look.score
                    detection.score = (detection.score + look.score) / 2
                    if let points = look.keypoints { detection.keypoints = points }
                }
                guard detection.score >= settings.confidence else { return nil }
                if image.scale > 1 { detection = detection.scaled(by: image.scale, toWidth: image.width, height: image.height) }
                var residual: Double?
                if let shapes {
                    let instance = detection.label(
                        width: image.width, height: image.height, keypointConfidence: settings.keypointConfidence)
                    residual = shapes.residual(of: instance, width: image.width, height: image.height)
                    if decision.keeps, let residual, residual > shapes.threshold {
                        decision = settings.shapeCheck == .drop ? .droppedByShape : .flagged
                    }
                }
                return Candidate(
                    detection: detection,
                    measures: LabelMeasures(
                        keypointConfidences: detection.keypoints.map(\.confidence), disagreement: candidate.disagreement,
                        shapeResidual: residual,
                        decision: decision, ownScore: candidate.own, mirroredScore: candidate.mirrored, closerScore: closerScore))
            }
        }
    }

    /// How much of the network's input a face fills in each closer look: about what a medium face
    /// fills (medium faces have the lowest NME), and a wider crop, whose errors are partly
    /// independent of the first's (two looks have a lower NME than one: docs/label-filters.md).
    static let closerLookFaceShares: [Float] = [0.22, 0.15]

    /// What a closer look at a face saw: the score of the crop's face that overlaps the box most
    /// (IoU 0.5 or more), with its points in the whole image's pixels; score 0 and no points when
    /// the crop shows no such face (an eye, a mouth or a skin-coloured blob seen from closer).
    struct CloserLook {
        var score: Float
        var keypoints: [PredictedKeypoint]?
    }

    /// Where a closer look crops an image: the crop, where it lies in the image, and the face's
    /// box in the crop's pixels.
    struct CloserLookCrop {
        var image: RGBImage
        var x: Float, y: Float
        var face: PixelBox
    }

    /// The faces the images show small (nil: not to be looked at), each seen again on square crops
    /// around it that the predictor enlarges to its input size, one for each of
    /// `closerLookFaceShares`; the crops of all the images are predicted together, `batchSize`
    /// images a pass. A look's score is the mean of its crops' scores, its points the
    /// confidence-weighted mean of those the crops found; nil for a face already about as large as
    /// the crops would make it.
    func closerLooks(at faces: [[PoseDetection?]], in images: [RGBImage]) -> [[CloserLook?]] {
        let crops = zip(faces, images).map { faces, image in
            faces.map { face in
                face.map { face in Self.closerLookFaceShares.compactMap { Self.closerLookCrop(at: face, in: image, share: $0) } } ?? []
            }
        }
        let seen = closerLooks(at: crops.flatMap { $0.flatMap { $0 } })
        var next = 0
        return crops.map { faces in
            faces.map { faceCrops in
                guard !faceCrops.isEmpty else { return nil }
                let looks = seen[next..<next + faceCrops.count]
                next += faceCrops.count
                let score = looks.map(\.score).reduce(0, +) / Float(looks.count)
                let found = looks.compactMap(\.keypoints)
                guard found.count > 1 else { return CloserLook(score: score, keypoints: found.first) }
                return CloserLook(score: score, keypoints: PredictedKeypoint.confidenceWeightedMean(of: found))
            }
        }
    }

    /// The crop in which a face fills about `share` of the network's input (at most 4 times larger
    /// than in the whole image). nil when it would enlarge the face by less than a quarter.
    static func closerLookCrop(at face: PoseDetection, in image: RGBImage, share: Float) -> CloserLookCrop? {
        let longSide = Float(max(image.width, image.height))
        let faceSide = max(face.box.x2 - face.box.x1, face.box.y2 - face.box.y1)
        let cropSide = max(faceSide / share, longSide / 4)
        // a crop that enlarges by less than a quarter teaches the network nothing new
        guard cropSide * 1.25 <= longSide, faceSide > 0 else { return nil }
        let side = Int(cropSide.rounded(.up))
        let (centreX, centreY) = ((face.box.x1 + face.box.x2) / 2, (face.box.y1 + face.box.y2) / 2)
        let x0 = max(0, min(Int(centreX) - side / 2, image.width - side))
        let y0 = max(0, min(Int(centreY) - side / 2, image.height - side))
        let crop = image.cropped(x: x0, y: y0, width: min(side, image.width - x0), height: min(side, image.height - y0))
        guard crop.width >= 8, crop.height >= 8 else { return nil }
        let (dx, dy) = (Float(x0), Float(y0))
        return CloserLookCrop(
            image: crop, x: dx, y: dy,
            face: PixelBox(x1: face.box.x1 - dx, y1: face.box.y1 - dy, x2: face.box.x2 - dx, y2: face.box.y2 - dy))
    }

    /// What each crop shows of its face (with `fusesViews`, each crop's faces fused with its
    /// mirror's, as the whole image's were), `batchSize` images a forward pass.
    func closerLooks(at crops: [CloserLookCrop]) -> [CloserLook] {
        let fuses = settings.fusesViews && flip != nil
        let inputs = fuses ? crops.flatMap { [$0.image, $0.image.mirrored()] } : crops.map(\.image)
        let step = max(settings.batchSize, fuses ? 2 : 1)
        let predictions = stride(from: 0, to: inputs.count, by: step).flatMap { start in
            let batch = Array(inputs[start..<min(start + step, inputs.count)])
            return predictor.predict(images: batch, names: batch.map { _ in "" }).map(\.detections)
        }
        return crops.enumerated().map { index, crop in
            let seen =
                fuses
                ? flip!.pairs(predictions[2 * index], mirrored: predictions[2 * index + 1], width: Float(crop.image.width)).compactMap {
                    flip!.fused($0)
                }
                : predictions[index]
            guard let best = seen.max(by: { $0.box.nmsIoU(crop.face) < $1.box.nmsIoU(crop.face) }), best.box.nmsIoU(crop.face) >= 0.5 else {
                return CloserLook(score: 0, keypoints: nil)
            }
            return CloserLook(
                score: best.score,
                keypoints: best.keypoints.map { PredictedKeypoint(x: $0.x + crop.x, y: $0.y + crop.y, confidence: $0.confidence) })
        }
    }
}
