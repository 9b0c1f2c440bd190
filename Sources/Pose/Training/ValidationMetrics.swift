import PoseMetrics

/// Precision, recall and mAP of one task (boxes or keypoints), fractions in [0, 1].
public struct DetectionScores: Sendable, Codable, Equatable {
    public var precision: Double
    public var recall: Double
    public var map50: Double
    public var map50_95: Double

    public init(precision: Double = 0, recall: Double = 0, map50: Double = 0, map50_95: Double = 0) {
        (self.precision, self.recall, self.map50, self.map50_95) = (precision, recall, map50, map50_95)
    }

    /// The reference's `Metric.fitness` of one task: 0.1 · mAP50 + 0.9 · mAP50-95; P and R weigh 0 (reference §4.9).
    public var fitness: Double { 0.1 * map50 + 0.9 * map50_95 }
}

/// The face-alignment field's landmark metrics on faces matched to the truth at box IoU ≥ 0.5.
public struct LandmarkScores: Sendable, Codable, Equatable {
    /// Mean squared landmark error, px² (nil without matched faces).
    public var mse: Double?
    /// Normalised mean error (by the inter-ocular distance; nil when the layout has no eye corners).
    public var nme: Double?
    /// Failure rate: the share of faces with NME above 0.1.
    public var failureRate: Double?
    /// Area under the cumulative NME curve up to 0.1, normalised to [0, 1].
    public var auc: Double?
    public var matched: Int
    public var missed: Int

    public init(mse: Double?, nme: Double?, failureRate: Double?, auc: Double?, matched: Int, missed: Int) {
        (self.mse, self.nme, self.failureRate, self.auc, self.matched, self.missed) = (mse, nme, failureRate, auc, matched, missed)
    }

    enum CodingKeys: String, CodingKey {
        case mse = "mse_px2", nme, failureRate = "fr_0_1", auc = "auc_0_1", matched, missed
    }

    /// Every key, an undefined error as null (so readers of the `val` JSON always find it).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mse, forKey: .mse)
        try container.encode(nme, forKey: .nme)
        try container.encode(failureRate, forKey: .failureRate)
        try container.encode(auc, forKey: .auc)
        try container.encode(matched, forKey: .matched)
        try container.encode(missed, forKey: .missed)
    }
}

/// What one validation pass measured.
public struct ValidationMetrics: Sendable, Codable, Equatable {
    public var box: DetectionScores
    public var pose: DetectionScores
    public var landmarks: LandmarkScores
    public var images: Int
    public var instances: Int
    /// The validation loss (gained terms), when computed.
    public var loss: LossItems?
    /// Whether the split's labels look complete to the model (``LabelCoverage``).
    public var coverage: LabelCoverage?

    public init(
        box: DetectionScores, pose: DetectionScores, landmarks: LandmarkScores, images: Int, instances: Int,
        loss: LossItems? = nil, coverage: LabelCoverage? = nil
    ) {
        self.coverage = coverage
        self.box = box
        self.pose = pose
        self.landmarks = landmarks
        self.images = images
        self.instances = instances
        self.loss = loss
    }

    /// The summary of PoseMetrics' full result (which also has the per-class figures).
    public init(_ result: PoseValidationMetrics, loss: LossItems? = nil) {
        self.init(
            box: DetectionScores(result.box), pose: DetectionScores(result.pose), landmarks: LandmarkScores(result.landmarks),
            images: result.images, instances: result.instances, loss: loss, coverage: result.coverage)
    }

    /// The reference's `PoseMetrics.fitness`, which picks `best` checkpoints (reference §4.9):
    /// `0.1·mAP50(B) + 0.9·mAP50-95(B) + 0.1·mAP50(P) + 0.9·mAP50-95(P)`.
    public var fitness: Double { box.fitness + pose.fitness }
}

extension DetectionScores {
    init(_ metrics: DetectionMetrics) {
        self.init(precision: metrics.precision, recall: metrics.recall, map50: metrics.map50, map50_95: metrics.map50to95)
    }
}

extension LandmarkScores {
    init(_ metrics: LandmarkMetrics) {
        self.init(
            mse: metrics.meanSquaredError, nme: metrics.normalisedMeanError, failureRate: metrics.failureRate,
            auc: metrics.areaUnderCurve, matched: metrics.matched, missed: metrics.missed)
    }
}
