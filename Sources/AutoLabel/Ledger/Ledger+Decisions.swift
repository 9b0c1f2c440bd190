import Foundation
import GRDB
import PoseData

extension Ledger {
    /// Records a decision on label `id`, in its own transaction, if the label is still at
    /// `version`. A correction carries its new `instance`.
    ///
    /// - Throws: ``ReviewConflict`` when another decision was recorded since `version`;
    ///   ``DataProblem`` for an unknown label, an original one, or a correction without a label.
    @discardableResult
    public func decide(
        _ id: Int64, _ status: ReviewStatus, corrected instance: PoseInstance? = nil, reviewer: String, version: Int,
        source: String = "review"
    ) throws -> LedgerLabel {
        try queue.write { db in
            guard let current = try label(db, id) else {
                throw DataProblem(file: file, reason: .io("no label \(id)"))
            }
            guard current.iteration > 0 else {
                throw DataProblem(file: file, reason: .io("label \(id) is an original label; only generated labels are reviewed"))
            }
            guard current.version == version else { throw ReviewConflict(current: current) }
            guard (status == .corrected) == (instance != nil), status != .added else {
                throw DataProblem(file: file, reason: .io("a correction, and only a correction, carries a label"))
            }
            try DecisionRecord(
                labelId: id, status: status, line: instance.map(line), reviewer: reviewer, decidedAt: Date(), source: source
            ).insert(db)
            return try label(db, id)!
        }
    }

    /// Accepts, in one transaction, every unreviewed generated label the filter selects whose box
    /// score is at least `minimumScore`. Returns the ids accepted.
    @discardableResult
    public func acceptRemaining(_ filter: ReviewFilter, minimumScore: Double, reviewer: String, source: String = "review") throws -> [Int64]
    {
        var selection = filter
        selection.statuses = [.unreviewed]
        selection.minimumScore = max(filter.minimumScore ?? minimumScore, minimumScore)
        let ids = try labels(matching: selection).map(\.id)
        try queue.write { db in
            for id in ids {
                try DecisionRecord(labelId: id, status: .accepted, reviewer: reviewer, decidedAt: Date(), source: source).insert(db)
            }
        }
        return ids
    }

    /// Records a face a person drew on `image`, as a label of `iteration` with the decision
    /// `added`. Returns its id.
    @discardableResult
    public func addLabel(_ instance: PoseInstance, on image: ImageKey, iteration: Int, reviewer: String, source: String) throws -> Int64 {
        let text = line(instance)
        return try queue.write { db in
            var record = LabelRecord(
                imageId: try ImageRecord.rowID(of: image, in: db), iteration: iteration, model: "person:\(reviewer)", line: text)
            try record.insert(db)
            try DecisionRecord(labelId: record.id!, status: .added, line: text, reviewer: reviewer, decidedAt: Date(), source: source)
                .insert(db)
            return record.id!
        }
    }

    /// The labels a run started from this one carries: every label a person decided on, with its
    /// decisions (confirmed ones are trained on there, rejected ones block predictions).
    public func carriedLabels() throws -> [LabelHistory] {
        let images = try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT image.split, image.path FROM decision
                    JOIN label ON label.id = decision.labelId JOIN image ON image.id = label.imageId
                    """
            ).map { ImageKey(Split(rawValue: $0["split"])!, $0["path"]) }
        }
        return try images.flatMap(history).filter { $0.label.status != .unreviewed }.sorted { $0.label.id < $1.label.id }
    }

    /// Every label of an image with its decisions, oldest first.
    public func history(of image: ImageKey) throws -> [LabelHistory] {
        try queue.read { db in
            try labels(
                db, "WHERE image.split = ? AND image.path = ? ORDER BY label.id", [image.split.rawValue, image.path]
            )
            .map { label in
                let decisions = try DecisionRecord.filter(Column("labelId") == label.id).order(Column("id")).fetchAll(db).map { record in
                    LabelHistory.Decision(
                        status: record.status, line: record.line, reviewer: record.reviewer, decidedAt: record.decidedAt,
                        source: record.source)
                }
                return LabelHistory(label: label, decisions: decisions)
            }
        }
    }
}
