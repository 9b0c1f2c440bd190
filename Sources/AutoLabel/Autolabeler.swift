import Foundation
import Pose
import PoseData

/// Settings of one pseudo-labelling pass (`facelabel autolabel`), with the method's defaults.
public struct AutolabelSettings: Sendable, Codable, Equatable {
    /// Keep predictions at or above this confidence.
    public var confidence: Float = 0.7
    /// NMS IoU threshold of the predictions.
    public var nmsIoU: Float = 0.7
    /// Drop a prediction whose box IoU with an existing label exceeds this.
    public var mergeIoU = 0.3
    /// Keypoints below this confidence get visibility 0.
    public var keypointConfidence: Float = 0.5
    public var splits: [Split] = [.train, .val]
    public var imageSize = 640
    public var batchSize = 8
    /// Decode large JPEGs at a reduced DCT scale (``Predictor/fastDecode``); pseudo-labels promise
    /// no pixel parity with the reference, so on by default.
    public var fastDecode = true

    public init() {}

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
    }
}

/// One label a pass appended, with what made it.
public struct GeneratedLabel: Sendable, Equatable {
    public var split: Split
    /// The image's path below `images/<split>/`.
    public var relativePath: String
    public var instance: PoseInstance
    public var confidence: Float
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
            let text = FileManager.default.fileExists(atPath: image.labelURL.path) ? try String(contentsOf: image.labelURL, encoding: .utf8) : ""
            let labels = try LabelFile.read(image.labelURL, keypointShape: dataset.config.keypointShape, classCount: dataset.config.names.count)
            return Existing(text: text, labels: labels)
        }
    }

    /// What a pass found: each split's counts and every label it adds, in image order.
    public struct Pass: Sendable {
        public var splits: [Split: AutolabelResult.SplitSummary]
        public var generated: [GeneratedLabel]
        /// The existing labels of each split's images, in image order (what they start from).
        public var existing: [Split: [(image: Dataset.Image, existing: Existing)]]
    }

    public init(settings: AutolabelSettings) { self.settings = settings }

    /// Predicts on the chosen splits of `dataset`; `existing` gives each image's labels (nil: its
    /// label file).
    public func label(
        _ dataset: Dataset, model: PoseModel, existing: ((Dataset.Image, Split) throws -> Existing)? = nil,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> Pass {
        let shape = dataset.config.keypointShape
        guard model.config.keypointCount == shape.count, model.config.keypointDimensions == shape.dimensions else {
            throw DataProblem(
                file: dataset.configURL.path,
                reason: .io("kpt_shape [\(shape.count), \(shape.dimensions)] differs from the model's [\(model.config.keypointCount), \(model.config.keypointDimensions)]"))
        }
        model.foldBatchNorm()
        defer { model.unfoldBatchNorm() }
        let predictor = Predictor(
            model: model, imageSize: settings.imageSize,
            options: SuppressionOptions(confidence: settings.confidence, iou: settings.nmsIoU), fastDecode: settings.fastDecode)
        var pass = Pass(splits: [:], generated: [], existing: [:])
        let labelled = Set(settings.splits)
        let total = Split.allCases.filter { labelled.contains($0) }.reduce(0) { $0 + dataset.images($1).images.count }
        var done = 0
        for split in Split.allCases where split != .test || !dataset.config.entries(split).isEmpty {
            let (images, problems) = dataset.images(split)
            if !problems.isEmpty { throw DataProblems(problems) }
            var summary = AutolabelResult.SplitSummary(images: images.count, existing: 0, added: 0)
            var splitExisting: [(image: Dataset.Image, existing: Existing)] = []
            for start in stride(from: 0, to: images.count, by: settings.batchSize) {
                let group = Array(images[start..<min(start + settings.batchSize, images.count)])
                let starts = try group.map { try existing?($0, split) ?? Existing.labelFile(of: $0, in: dataset) }
                let predictions = labelled.contains(split) ? try predictor.predict(group.map(\.url), batchSize: settings.batchSize) : []
                for (index, image) in group.enumerated() {
                    summary.existing += starts[index].labels.count
                    splitExisting.append((image, starts[index]))
                    guard labelled.contains(split) else { continue }
                    let prediction = predictions[index]
                    for (candidate, detection) in zip(prediction.labels(keypointConfidence: settings.keypointConfidence), prediction.detections)
                    where !Merge.additions(
                        existing: starts[index].labels, rejected: starts[index].rejected, predictions: [candidate], iouThreshold: settings.mergeIoU
                    ).isEmpty {
                        summary.added += 1
                        pass.generated.append(
                            GeneratedLabel(split: split, relativePath: image.relativePath, instance: candidate, confidence: detection.score))
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

    /// One pass over the data set of `data`, written as a new data set in `output`.
    public func run(
        data: URL, model: PoseModel, output: URL, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> AutolabelResult {
        let dataset = try Dataset.load(data)
        let pass = try label(dataset, model: model, progress: progress)
        let additions = Dictionary(grouping: pass.generated) { "\($0.split.rawValue)/\($0.relativePath)" }
        var entries: [Split: [DatasetWriter.Entry]] = [:]
        for (split, images) in pass.existing {
            entries[split] = images.map { image, existing in
                DatasetWriter.Entry(
                    image: image.url, relativePath: image.relativePath, keptText: existing.text,
                    instances: (additions["\(split.rawValue)/\(image.relativePath)"] ?? []).map(\.instance))
            }
        }
        var config = dataset.config
        config.path = nil
        let yaml = try DatasetWriter(overwrite: true).write(config: config, splits: entries, to: output)
        return AutolabelResult(splits: pass.splits, generated: pass.generated, data: yaml)
    }
}
