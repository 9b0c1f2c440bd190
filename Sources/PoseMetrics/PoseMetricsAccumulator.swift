/// The metrics of a pose validation run: box and pose precision, recall and mAP as the reference
/// reports them, the landmark accuracy of matched faces, and the counts.
public struct PoseValidationMetrics: Sendable, Equatable {
    /// Metrics with box IoU as the similarity ("(B)" in the reference's columns).
    public var box: DetectionMetrics
    /// Metrics with keypoint OKS as the similarity ("(P)").
    public var pose: DetectionMetrics
    /// MSE, NME, FR and AUC of the faces matched at box IoU ≥ 0.5.
    public var landmarks: LandmarkMetrics
    /// Images seen.
    public var images: Int
    /// Ground-truth objects seen.
    public var instances: Int
    /// Whether the labels look complete to the model (the confident detections no label covers).
    public var coverage: LabelCoverage?

    public init(
        box: DetectionMetrics, pose: DetectionMetrics, landmarks: LandmarkMetrics, images: Int, instances: Int,
        coverage: LabelCoverage? = nil
    ) {
        self.coverage = coverage
        self.box = box
        self.pose = pose
        self.landmarks = landmarks
        self.images = images
        self.instances = instances
    }
}

/// Collects what the validator sees, image by image, and computes the reference's box and pose
/// metrics and the face-alignment metrics at the end (reference §6; `PoseValidator.update_metrics`
/// and `get_stats` in 8.1.14).
///
/// Per image, as the reference: the box IoU and the OKS of every ground truth with every
/// detection are matched at the ten thresholds (``Matching``); the flags, confidences and classes
/// are kept, and at the end ``AveragePrecision/evaluate(truePositives:confidences:detectionClasses:truthClasses:thresholdCount:)``
/// runs once for boxes and once for poses. An image without ground truth makes all its
/// detections false positives; an image without detections adds its ground truths to the counts.
///
/// The reference's rule for an empty result is kept: **if no detection is a box true positive at
/// any threshold, every box and pose metric stays 0** (its `metrics.process` is skipped), even
/// when some OKS match exists. ``hasBoxTruePositive`` tells whether that happened. The landmark
/// metrics do not follow this rule: they only depend on the faces matched at IoU ≥ 0.5.
///
/// ```swift
/// var accumulator = PoseMetricsAccumulator(keypointCount: 51)
/// for (truths, detections) in images {  // pixels of the original image, detections in NMS order
///     accumulator.add(truths: truths, detections: detections)
/// }
/// let metrics = accumulator.result()
/// print(metrics.box.map50, metrics.pose.map50to95, metrics.landmarks.normalisedMeanError ?? .nan)
/// ```
///
/// Several ranks validate parts of a split (``append(_:)``): each accumulates its batches, and
/// the accumulators appended in the order one process adds their images give its metrics exactly.
public struct PoseMetricsAccumulator: Sendable, Codable {
    /// K, the number of keypoints per object (0 evaluates boxes only).
    public let keypointCount: Int
    /// Per-keypoint OKS σ.
    public let sigmas: [Float]
    /// The thresholds of the flag columns (``Matching/iouThresholds``).
    public let thresholds: [Float]
    /// Matching and normalisation of the landmark metrics.
    public let faceAlignment: FaceAlignmentSettings

    /// Images added.
    public private(set) var images = 0
    /// Ground-truth objects added.
    public private(set) var instances = 0

    private var boxFlags: [[Bool]] = []
    private var poseFlags: [[Bool]] = []
    private var confidences: [Float] = []
    private var detectionClasses: [Int] = []
    private var truthClasses: [Int] = []
    private var faces: [FaceError] = []
    private var missedFaces = 0
    private var coverage = LabelCoverage.Counter()

    /// - Parameters:
    ///   - keypointCount: K.
    ///   - keypointDimensions: 2 or 3, the `kpt_shape`'s second value; only picks the default σ.
    ///   - sigmas: OKS σ per keypoint; default ``OKSSigmas/reference(keypointCount:dimensions:)``.
    ///   - faceAlignment: default ``FaceAlignmentSettings/init(keypointCount:)``.
    ///   - thresholds: default ``Matching/iouThresholds``.
    public init(
        keypointCount: Int, keypointDimensions: Int = 3, sigmas: [Float]? = nil,
        faceAlignment: FaceAlignmentSettings? = nil, thresholds: [Float] = Matching.iouThresholds
    ) {
        precondition(keypointCount >= 0, "PoseMetricsAccumulator: keypoint count \(keypointCount)")
        let sigmas =
            sigmas
            ?? (keypointCount > 0
                ? OKSSigmas.reference(keypointCount: keypointCount, dimensions: keypointDimensions) : [])
        precondition(
            sigmas.count == keypointCount,
            "PoseMetricsAccumulator: \(sigmas.count) sigmas for \(keypointCount) keypoints")
        precondition(!thresholds.isEmpty, "PoseMetricsAccumulator: no thresholds")
        self.keypointCount = keypointCount
        self.sigmas = sigmas
        self.thresholds = thresholds
        self.faceAlignment = faceAlignment ?? FaceAlignmentSettings(keypointCount: keypointCount)
    }

    /// Adds one image.
    ///
    /// - Parameters:
    ///   - truths: its ground-truth objects, each with K keypoints, in original-image pixels.
    ///   - detections: its detections after NMS, in NMS order (confidence descending): when two
    ///     detections claim one label, the reference's matching keeps the earlier one.
    public mutating func add(truths: [TruthObject], detections: [DetectedObject]) {
        for truth in truths {
            precondition(
                truth.keypoints.count == keypointCount,
                "PoseMetricsAccumulator.add: a ground truth has \(truth.keypoints.count) keypoints, expected \(keypointCount)"
            )
        }
        for detection in detections {
            precondition(
                detection.keypoints.count == keypointCount,
                "PoseMetricsAccumulator.add: a detection has \(detection.keypoints.count) keypoints, expected \(keypointCount)"
            )
        }
        images += 1
        instances += truths.count
        truthClasses += truths.map(\.classIndex)
        confidences += detections.map(\.confidence)
        detectionClasses += detections.map(\.classIndex)

        let classesOfTruths = truths.map(\.classIndex)
        let classesOfDetections = detections.map(\.classIndex)
        // every label against every detection: the box matching, and the detections no label covers
        let iou = Similarity.boxIoU(truths: truths.map(\.box), detections: detections.map(\.box))
        if truths.isEmpty {
            let none = Array(repeating: Array(repeating: false, count: thresholds.count), count: detections.count)
            boxFlags += none
            poseFlags += none
        } else if !detections.isEmpty {
            boxFlags += Matching.truePositives(
                similarity: iou, truthClasses: classesOfTruths, detectionClasses: classesOfDetections,
                thresholds: thresholds)
            if keypointCount > 0 {
                let oks = Similarity.keypointOKS(
                    truths: truths.map { ($0.keypoints, Similarity.oksArea(of: $0.box)) },
                    predictions: detections.map(\.keypoints), sigmas: sigmas)
                poseFlags += Matching.truePositives(
                    similarity: oks, truthClasses: classesOfTruths, detectionClasses: classesOfDetections,
                    thresholds: thresholds)
            } else {
                poseFlags += Array(repeating: Array(repeating: false, count: thresholds.count), count: detections.count)
            }
        }

        let matches = FaceAlignment.greedyMatches(
            truths: truths, detections: detections, minimumIoU: faceAlignment.minimumIoU)
        missedFaces += truths.count - matches.count
        coverage.add(
            labelled: truths.count, covered: matches.map { detections[$0.detection].confidence },
            uncovered: detections.indices.filter { d in !iou.contains { $0[d] >= 0.5 } }.map { detections[$0].confidence })
        if keypointCount > 0 {
            faces += matches.map {
                FaceAlignment.error(
                    prediction: detections[$0.detection].keypoints, truth: truths[$0.truth].keypoints,
                    eyeCorners: faceAlignment.eyeCorners)
            }
        } else {
            faces += matches.map { _ in FaceError(squaredErrorSum: 0, labelledPoints: 0, normalisedMeanError: nil) }
        }
    }

    /// Adds what `other` accumulated (with the same settings) after what this one did, as if its
    /// images had been added here.
    public mutating func append(_ other: PoseMetricsAccumulator) {
        precondition(
            (other.keypointCount, other.sigmas, other.thresholds) == (keypointCount, sigmas, thresholds)
                && other.faceAlignment == faceAlignment,
            "PoseMetricsAccumulator.append: different settings")
        images += other.images
        instances += other.instances
        boxFlags += other.boxFlags
        poseFlags += other.poseFlags
        confidences += other.confidences
        detectionClasses += other.detectionClasses
        truthClasses += other.truthClasses
        faces += other.faces
        missedFaces += other.missedFaces
        coverage.append(other.coverage)
    }

    /// Whether any detection so far is a box true positive at some threshold. When not, the
    /// reference skips its metric computation and ``result()`` reports 0 for every box and pose
    /// figure.
    public var hasBoxTruePositive: Bool { boxFlags.contains { $0.contains(true) } }

    /// The metrics of everything added so far.
    public func result() -> PoseValidationMetrics {
        var box = DetectionMetrics.empty
        var pose = DetectionMetrics.empty
        if hasBoxTruePositive {
            box = AveragePrecision.evaluate(
                truePositives: boxFlags, confidences: confidences, detectionClasses: detectionClasses,
                truthClasses: truthClasses, thresholdCount: thresholds.count)
            pose = AveragePrecision.evaluate(
                truePositives: poseFlags, confidences: confidences, detectionClasses: detectionClasses,
                truthClasses: truthClasses, thresholdCount: thresholds.count)
        }
        return PoseValidationMetrics(
            box: box, pose: pose,
            landmarks: LandmarkMetrics(faces: faces, missed: missedFaces, settings: faceAlignment),
            images: images, instances: instances, coverage: coverage.coverage)
    }
}
