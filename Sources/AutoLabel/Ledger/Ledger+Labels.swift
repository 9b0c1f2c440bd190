import Foundation
import GRDB
import PoseData

extension Ledger {
    // MARK: Recording

    /// Records a data set's images and label lines as originals (iteration 0), once, with the
    /// labels `carried` from the reviewed run `source` (iteration 0 too, after the originals, each
    /// with its decisions, so that who confirmed it stays known). Blank lines are not labels.
    public func recordOriginals(
        _ images: [(image: ImageKey, lines: [String])], carried: [LabelHistory] = [], from source: String = ""
    ) throws {
        try queue.write { db in
            guard try ImageRecord.fetchCount(db) == 0 else { return }
            for entry in images {
                let imageId = try ImageRecord.rowID(of: entry.image, in: db)
                for line in entry.lines where !line.allSatisfy(\.isWhitespace) {
                    var record = LabelRecord(imageId: imageId, iteration: 0, line: line)
                    try record.insert(db)
                }
            }
            for history in carried {
                let label = history.label
                var record = LabelRecord(
                    imageId: try ImageRecord.rowID(of: label.image, in: db), iteration: 0, confidence: label.score, model: "run:\(source)",
                    line: label.line)
                try record.insert(db)
                for decision in history.decisions {
                    try DecisionRecord(
                        labelId: record.id!, status: decision.status, line: decision.line, reviewer: decision.reviewer,
                        decidedAt: decision.decidedAt, source: decision.source
                    ).insert(db)
                }
            }
        }
    }

    /// Records the labels iteration `iteration` generated with `model` (relative to the run), and
    /// the candidates its filters left out (`dropped`), and marks it labelled, in one transaction
    /// (replacing any partial record of the same iteration).
    func recordGenerated(iteration: Int, labels: [GeneratedLabel], dropped: [GeneratedLabel], model: String, seconds: Double) throws {
        try queue.write { db in
            _ = try LabelRecord.filter(Column("iteration") == iteration).deleteAll(db)
            _ = try DroppedRecord.filter(Column("iteration") == iteration).deleteAll(db)
            for label in labels {
                var record = LabelRecord(
                    imageId: try ImageRecord.rowID(of: label.image, in: db), iteration: iteration, confidence: label.confidence,
                    model: model, line: line(label.instance), measures: label.measures)
                try record.insert(db)
            }
            for candidate in dropped {
                try DroppedRecord(
                    imageId: try ImageRecord.rowID(of: candidate.image, in: db), iteration: iteration, confidence: candidate.confidence,
                    line: line(candidate.instance), measures: candidate.measures
                ).insert(db)
            }
            guard var record = try IterationRecord.fetchOne(db, key: iteration) else {
                throw DataProblem(file: file, reason: .io("iteration \(iteration) has not started"))
            }
            (record.phase, record.labellingSeconds, record.updatedAt) = (.labelled, seconds, Date())
            try record.update(db)
        }
    }

    /// The label line of `instance` in the run's layout, without its newline.
    func line(_ instance: PoseInstance) -> String {
        LabelFile.format([instance], keypointShape: keypointShape).trimmingCharacters(in: .newlines)
    }

    // MARK: Reading

    /// The labels of a query (``LabelWithDecision/request(_:_:_:)``), parsed.
    func labels(_ db: Database, _ clauses: String, _ arguments: StatementArguments = []) throws -> [LedgerLabel] {
        try LabelWithDecision.request(db, clauses, arguments).fetchAll(db).map(label)
    }

    /// A row as a ``LedgerLabel``: its lines parsed in the run's layout.
    func label(_ row: LabelWithDecision) throws -> LedgerLabel {
        let (label, decision) = (row.label, row.decision)
        let id = label.id!
        let status = decision?.status ?? .unreviewed
        let correctedLine = status == .corrected || status == .added ? decision?.line : nil
        return LedgerLabel(
            id: id, image: ImageKey(row.image.split, row.image.path), iteration: label.iteration, score: label.confidence,
            model: label.model,
            disagreement: label.disagreement, ownScore: label.ownScore, mirroredScore: label.mirroredScore, closerScore: label.closerScore,
            flagged: label.filter == FilterDecision.flagged.rawValue, line: label.line,
            instance: try instance(label.line, of: "label \(id)"),
            status: status, correctedLine: correctedLine, corrected: try correctedLine.map { try instance($0, of: "label \(id)") },
            reviewer: decision?.reviewer, decidedAt: decision?.decidedAt, version: row.version)
    }

    /// One label line parsed in the run's layout.
    ///
    /// - Throws: ``DataProblem`` naming the ledger and `what` (`label 12`) when the line is not one label.
    func instance(_ line: String, of what: String) throws -> PoseInstance {
        let parsed = LabelFile.parse(line, file: file, keypointShape: keypointShape, classCount: nil)
        guard parsed.instances.count == 1 else {
            let why = parsed.problems.first.map { "\($0.reason)" } ?? "\(parsed.instances.count) labels on one line"
            throw DataProblem(file: file, reason: .malformed("\(what): \(why)"))
        }
        return parsed.instances[0]
    }

    /// Every label recorded, as it is now, in a stable order (image, iteration, insertion).
    public func labels() throws -> [LedgerLabel] {
        try queue.read { db in try self.labels(db, "ORDER BY image.split, image.path, label.iteration, label.id") }
    }

    /// The generated (and added) labels the filter selects, those most likely wrong first: the
    /// ones the shape check flagged, then by flip disagreement (largest first) where it was
    /// measured, then by box score (lowest first), ties in ledger order.
    public func labels(matching filter: ReviewFilter) throws -> [LedgerLabel] {
        var conditions = ["label.iteration > 0"]
        var arguments: [any DatabaseValueConvertible] = []
        if let iteration = filter.iteration {
            conditions.append("label.iteration = ?")
            arguments.append(iteration)
        }
        if let minimum = filter.minimumScore {
            conditions.append("label.confidence >= ?")
            arguments.append(minimum)
        }
        if let maximum = filter.maximumScore {
            conditions.append("label.confidence <= ?")
            arguments.append(maximum)
        }
        if let text = filter.imageContains, !text.isEmpty {
            conditions.append("instr(image.path, ?) > 0")
            arguments.append(text)
        }
        let sql =
            "WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY label.filter = 'flagged:shape' DESC, label.disagreement IS NULL, label.disagreement DESC,"
            + " label.confidence IS NULL, label.confidence, label.id"
        let labels = try queue.read { db in try self.labels(db, sql, StatementArguments(arguments)) }
        return filter.statuses.isEmpty ? labels : labels.filter { filter.statuses.contains($0.status) }
    }

    /// One label, or nil when there is none with that id.
    public func label(_ id: Int64) throws -> LedgerLabel? {
        try queue.read { db in try label(db, id) }
    }

    func label(_ db: Database, _ id: Int64) throws -> LedgerLabel? {
        try labels(db, "WHERE label.id = ?", [id]).first
    }

    /// Every label of an image (originals, generated and added), in ledger order.
    public func labels(on image: ImageKey) throws -> [LedgerLabel] {
        try queue.read { db in
            try labels(
                db, "WHERE image.split = ? AND image.path = ? ORDER BY label.id", [image.split.rawValue, image.path])
        }
    }

    /// Whether the run has image `key`.
    public func hasImage(_ key: ImageKey) throws -> Bool {
        try queue.read { db in
            try ImageRecord.filter(Column("split") == key.split.rawValue && Column("path") == key.path).fetchCount(db) > 0
        }
    }

    /// The number of images per split.
    public func imageCounts() throws -> [Split: Int] {
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT split, COUNT(*) AS images FROM image GROUP BY split")
            return Dictionary(uniqueKeysWithValues: rows.map { (Split(rawValue: $0["split"])!, $0["images"]) })
        }
    }

    /// The number of labels per split that the data set of iteration `iteration` holds now:
    /// the originals and the labels generated (or added) by iterations 1…`iteration` that were not
    /// rejected; with `verifiedOnly`, of those only the ones a person confirmed.
    public func labelCounts(upTo iteration: Int, verifiedOnly: Bool = false) throws -> [Split: Int] {
        let labels = try queue.read { db in try self.labels(db, "WHERE label.iteration <= ?", [iteration]) }
        var counts: [Split: Int] = [:]
        for label in labels where label.status != .rejected && (label.iteration == 0 || !verifiedOnly || label.status.isVerified) {
            counts[label.image.split, default: 0] += 1
        }
        return counts
    }

    /// Labels by provenance for each iteration that made labels (0: the originals), as of now.
    public func provenance() throws -> [Int: ProvenanceCounts] {
        var counts: [Int: ProvenanceCounts] = [:]
        for label in try labels() {
            var entry = counts[label.iteration] ?? ProvenanceCounts()
            switch label.status {
            case .unreviewed: if label.iteration == 0 { entry.original += 1 } else { entry.generated += 1 }
            case .accepted: entry.accepted += 1
            case .corrected: entry.corrected += 1
            case .rejected: entry.rejected += 1
            case .added: entry.added += 1
            }
            counts[label.iteration] = entry
        }
        return counts
    }

    /// How many generated labels each iteration kept (by their filter decision; nil for labels
    /// recorded without filters) and how many candidates it left out (by reason).
    public func filterCounts() throws -> [(iteration: Int, decision: String?, count: Int)] {
        try queue.read { db in
            let kept = try Row.fetchAll(
                db,
                sql: """
                    SELECT iteration, filter AS decision, COUNT(*) AS count FROM label
                    WHERE iteration > 0 AND model NOT LIKE 'person:%' GROUP BY iteration, filter
                    """)
            let dropped = try Row.fetchAll(
                db, sql: "SELECT iteration, reason AS decision, COUNT(*) AS count FROM dropped GROUP BY iteration, reason")
            return (kept + dropped).map { ($0["iteration"], $0["decision"], $0["count"]) }
        }
    }

    /// Every candidate the filters left out, in order, with the iteration that left it out.
    public func droppedCandidates() throws -> [(iteration: Int, candidate: GeneratedLabel)] {
        try queue.read { db in
            let images = Dictionary(uniqueKeysWithValues: try ImageRecord.fetchAll(db).map { ($0.id!, ImageKey($0.split, $0.path)) })
            return try DroppedRecord.order(Column("id")).fetchAll(db).map { record in
                let decision = FilterDecision(rawValue: record.reason) ?? .droppedByOverlap
                let candidate = GeneratedLabel(
                    image: images[record.imageId]!, instance: try instance(record.line, of: "dropped candidate \(record.id!)"),
                    confidence: record.confidence ?? 0,
                    measures: record.measures(decision))
                return (record.iteration, candidate)
            }
        }
    }

    /// The generated and added labels of iterations 1…`iteration` as a data set holds them, and
    /// the rejected ones of iterations 0…`iteration` (see ``ReviewedLabels``); with
    /// `verifiedOnly`, only the labels a person confirmed.
    public func reviewedLabels(upTo iteration: Int, verifiedOnly: Bool = false) throws -> ReviewedLabels {
        let labels = try queue.read { db in
            try self.labels(db, "WHERE label.iteration <= ? ORDER BY label.id", [iteration])
        }
        var images: [ImageKey: ReviewedLabels.Image] = [:]
        for label in labels {
            if label.status == .rejected {
                images[label.image, default: ReviewedLabels.Image()].rejected.append(label)
            } else if label.iteration > 0 && (!verifiedOnly || label.status.isVerified) {
                // iteration 0's labels (originals, and those carried from a reviewed run) are in its files
                images[label.image, default: ReviewedLabels.Image()].labels.append(label)
            }
        }
        return ReviewedLabels(images: images)
    }
}
