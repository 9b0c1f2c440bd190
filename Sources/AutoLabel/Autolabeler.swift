import Foundation
import Imaging
import Pose
import PoseData

/// Settings of one pseudo-labelling pass (`facelabel autolabel`), with the method's defaults.
public struct AutolabelSettings: Sendable, Codable, Equatable {
    /// Keep predictions at or above this confidence.
    public var confidence: Float
    /// NMS IoU threshold of the predictions.
    public var nmsIoU: Float
    /// Drop a prediction whose box IoU with an existing label exceeds this.
    public var mergeIoU: Double
    /// Keypoints below this confidence get visibility 0.
    public var keypointConfidence: Float
    public var splits: [Split]
    public var imageSize: Int
    public var batchSize: Int
    /// Decode large JPEGs at a reduced DCT scale (``Predictor/fastDecode``); pseudo-labels promise
    /// no pixel parity with the reference, so on by default.
    public var fastDecode: Bool
    /// Drop a face whose landmarks move by more than this, relative to its inter-ocular distance,
    /// when the image is mirrored (``FlipConsistency``); nil: no flip check (the paper's way).
    public var maxDisagreement: Double?
    /// With the flip check, a face found in one view only is kept at this score or above.
    public var singleViewConfidence: Float
    /// With the flip check, label a face with the two views' points averaged, each weighted by its
    /// confidence, rather than the image's own (lower NME: docs/label-filters.md).
    public var fusesViews: Bool
    /// What to do with a face of implausible shape (``ShapeModel``, fitted on the data set's labels).
    public var shapeCheck: ShapeCheck
    /// The closer look: look at each small face again on crops enlarged to the input size, take
    /// its points there and score it with the mean of its scores in the whole image and in the
    /// crops (``CandidateFinder/closerLooks(at:in:)``).
    public var closerLook: Bool
    /// Drop a new face that repeats another (``Merge/repeatedFaces(_:scores:existing:iouThreshold:nestedShare:)``):
    /// a second box of one face, or a part of a face inside a larger face's box.
    public var checksOverlap: Bool

    public init(
        confidence: Float = 0.7, nmsIoU: Float = 0.7, mergeIoU: Double = 0.3, keypointConfidence: Float = 0.5,
        splits: [Split] = [.train, .val], imageSize: Int = 640, batchSize: Int = 8, fastDecode: Bool = true,
        maxDisagreement: Double? = nil, singleViewConfidence: Float = 0.9, fusesViews: Bool = true, shapeCheck: ShapeCheck = .off,
        closerLook: Bool = true, checksOverlap: Bool = true
    ) {
        (self.confidence, self.nmsIoU, self.mergeIoU, self.keypointConfidence) = (confidence, nmsIoU, mergeIoU, keypointConfidence)
        (self.splits, self.imageSize, self.batchSize, self.fastDecode) = (splits, imageSize, batchSize, fastDecode)
        (self.maxDisagreement, self.singleViewConfidence, self.fusesViews, self.shapeCheck) = (
            maxDisagreement, singleViewConfidence, fusesViews, shapeCheck
        )
        (self.closerLook, self.checksOverlap) = (closerLook, checksOverlap)
    }

    /// Names that settings written by earlier versions use.
    private enum LegacyKeys: String, CodingKey { case refinesCrops }

    /// Reads saved settings; one they lack (written by an earlier version) keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AutolabelSettings()
        confidence = try c.value(.confidence, or: d.confidence)
        nmsIoU = try c.value(.nmsIoU, or: d.nmsIoU)
        mergeIoU = try c.value(.mergeIoU, or: d.mergeIoU)
        keypointConfidence = try c.value(.keypointConfidence, or: d.keypointConfidence)
        splits = try c.value(.splits, or: d.splits)
        imageSize = try c.value(.imageSize, or: d.imageSize)
        batchSize = try c.value(.batchSize, or: d.batchSize)
        fastDecode = try c.value(.fastDecode, or: d.fastDecode)
        maxDisagreement = try c.decodeIfPresent(Double.self, forKey: .maxDisagreement)
        singleViewConfidence = try c.value(.singleViewConfidence, or: d.singleViewConfidence)
        // a run saved before fusion and crops were the default labelled with neither
        fusesViews = try c.value(.fusesViews, or: false)
        shapeCheck = try c.value(.shapeCheck, or: d.shapeCheck)
        // earlier versions saved the closer look as refinesCrops
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        closerLook = try c.decodeIfPresent(Bool.self, forKey: .closerLook) ?? legacy.value(.refinesCrops, or: false)
        checksOverlap = try c.value(.checksOverlap, or: false)
    }
}

/// One label a pass appended (or a candidate it left out), with what made it.
public struct GeneratedLabel: Sendable, Equatable, Codable {
    public var image: ImageKey
    public var instance: PoseInstance
    /// Its box score.
    public var confidence: Double
    /// What it was judged by, and the decision.
    public var measures: LabelMeasures
}

/// What a pass found and wrote.
public struct AutolabelResult: Sendable {
    public struct SplitSummary: Sendable, Codable, Equatable {
        public var images: Int
        public var existing: Int
        public var added: Int
    }

    public var splits: [Split: SplitSummary]
    public var generated: [GeneratedLabel]
    /// The new data set's yaml.
    public var data: URL
}

/// Predicts on a data set's images and adds the predictions that pass the merge rule to the
/// labels each image already has. ``run(data:model:output:progress:)`` writes them as a new data
/// set whose label files are the existing ones, byte for byte, followed by the additions; the
/// input is only read.
public struct Autolabeler {
    public var settings: AutolabelSettings

    /// What a pass starts from on one image.
    public struct Existing: Sendable {
        /// The label text that stays, byte for byte.
        public var text: String
        /// Its labels, which predictions must not overlap.
        public var labels: [PoseInstance]
        /// Boxes a person rejected, which predictions must not overlap either.
        public var rejected: [BoundingBox]

        public init(text: String, labels: [PoseInstance], rejected: [BoundingBox] = []) {
            (self.text, self.labels, self.rejected) = (text, labels, rejected)
        }

        /// An image's label file as it is.
        public static func labelFile(of image: Dataset.Image, in dataset: Dataset) throws -> Existing {
            let text =
                FileManager.default.fileExists(atPath: image.labelURL.path) ? try String(contentsOf: image.labelURL, encoding: .utf8) : ""
            let labels = try LabelFile.read(
                image.labelURL, keypointShape: dataset.config.keypointShape, classCount: dataset.config.names.count)
            return Existing(text: text, labels: labels)
        }
    }

    /// What a pass found: each split's counts and every label it adds, in image order.
    public struct Pass: Sendable {
        public var splits: [Split: AutolabelResult.SplitSummary]
        public var generated: [GeneratedLabel]
        /// The candidates the filters left out (not those the merge rule found labelled already).
        public var dropped: [GeneratedLabel]
        /// The existing labels of each split's images, in image order (what they start from).
        public var existing: [Split: [(image: Dataset.Image, existing: Existing)]]

        public var findings: Findings { Findings(splits: splits, generated: generated, dropped: dropped) }
    }

    /// What a pass found, without the label files it started from: what a process that labelled
    /// its ``Share`` of the images sends to the one that records the pass.
    public struct Findings: Sendable, Codable {
        public var splits: [Split: AutolabelResult.SplitSummary]
        public var generated: [GeneratedLabel]
        public var dropped: [GeneratedLabel]

        /// What one pass over `dataset` finds, from what it found on each share of the images: the
        /// counts summed, the labels in the pass's order (split by split, image by image, and an
        /// image's labels in the order its share found them).
        public init(combining shares: [Findings], of dataset: Dataset) {
            var position: [ImageKey: Int] = [:]
            for split in dataset.config.splits {
                for image in dataset.images(split).images { position[ImageKey(split, image.relativePath)] = position.count }
            }
            func ordered(_ lists: [[GeneratedLabel]]) -> [GeneratedLabel] {
                lists.flatMap { list in list.enumerated().map { (position[$0.element.image] ?? .max, $0.offset, $0.element) } }
                    .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
            }
            splits = shares.flatMap(\.splits).reduce(into: [:]) { sums, part in
                var sum = sums[part.key] ?? AutolabelResult.SplitSummary(images: 0, existing: 0, added: 0)
                (sum.images, sum.existing, sum.added) = (
                    sum.images + part.value.images, sum.existing + part.value.existing, sum.added + part.value.added
                )
                sums[part.key] = sum
            }
            generated = ordered(shares.map(\.generated))
            dropped = ordered(shares.map(\.dropped))
        }

        init(splits: [Split: AutolabelResult.SplitSummary], generated: [GeneratedLabel], dropped: [GeneratedLabel]) {
            (self.splits, self.generated, self.dropped) = (splits, generated, dropped)
        }
    }

    /// The part of a pass's images one process looks at when several share the pass.
    public enum Share: Sendable {
        /// The images of a shard: a job array's task.
        case shard(Shard)
        /// Every `count`-th batch of each split, from the `index`-th: a rank's. Each batch is then
        /// the batch one process forms, so its numbers are one process's, bit for bit.
        case batches(index: Int, count: Int)
    }

    public init(settings: AutolabelSettings) { self.settings = settings }

    /// Predicts on the chosen splits of `dataset`; `existing` gives each image's labels (nil: its
    /// label file); `shapes` is the shape model of ``AutolabelSettings/shapeCheck`` (nil: fitted
    /// on the data set's own labels when the check is on); with a `share`, only its images are
    /// looked at, and each gets the labels it gets in the whole pass.
    public func label(
        _ dataset: Dataset, model: PoseModel, existing: ((Dataset.Image, ImageKey) throws -> Existing)? = nil, shapes: ShapeModel? = nil,
        share: Share? = nil, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Pass {
        let shape = dataset.config.keypointShape
        guard model.config.keypointCount == shape.count, model.config.keypointDimensions == shape.dimensions else {
            throw DataProblem(
                file: dataset.configURL.path,
                reason: .io(
                    "kpt_shape [\(shape.count), \(shape.dimensions)] differs from the model's "
                        + "[\(model.config.keypointCount), \(model.config.keypointDimensions)]"))
        }
        model.foldBatchNorm()
        defer { model.unfoldBatchNorm() }
        let shapeModel = settings.shapeCheck == .off ? nil : try shapes ?? Self.shapeModel(of: dataset)
        let finder = CandidateFinder(model: model, settings: settings, flipIndex: dataset.config.flipIndex, shapes: shapeModel)
        var pass = Pass(splits: [:], generated: [], dropped: [], existing: [:])
        let labelled = Set(settings.splits)
        /// The batches of `split` this pass looks at.
        func batches(_ split: Split) throws -> [[Dataset.Image]] {
            var (images, problems) = dataset.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            var part = (index: 0, count: 1)
            switch share {
            case .shard(let shard): images = images.filter { shard.contains(ImageKey(split, $0.relativePath)) }
            case .batches(let index, let count): part = (index, count)
            case nil: break
            }
            return WorkShare(images, groupSize: settings.batchSize, part: part).groups
        }
        let splitBatches = try dataset.config.splits.map { ($0, try batches($0)) }
        let total = splitBatches.filter { labelled.contains($0.0) }.reduce(0) { $0 + $1.1.joined().count }
        var done = 0
        for (split, batches) in splitBatches {
            var summary = AutolabelResult.SplitSummary(images: batches.joined().count, existing: 0, added: 0)
            var splitExisting: [(image: Dataset.Image, existing: Existing)] = []
            for group in batches {
                let starts = try group.map {
                    try existing?($0, ImageKey(split, $0.relativePath)) ?? Existing.labelFile(of: $0, in: dataset)
                }
                var found: [[Candidate]] = []
                var sizes: [(width: Int, height: Int)] = []
                if labelled.contains(split) {
                    let decoded = try group.map { try finder.decode($0.url) }
                    found = finder.candidates(decoded, names: group.map(\.url.path))
                    sizes = decoded.map { ($0.width, $0.height) }
                }
                for (index, image) in group.enumerated() {
                    summary.existing += starts[index].labels.count
                    splitExisting.append((image, starts[index]))
                    guard labelled.contains(split) else { continue }
                    var additions: [GeneratedLabel] = []
                    for candidate in found[index] {
                        let instance = candidate.detection.label(
                            width: sizes[index].width, height: sizes[index].height, keypointConfidence: settings.keypointConfidence)
                        let label = GeneratedLabel(
                            image: ImageKey(split, image.relativePath), instance: instance, confidence: Double(candidate.detection.score),
                            measures: candidate.measures)
                        if !candidate.measures.decision.keeps {
                            pass.dropped.append(label)
                        } else if !Merge.additions(
                            existing: starts[index].labels, rejected: starts[index].rejected, predictions: [instance],
                            iouThreshold: settings.mergeIoU
                        ).isEmpty {
                            additions.append(label)
                        }
                    }
                    let repeated =
                        settings.checksOverlap
                        ? Merge.repeatedFaces(
                            additions.map(\.instance.box), scores: additions.map { Float($0.confidence) },
                            existing: starts[index].labels.map(\.box),
                            iouThreshold: settings.mergeIoU) : []
                    for (position, var label) in additions.enumerated() {
                        if repeated.contains(position) {
                            label.measures.decision = .droppedByOverlap
                            pass.dropped.append(label)
                        } else {
                            summary.added += 1
                            pass.generated.append(label)
                        }
                    }
                    done += 1
                    progress(done, total)
                }
            }
            pass.existing[split] = splitExisting
            pass.splits[split] = summary
        }
        return pass
    }

    /// The shape model of a data set's labels (both splits), or nil when too few faces are fully labelled.
    public static func shapeModel(of dataset: Dataset) throws -> ShapeModel? {
        var labels: [(face: PoseInstance, width: Int, height: Int)] = []
        for split in [Split.train, .val] {
            for entry in try dataset.entries(split) where !entry.instances.isEmpty {
                let info = try ImageCodec.info(contentsOf: entry.image)
                labels += entry.instances.map { ($0, info.width, info.height) }
            }
        }
        return ShapeModel(labels: labels)
    }

    /// One pass over the data set of `data`, written as a new data set in `output`.
    public func run(
        data: URL, model: PoseModel, output: URL, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> AutolabelResult {
        let dataset = try Dataset.load(data)
        let pass = try label(dataset, model: model, progress: progress)
        return AutolabelResult(splits: pass.splits, generated: pass.generated, data: try Self.write(pass, of: dataset, to: output))
    }

    /// Writes what `pass` found on `dataset` as a new data set in `output` (replaced when it
    /// exists) and returns its yaml.
    static func write(_ pass: Pass, of dataset: Dataset, to output: URL) throws -> URL {
        let additions = Dictionary(grouping: pass.generated, by: \.image)
        var entries: [Split: [DatasetWriter.Entry]] = [:]
        for (split, images) in pass.existing {
            entries[split] = images.map { image, existing in
                DatasetWriter.Entry(
                    image: image.url, relativePath: image.relativePath, keptText: existing.text,
                    instances: (additions[ImageKey(split, image.relativePath)] ?? []).map(\.instance))
            }
        }
        var config = dataset.config
        config.path = nil
        return try DatasetWriter(overwrite: true).write(config: config, splits: entries, to: output)
    }
}
