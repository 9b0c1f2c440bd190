import Foundation
import GRDB
import PoseData

/// The ledger's tables, as GRDB records, and every migration that made them, in order. A ledger
/// written by an earlier version is brought up to date when it is opened for writing; opened
/// read-only, a copy in memory is.
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "image") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("split", .text).notNull()
                t.column("path", .text).notNull()
                t.uniqueKey(["split", "path"])
            }
            try db.create(table: "label") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("imageId", .integer).notNull().references("image")
                t.column("iteration", .integer).notNull()
                t.column("confidence", .double)
                t.column("model", .text)
                t.column("line", .text).notNull()
            }
            try db.create(table: "iteration") { t in
                t.primaryKey("idx", .integer)
                t.column("phase", .text).notNull()
                t.column("settings", .text).notNull()
                t.column("weights", .text)
                t.column("summary", .text)
                t.column("labellingSeconds", .double).notNull().defaults(to: 0)
                t.column("trainingSeconds", .double).notNull().defaults(to: 0)
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2-review") { db in
            // every decision a person took on a label, oldest first; the latest is the label's status
            try db.create(table: "decision") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("labelId", .integer).notNull().references("label").indexed()
                t.column("status", .text).notNull()
                t.column("line", .text)
                t.column("reviewer", .text).notNull()
                t.column("decidedAt", .datetime).notNull()
                t.column("source", .text).notNull()
            }
        }
        migrator.registerMigration("v3-label-quality") { db in
            // what the filters measured of each generated label, and the candidates they left out
            try db.alter(table: "label") { t in
                t.add(column: "keypointConfidences", .text)
                t.add(column: "disagreement", .double)
                t.add(column: "shapeResidual", .double)
                t.add(column: "filter", .text)
            }
            try db.create(table: "dropped") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("imageId", .integer).notNull().references("image")
                t.column("iteration", .integer).notNull()
                t.column("confidence", .double)
                t.column("line", .text).notNull()
                t.column("keypointConfidences", .text)
                t.column("disagreement", .double)
                t.column("shapeResidual", .double)
                t.column("reason", .text).notNull()
            }
        }
        migrator.registerMigration("v4-look-scores") { db in
            // the box score of each look at a generated label or a candidate left out: the
            // image's own view, its mirror, and the closer look
            for table in ["label", "dropped"] {
                try db.alter(table: table) { t in
                    t.add(column: "ownScore", .double)
                    t.add(column: "mirroredScore", .double)
                    t.add(column: "closerScore", .double)
                }
            }
        }
        migrator.registerMigration("v5-audit") { db in
            // the random samples of an audit: generated labels to judge and images to check for
            // faces no label covers, in the order they are shown
            try db.create(table: "auditItem") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("iteration", .integer).notNull()
                t.column("position", .integer).notNull()
                t.column("seed", .integer).notNull()
                t.column("labelId", .integer).references("label", onDelete: .cascade)
                t.column("imageId", .integer).references("image")
                t.column("checkedBy", .text)
                t.column("checkedAt", .datetime)
            }
        }
        return migrator
    }
}

/// A row of `setting`: the run's settings, its input data set, why it stopped.
struct SettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "setting"
    var key: String
    var value: String
}

/// A row of `image`: every image of the run, once.
struct ImageRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "image"
    var id: Int64?
    var split: Split
    var path: String

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The id of the image `key`, inserted when it is new.
    static func rowID(of key: ImageKey, in db: Database) throws -> Int64 {
        if let found = try ImageRecord.filter(Column("split") == key.split.rawValue && Column("path") == key.path).fetchOne(db)?.id {
            return found
        }
        var record = ImageRecord(split: key.split, path: key.path)
        try record.insert(db)
        return record.id!
    }
}

extension Split: DatabaseValueConvertible {}

/// The columns the `label` and `dropped` tables share: what the filters measured of a candidate.
protocol MeasureColumns {
    /// The confidence of each point, as a JSON array.
    var keypointConfidences: String? { get set }
    var disagreement: Double? { get set }
    var shapeResidual: Double? { get set }
    var ownScore: Double? { get set }
    var mirroredScore: Double? { get set }
    var closerScore: Double? { get set }
}

extension MeasureColumns {
    /// Sets the columns from `measures` (nil for a label recorded without filters).
    mutating func record(_ measures: LabelMeasures?) {
        keypointConfidences = measures.map { String(decoding: try! JSONEncoder().encode($0.keypointConfidences), as: UTF8.self) }
        disagreement = measures?.disagreement
        shapeResidual = measures?.shapeResidual
        ownScore = measures?.ownScore.map(Double.init)
        mirroredScore = measures?.mirroredScore.map(Double.init)
        closerScore = measures?.closerScore.map(Double.init)
    }

    /// The measures back, with the decision the row records.
    func measures(_ decision: FilterDecision) -> LabelMeasures {
        let confidences = keypointConfidences.flatMap { try? JSONDecoder().decode([Float].self, from: Data($0.utf8)) } ?? []
        return LabelMeasures(
            keypointConfidences: confidences, disagreement: disagreement, shapeResidual: shapeResidual, decision: decision,
            ownScore: ownScore.map(Float.init), mirroredScore: mirroredScore.map(Float.init), closerScore: closerScore.map(Float.init))
    }
}

/// A row of `label`: an original label (iteration 0), one a labelling pass generated, or a face a
/// person added.
struct LabelRecord: Codable, FetchableRecord, MutablePersistableRecord, MeasureColumns {
    static let databaseTableName = "label"
    var id: Int64?
    var imageId: Int64
    var iteration: Int
    /// The box score of a generated label.
    var confidence: Double?
    /// The weights that generated it (relative to the run), `person:NAME`, or `run:PATH` for a
    /// label carried from another run.
    var model: String?
    var line: String
    /// The filter's decision (``FilterDecision``) of a generated label.
    var filter: String?
    var keypointConfidences: String?
    var disagreement: Double?
    var shapeResidual: Double?
    var ownScore: Double?
    var mirroredScore: Double?
    var closerScore: Double?

    init(imageId: Int64, iteration: Int, confidence: Double? = nil, model: String? = nil, line: String, measures: LabelMeasures? = nil) {
        (self.imageId, self.iteration, self.confidence, self.model, self.line) = (imageId, iteration, confidence, model, line)
        filter = measures?.decision.rawValue
        record(measures)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `dropped`: a candidate a labelling pass's filters left out.
struct DroppedRecord: Codable, FetchableRecord, PersistableRecord, MeasureColumns {
    static let databaseTableName = "dropped"
    var id: Int64?
    var imageId: Int64
    var iteration: Int
    var confidence: Double?
    var line: String
    /// Its ``FilterDecision``.
    var reason: String
    var keypointConfidences: String?
    var disagreement: Double?
    var shapeResidual: Double?
    var ownScore: Double?
    var mirroredScore: Double?
    var closerScore: Double?

    init(imageId: Int64, iteration: Int, confidence: Double, line: String, measures: LabelMeasures) {
        (self.imageId, self.iteration, self.confidence, self.line) = (imageId, iteration, confidence, line)
        reason = measures.decision.rawValue
        record(measures)
    }
}

/// A row of `decision`: one step a person took on a label.
struct DecisionRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "decision"
    var id: Int64?
    var labelId: Int64
    var status: ReviewStatus
    /// The corrected (or added) label line.
    var line: String?
    var reviewer: String
    var decidedAt: Date
    /// `review`, `labelstudio`, `cvat`, or the run a carried label came from.
    var source: String
}

extension ReviewStatus: DatabaseValueConvertible {}

/// A row of `auditItem`: one generated label (`labelId`) or one image (`imageId`) of an audit's
/// sample, at its place in the order the sample is shown; an image once checked for missed faces
/// carries who checked it and when.
struct AuditItemRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "auditItem"
    var id: Int64?
    var iteration: Int
    var position: Int
    var seed: Int64
    var labelId: Int64?
    var imageId: Int64?
    var checkedBy: String?
    var checkedAt: Date?
}

/// A row of `iteration`: how far an iteration got, with what settings, weights, timings and summary.
struct IterationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "iteration"
    var idx: Int
    var phase: Ledger.Phase
    /// The run's settings (JSON) when the iteration started.
    var settings: String
    /// Its best weights, relative to the run folder.
    var weights: String?
    /// Its ``IterationSummary`` (JSON), once evaluated.
    var summary: String?
    var labellingSeconds: Double
    var trainingSeconds: Double
    var updatedAt: Date
}

extension Ledger.Phase: DatabaseValueConvertible {}

/// A label with its image and its latest decision (and how many decisions it has), read as the
/// records of its three tables in one query (``sql(_:)``).
struct LabelWithDecision: FetchableRecord {
    var label: LabelRecord
    var image: ImageRecord
    var decision: DecisionRecord?
    /// Decisions recorded so far.
    var version: Int

    init(row: Row) throws {
        label = try LabelRecord(row: row.scopes["label"]!)
        image = try ImageRecord(row: row.scopes["image"]!)
        let decision = row.scopes["decision"]!
        self.decision = decision.containsNonNullValue ? try DecisionRecord(row: decision) : nil
        version = row["version"]
    }

    /// A query of labels: `clauses` follow the joins (`WHERE …`, `ORDER BY …`); `label`, `image`
    /// and the latest decision `d` can be named in them.
    static func request(_ db: Database, _ clauses: String, _ arguments: StatementArguments = []) throws -> SQLRequest<LabelWithDecision> {
        let counts = try ["label", "image", "decision"].map { try db.columns(in: $0).count }
        let scopes = splittingRowAdapters(columnCounts: counts)
        return SQLRequest(
            sql: """
                SELECT label.*, image.*, d.*, (SELECT COUNT(*) FROM decision WHERE decision.labelId = label.id) AS version
                FROM label JOIN image ON image.id = label.imageId
                LEFT JOIN decision d ON d.id = (SELECT MAX(id) FROM decision WHERE decision.labelId = label.id)
                """ + " " + clauses,
            arguments: arguments,
            adapter: ScopeAdapter(["label": scopes[0], "image": scopes[1], "decision": scopes[2], "version": scopes[3]]))
    }
}
