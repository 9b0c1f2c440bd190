import AutoLabel
import Foundation
import PoseData

/// The refinement run a review server shows: its ledger, its keypoint layout and the images it may
/// serve (the run's own, and nothing else). The rules live in the ledger; this only converts
/// between its label lines and the page's JSON.
public final class ReviewRun: Sendable {
    public let folder: URL
    public let ledger: Ledger
    public let config: DatasetConfig
    /// The iteration whose labels the queue shows first (the latest that generated any).
    public let iteration: Int?
    /// Iteration 0's data set folder, whose `images/<split>/` hold (links to) every image of the run.
    let dataFolder: URL

    /// Opens the run in `folder`.
    ///
    /// - Throws: ``DataProblem`` when the folder holds no refinement run, or `iteration` made no labels.
    public init(folder: URL, iteration: Int? = nil) throws {
        let ledgerURL = folder.appendingPathComponent("ledger.sqlite")
        guard FileManager.default.fileExists(atPath: ledgerURL.path) else {
            throw DataProblem(file: folder.path, reason: .io("holds no refinement run (no ledger.sqlite)"))
        }
        self.folder = folder.standardizedFileURL
        ledger = try Ledger(url: ledgerURL)
        dataFolder = self.folder.appendingPathComponent("iter0/data")
        config = try Dataset.load(dataFolder.appendingPathComponent("data.yaml")).config
        let generated = Set(try ledger.provenance().keys.filter { $0 > 0 })
        if let iteration, !generated.contains(iteration) {
            throw DataProblem(file: folder.path, reason: .io("iteration \(iteration) generated no labels; these did: \(generated.sorted())"))
        }
        self.iteration = iteration ?? generated.max()
    }

    /// The file of image `path` of `split`, if the run has that image; nil for anything else
    /// (a path with `..`, an absolute path, a file the run does not hold).
    func imageFile(split: Split, path: String) throws -> URL? {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }),
            try ledger.hasImage(split: split, path: path)
        else { return nil }
        return dataFolder.appendingPathComponent("images/\(split.rawValue)/\(path)")
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

    func shape(_ line: String) -> Shape? {
        guard let instance = LabelFile.parse(line, file: "ledger", keypointShape: config.keypointShape, classCount: nil).instances.first else {
            return nil
        }
        return Shape(
            box: [instance.box.centerX, instance.box.centerY, instance.box.width, instance.box.height],
            keypoints: instance.keypoints.map { config.keypointShape.dimensions == 3 ? [$0.x, $0.y, $0.visibility] : [$0.x, $0.y, 2] })
    }

    func view(_ item: ReviewItem, shapes: Bool = true) -> LabelView {
        let path = item.image.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        return LabelView(
            id: item.id, split: item.split.rawValue, image: item.image, imageURL: "/images/\(item.split.rawValue)/" + path.joined(separator: "/"),
            iteration: item.iteration, score: item.score, disagreement: item.disagreement, ownScore: item.ownScore,
            mirroredScore: item.mirroredScore, closerScore: item.closerScore, status: item.status.rawValue, version: item.version, reviewer: item.reviewer,
            decidedAt: item.decidedAt, shape: shapes ? shape(item.currentLine) : nil,
            generated: shapes && item.correctedLine != nil ? shape(item.line) : nil)
    }

    /// The label line of a correction: `item`'s class and box with `keypoints` (normalised x, y
    /// and a visibility of 0, 1 or 2 for each point).
    ///
    /// - Throws: ``ReviewInputError`` when the points do not fit the layout.
    func correctedLine(of item: ReviewItem, keypoints: [[Double]]) throws -> String {
        let shape = config.keypointShape
        guard var instance = LabelFile.parse(item.line, file: "ledger", keypointShape: shape, classCount: nil).instances.first else {
            throw ReviewInputError("label \(item.id) has no readable line in the ledger")
        }
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
        instance.keypoints = keypoints.map { Keypoint(x: $0[0], y: $0[1], visibility: shape.dimensions == 3 ? $0[2] : 2) }
        return LabelFile.format([instance], keypointShape: shape).trimmingCharacters(in: .newlines)
    }
}

/// A request the server refuses with 400: its text says what is wrong.
struct ReviewInputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
