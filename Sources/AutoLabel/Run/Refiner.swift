import Foundation
import Loader
import Pose
import PoseData
import Torch

/// What the refiner reports while it works.
public protocol RefineObserver: AnyObject {
    func message(_ text: String)
    /// Training observers for iteration `index` (progress lines).
    func trainingObservers(iteration index: Int) -> [any TrainingObserver]
}

/// The iterative refinement loop (docs/reference/method.md): train on the labels as given; then, each
/// iteration, label the unlabelled faces with the previous iteration's best weights, merge,
/// fine-tune from those weights, and measure. Each phase's files are written completely before the
/// ledger records it, so a killed run resumes where it stopped and ends as an uninterrupted one.
///
/// ```swift
/// let run = try RefinementRun.create(in: folder, data: dataYAML, settings: RefineSettings())
/// let summary = try await Refiner(run: run).refine()
/// ```
public final class Refiner {
    /// The run, opened for writing.
    public let run: RefinementRun
    public private(set) var settings: RefineSettings
    public weak var observer: (any RefineObserver)?
    /// Where models train, label and are measured (not a setting of the run: a run started on a GPU
    /// resumes on a CPU and the other way round).
    public var device = Device.cpu
    /// The ranks that work together (nil: this process alone). Rank 0 runs ``refine()`` and the
    /// others ``follow()``: each labelling pass is split over all of them (each labels every W-th
    /// batch of the images) and each iteration's training is data-parallel over all of them, while
    /// measuring, the ledger and the files are rank 0's alone.
    public var group: ProcessGroup?

    public init(run: RefinementRun) throws {
        self.run = run
        settings = try run.settings()
    }

    /// Continues a run beyond its planned iterations (to `iterations`, so that labels reviewed
    /// since train the next one), or switches what it trains on, or the labelling passes'
    /// settings (thresholds calibrated since), from the next iteration on. A run its stopping rule
    /// ended goes on when asked for more iterations.
    public func extend(iterations: Int?, trainOn: TrainOn?, labelling: AutolabelSettings? = nil) throws {
        if let iterations, iterations > settings.iterations {
            settings.iterations = iterations
            try run.clearStop()
        }
        if let trainOn { settings.trainOn = trainOn }
        if let labelling { settings.autolabel = labelling }
        try run.save(settings)
    }

    /// Runs (or finishes) every iteration and returns the summary.
    public func refine() async throws -> RunSummary {
        let ledger = run.ledger
        for index in 0...settings.iterations {
            if try run.stopReason() != nil { break }
            try ledger.start(index, settings: try RefinementRun.json(settings))
            if try ledger.phase(index)! < .labelled {
                try label(index)
                if try run.stopReason() != nil { break }
            }
            if try ledger.phase(index)! < .trained { try await train(index) }
            if try ledger.phase(index)! < .evaluated { try await evaluate(index) }
        }
        try announce(.end)
        return try run.summary()
    }

    /// The part of a rank other than 0: labels and trains as rank 0 announces, until it announces
    /// the end. The run was opened read-only: rank 0 writes everything.
    public func follow() async throws {
        guard let group else { return }
        while true {
            let announced = try group.broadcast([0, 0])
            let index = Int(announced[1])
            switch Phase(rawValue: announced[0]) {
            case .labelling: _ = try labelPass(index, weights: try run.ledger.weights(index - 1)!)
            case .training: try await train(index)
            case .end, nil: return
            }
        }
    }

    /// What rank 0 announces to the other ranks before each phase they share.
    private enum Phase: Double {
        case end = 0, labelling = 1, training = 2
    }

    /// On rank 0 of a group, tells the others that `phase` of iteration `index` starts.
    private func announce(_ phase: Phase, iteration index: Int = 0) throws {
        guard let group, group.rank == 0 else { return }
        _ = try group.broadcast([phase.rawValue, Double(index)])
    }

    // MARK: Labelling

    /// Iteration `index`'s pass over the images nobody labelled, with `previous`, the previous
    /// iteration's best weights (relative to the run): in this process, or over the ranks, each
    /// labelling every W-th batch of the images and rank 0 combining what they found. What the pass
    /// found on rank 0; nil on the others.
    private func labelPass(_ index: Int, weights previous: String) throws -> Autolabeler.Findings? {
        try announce(.labelling, iteration: index)
        let base = try Dataset.load(run.dataYAML(0))
        let model = try PoseModel.load(
            run.folder.appendingPathComponent(previous), keypointDimensions: base.config.keypointShape.dimensions, device: device)
        var autolabel = settings.autolabel
        autolabel.splits = settings.labelledSplits
        // predictions merge against every label there is now, whether trained on or not, and
        // against the boxes a person rejected
        let reviewed = try run.ledger.reviewedLabels(upTo: index - 1)
        // the shape of faces comes from iteration 0's labels (the originals), never from labels a model made
        let shapes = autolabel.shapeCheck == .off ? nil : try Autolabeler.shapeModel(of: base)
        let pass = try Autolabeler(settings: autolabel).label(
            base, model: model,
            existing: { image, key in
                var existing = try Autolabeler.Existing.labelFile(of: image, in: base)
                existing.labels += reviewed.image(key).labels.map(\.current)
                existing.rejected = reviewed.image(key).rejected.map(\.instance.box)
                return existing
            }, shapes: shapes, share: group.map { .batches(index: $0.rank, count: $0.worldSize) })
        guard let group else { return pass.findings }
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary  // every float's bits, NaN included
        guard let shares = try group.gather(Array(try encoder.encode(pass.findings)), what: "labels of iteration \(index)") else {
            return nil
        }
        let decoder = PropertyListDecoder()
        return Autolabeler.Findings(
            combining: try shares.map { try decoder.decode(Autolabeler.Findings.self, from: Data($0)) }, of: base)
    }

    /// Iteration 0 copies the input's labels (and, for a run started from a reviewed one, the
    /// labels a person confirmed there); later iterations add pseudo-labels.
    private func label(_ index: Int) throws {
        let started = Date()
        if index == 0 { return try labelStart(started) }
        let previous = try run.ledger.weights(index - 1)!
        let pass = try labelPass(index, weights: previous)!
        try writeData(index, adding: pass.generated)
        try run.ledger.recordGenerated(
            iteration: index, labels: pass.generated, dropped: pass.dropped, model: previous,
            seconds: Date().timeIntervalSince(started))
        observer?.message("iteration \(index): \(pass.generated.count) labels added")
        let existing = pass.splits.values.reduce(0) { $0 + $1.existing }
        let added = pass.generated.count
        if settings.protocolName == .default && Double(added) < settings.stopBelow.minimumLabels(existing: existing) {
            var count = "\(added) labels"
            if case .percent = settings.stopBelow {
                count += String(format: " (%.1f%% of %d)", Double(added) / Double(max(existing, 1)) * 100, existing)
            }
            try run.stop(because: "iteration \(index) added \(count), fewer than --stop-below \(settings.stopBelow)")
        }
    }

    /// Iteration 0: the input's label files byte for byte, recorded as the originals; a run started
    /// from a reviewed one also carries that run's confirmed labels (after the originals) and its
    /// rejections, each with its decisions.
    private func labelStart(_ started: Date) throws {
        let dataset = try Dataset.load(run.inputData)
        let carried = try settings.startRun.map { try RefinementRun.open(URL(fileURLWithPath: $0)).ledger.carriedLabels() }
        let confirmed = Dictionary(grouping: (carried ?? []).map(\.label).filter(\.status.isVerified), by: \.image)
        var originals: [(image: ImageKey, lines: [String])] = []
        try Self.write(dataset, to: run.dataFolder(0)) { key, text in
            originals.append((key, text.split(separator: "\n").map(String.init)))
            return (confirmed[key] ?? []).map(\.currentLine)
        }
        try run.ledger.recordOriginals(originals, carried: carried ?? [], from: settings.startRun ?? "")
        try run.ledger.markLabelled(0, seconds: Date().timeIntervalSince(started))
        let originalCount = originals.reduce(0) { $0 + $1.lines.filter { !$0.allSatisfy(\.isWhitespace) }.count }
        let confirmedCount = confirmed.values.reduce(0) { $0 + $1.count }
        observer?.message(
            "iteration 0: \(originalCount) original labels"
                + (carried.map {
                    ", \(confirmedCount) confirmed and \($0.count - confirmedCount) rejected labels from \(settings.startRun!)"
                } ?? ""))
    }

    /// `lines` after `text`, one per line.
    static func appending(_ lines: [String], to text: String) -> String {
        guard !lines.isEmpty else { return text }
        return text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + lines.map { $0 + "\n" }.joined()
    }

    /// Writes the data set iteration `index` trains on: iteration 0's label files, then the labels
    /// of iterations 1…`index - 1` as reviewed now (and only the confirmed ones with
    /// `--train-on reviewed`), then `new`, this iteration's additions (which nobody reviewed yet).
    private func writeData(_ index: Int, adding new: [GeneratedLabel]) throws {
        let base = try Dataset.load(run.dataYAML(0))
        let verifiedOnly = settings.trainOn == .reviewed
        let reviewed = try run.ledger.reviewedLabels(upTo: index - 1, verifiedOnly: verifiedOnly)
        let additions = verifiedOnly ? [:] : Dictionary(grouping: new, by: \.image)
        try Self.write(base, to: run.dataFolder(index)) { key, _ in
            reviewed.image(key).lines + (additions[key] ?? []).map { run.ledger.line($0.instance) }
        }
    }

    /// Writes a data set of the run in `folder`: `dataset`'s images (linked) with their label files
    /// byte for byte, each followed by the lines `appended` gives for the image and its label text
    /// (`path` left out of the yaml, so that the data set is where the yaml is).
    static func write(_ dataset: Dataset, to folder: URL, appending appended: (ImageKey, String) throws -> [String]) throws {
        var splits: [Split: [DatasetWriter.Entry]] = [:]
        for split in dataset.config.splits {
            let (images, problems) = dataset.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            splits[split] = try images.map { image in
                let text = try Autolabeler.Existing.labelFile(of: image, in: dataset).text  // parsing checks every line first
                let lines = try appended(ImageKey(split, image.relativePath), text)
                return DatasetWriter.Entry(
                    image: image.url, relativePath: image.relativePath, keptText: appending(lines, to: text), instances: [])
            }
        }
        var config = dataset.config
        config.path = nil
        try DatasetWriter(overwrite: true).write(config: config, splits: splits, to: folder)
    }

    // MARK: Training and measuring

    private func train(_ index: Int) async throws {
        let leads = (group?.rank ?? 0) == 0
        try announce(.training, iteration: index)
        let started = Date()
        let directory = run.training(index)
        let dataset = try Dataset.load(run.dataYAML(index))
        let resuming = FileManager.default.fileExists(atPath: directory.stateURL.path)
        let starting = index > 0 ? try run.weights(index - 1)!.path : settings.model
        let runConfig = try RunDirectory.RunConfig(dataset: dataset, model: starting, training: settings.training)
        if !resuming && leads { try directory.create(runConfig) }
        let network = PoseModel(runConfig.model, seed: settings.training.seed)
        if let starting = runConfig.startingWeights, !resuming { try network.loadMatching(from: URL(fileURLWithPath: starting)) }
        network.move(to: device)
        let trainer = directory.trainer(
            model: network, config: runConfig, trainImages: dataset.labelledImages(.train).images,
            valImages: dataset.labelledImages(.val).images)
        trainer.group = group
        if leads {
            trainer.observers = observer?.trainingObservers(iteration: index) ?? []
        } else {
            (trainer.validate, trainer.checkpoint) = (nil, nil)
        }
        if resuming {
            try directory.resume(trainer)
            if leads { observer?.message("iteration \(index): resuming training at epoch \(trainer.state.nextEpoch + 1)") }
        }
        if trainer.state.nextEpoch < settings.training.epochs { try await trainer.train() }
        try group?.barrier()
        guard leads else { return }
        let previous = try run.ledger.seconds(index).training
        try run.ledger.markTrained(
            index, weights: run.relativePath(directory.bestURL), seconds: previous + Date().timeIntervalSince(started))
    }

    private func evaluate(_ index: Int) async throws {
        let dataset = try Dataset.load(run.dataYAML(index))
        let model = try PoseModel.load(try run.weights(index)!, keypointDimensions: dataset.config.keypointShape.dimensions, device: device)
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
        let own = try await measure(run.dataYAML(index))
        var fixed: ValidationMetrics? = nil
        if let fixedVal = try run.fixedVal(settings) {
            fixed = try await measure(URL(fileURLWithPath: fixedVal.data))
            if let coverage = fixed?.coverage, coverage.looksIncomplete, fixedVal.source == .original, index == 0 {
                observer?.message(
                    "warning: the \(coverage.warning(split: "val Table 2b measures on")) there, so its precision and mAP are "
                        + "understated: give --truth or --gold-val, a fully labelled val set")
            }
        }
        // the labels trained on are those of the data set's files; what this iteration added, the ledger's
        let verifiedOnly = settings.trainOn == .reviewed
        var labels: [Split: Int] = [:]
        for split in [Split.train, .val] { labels[split] = try dataset.entries(split).reduce(0) { $0 + $1.instances.count } }
        let now = try run.ledger.labelCounts(upTo: index, verifiedOnly: verifiedOnly)
        let before = index > 0 ? try run.ledger.labelCounts(upTo: index - 1, verifiedOnly: verifiedOnly) : now
        let images = try run.ledger.imageCounts()
        func counts(_ split: Split) -> SplitCounts {
            SplitCounts(images: images[split] ?? 0, labels: labels[split] ?? 0, added: (now[split] ?? 0) - (before[split] ?? 0))
        }
        let quality = try settings.truth.map { try run.measureQuality(upTo: index, truth: URL(fileURLWithPath: $0)) }
        let (labellingSeconds, trainingSeconds) = try run.ledger.seconds(index)
        try run.ledger.markEvaluated(
            IterationSummary(
                index: index, train: counts(.train), val: counts(.val), ownValidation: own, fixedValidation: fixed, quality: quality,
                labellingSeconds: labellingSeconds, trainingSeconds: trainingSeconds))
        observer?.message(
            String(
                format: "iteration %d: pose mAP50-95 %.3f on its own val%@", index, own.pose.map50_95,
                fixed.map { String(format: ", %.3f on the original val", $0.pose.map50_95) } ?? ""))
    }
}
