import Foundation
import GRDB
import PoseData

/// The SQLite record of a refinement run (``RefinementRun/ledgerURL``): the run's settings, every
/// image and every label with its origin (an original, or the iteration and model that generated
/// it, with its confidence and what the filters measured), every decision a person took on a
/// label, and each iteration's phase, settings, timings, counts and metrics. A run resumes from it
/// after a crash and can be audited afterwards. Each step is one transaction.
///
/// Label lines are stored as the data set's text, byte for byte, and parsed once, when they are
/// read (``LedgerLabel``), with the run's keypoint layout.
public final class Ledger: Sendable {
    /// How a ledger is opened.
    public enum Access: Sendable {
        /// Created when missing; an earlier version's schema is brought up to date in the file.
        case readWrite
        /// Never written: an earlier version's schema is brought up to date in a copy in memory.
        case readOnly
    }

    /// How far an iteration has got; each phase's files are complete before it is recorded.
    public enum Phase: String, Sendable, Codable, Comparable {
        case started, labelled, trained, evaluated

        private var order: Int { [.started, .labelled, .trained, .evaluated].firstIndex(of: self)! }
        public static func < (a: Phase, b: Phase) -> Bool { a.order < b.order }
    }

    /// The run's entries in the `setting` table.
    enum Setting: String {
        /// The input data set's yaml.
        case inputData = "data"
        /// ``RefineSettings`` as JSON.
        case settings
        /// Why the run stopped before its last planned iteration.
        case stopped
        /// `kpt_shape` as `K,D` (runs of earlier versions lack it).
        case keypointShape = "kpt_shape"
    }

    let queue: DatabaseQueue
    /// The ledger's path, for errors.
    let file: String
    /// The layout every label line of the run has.
    public let keypointShape: KeypointShape

    /// Opens (with `.readWrite`, creates) the ledger at `url`, whose labels have `keypointShape`.
    ///
    /// - Throws: ``DataProblem`` naming the file when it is not a ledger, or one written by a newer
    ///   version; GRDB's error when SQLite cannot open it.
    public init(url: URL, keypointShape: KeypointShape, access: Access = .readWrite) throws {
        self.keypointShape = keypointShape
        file = url.path
        // a review server and a resumed run may share the ledger: a writer waits for the other
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.readonly = access == .readOnly
        let file = try DatabaseQueue(path: url.path, configuration: configuration)
        let migrator = LedgerSchema.migrator
        let (current, newer) = try file.read { db in
            (try migrator.hasCompletedMigrations(db), try migrator.hasBeenSuperseded(db))
        }
        if newer { throw DataProblem(file: url.path, reason: .io("written by a newer version of facelabel")) }
        switch access {
        case .readWrite:
            try migrator.migrate(file)
            queue = file
        case .readOnly where current:
            queue = file
        case .readOnly:
            queue = try Self.upgradedCopy(of: file, migrator: migrator, configuration: configuration)
        }
    }

    /// A copy of `file` brought up to date, opened with `configuration` (read-only): made in a
    /// temporary file that is unlinked once open, so that it goes when the ledger does.
    private static func upgradedCopy(
        of file: DatabaseQueue, migrator: DatabaseMigrator, configuration: Configuration
    ) throws -> DatabaseQueue {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-ledger-\(UUID().uuidString).sqlite").path
        defer { unlink(path) }
        do {
            let copy = try DatabaseQueue(path: path)
            try file.backup(to: copy)
            try migrator.migrate(copy)
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// The settings table of the ledger at `url`, read without opening it as a ledger (to learn the
    /// run's layout before it is).
    static func settings(at url: URL) throws -> [String: String] {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let file = try DatabaseQueue(path: url.path, configuration: configuration)
        return try file.read { db in
            guard try db.tableExists(SettingRecord.databaseTableName) else { return [:] }
            return Dictionary(uniqueKeysWithValues: try SettingRecord.fetchAll(db).map { ($0.key, $0.value) })
        }
    }

    // MARK: Settings

    func setting(_ key: Setting) throws -> String? {
        try queue.read { db in try SettingRecord.fetchOne(db, key: key.rawValue)?.value }
    }

    func setSetting(_ key: Setting, _ value: String) throws {
        try queue.write { db in try SettingRecord(key: key.rawValue, value: value).save(db) }
    }

    func removeSetting(_ key: Setting) throws {
        try queue.write { db in _ = try SettingRecord.deleteOne(db, key: key.rawValue) }
    }

    // MARK: Iterations

    /// The phase of iteration `index`, or nil before it started.
    public func phase(_ index: Int) throws -> Phase? {
        try queue.read { db in try IterationRecord.fetchOne(db, key: index)?.phase }
    }

    /// Starts iteration `index` with the run's settings (JSON); no change when it already started.
    func start(_ index: Int, settings: String) throws {
        try queue.write { db in
            let record = IterationRecord(
                idx: index, phase: .started, settings: settings, labellingSeconds: 0, trainingSeconds: 0, updatedAt: Date())
            try record.insert(db, onConflict: .ignore)
        }
    }

    /// Updates iteration `index`'s record.
    private func update(_ index: Int, _ change: (inout IterationRecord) -> Void) throws {
        try queue.write { db in
            guard var record = try IterationRecord.fetchOne(db, key: index) else {
                throw DataProblem(file: "ledger", reason: .io("iteration \(index) has not started"))
            }
            change(&record)
            record.updatedAt = Date()
            try record.update(db)
        }
    }

    func markLabelled(_ index: Int, seconds: Double) throws {
        try update(index) { ($0.phase, $0.labellingSeconds) = (.labelled, seconds) }
    }

    func markTrained(_ index: Int, weights: String, seconds: Double) throws {
        try update(index) { ($0.phase, $0.weights, $0.trainingSeconds) = (.trained, weights, seconds) }
    }

    func markEvaluated(_ summary: IterationSummary) throws {
        let json = String(decoding: try Self.encoder.encode(summary), as: UTF8.self)
        try update(summary.index) { ($0.phase, $0.summary) = (.evaluated, json) }
    }

    /// The best weights iteration `index` trained, relative to the run folder.
    public func weights(_ index: Int) throws -> String? {
        try queue.read { db in try IterationRecord.fetchOne(db, key: index)?.weights }
    }

    /// The seconds iteration `index` spent labelling and training so far.
    func seconds(_ index: Int) throws -> (labelling: Double, training: Double) {
        try queue.read { db in
            let record = try IterationRecord.fetchOne(db, key: index)
            return (record?.labellingSeconds ?? 0, record?.trainingSeconds ?? 0)
        }
    }

    /// The summaries of the evaluated iterations, in order.
    public func summaries() throws -> [IterationSummary] {
        try queue.read { db in
            try IterationRecord.filter(Column("phase") == Phase.evaluated.rawValue).order(Column("idx")).fetchAll(db)
                .compactMap(\.summary).map { try JSONDecoder().decode(IterationSummary.self, from: Data($0.utf8)) }
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
