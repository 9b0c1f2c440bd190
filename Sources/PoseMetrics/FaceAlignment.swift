#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two points whose distance normalises landmark errors (NME): the outer eye corners.
public struct EyeCorners: Sendable, Hashable, Codable {
    public var first: Int
    public var second: Int

    public init(_ first: Int, _ second: Int) {
        (self.first, self.second) = (first, second)
    }

    /// The 51-point layout (iBUG 68 without the jaw; docs/reference/method.md): points 19 and 28, the
    /// 68-point indices 36 and 45 less the 17 jaw points.
    public static let ibug51 = EyeCorners(19, 28)
    /// The iBUG/300-W 68-point layout: points 36 and 45 (0-based), the standard inter-ocular pair
    /// of 300-W.
    public static let ibug68 = EyeCorners(36, 45)

    /// The outer eye corners of a known layout by its keypoint count (51 or 68), else nil.
    public static func standard(keypointCount: Int) -> EyeCorners? {
        switch keypointCount {
        case 51: ibug51
        case 68: ibug68
        default: nil
        }
    }
}

/// Settings of the face-alignment metrics.
public struct FaceAlignmentSettings: Sendable, Hashable, Codable {
    /// A prediction and a ground truth are paired when their box IoU is at least this (0.5).
    public var minimumIoU: Float
    /// The points of the inter-ocular distance; nil leaves NME, FR and AUC out.
    public var eyeCorners: EyeCorners?
    /// The NME threshold of the failure rate and of the AUC's upper bound (0.1).
    public var threshold: Double
    /// Intervals of the trapezoid grid of the AUC over [0, threshold] (1000, a step of 1e-4 at 0.1).
    public var aucSteps: Int

    public init(minimumIoU: Float = 0.5, eyeCorners: EyeCorners?, threshold: Double = 0.1, aucSteps: Int = 1000) {
        precondition(threshold > 0 && aucSteps > 0, "FaceAlignmentSettings: threshold \(threshold), steps \(aucSteps)")
        self.minimumIoU = minimumIoU
        self.eyeCorners = eyeCorners
        self.threshold = threshold
        self.aucSteps = aucSteps
    }

    /// The defaults for a layout of `keypointCount` points: eye corners by ``EyeCorners/standard(keypointCount:)``.
    public init(keypointCount: Int) {
        self.init(eyeCorners: EyeCorners.standard(keypointCount: keypointCount))
    }
}

/// The landmark error of one matched face.
public struct FaceError: Sendable, Hashable, Codable {
    /// Σ over labelled points of the squared Euclidean error, in pixels².
    public var squaredErrorSum: Double
    /// The number of labelled points (ground-truth visibility ≠ 0).
    public var labelledPoints: Int
    /// Mean over labelled points of the Euclidean error divided by the inter-ocular distance; nil
    /// when the face has no labelled point, no eye corners are set, either corner is unlabelled or
    /// the corners coincide.
    public var normalisedMeanError: Double?
}

/// Landmark accuracy on faces matched between predictions and ground truth: the face-alignment
/// field's MSE, NME, failure rate and AUC (300-W / WFLW convention).
public enum FaceAlignment {
    /// A prediction paired with a ground truth.
    public struct Match: Sendable, Hashable {
        public var truth: Int
        public var detection: Int
    }

    /// Pairs detections with ground truths greedily by confidence, COCO-style: detections are
    /// taken by confidence, highest first (ties in input order); each takes the still unpaired
    /// ground truth of its class with the highest box IoU (ties: the lower index) when that IoU
    /// is at least `minimumIoU`. One detection per ground truth, one ground truth per detection.
    ///
    /// - Returns: the pairs, in the order they were made.
    public static func greedyMatches(
        truths: [TruthObject], detections: [DetectedObject], minimumIoU: Float = 0.5
    )
        -> [Match]
    {
        let order = detections.indices.sorted {
            detections[$0].confidence > detections[$1].confidence
                || (detections[$0].confidence == detections[$1].confidence && $0 < $1)
        }
        var paired = Array(repeating: false, count: truths.count)
        var matches: [Match] = []
        for detection in order {
            var best: (truth: Int, iou: Float)?
            for truth in truths.indices
            where !paired[truth] && truths[truth].classIndex == detections[detection].classIndex {
                let iou = truths[truth].box.iou(detections[detection].box)
                if iou >= minimumIoU, iou > best?.iou ?? -.infinity { best = (truth, iou) }
            }
            if let best {
                paired[best.truth] = true
                matches.append(Match(truth: best.truth, detection: detection))
            }
        }
        return matches
    }

    /// The error of one face's predicted points against its ground truth.
    ///
    /// - Squared error of point k: `(x̂ − x)² + (ŷ − y)²`, summed over points with visibility ≠ 0.
    /// - NME (inter-ocular normalisation, as 300-W defines it): `d = ‖p_a − p_b‖` between the
    ///   ground truth's outer eye corners a and b; `NME = (1/n) Σ_k ‖p̂_k − p_k‖ / d` over the n
    ///   labelled points.
    public static func error(
        prediction: [PixelKeypoint], truth: [PixelKeypoint], eyeCorners: EyeCorners?
    )
        -> FaceError
    {
        precondition(
            prediction.count == truth.count,
            "FaceAlignment.error: \(prediction.count) predicted points, \(truth.count) ground-truth points")
        var squaredSum = 0.0
        var distanceSum = 0.0
        var labelled = 0
        for k in truth.indices where truth[k].isLabelled {
            let dx = Double(prediction[k].x) - Double(truth[k].x)
            let dy = Double(prediction[k].y) - Double(truth[k].y)
            squaredSum += dx * dx + dy * dy
            distanceSum += (dx * dx + dy * dy).squareRoot()
            labelled += 1
        }
        var nme: Double?
        if labelled > 0, let corners = eyeCorners {
            precondition(
                truth.indices.contains(corners.first) && truth.indices.contains(corners.second),
                "FaceAlignment.error: eye corners \(corners.first), \(corners.second) outside \(truth.count) points")
            let a = truth[corners.first]
            let b = truth[corners.second]
            let interocular = hypot(Double(a.x) - Double(b.x), Double(a.y) - Double(b.y))
            if a.isLabelled, b.isLabelled, interocular > 0 {
                nme = distanceSum / Double(labelled) / interocular
            }
        }
        return FaceError(squaredErrorSum: squaredSum, labelledPoints: labelled, normalisedMeanError: nme)
    }

    /// The failure rate at `threshold`: the fraction of faces whose NME is above it (FR@0.1 for
    /// 0.1, as 300-W and WFLW report it). Nil without faces.
    public static func failureRate(_ errors: [Double], threshold: Double = 0.1) -> Double? {
        guard !errors.isEmpty else { return nil }
        return Double(errors.count { $0 > threshold }) / Double(errors.count)
    }

    /// The area under the cumulative error distribution of per-face NME from 0 to `threshold`,
    /// divided by `threshold` so that it lies in [0, 1] (AUC@0.1 for 0.1, as 300-W and WFLW report
    /// it). The CED at e is the fraction of faces with NME ≤ e; it is sampled at
    /// `e_i = threshold · i / steps`, i = 0…steps, and integrated with the trapezoidal rule.
    /// Nil without faces.
    public static func areaUnderCurve(_ errors: [Double], threshold: Double = 0.1, steps: Int = 1000) -> Double? {
        guard !errors.isEmpty else { return nil }
        precondition(threshold > 0 && steps > 0, "areaUnderCurve: threshold \(threshold), steps \(steps)")
        let sorted = errors.sorted()
        var below = 0
        let grid = (0...steps).map { threshold * Double($0) / Double(steps) }
        let curve = grid.map { e -> Double in
            while below < sorted.count, sorted[below] <= e { below += 1 }
            return Double(below) / Double(sorted.count)
        }
        return NumPy.trapezoid(curve, grid) / threshold
    }
}

/// Landmark accuracy on the faces matched at box IoU ≥ 0.5 over a data set.
public struct LandmarkMetrics: Sendable, Hashable {
    /// Mean over all labelled points of all matched faces of the squared Euclidean error, in
    /// pixels²; nil when no labelled point was matched.
    public var meanSquaredError: Double?
    /// Mean over normalisable faces of the per-face NME; nil without such faces.
    public var normalisedMeanError: Double?
    /// The fraction of normalisable faces with NME above the threshold (FR@0.1).
    public var failureRate: Double?
    /// The normalised area under the CED curve up to the threshold (AUC@0.1).
    public var areaUnderCurve: Double?
    /// Ground-truth faces paired with a prediction.
    public var matched: Int
    /// Ground-truth faces left without one.
    public var missed: Int
    /// Matched faces with an NME (labelled eye corners at a non-zero distance).
    public var normalisedFaces: Int

    public init(
        meanSquaredError: Double?, normalisedMeanError: Double?, failureRate: Double?, areaUnderCurve: Double?,
        matched: Int, missed: Int, normalisedFaces: Int
    ) {
        self.meanSquaredError = meanSquaredError
        self.normalisedMeanError = normalisedMeanError
        self.failureRate = failureRate
        self.areaUnderCurve = areaUnderCurve
        self.matched = matched
        self.missed = missed
        self.normalisedFaces = normalisedFaces
    }

    /// The metrics of a set of matched faces.
    ///
    /// - Parameters:
    ///   - faces: the error of every matched face.
    ///   - missed: ground truths without a match.
    ///   - settings: the FR threshold and the AUC's bound and grid.
    public init(faces: [FaceError], missed: Int, settings: FaceAlignmentSettings) {
        let points = faces.reduce(0) { $0 + $1.labelledPoints }
        let errors = faces.compactMap(\.normalisedMeanError)
        self.init(
            meanSquaredError: points > 0 ? faces.reduce(0) { $0 + $1.squaredErrorSum } / Double(points) : nil,
            normalisedMeanError: errors.isEmpty ? nil : errors.reduce(0, +) / Double(errors.count),
            failureRate: FaceAlignment.failureRate(errors, threshold: settings.threshold),
            areaUnderCurve: FaceAlignment.areaUnderCurve(
                errors, threshold: settings.threshold, steps: settings.aucSteps),
            matched: faces.count, missed: missed, normalisedFaces: errors.count)
    }
}
