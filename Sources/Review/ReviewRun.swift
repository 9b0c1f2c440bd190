import AutoLabel
import Foundation
import PoseData

/// The refinement run a review server shows: its ledger, its keypoint layout and the images it may
/// serve (the run's own, and nothing else). The rules live in the ledger; this only converts
/// between its labels and the page's JSON.
public final class ReviewRun: Sendable {
    /// The run, opened for writing (decisions go to its ledger).
    public let run: RefinementRun
    public let config: DatasetConfig
    /// The iteration whose labels the queue shows first (the latest that generated any).
    public let iteration: Int?

    /// Whether the page audits `iteration` (its random sample, decisions marked as the audit's)
    /// rather than reviewing its queue.
    public let audits: Bool

    public var ledger: Ledger { run.ledger }

    /// Reviews `run`, `iteration`'s labels first; with `audits`, audits `iteration` instead.
    ///
    /// - Throws: ``DataProblem`` when `iteration` made no labels.
    public init(_ run: RefinementRun, iteration: Int? = nil, audits: Bool = false) throws {
        self.run = run
        self.audits = audits
        config = try run.config()
        let generated = Set(try run.ledger.provenance().keys.filter { $0 > 0 })
        if let iteration, !generated.contains(iteration) {
            throw DataProblem(
                file: run.folder.path, reason: .io("iteration \(iteration) generated no labels; these did: \(generated.sorted())"))
        }
        self.iteration = iteration ?? generated.max()
    }

    /// The file of image `key`, if the run has that image; nil for anything else (a path with
    /// `..`, an absolute path, a file the run does not hold).
    func imageFile(_ key: ImageKey) throws -> URL? {
        let path = key.path
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }), try ledger.hasImage(key)
        else {
            return nil
        }
        return run.imageFile(key)
    }

    // MARK: Labels as the page sees them

    /// A box and its keypoints in coordinates normalised to the image (0…1).
    public struct Shape: Codable, Sendable, Equatable {
        /// Centre x, centre y, width, height.
        public var box: [Double]
        /// x, y and visibility (or confidence) of each point.
        public var keypoints: [[Double]]
    }

    /// A label with its status, for the queue and the viewer.
    public struct LabelView: Codable, Sendable, Equatable {
        public var id: Int64
        public var split: String
        public var image: String
        public var imageURL: String
        public var iteration: Int
        public var score: Double?
        /// What the filters measured: the flip disagreement and each look's box score.
        public var disagreement: Double?
        public var ownScore: Double?
        public var mirroredScore: Double?
        public var closerScore: Double?
        public var status: String
        public var version: Int
        public var reviewer: String?
        public var decidedAt: Date?
        /// The label as a data set holds it now (corrected if it was).
        public var shape: Shape?
        /// The label as generated, when a correction changed it.
        public var generated: Shape?
    }

    func shape(_ instance: PoseInstance) -> Shape {
        Shape(
            box: [instance.box.centerX, instance.box.centerY, instance.box.width, instance.box.height],
            keypoints: instance.keypoints.map { config.keypointShape.dimensions == 3 ? [$0.x, $0.y, $0.visibility] : [$0.x, $0.y, 2] })
    }

    func view(_ label: LedgerLabel, shapes: Bool = true) -> LabelView {
        let image = label.image
        return LabelView(
            id: label.id, split: image.split.rawValue, image: image.path, imageURL: imageURL(image),
            iteration: label.iteration, score: label.score, disagreement: label.disagreement, ownScore: label.ownScore,
            mirroredScore: label.mirroredScore, closerScore: label.closerScore, status: label.status.rawValue, version: label.version,
            reviewer: label.reviewer, decidedAt: label.decidedAt, shape: shapes ? shape(label.current) : nil,
            generated: shapes && label.corrected != nil ? shape(label.instance) : nil)
    }

    /// An item of the audit's sample, for the page.
    public struct AuditItemView: Codable, Sendable, Equatable {
        public var id: Int64
        public var kind: String
        public var image: String
        public var imageURL: String
        /// The label to judge, for a label item.
        public var labelId: Int64?
        public var done: Bool
    }

    func view(_ item: AuditItem) -> AuditItemView {
        AuditItemView(
            id: item.id, kind: item.kind.rawValue, image: item.image.path, imageURL: imageURL(item.image), labelId: item.labelId,
            done: item.done)
    }

    /// The URL the page loads image `key` from.
    func imageURL(_ key: ImageKey) -> String {
        let path = key.path.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        return "/images/\(key.split.rawValue)/" + path.joined(separator: "/")
    }

    /// The face a person marked as missed: the box they drew (normalised centre x, centre y,
    /// width, height), its points not placed (visibility 0), class 0.
    ///
    /// - Throws: ``ReviewInputError`` when the box is not one inside the image.
    func missedFace(box: [Double]) throws -> PoseInstance {
        guard box.count == 4, box.allSatisfy(\.isFinite) else {
            throw ReviewInputError("box: expected [centre x, centre y, width, height]")
        }
        let frame = BoundingBox(centerX: box[0], centerY: box[1], width: box[2], height: box[3])
        guard frame.width > 0, frame.height > 0, frame.minX >= -1e-9, frame.minY >= -1e-9, frame.maxX <= 1 + 1e-9, frame.maxY <= 1 + 1e-9
        else {
            throw ReviewInputError("box: must lie in the image (0…1) with a positive width and height")
        }
        let unplaced = Keypoint(x: 0, y: 0, visibility: 0)
        return PoseInstance(box: frame, keypoints: Array(repeating: unplaced, count: config.keypointShape.count))
    }

    /// A correction: `label`'s class and box with `keypoints` (normalised x, y and a visibility of
    /// 0, 1 or 2 for each point).
    ///
    /// - Throws: ``ReviewInputError`` when the points do not fit the layout.
    func corrected(_ label: LedgerLabel, keypoints: [[Double]]) throws -> PoseInstance {
        let shape = config.keypointShape
        guard keypoints.count == shape.count else {
            throw ReviewInputError("keypoints: \(keypoints.count) points given, the layout has \(shape.count)")
        }
        for (index, point) in keypoints.enumerated() {
            guard point.count == 3, point.allSatisfy(\.isFinite) else {
                throw ReviewInputError("keypoints[\(index)]: expected [x, y, visibility] as numbers")
            }
            guard (0...1).contains(point[0]), (0...1).contains(point[1]) else {
                throw ReviewInputError("keypoints[\(index)]: x and y must lie in the image (0…1), found \(point[0]), \(point[1])")
            }
            guard [0, 1, 2].contains(point[2]) else { throw ReviewInputError("keypoints[\(index)]: visibility must be 0, 1 or 2") }
        }
        var instance = label.instance
        instance.keypoints = keypoints.map { Keypoint(x: $0[0], y: $0[1], visibility: shape.dimensions == 3 ? $0[2] : 2) }
        return instance
    }
}

/// A request the server refuses with 400: its text says what is wrong.
struct ReviewInputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
