import Foundation
import Imaging
import Pose
import PoseData
import PoseMetrics

/// Which `--conf` and `--max-disagreement` give the precision a user needs, measured on their own
/// labelled faces (`facelabel calibrate`): every candidate a model proposes on a labelled split is
/// kept with the labelled faces its box overlaps (IoU ≥ 0.5), then every pair of thresholds is
/// scored by the precision, recall and NME it would give, its kept faces paired with the labelled
/// ones one to one by score, as the faces it keeps would be judged.
public enum Calibration {
    /// One candidate face of the labelled split.
    public struct Candidate: Sendable, Equatable {
        /// Which image of the split it is on (the overlap check compares the faces of one image).
        public var image: Int
        /// Its box, in the image's pixels.
        public var box: BoundingBox
        /// The box score the plain threshold sees: the image's own view's (nil when only the
        /// mirror found the face), averaged with the closer look's when there was one.
        public var ownScore: Float?
        /// The box score the flip check sees: the two views' mean when both found the face (then
        /// averaged with the closer look's).
        public var score: Float
        /// Whether the mirrored view found it too.
        public var paired: Bool
        public var disagreement: Double?
        /// The labelled faces of its image its box overlaps by IoU 0.5 or more.
        public var overlaps: [Overlap]
    }

    /// A labelled face a candidate's box overlaps, and the candidate's landmark error against it.
    public struct Overlap: Sendable, Equatable {
        /// The face's index among its image's labels.
        public var face: Int
        public var iou: Float
        public var nme: Double?
    }

    /// The outcome of one pair of thresholds.
    public struct Row: Sendable, Codable, Equatable {
        public var conf: Float
        /// nil: no flip check (the plain threshold).
        public var maxDisagreement: Double?
        public var kept: Int
        public var precision: Double?
        /// The precision the kept faces show with 95% confidence (``precisionLowerBound(correct:of:)``).
        public var precisionLowerBound: Double?
        public var recall: Double?
        public var nme: Double?
    }

    /// The z of a two-sided 95% interval.
    static let z95 = 1.959964

    /// The lower end of the Wilson score interval (95%) of a precision of `correct` right of `kept`:
    /// what the faces show for certain, which a small calibration set keeps well under its precision
    /// (181 right of 181: 97.9%). nil when nothing is kept.
    public static func precisionLowerBound(correct: Int, of kept: Int) -> Double? {
        guard kept > 0 else { return nil }
        let (n, p, z2) = (Double(kept), Double(correct) / Double(kept), z95 * z95)
        let centre = p + z2 / (2 * n)
        let spread = z95 * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (centre - spread) / (1 + z2 / n)
    }

    /// How many kept faces, all right, it takes for the precision's lower bound to reach `target`:
    /// the fewest a calibration set can show it with.
    public static func facesToShow(precision target: Double) -> Int? {
        guard target < 1 else { return nil }
        return Int((z95 * z95 * target / (1 - target)).rounded(.up))
    }

    /// What `calibrate --out` writes and `--calibrated` reads.
    public struct File: Sendable, Codable, Equatable {
        public var conf: Float
        public var maxDisagreement: Double?
        public var confSingle: Float
        public var targetPrecision: Double
        /// What the thresholds gave on the calibration split.
        public var precision: Double?
        public var precisionLowerBound: Double?
        public var recall: Double?
        public var nme: Double?
        public var data: String
        public var weights: String

        /// The thresholds of `row`, with what they gave.
        public init(_ row: Row, confSingle: Float, targetPrecision: Double, data: String, weights: String) {
            (conf, maxDisagreement, self.confSingle, self.targetPrecision) = (row.conf, row.maxDisagreement, confSingle, targetPrecision)
            (precision, precisionLowerBound, recall, nme) = (row.precision, row.precisionLowerBound, row.recall, row.nme)
            (self.data, self.weights) = (data, weights)
        }
    }

    public static let confidences: [Float] = stride(from: 5, through: 95, by: 5).map { Float($0) / 100 }
    public static let disagreements: [Double?] = [nil, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]

    /// The candidates of `split` (every face scored 0.05 or more, with its flip disagreement, and
    /// seen closer when `settings` refines crops), the number of labelled faces and of images.
    public static func candidates(
        _ dataset: Dataset, split: Split, model: PoseModel, settings: AutolabelSettings, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> (candidates: [Candidate], faces: Int, images: Int) {
        var wide = settings
        (wide.confidence, wide.maxDisagreement, wide.singleViewConfidence, wide.shapeCheck) = (0.05, .infinity, 0, .off)
        model.foldBatchNorm()
        defer { model.unfoldBatchNorm() }
        let finder = CandidateFinder(model: model, settings: wide, flipIndex: dataset.config.flipIndex, shapes: nil)
        let eyeCorners = EyeCorners.standard(keypointCount: dataset.config.keypointShape.count)
        let entries = try dataset.entries(split)
        var result: [Candidate] = []
        var faces = 0
        // a batch of images at a time, as autolabel sees them (their closer looks predicted together)
        let batch = max(settings.batchSize, 1)
        for start in stride(from: 0, to: entries.count, by: batch) {
            let group = entries[start..<min(start + batch, entries.count)]
            let images = try group.map { try finder.decode($0.image) }
            let found = finder.candidates(images, names: group.map(\.image.path))
            for index in group.indices {
                let truths = entries[index].instances
                faces += truths.count
                result += judged(
                    found[index - start], image: index, size: images[index - start], truths: truths, eyeCorners: eyeCorners,
                    keypointConfidence: settings.keypointConfidence)
            }
            progress(start + group.count, entries.count)
        }
        return (result, faces, entries.count)
    }

    /// How complete the labels of a split with `faces` labelled faces on `images` images look,
    /// given its `candidates` (``LabelCoverage``).
    public static func coverage(_ candidates: [Candidate], faces: Int, images: Int) -> LabelCoverage {
        var counter = LabelCoverage.Counter()
        let byImage = Dictionary(grouping: candidates, by: \.image)
        for image in 0..<images {
            let found = byImage[image] ?? []
            counter.add(
                labelled: 0, covered: found.filter { !$0.overlaps.isEmpty }.map(\.score),
                uncovered: found.filter { $0.overlaps.isEmpty }.map(\.score))
        }
        var coverage = counter.coverage
        coverage.labelledFaces = faces
        return coverage
    }

    /// The faces `found` in image `image` (of `size`), each with the labelled faces (`truths`) it
    /// overlaps at box IoU 0.5 or more and its NME against each.
    static func judged(
        _ found: [AutoLabel.Candidate], image: Int, size: ScaledImage, truths: [PoseInstance], eyeCorners: EyeCorners?,
        keypointConfidence: Float
    ) -> [Candidate] {
        let (w, h) = (Float(size.width), Float(size.height))
        let truths = truths.map { face in
            TruthObject(
                classIndex: face.classIndex,
                box: PixelBox(
                    x1: Float(face.box.minX) * w, y1: Float(face.box.minY) * h, x2: Float(face.box.maxX) * w, y2: Float(face.box.maxY) * h),
                keypoints: face.keypoints.map { PixelKeypoint(x: Float($0.x) * w, y: Float($0.y) * h, visibility: Float($0.visibility)) })
        }
        return found.sorted { $0.detection.score > $1.detection.score }.map { candidate in
            let (box, looks) = (candidate.detection.box, candidate.measures)
            let detection = DetectedObject(
                classIndex: candidate.detection.classIndex, confidence: candidate.detection.score,
                box: PixelBox(x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2),
                keypoints: candidate.detection.keypoints.map {
                    PixelKeypoint(x: $0.x, y: $0.y, visibility: $0.confidence >= keypointConfidence ? 2 : 0)
                })
            let overlaps = truths.indices.compactMap { face -> Overlap? in
                let iou = truths[face].box.iou(detection.box)
                guard iou >= 0.5, truths[face].classIndex == detection.classIndex else { return nil }
                let measured = zip(truths[face].keypoints, detection.keypoints).map { t, p in
                    p.isLabelled ? t : PixelKeypoint(x: t.x, y: t.y, visibility: 0)
                }
                let nme = FaceAlignment.error(prediction: detection.keypoints, truth: measured, eyeCorners: eyeCorners).normalisedMeanError
                return Overlap(face: face, iou: iou, nme: nme)
            }
            return Candidate(
                image: image, box: BoundingBox(minX: Double(box.x1), minY: Double(box.y1), maxX: Double(box.x2), maxY: Double(box.y2)),
                ownScore: looks.ownScore.map { own in looks.closerScore.map { (own + $0) / 2 } ?? own }, score: candidate.detection.score,
                paired: looks.ownScore != nil && looks.mirroredScore != nil, disagreement: looks.disagreement, overlaps: overlaps)
        }
    }

    /// Every pair of thresholds scored as autolabel would apply them. Without a disagreement limit
    /// (the plain threshold) a candidate is kept when its own view's score reaches `conf`; with
    /// one, when its flip score reaches `conf` and both views found it within the limit, or one
    /// view found it at `confSingle` or more. With `checksOverlap`, the faces an image keeps then
    /// go through the overlap check as autolabel's do (at the merge rule's `mergeIoU`).
    public static func sweep(
        _ candidates: [Candidate], faces: Int, confSingle: Float, checksOverlap: Bool = true, mergeIoU: Double = 0.3
    ) -> [Row] {
        let images = Dictionary(grouping: candidates, by: \.image).values
        var rows: [Row] = []
        for limit in disagreements {
            for conf in confidences {
                // the score the row's threshold sees
                func score(_ candidate: Candidate) -> Float { limit == nil ? candidate.ownScore ?? 0 : candidate.score }
                func passes(_ candidate: Candidate) -> Bool {
                    guard score(candidate) >= conf else { return false }
                    guard let limit else { return true }
                    return candidate.paired ? (candidate.disagreement ?? 0) <= limit : candidate.score >= confSingle
                }
                var (kept, correct, errors) = (0, 0, [Double]())
                for image in images {
                    var passing = image.filter(passes)
                    if checksOverlap {
                        let repeated = Merge.repeatedFaces(
                            passing.map(\.box), scores: passing.map(score), existing: [], iouThreshold: mergeIoU)
                        passing = passing.indices.filter { !repeated.contains($0) }.map { passing[$0] }
                    }
                    kept += passing.count
                    // judged as the label-quality measure judges labels: by score, each takes the
                    // unpaired labelled face it overlaps most
                    var paired = Set<Int>()
                    for candidate in passing.sorted(by: { score($0) > score($1) }) {
                        guard let best = candidate.overlaps.filter({ !paired.contains($0.face) }).max(by: { $0.iou < $1.iou }) else {
                            continue
                        }
                        paired.insert(best.face)
                        correct += 1
                        if let nme = best.nme { errors.append(nme) }
                    }
                }
                rows.append(
                    Row(
                        conf: conf, maxDisagreement: limit, kept: kept, precision: kept == 0 ? nil : Double(correct) / Double(kept),
                        precisionLowerBound: precisionLowerBound(correct: correct, of: kept),
                        recall: faces > 0 ? Double(correct) / Double(faces) : nil,
                        nme: errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count)))
            }
        }
        return rows
    }

    /// One generated label of an audited run: its box score and flip disagreement, and, when the
    /// audit decided it, whether it was right (accepted or corrected).
    public struct AuditedLabel: Sendable, Equatable {
        public var score: Double
        public var disagreement: Double?
        public var right: Bool?

        public init(score: Double, disagreement: Double?, right: Bool?) {
            (self.score, self.disagreement, self.right) = (score, disagreement, right)
        }
    }

    /// Every pair of thresholds scored on an audit (`calibrate --from-review`). The audit sampled
    /// labels without regard to score, so the audited labels a pair keeps are a random sample of
    /// all it keeps: precision is theirs, its lower bound Wilson's with the finite-population
    /// correction for all the generated labels the pair keeps. Recall is relative: the share of
    /// the audited right labels the pair keeps (a pass's faces below its own threshold were never
    /// generated, so an audit can only raise thresholds). Flip-disagreement limits are scored only
    /// where the pass measured disagreements; there is no NME. The score thresholds start at
    /// `minimumConf`, the one the audited passes labelled with.
    public static func sweep(audit labels: [AuditedLabel], minimumConf: Float) -> [Row] {
        let measured = labels.contains { $0.disagreement != nil }
        let audited = labels.filter { $0.right != nil }
        let right = audited.filter { $0.right == true }.count
        var rows: [Row] = []
        for limit in disagreements where limit == nil || measured {
            for conf in [minimumConf] + confidences.filter({ $0 > minimumConf }) {
                let passes = { (label: AuditedLabel) in
                    label.score >= Double(conf) && (limit.map { (label.disagreement ?? 0) <= $0 } ?? true)
                }
                let kept = audited.filter(passes)
                let correct = kept.filter { $0.right == true }.count
                let precision = kept.isEmpty ? nil : Double(correct) / Double(kept.count)
                rows.append(
                    Row(
                        conf: conf, maxDisagreement: limit, kept: kept.count, precision: precision,
                        precisionLowerBound: precision.map {
                            AuditEstimate.wilson($0, AuditEstimate.effective(kept.count, of: labels.filter(passes).count)).lower
                        },
                        recall: right > 0 ? Double(correct) / Double(right) : nil, nme: nil))
            }
        }
        return rows
    }

    /// The row reaching `targetPrecision` with the most recall (then the least NME, then the
    /// plain threshold); `plainOnly` looks at the rows without the flip check only; `byLowerBound`
    /// asks the precision's lower bound, not the precision, to reach the target. nil when none
    /// reaches it.
    public static func recommend(_ rows: [Row], targetPrecision: Double, plainOnly: Bool = false, byLowerBound: Bool = false) -> Row? {
        rows.filter {
            ((byLowerBound ? $0.precisionLowerBound : $0.precision) ?? 0) >= targetPrecision && $0.kept > 0
                && (!plainOnly || $0.maxDisagreement == nil)
        }.max { a, b in
            if a.recall != b.recall { return (a.recall ?? 0) < (b.recall ?? 0) }
            if a.nme != b.nme { return (a.nme ?? 1) > (b.nme ?? 1) }
            return (a.maxDisagreement == nil ? 0 : 1) > (b.maxDisagreement == nil ? 0 : 1)
        }
    }
}
