/// Whether a split's labels look complete to a model: the faces it finds with confidence that no
/// label covers (box IoU 0.5 with none). In a fully labelled split these are the model's confident
/// mistakes, a few; in a partly labelled one, the faces nobody labelled, and then each of them
/// counts as a wrong detection in the precision measured on the split.
public struct LabelCoverage: Sendable, Codable, Equatable {
    /// The score counted as confident: 0.7, or the median score of the found faces that a label
    /// covers when that is lower (a model that scores its right faces lower).
    public var confidentScore: Float
    /// Confident faces that no label covers, and the images they are on.
    public var unlabelledFaces: Int
    public var imagesWithUnlabelled: Int
    public var images: Int
    public var labelledFaces: Int

    /// At least 3 such faces, at least 5% of the labelled and unlabelled faces together, on at
    /// least 5% of the images: more than a model's confident mistakes on a labelled split.
    public var looksIncomplete: Bool {
        unlabelledFaces >= 3 && Double(unlabelledFaces) >= 0.05 * Double(labelledFaces + unlabelledFaces)
            && Double(imagesWithUnlabelled) >= 0.05 * Double(images)
    }

    /// What a model found on a split, image by image, to judge its labels' coverage with.
    public struct Counter: Sendable, Codable {
        /// The scores of found faces a label covers (one per labelled face at most).
        private var coveredScores: [Float] = []
        /// Per image, the scores of the found faces no label covers (those of 0.05 or more).
        private var uncoveredScores: [[Float]] = []
        private var labelledFaces = 0

        public init() {}

        /// Adds one image: its `labelled` faces, and the scores of the faces found on it that a
        /// label covers and of those none covers.
        public mutating func add(labelled: Int, covered: [Float], uncovered: [Float]) {
            labelledFaces += labelled
            coveredScores += covered
            uncoveredScores.append(uncovered.filter { $0 >= 0.05 })
        }

        /// Adds the images `other` counted after these.
        public mutating func append(_ other: Counter) {
            labelledFaces += other.labelledFaces
            coveredScores += other.coveredScores
            uncoveredScores += other.uncoveredScores
        }

        public var coverage: LabelCoverage {
            let sorted = coveredScores.sorted()
            let confident = min(0.7, sorted.isEmpty ? 0.7 : sorted[sorted.count / 2])
            let perImage = uncoveredScores.map { $0.filter { $0 >= confident }.count }
            return LabelCoverage(
                confidentScore: confident, unlabelledFaces: perImage.reduce(0, +), imagesWithUnlabelled: perImage.filter { $0 > 0 }.count,
                images: uncoveredScores.count, labelledFaces: labelledFaces)
        }
    }
}

extension LabelCoverage {
    /// The counts in words, with what they do to the figures: for a warning.
    public func warning(split: String) -> String {
        let share = Int((Double(imagesWithUnlabelled) / Double(max(images, 1)) * 100).rounded())
        let hundredths = Int((confidentScore * 100).rounded())
        let score = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        return "\(split) looks incompletely labelled: the model finds \(unlabelledFaces) faces with score \(score) "
            + "or more that no label covers, on \(imagesWithUnlabelled) of \(images) "
            + "images (\(share)%), beside \(labelledFaces) labelled faces; a fully labelled split has few. Each of them counts "
            + "as a wrong detection"
    }
}

extension LabelCoverage {
    private enum CodingKeys: String, CodingKey {
        case confidentScore, unlabelledFaces, imagesWithUnlabelled, images, labelledFaces, looksIncomplete
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            confidentScore: try container.decode(Float.self, forKey: .confidentScore),
            unlabelledFaces: try container.decode(Int.self, forKey: .unlabelledFaces),
            imagesWithUnlabelled: try container.decode(Int.self, forKey: .imagesWithUnlabelled),
            images: try container.decode(Int.self, forKey: .images), labelledFaces: try container.decode(Int.self, forKey: .labelledFaces))
    }

    /// The counts, and the verdict they give (written for readers; read back from the counts).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(confidentScore, forKey: .confidentScore)
        try container.encode(unlabelledFaces, forKey: .unlabelledFaces)
        try container.encode(imagesWithUnlabelled, forKey: .imagesWithUnlabelled)
        try container.encode(images, forKey: .images)
        try container.encode(labelledFaces, forKey: .labelledFaces)
        try container.encode(looksIncomplete, forKey: .looksIncomplete)
    }
}
