import Foundation
import Imaging
import Loader
import Pose
import PoseData
import PoseMetrics
import Torch

/// Which procedure a refinement run follows.
public enum RefineProtocol: String, Sendable, Codable, CaseIterable {
    /// The published procedure: both splits labelled, metrics on each iteration's own val only.
    case paper
    /// Also measures every iteration on the original val labels, and stops when an iteration adds
    /// fewer than `stopBelow` labels.
    case `default`
}

/// Which labels a refinement run trains on.
public enum TrainOn: String, Sendable, Codable, CaseIterable {
    /// Every label but the rejected ones, generated ones included (the paper's way).
    case all
    /// Only the labels a person confirmed (originals, accepted, corrected, added), as SLEAP trains
    /// only on predictions a person accepted; the generated ones wait for review.
    case reviewed
}

/// Everything a refinement run is started with; saved in the ledger and reused by `--resume`.
public struct RefineSettings: Sendable, Codable, Equatable {
    /// Iterations after iteration 0 (the paper: 4, giving Iter0…Iter4).
    public var iterations = 4
    public var training = TrainingConfig()
    public var autolabel = AutolabelSettings()
    public var protocolName = RefineProtocol.default
    /// Stop (default protocol) after an iteration that adds fewer labels than this. Once the
    /// unlabelled faces are found, further passes add mostly false detections (on the 600-image
    /// synthetic benchmark the third pass added 16 labels, 13 of them wrong), so the default stops
    /// when a pass adds under 2% of the labels.
    public var stopBelow = StopThreshold.percent(2)
    /// `n`…`x` for fresh weights, or a weights file iteration 0 starts from.
    public var model = "n"
    /// The truth data set (same images) for measuring the generated labels.
    public var truth: String?
    public var trainOn = TrainOn.all
    /// A fully labelled val set for Table 2b when there is no truth (`--gold-val`).
    public var goldVal: String?
    /// A reviewed run this run starts from: its iteration 0 holds that run's originals and the
    /// labels a person confirmed there; its rejections block predictions here too.
    public var startRun: String?

    public init() {}

    /// Reads saved settings; one they lack (written by an earlier version) keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RefineSettings()
        iterations = try c.value(.iterations, or: d.iterations)
        training = try c.value(.training, or: d.training)
        autolabel = try c.value(.autolabel, or: d.autolabel)
        protocolName = try c.value(.protocolName, or: d.protocolName)
        stopBelow = try c.value(.stopBelow, or: d.stopBelow)
        model = try c.value(.model, or: d.model)
        truth = try c.decodeIfPresent(String.self, forKey: .truth)
        trainOn = try c.value(.trainOn, or: d.trainOn)
        startRun = try c.decodeIfPresent(String.self, forKey: .startRun)
        goldVal = try c.decodeIfPresent(String.self, forKey: .goldVal)
    }
}

/// How few labels an iteration may add before the run stops: a count, or a percentage of the
/// labels the data set already has. Written as `30` or `2%`.
public enum StopThreshold: Sendable, Codable, Equatable, LosslessStringConvertible {
    case labels(Int)
    case percent(Double)

    public init?(_ text: String) {
        if text.hasSuffix("%") {
            guard let value = Double(text.dropLast()), value >= 0, value <= 100 else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(text), value >= 0 else { return nil }
            self = .labels(value)
        }
    }

    public var description: String {
        switch self {
        case .labels(let count): "\(count)"
        case .percent(let value): String(format: "%g%%", value)
        }
    }

    /// The fewest labels an iteration must add, given the labels already there.
    public func minimumLabels(existing: Int) -> Double {
        switch self {
        case .labels(let count): Double(count)
        case .percent(let value): Double(existing) * value / 100
        }
    }
}

/// What the runner reports while it works.
public protocol RefineObserver: AnyObject {
    func message(_ text: String)
    /// Training observers for iteration `index` (progress lines).
    func trainingObservers(iteration index: Int) -> [any TrainingObserver]
}

/// The iterative refinement loop (reference/method.md): train on the labels as given; then, each
/// iteration, label the unlabelled faces with the previous iteration's best weights, merge,
/// fine-tune from those weights, and measure. Each phase's files are written completely before the
/// ledger records it, so a killed run resumes where it stopped and ends as an uninterrupted one.
public final class Refiner {
    public let run: URL
    public private(set) var settings: RefineSettings
    public let ledger: Ledger
    public weak var observer: (any RefineObserver)?
    /// The input data set's yaml.
    public let data: URL
    /// Where models train, label and are measured (not a setting of the run: a run started on a GPU
    /// resumes on a CPU and the other way round).
    public var device = Device.cpu

    /// Opens a run folder: a new run needs `data` and an empty or missing folder; an existing run
    /// is resumed with the settings it was started with.
    public init(run: URL, data: URL?, settings: RefineSettings, resume: Bool) throws {
        self.run = run
        let ledgerURL = run.appendingPathComponent("ledger.sqlite")
        let data = try data ?? settings.startRun.map { try Self.inputData(of: URL(fileURLWithPath: $0)) }
        if let data, !FileManager.default.fileExists(atPath: ledgerURL.path) {
            // a new run starts only from a data set whose splits hold images: nothing is written before
            let dataset = try Dataset.load(data)
            let sources = Split.allCases.flatMap { dataset.images($0).problems.filter(\.reason.isSplitSource) }
            if !sources.isEmpty { throw DataProblems(sources) }
        }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        ledger = try Ledger(url: ledgerURL)
        if let saved = try ledger.setting("settings") {
            guard resume else {
                throw DataProblem(file: run.path, reason: .io("already holds a refinement run; pass --resume to continue it"))
            }
            self.settings = try JSONDecoder().decode(RefineSettings.self, from: Data(saved.utf8))
            self.data = URL(fileURLWithPath: try ledger.setting("data")!)
        } else {
            guard let data else { throw DataProblem(file: run.path, reason: .io("no run to resume here; pass --data to start one")) }
            self.settings = settings
            self.data = data.standardizedFileURL
            try ledger.setSetting("data", self.data.path)
            try ledger.setSetting("settings", String(decoding: try Ledger.encoder.encode(settings), as: UTF8.self))
        }
    }

    /// The input data set of the run in `folder`.
    static func inputData(of folder: URL) throws -> URL {
        let ledgerURL = folder.appendingPathComponent("ledger.sqlite")
        guard FileManager.default.fileExists(atPath: ledgerURL.path), let data = try Ledger(url: ledgerURL).setting("data") else {
            throw DataProblem(file: folder.path, reason: .io("holds no refinement run to start from"))
        }
        return URL(fileURLWithPath: data)
    }

    /// Continues a run beyond its planned iterations (to `iterations`, so that labels reviewed
    /// since train the next one), or switches what it trains on from the next iteration on. A run
    /// its stopping rule ended goes on when asked for more iterations.
    public func extend(iterations: Int?, trainOn: TrainOn?) throws {
        if let iterations, iterations > settings.iterations {
            settings.iterations = iterations
            try ledger.removeSetting("stopped")
        }
        if let trainOn { settings.trainOn = trainOn }
        try ledger.setSetting("settings", String(decoding: try Ledger.encoder.encode(settings), as: UTF8.self))
    }

    public func folder(_ iteration: Int) -> URL { run.appendingPathComponent("iter\(iteration)") }
    /// The best weights of an iteration, relative to the run folder (as the ledger records them).
    func weightsPath(_ iteration: Int) -> String { "iter\(iteration)/train/weights/best.safetensors" }
    /// The best weights of a trained iteration.
    public func weights(_ iteration: Int) throws -> URL? {
        try ledger.weights(iteration).map { run.appendingPathComponent($0) }
    }
    public func dataURL(_ iteration: Int) -> URL { folder(iteration).appendingPathComponent("data/data.yaml") }
    func trainURL(_ iteration: Int) -> URL { folder(iteration).appendingPathComponent("train") }

    /// Runs (or finishes) every iteration and returns the summary.
    public func refine() async throws -> RunSummary {
        for index in 0...settings.iterations {
            if try ledger.setting("stopped") != nil { break }
            try ledger.start(index, settings: String(decoding: try Ledger.encoder.encode(settings), as: UTF8.self))
            if try ledger.phase(index)! < .labelled {
                try label(index)
                if try ledger.setting("stopped") != nil { break }
            }
            if try ledger.phase(index)! < .trained { try await train(index) }
            if try ledger.phase(index)! < .evaluated { try await evaluate(index) }
        }
        return try summary()
    }

    public func summary() throws -> RunSummary {
        let (iterations, stopped) = (try ledger.summaries(), try ledger.setting("stopped"))
        return RunSummary(
            data: data.path, settings: settings, iterations: iterations, stoppedBecause: stopped, provenance: try ledger.provenance(),
            fixedVal: try fixedVal(), filtering: try filtering(),
            stoppingPass: stopped == nil ? nil : try stoppingPass(after: iterations.last?.index ?? -1))
    }

    /// The pass after the last evaluated iteration, when it labelled and stopped the run (its
    /// phase stays `labelled`), with its labels measured against the truth when the run has it.
    func stoppingPass(after evaluated: Int) throws -> StoppingPass? {
        let index = evaluated + 1
        guard try ledger.phase(index) == .labelled else { return nil }
        let added = try ledger.labels().filter { $0.iteration == index && $0.status != .rejected }.count
        let quality = try settings.truth.map { try measureQuality(upTo: index, truth: URL(fileURLWithPath: $0)) }
        return StoppingPass(index: index, added: added, quality: quality)
    }

    /// The val set Table 2b measures on: the truth's val when the run has the truth, else the gold
    /// val, else the original val labels (with an estimate of what they lack).
    func fixedVal() throws -> FixedVal? {
        guard settings.protocolName == .default else { return nil }
        if let truth = settings.truth { return FixedVal(source: .truth, data: truth) }
        if let gold = settings.goldVal { return FixedVal(source: .gold, data: gold) }
        let generated = try ledger.labels().filter { $0.split == .val && $0.iteration > 0 && $0.status != .rejected }.count
        return FixedVal(source: .original, data: dataURL(0).path, unlabelledEstimate: generated)
    }

    /// What the filters of each labelling pass kept and removed, and with the truth which of the
    /// removals were right.
    func filtering() throws -> [Int: FilterCounts] {
        var counts: [Int: FilterCounts] = [:]
        for (iteration, decision, count) in try ledger.filterCounts() {
            var entry = counts[iteration] ?? FilterCounts()
            switch decision {
            case FilterDecision.kept.rawValue, nil: entry.kept += count
            case FilterDecision.flagged.rawValue: entry.flagged += count
            default: entry.dropped[decision!, default: 0] += count
            }
            counts[iteration] = entry
        }
        guard let truth = settings.truth else { return counts }
        let measure = try LabelQualityMeasure(truthData: URL(fileURLWithPath: truth))
        let shape = try Dataset.load(data).config.keypointShape
        let originals = Dictionary(grouping: try ledger.labels().filter { $0.iteration == 0 }) { "\($0.split.rawValue)/\($0.image)" }
        let base = try Dataset.load(dataURL(0))
        var sizes: [String: (Int, Int)] = [:]
        for split in [Split.train, .val] {
            for image in base.images(split).images {
                let info = try ImageCodec.info(contentsOf: image.url)
                sizes["\(split.rawValue)/\(image.relativePath)"] = (info.width, info.height)
            }
        }
        for candidate in try ledger.droppedCandidates() {
            guard let instance = LabelFile.parse(candidate.line, file: "ledger", keypointShape: shape, classCount: nil).instances.first else { continue }
            let key = "\(candidate.split.rawValue)/\(candidate.image)"
            let known = (originals[key] ?? []).compactMap { LabelFile.parse($0.line, file: "ledger", keypointShape: shape, classCount: nil).instances.first }
            var entry = counts[candidate.iteration] ?? FilterCounts()
            var right = entry.rightlyDropped ?? [:]
            let (width, height) = sizes[key] ?? (1, 1)
            right[candidate.reason, default: 0] += measure.isRight(instance, image: key, width: width, height: height, originals: known) ? 0 : 1
            entry.rightlyDropped = right
            counts[candidate.iteration] = entry
        }
        return counts
    }

    // MARK: Phases

    /// Iteration 0 copies the input's labels (and, for a run started from a reviewed one, the
    /// labels a person confirmed there); later iterations add pseudo-labels.
    private func label(_ index: Int) throws {
        let started = Date()
        if index == 0 { return try labelStart(started) }
        let weights = try self.weights(index - 1)!
        let base = try Dataset.load(dataURL(0))
        let shape = base.config.keypointShape
        let model = try PoseModel.load(weights, keypointDimensions: shape.dimensions, device: device)
        var autolabel = settings.autolabel
        if settings.protocolName == .paper { autolabel.splits = [.train, .val] }
        // predictions merge against every label there is now, whether trained on or not, and
        // against the boxes a person rejected
        let reviewed = try ledger.reviewedLabels(upTo: index - 1)
        func parse(_ lines: [String]) -> [PoseInstance] {
            lines.compactMap { LabelFile.parse($0, file: "ledger", keypointShape: shape, classCount: nil).instances.first }
        }
        // the shape of faces comes from iteration 0's labels (the originals), never from labels a model made
        let shapes = autolabel.shapeCheck == .off ? nil : try Autolabeler.shapeModel(of: base)
        let pass = try Autolabeler(settings: autolabel).label(base, model: model, existing: { image, split in
            var existing = try Autolabeler.Existing.labelFile(of: image, in: base)
            let review = reviewed.image(split, image.relativePath)
            existing.labels += parse(review.lines)
            existing.rejected = parse(review.rejected).map(\.box)
            return existing
        }, shapes: shapes)
        func row(_ label: GeneratedLabel) -> Ledger.GeneratedRow {
            Ledger.GeneratedRow(
                split: label.split, image: label.relativePath,
                line: LabelFile.format([label.instance], keypointShape: shape).trimmingCharacters(in: .newlines),
                confidence: Double(label.confidence), measures: label.measures)
        }
        let lines = pass.generated.map(row)
        try writeData(index, adding: lines.map { ($0.split, $0.image, $0.line) })
        try ledger.recordGenerated(
            iteration: index, labels: lines, dropped: pass.dropped.map(row), model: weightsPath(index - 1), seconds: Date().timeIntervalSince(started))
        observer?.message("iteration \(index): \(lines.count) labels added")
        let existing = pass.splits.values.reduce(0) { $0 + $1.existing }
        if settings.protocolName == .default && Double(lines.count) < settings.stopBelow.minimumLabels(existing: existing) {
            var added = "\(lines.count) labels"
            if case .percent = settings.stopBelow {
                added += String(format: " (%.1f%% of %d)", Double(lines.count) / Double(max(existing, 1)) * 100, existing)
            }
            try ledger.setSetting("stopped", "iteration \(index) added \(added), fewer than --stop-below \(settings.stopBelow)")
        }
    }

    /// Iteration 0: the input's label files byte for byte, recorded as the originals; a run started
    /// from a reviewed one also carries that run's confirmed labels (after the originals) and its
    /// rejections, each with its decisions.
    private func labelStart(_ started: Date) throws {
        let dataset = try Dataset.load(data)
        let carried = try settings.startRun.map { try Ledger(url: URL(fileURLWithPath: $0).appendingPathComponent("ledger.sqlite")).carriedLabels() }
        let byImage = Dictionary(grouping: carried ?? []) { "\($0.label.split.rawValue)/\($0.label.image)" }
        var splits: [Split: [DatasetWriter.Entry]] = [:]
        var originals: [(split: Split, image: String, lines: [String])] = []
        for split in Split.allCases where split != .test || !dataset.config.entries(split).isEmpty {
            let (images, problems) = dataset.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            splits[split] = try images.map { image in
                let existing = try Autolabeler.Existing.labelFile(of: image, in: dataset)  // parsing checks every line first
                originals.append((split, image.relativePath, existing.text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }))
                let confirmed = (byImage["\(split.rawValue)/\(image.relativePath)"] ?? []).filter { $0.label.status.isVerified }
                return DatasetWriter.Entry(
                    image: image.url, relativePath: image.relativePath, keptText: Self.appending(confirmed.map(\.label.currentLine), to: existing.text),
                    instances: [])
            }
        }
        var config = dataset.config
        config.path = nil
        try DatasetWriter(overwrite: true).write(config: config, splits: splits, to: dataURL(0).deletingLastPathComponent())
        try ledger.recordOriginals(originals, carried: carried ?? [], from: settings.startRun ?? "")
        try ledger.markLabelled(0, seconds: Date().timeIntervalSince(started))
        let confirmed = (carried ?? []).filter { $0.label.status.isVerified }.count
        observer?.message(
            "iteration 0: \(originals.reduce(0) { $0 + $1.lines.count }) original labels"
                + (carried == nil ? "" : ", \(confirmed) confirmed and \(carried!.count - confirmed) rejected labels from \(settings.startRun!)"))
    }

    /// `lines` after `text`, one per line.
    static func appending(_ lines: [String], to text: String) -> String {
        guard !lines.isEmpty else { return text }
        return text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + lines.map { $0 + "\n" }.joined()
    }

    /// Writes the data set iteration `index` trains on: iteration 0's label files, then the labels
    /// of iterations 1…`index - 1` as reviewed now (and only the confirmed ones with
    /// `--train-on reviewed`), then `new`, this iteration's additions (which nobody reviewed yet).
    private func writeData(_ index: Int, adding new: [(split: Split, image: String, line: String)]) throws {
        let base = try Dataset.load(dataURL(0))
        let verifiedOnly = settings.trainOn == .reviewed
        let reviewed = try ledger.reviewedLabels(upTo: index - 1, verifiedOnly: verifiedOnly)
        let additions = verifiedOnly ? [:] : Dictionary(grouping: new) { "\($0.split.rawValue)/\($0.image)" }
        var splits: [Split: [DatasetWriter.Entry]] = [:]
        for split in Split.allCases where split != .test || !base.config.entries(split).isEmpty {
            let (images, problems) = base.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            splits[split] = try images.map { image in
                let text = try Autolabeler.Existing.labelFile(of: image, in: base).text
                let lines = reviewed.image(split, image.relativePath).lines + (additions["\(split.rawValue)/\(image.relativePath)"] ?? []).map(\.line)
                return DatasetWriter.Entry(image: image.url, relativePath: image.relativePath, keptText: Self.appending(lines, to: text), instances: [])
            }
        }
        var config = base.config
        config.path = nil
        try DatasetWriter(overwrite: true).write(config: config, splits: splits, to: dataURL(index).deletingLastPathComponent())
    }

    private func train(_ index: Int) async throws {
        let started = Date()
        let directory = RunDirectory(trainURL(index))
        let dataset = try Dataset.load(dataURL(index))
        let resuming = FileManager.default.fileExists(atPath: directory.stateURL.path)
        let starting = index > 0 ? try weights(index - 1)!.path : settings.model
        let runConfig = try RunDirectory.RunConfig(dataset: dataset, model: starting, training: settings.training)
        if !resuming { try directory.create(runConfig) }
        let network = PoseModel(runConfig.model, seed: settings.training.seed)
        if let starting = runConfig.startingWeights, !resuming { try network.loadMatching(from: URL(fileURLWithPath: starting)) }
        network.move(to: device)
        let training = settings.training
        let trainer = directory.trainer(
            model: network, config: runConfig, trainImages: dataset.labelledImages(.train).images,
            valImages: dataset.labelledImages(.val).images)
        trainer.observers = observer?.trainingObservers(iteration: index) ?? []
        if resuming {
            try directory.resume(trainer)
            observer?.message("iteration \(index): resuming training at epoch \(trainer.state.nextEpoch + 1)")
        }
        if trainer.state.nextEpoch < training.epochs { try await trainer.train() }
        let previous = try ledger.seconds(index).training
        try ledger.markTrained(index, weights: weightsPath(index), seconds: previous + Date().timeIntervalSince(started))
    }

    private func evaluate(_ index: Int) async throws {
        let dataset = try Dataset.load(dataURL(index))
        let shape = dataset.config.keypointShape
        let model = try PoseModel.load(try weights(index)!, keypointDimensions: shape.dimensions, device: device)
        model.foldBatchNorm()
        let training = settings.training
        let validator = Validator(config: model.config, sigmas: dataset.oksSigmas)
        func measure(_ data: URL) async throws -> ValidationMetrics {
            let images = try Dataset.load(data).labelledImages(.val).images
            let loader = BatchLoader(
                images: images, imageSize: training.imageSize, batchSize: training.batchSize * 2, seed: 0, workers: training.workers,
                fastDecode: training.fastDecode)
            return await validator(model, on: loader)
        }
        let own = try await measure(dataURL(index))
        var fixed: ValidationMetrics? = nil
        if let fixedVal = try fixedVal() { fixed = try await measure(URL(fileURLWithPath: fixedVal.data)) }
        // the labels trained on are those of the data set's files; what this iteration added, the ledger's
        let verifiedOnly = settings.trainOn == .reviewed
        var labels: [Split: Int] = [:]
        for split in [Split.train, .val] { labels[split] = try dataset.entries(split).reduce(0) { $0 + $1.instances.count } }
        let now = try ledger.labelCounts(upTo: index, verifiedOnly: verifiedOnly)
        let before = index > 0 ? try ledger.labelCounts(upTo: index - 1, verifiedOnly: verifiedOnly) : now
        let images = try ledger.imageCounts()
        var quality: LabelQuality?
        if let truth = settings.truth { quality = try measureQuality(upTo: index, truth: URL(fileURLWithPath: truth)) }
        let (labellingSeconds, trainingSeconds) = try ledger.seconds(index)
        let summary = IterationSummary(
            index: index,
            train: SplitCounts(images: images[.train] ?? 0, labels: labels[.train] ?? 0, added: (now[.train] ?? 0) - (before[.train] ?? 0)),
            val: SplitCounts(images: images[.val] ?? 0, labels: labels[.val] ?? 0, added: (now[.val] ?? 0) - (before[.val] ?? 0)),
            ownValidation: own, fixedValidation: fixed, quality: quality, labellingSeconds: labellingSeconds, trainingSeconds: trainingSeconds)
        try ledger.markEvaluated(summary)
        observer?.message(
            String(
                format: "iteration %d: pose mAP50-95 %.3f on its own val%@", index, own.pose.map50_95,
                fixed.map { String(format: ", %.3f on the original val", $0.pose.map50_95) } ?? ""))
    }

    /// The quality of every label generated by iterations 1…`index`, against the truth.
    private func measureQuality(upTo index: Int, truth: URL) throws -> LabelQuality {
        let measure = try LabelQualityMeasure(truthData: truth)
        let dataset = try Dataset.load(data)
        let shape = dataset.config.keypointShape
        let rows = try ledger.labels().filter { $0.iteration <= index && $0.status != .rejected }
        var images: [LabelQualityMeasure.Image] = []
        let grouped = Dictionary(grouping: rows) { "\($0.split.rawValue)/\($0.image)" }
        for split in [Split.train, .val] {
            for image in dataset.images(split).images {
                let labels = grouped["\(split.rawValue)/\(image.relativePath)"] ?? []
                func parse(_ row: Ledger.LabelRow) -> PoseInstance? {
                    LabelFile.parse(row.line, file: "ledger", keypointShape: shape, classCount: nil).instances.first
                }
                let info = try ImageCodec.info(contentsOf: image.url)  // the size as displayed
                images.append(
                    LabelQualityMeasure.Image(
                        split: split, path: image.relativePath, width: info.width, height: info.height,
                        originals: labels.filter { $0.iteration == 0 }.compactMap(parse),
                        generated: labels.filter { $0.iteration > 0 }.compactMap { row in parse(row).map { ($0, row.confidence ?? 0) } }))
            }
        }
        return measure.measure(images)
    }
}

extension Refiner {
    /// Up to `count` images for Figure 2: those that gained the most labels, each with its labels
    /// at every evaluated iteration.
    public func figureSamples(count: Int = 4) throws -> [FigureSample] {
        let evaluated = try ledger.summaries().map(\.index)
        guard let last = evaluated.last else { return [] }
        let dataset = try Dataset.load(data)
        let shape = dataset.config.keypointShape
        let rows = try ledger.labels().filter { $0.status != .rejected }
        let byImage = Dictionary(grouping: rows) { "\($0.split.rawValue)/\($0.image)" }
        let urls = Dictionary(
            uniqueKeysWithValues: [Split.train, .val].flatMap { split in
                dataset.images(split).images.map { ("\(split.rawValue)/\($0.relativePath)", $0.url) }
            })
        let chosen = byImage.keys.sorted().sorted { a, b in
            byImage[a]!.filter { $0.iteration > 0 }.count > byImage[b]!.filter { $0.iteration > 0 }.count
        }.prefix(count)
        return chosen.compactMap { key in
            guard let url = urls[key] else { return nil }
            let labels = byImage[key]!.compactMap { row -> (Int, PoseInstance)? in
                LabelFile.parse(row.line, file: "ledger", keypointShape: shape, classCount: nil).instances.first.map { (row.iteration, $0) }
            }
            return FigureSample(
                image: url,
                labels: (0...last).map { k in
                    labels.filter { $0.0 <= k }.map { FigureSample.Label(instance: $0.1, addedBy: $0.0 == 0 ? nil : $0.0) }
                })
        }
    }
}
