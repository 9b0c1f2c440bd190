import Foundation
import Pose
import PoseData

/// A refinement run's folder, and the one type that knows its layout:
///
/// ```
/// RUN/
///   ledger.sqlite     settings, every label with its origin and decisions, each iteration's phase
///   iterK/data/       the data set iteration K trains on (data.yaml, images/ as links, labels/)
///   iterK/train/      its training run (config.json, results.csv, weights/best.safetensors)
///   report/           tables, figures, report.html
/// ```
///
/// A run is created in a missing or empty folder, or opened. Opening is read-only unless asked
/// otherwise, so that reading a run (its report, an export, the run `refine --from` starts from)
/// never changes its ledger; a folder that is not a run is refused, with that reason, before
/// anything is written.
///
/// ```swift
/// let run = try RefinementRun.open(URL(fileURLWithPath: "runs/refine/exp"))
/// let labels = try run.ledger.labels()
/// ```
public struct RefinementRun: Sendable {
    /// Why a folder cannot be created or opened as a run.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The folder holds no run (no ledger, or a ledger that is not a run's).
        case notARun(String, reason: String)
        /// A new run was asked for in a folder that already holds one.
        case alreadyARun(String)
        /// A new run was asked for in a folder that holds other files.
        case notEmpty(String)

        public var description: String {
            switch self {
            case .notARun(let folder, let reason): "\(folder): not a refinement run (\(reason)); give a folder made by 'facelabel refine'"
            case .alreadyARun(let folder):
                "\(folder): already holds a refinement run; pass --resume to continue it, or choose another folder"
            case .notEmpty(let folder): "\(folder): exists and holds other files; a new run needs a missing or empty folder"
            }
        }
    }

    /// The run folder.
    public let folder: URL
    public let ledger: Ledger
    /// The data set the run started from (its `data.yaml`).
    public let inputData: URL

    static let ledgerName = "ledger.sqlite"

    private init(folder: URL, ledger: Ledger, inputData: URL) {
        (self.folder, self.ledger, self.inputData) = (folder, ledger, inputData)
    }

    // MARK: Creating and opening

    /// Whether `folder` holds a run's ledger (it may still be unreadable: ``open(_:access:)`` says).
    public static func isRun(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(ledgerName).path)
    }

    /// Starts a new run in `folder` (missing or empty) from the data set `data`, with `settings`.
    /// The ledger is complete (settings, input, keypoint layout) before it takes its name, so an
    /// interrupted start leaves no half run behind.
    ///
    /// - Throws: ``Failure`` for a folder that holds a run or other files; ``DataProblems`` when a
    ///   split of `data` names a missing or empty source (then nothing is written).
    public static func create(in folder: URL, data: URL, settings: RefineSettings) throws -> RefinementRun {
        let folder = folder.standardizedFileURL
        let data = data.standardizedFileURL
        let dataset = try Dataset.load(data)
        let sources = Split.allCases.flatMap { dataset.images($0).problems.filter(\.reason.isSplitSource) }
        if !sources.isEmpty { throw DataProblems(sources) }
        if isRun(folder) { throw Failure.alreadyARun(folder.path) }
        let manager = FileManager.default
        let staging = folder.appendingPathComponent(".\(ledgerName).partial")
        let leftovers = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
        guard leftovers.allSatisfy({ $0 == staging.lastPathComponent || $0.hasPrefix(staging.lastPathComponent + "-") }) else {
            throw Failure.notEmpty(folder.path)
        }
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in leftovers { try manager.removeItem(at: folder.appendingPathComponent(name)) }
        let shape = dataset.config.keypointShape
        do {
            let ledger = try Ledger(url: staging, keypointShape: shape)
            try ledger.setSetting(.inputData, data.path)
            try ledger.setSetting(.keypointShape, "\(shape.count),\(shape.dimensions)")
            try ledger.setSetting(.settings, try Self.json(settings))
        }  // closed here, so that the file is whole when it is renamed
        try manager.moveItem(at: staging, to: folder.appendingPathComponent(ledgerName))
        return try open(folder, access: .readWrite)
    }

    /// Opens the run in `folder`, read-only unless `access` says otherwise.
    ///
    /// - Throws: ``Failure/notARun(_:reason:)`` when the folder holds no run; nothing is written then.
    public static func open(_ folder: URL, access: Ledger.Access = .readOnly) throws -> RefinementRun {
        let folder = folder.standardizedFileURL
        let ledgerURL = folder.appendingPathComponent(ledgerName)
        guard FileManager.default.fileExists(atPath: ledgerURL.path) else { throw Failure.notARun(folder.path, reason: "no \(ledgerName)") }
        let stored: [String: String]
        do {
            stored = try Ledger.settings(at: ledgerURL)
        } catch {
            throw Failure.notARun(folder.path, reason: "\(ledgerName) is not readable: \(error)")
        }
        guard let data = stored[Ledger.Setting.inputData.rawValue], stored[Ledger.Setting.settings.rawValue] != nil else {
            throw Failure.notARun(folder.path, reason: "\(ledgerName) records no run")
        }
        let inputData = URL(fileURLWithPath: data)
        let shape =
            try stored[Ledger.Setting.keypointShape.rawValue].flatMap(Self.keypointShape)
            ?? Self.keypointShapeOfEarlierRun(folder: folder, inputData: inputData)
        return RefinementRun(folder: folder, ledger: try Ledger(url: ledgerURL, keypointShape: shape, access: access), inputData: inputData)
    }

    /// `K,D` as a layout.
    static func keypointShape(_ text: String) -> KeypointShape? {
        let parts = text.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, [2, 3].contains(parts[1]) else { return nil }
        return KeypointShape(count: parts[0], dimensions: parts[1])
    }

    /// The layout of a run whose ledger does not record it (earlier versions): iteration 0's data
    /// set's, or, when the run stopped before writing it, the input's.
    static func keypointShapeOfEarlierRun(folder: URL, inputData: URL) throws -> KeypointShape {
        let first = folder.appendingPathComponent("iter0/data/data.yaml")
        return try DatasetConfig.read(contentsOf: FileManager.default.fileExists(atPath: first.path) ? first : inputData).keypointShape
    }

    // MARK: Layout

    public var ledgerURL: URL { folder.appendingPathComponent(Self.ledgerName) }

    /// The folder of iteration `iteration`'s data set.
    public func dataFolder(_ iteration: Int) -> URL { folder.appendingPathComponent("iter\(iteration)/data") }

    /// The `data.yaml` of iteration `iteration`'s data set.
    public func dataYAML(_ iteration: Int) -> URL { dataFolder(iteration).appendingPathComponent("data.yaml") }

    /// Iteration `iteration`'s training run.
    public func training(_ iteration: Int) -> RunDirectory { RunDirectory(folder.appendingPathComponent("iter\(iteration)/train")) }

    /// The file of an image of the run (iteration 0's link to it).
    public func imageFile(_ key: ImageKey) -> URL {
        dataFolder(0).appendingPathComponent("images/\(key.split.rawValue)/\(key.path)")
    }

    /// The report folder.
    public var reportFolder: URL { folder.appendingPathComponent("report") }

    /// A path inside the run, relative to its folder (as the ledger records weights).
    func relativePath(_ url: URL) -> String {
        String(url.standardizedFileURL.path.dropFirst(folder.path.count + 1))
    }

    /// The best weights a trained iteration left.
    public func weights(_ iteration: Int) throws -> URL? {
        try ledger.weights(iteration).map { folder.appendingPathComponent($0) }
    }

    /// The run's data set configuration (iteration 0's, or the input's before iteration 0 is written).
    public func config() throws -> DatasetConfig {
        let first = dataYAML(0)
        return try DatasetConfig.read(contentsOf: FileManager.default.fileExists(atPath: first.path) ? first : inputData)
    }

    // MARK: Settings

    /// What the run was started with (as extended since).
    public func settings() throws -> RefineSettings {
        guard let saved = try ledger.setting(.settings) else {
            throw Failure.notARun(folder.path, reason: "\(Self.ledgerName) records no settings")
        }
        return try JSONDecoder().decode(RefineSettings.self, from: Data(saved.utf8))
    }

    func save(_ settings: RefineSettings) throws { try ledger.setSetting(.settings, try Self.json(settings)) }

    static func json(_ settings: RefineSettings) throws -> String { String(decoding: try Ledger.encoder.encode(settings), as: UTF8.self) }

    /// Why the run stopped before its last planned iteration, if it did.
    public func stopReason() throws -> String? { try ledger.setting(.stopped) }

    func stop(because reason: String) throws { try ledger.setSetting(.stopped, reason) }

    func clearStop() throws { try ledger.removeSetting(.stopped) }
}
