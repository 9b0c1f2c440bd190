/// Precision, recall and mAP of one task (boxes or keypoints), fractions in [0, 1].
public struct DetectionScores: Sendable, Codable, Equatable {
    public var precision: Double
    public var recall: Double
    public var map50: Double
    public var map50_95: Double

    public init(precision: Double = 0, recall: Double = 0, map50: Double = 0, map50_95: Double = 0) {
        (self.precision, self.recall, self.map50, self.map50_95) = (precision, recall, map50, map50_95)
    }

    /// The reference's fitness of one task: 0.1 · mAP50 + 0.9 · mAP50-95 (§4.9).
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

    public init(
        box: DetectionScores, pose: DetectionScores, landmarks: LandmarkScores, images: Int, instances: Int,
        loss: LossItems? = nil
    ) {
        self.box = box
        self.pose = pose
        self.landmarks = landmarks
        self.images = images
        self.instances = instances
        self.loss = loss
    }

    /// The reference's fitness for pose: box fitness + pose fitness (§4.9).
    public var fitness: Double { box.fitness + pose.fitness }
}
