import Foundation
import Imaging
import PoseData

/// Conversion between YOLO-pose data sets and COCO keypoints JSON, as labelling tools (CVAT,
/// Label Studio, X-AnyLabeling) read and write it.
///
/// Class k is COCO category k + 1; every category carries the data set's keypoint names and
/// skeleton (from ``KeypointScheme``) and its `flip_idx`. Values are converted without rounding,
/// so YOLO → COCO → YOLO gives back the same labels to within floating-point error. A point with
/// v = 0 keeps its coordinates (COCO readers ignore them); a pseudo-label's confidence, which
/// COCO cannot hold, is written as v = 2 (or 0 when it is 0).
///
/// ```swift
/// try COCOConversion.export(data: yamlURL, split: .val, to: jsonURL)
/// try COCOConversion.importDataset(json: jsonURL, images: imagesURL, output: outURL)
/// ```
public enum COCOConversion {
    // MARK: - Export

    /// What an export wrote. Encoded with snake_case keys for `--json`.
    public struct ExportSummary: Sendable, Hashable, Codable {
        public var output: String
        public var split: Split
        public var images = 0
        public var annotations = 0
        public var categories = 0
        public var keypoints = 0
        /// Visibilities that were confidences in (0, 1) and became v = 2.
        public var confidencesAsVisible = 0
    }

    /// The COCO document of one split of a data set. Image `file_name`s are relative to the
    /// split's folder (`images/<split>/`), image and annotation ids count from 1 in path order.
    ///
    /// - Throws: ``DataProblems`` for bad label files and unreadable images.
    public static func document(of dataset: Dataset, split: Split) throws -> (COCOKeypoints, ExportSummary) {
        let config = dataset.config
        let shape = config.keypointShape
        let scheme = KeypointScheme.standard(forCount: shape.count, flipIndex: config.flipIndex)
        let entries = try dataset.entries(split)
        let folders = config.entries(split).map { dataset.resolve($0).path + "/" }
        var summary = ExportSummary(output: "", split: split, categories: config.names.count, keypoints: shape.count)
        var images: [COCOKeypoints.Image] = []
        var annotations: [COCOKeypoints.Annotation] = []
        var problems: [DataProblem] = []
        for entry in entries {
            let info: ImageInfo
            do {
                info = try ImageCodec.info(contentsOf: entry.image)
            } catch {
                problems.append(DataProblem(file: entry.image.path, reason: .unreadableImage(error.reason)))
                continue
            }
            let path = entry.image.path
            let folder = folders.first { path.hasPrefix($0) }
            let fileName = folder.map { String(path.dropFirst($0.count)) } ?? entry.relativePath
            let image = COCOKeypoints.Image(id: images.count + 1, fileName: fileName, width: info.width, height: info.height)
            images.append(image)
            let (width, height) = (Double(info.width), Double(info.height))
            for instance in entry.instances {
                var keypoints: [Double] = []
                keypoints.reserveCapacity(3 * shape.count)
                var labelled = 0
                for point in instance.keypoints {
                    var visibility = point.visibility
                    if visibility != 0 && visibility != 1 && visibility != 2 {
                        visibility = 2
                        summary.confidencesAsVisible += 1
                    }
                    if visibility > 0 { labelled += 1 }
                    keypoints += [point.x * width, point.y * height, visibility]
                }
                let box = [
                    instance.box.minX * width, instance.box.minY * height, instance.box.width * width,
                    instance.box.height * height,
                ]
                annotations.append(
                    COCOKeypoints.Annotation(
                        id: annotations.count + 1, imageID: image.id, categoryID: instance.classIndex + 1, bbox: box,
                        area: box[2] * box[3], iscrowd: 0, keypoints: keypoints, numKeypoints: labelled))
            }
        }
        if !problems.isEmpty { throw DataProblems(problems) }
        let skeleton = scheme.edges.map { [$0.0 + 1, $0.1 + 1] }
        let categories = config.names.enumerated().map { index, name in
            COCOKeypoints.Category(
                id: index + 1, name: name, supercategory: name, keypoints: scheme.names, skeleton: skeleton,
                flipIndex: config.flipIndex)
        }
        summary.images = images.count
        summary.annotations = annotations.count
        return (COCOKeypoints(images: images, annotations: annotations, categories: categories), summary)
    }

    /// Writes one split of the data set of `data` (its `data.yaml`) as COCO JSON to `output`,
    /// atomically. An existing file is an error unless `overwrite`.
    @discardableResult
    public static func export(data: URL, split: Split, to output: URL, overwrite: Bool = false) throws -> ExportSummary {
        if FileManager.default.fileExists(atPath: output.path), !overwrite {
            throw DataProblem(file: output.path, reason: .io("already exists; choose a new file or overwrite it"))
        }
        let dataset = try Dataset.load(data)
        guard split != .test || !dataset.config.test.isEmpty else {
            throw DataProblem(file: data.path, reason: .missingKey("test"))
        }
        var (document, summary) = try document(of: dataset, split: split)
        try AtomicFile.write(try document.json(), to: output)
        summary.output = output.standardizedFileURL.path
        return summary
    }

    // MARK: - Import

    public struct ImportOptions: Sendable, Hashable {
        /// Put every image in this split (the other of train and val is written empty); nil splits
        /// by ``valFraction``.
        public var split: Split? = nil
        /// Fraction of the images in val when ``split`` is nil: a seeded shuffle, rounded.
        public var valFraction = 0.2
        public var seed: UInt64 = 0
        public var imageMode = DatasetWriter.ImageMode.symlink
        public var overwrite = false

        public init(
            split: Split? = nil, valFraction: Double = 0.2, seed: UInt64 = 0, imageMode: DatasetWriter.ImageMode = .symlink,
            overwrite: Bool = false
        ) {
            self.split = split
            self.valFraction = valFraction
            self.seed = seed
            self.imageMode = imageMode
            self.overwrite = overwrite
        }
    }

    /// What an import did. Encoded with snake_case keys for `--json`.
    public struct ImportSummary: Sendable, Hashable, Codable {
        public var data: String
        public var classes: [String]
        public var keypoints: Int
        /// Whether a flip index was found (fliplr augmentation needs one).
        public var hasFlipIndex: Bool
        public var images = 0
        public var annotations = 0
        public var trainImages = 0
        public var valImages = 0
        public var testImages = 0
        /// Crowd annotations (`iscrowd: 1`), which are not objects and were left out.
        public var crowdAnnotations = 0
        /// Labelled points outside their image, clamped to its edge with visibility 0.
        public var pointsOutsideImage = 0
        /// Boxes that reached outside their image and were clamped to it.
        public var boxesClamped = 0
    }

    /// Imports a COCO keypoints file and its images (in `images`, by `file_name`, or by its last
    /// path component) as a new YOLO-pose data set in `output`. Every image's size is checked
    /// against the JSON. Nothing is written when anything is wrong.
    ///
    /// The file is read as a stream (``COCOReader``) and each label line goes to its image's file
    /// as soon as it is read (``LabelSpool``), so memory stays bounded by the number of images, not
    /// of annotations.
    ///
    /// - Throws: ``DataProblems`` listing every fault, or ``DataProblem`` when the output exists.
    @discardableResult
    public static func importDataset(
        json: URL, images folder: URL, output: URL, options: ImportOptions = .init()
    ) throws
        -> ImportSummary
    {
        precondition((0...1).contains(options.valFraction), "COCOConversion: valFraction \(options.valFraction) outside [0, 1]")
        if FileManager.default.fileExists(atPath: output.path), !options.overwrite {
            throw DataProblem(file: output.path, reason: .io("already exists; choose a new folder or overwrite it"))
        }
        let reader = COCOReader(json)
        var labels = try reader.header()
        let spool = try LabelSpool(beside: output)
        defer { spool.remove() }
        let shape = labels.config.keypointShape
        try reader.annotations(into: &labels) { image, instance in
            try spool.append(LabelFile.format([instance], keypointShape: shape), to: image)
        }
        let labelFiles = try spool.finish()
        var summary = labels.summary
        let images = labels.images

        // Find each image and check its size.
        var problems: [DataProblem] = []
        var files: [URL] = []
        for (position, image) in images.enumerated() {
            let label = "images[\(position)] (id \(image.id))"
            let name = image.fileName
            let candidates =
                name.hasPrefix("/")
                ? [URL(fileURLWithPath: name)]
                : [folder.appendingPathComponent(name), folder.appendingPathComponent((name as NSString).lastPathComponent)]
            guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                problems.append(DataProblem(file: json.path, reason: .malformed("\(label): '\(name)' is not in \(folder.path)")))
                continue
            }
            do {
                let info = try ImageCodec.info(contentsOf: url)
                if info.width != image.width || info.height != image.height {
                    problems.append(
                        DataProblem(
                            file: json.path,
                            reason: .malformed(
                                "\(label): the JSON says \(image.width)x\(image.height) but \(url.path) is "
                                    + "\(info.width)x\(info.height)")))
                }
            } catch {
                problems.append(DataProblem(file: url.path, reason: .unreadableImage(error.reason)))
            }
            files.append(url)
        }
        if !problems.isEmpty { throw DataProblems(problems) }

        // Split.
        let byName = images.indices.sorted { images[$0].fileName < images[$1].fileName }
        var splitOf = [Split](repeating: options.split ?? .train, count: images.count)
        if options.split == nil {
            var order = byName
            var random = SeededRandom(seed: options.seed)
            for index in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(index, random.int(0...index)) }
            let valCount = Int((Double(order.count) * options.valFraction).rounded())
            for index in order.prefix(valCount) { splitOf[index] = .val }
        }
        var entries: [Split: [DatasetWriter.Entry]] = [.train: [], .val: []]
        var used = Set<String>()
        for index in byName {
            let name = images[index].fileName
            let safe = !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
            let place = Import300W.uniquePlace(safe ? name : files[index].lastPathComponent, split: splitOf[index], used: &used)
            entries[splitOf[index], default: []].append(
                DatasetWriter.Entry(image: files[index], relativePath: place, labelFile: labelFiles[index]))
            switch splitOf[index] {
            case .train: summary.trainImages += 1
            case .val: summary.valImages += 1
            case .test: summary.testImages += 1
            }
        }
        let writer = DatasetWriter(imageMode: options.imageMode, overwrite: options.overwrite)
        summary.data = try writer.write(config: labels.config, splits: entries, to: output).path
        return summary
    }
}
