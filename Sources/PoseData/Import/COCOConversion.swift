import Foundation

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

    /// The labels of a COCO document, validated: the data set's configuration (paths empty) and
    /// each image's instances, in the document's image order.
    ///
    /// - Parameter file: the name used in problems.
    /// - Throws: ``DataProblems`` with every fault found, each naming the JSON path.
    public static func labels(of document: COCOKeypoints, file: String) throws(DataProblems) -> (
        config: DatasetConfig, images: [(image: COCOKeypoints.Image, instances: [PoseInstance])], summary: ImportSummary
    ) {
        var problems: [DataProblem] = []
        func problem(_ message: String) { problems.append(DataProblem(file: file, reason: .malformed(message))) }

        // Categories: the classes, sorted by id, sharing one keypoint layout.
        let categories = document.categories.sorted { $0.id < $1.id }
        if categories.isEmpty { problem("'categories' is empty") }
        var classOf: [Int: Int] = [:]
        var names: [String]? = nil
        for (position, category) in document.categories.enumerated() {
            let label = "categories[\(position)] (id \(category.id))"
            if classOf[category.id] != nil { problem("\(label): the id is used by an earlier category") }
            classOf[category.id] = categories.firstIndex { $0.id == category.id }
            guard let keypoints = category.keypoints, !keypoints.isEmpty else {
                problem("\(label): has no 'keypoints' names; a pose data set needs them")
                continue
            }
            if let names, names.count != keypoints.count {
                problem("\(label): has \(keypoints.count) keypoints, the first category \(names.count); all must have the same")
            }
            if names == nil { names = keypoints }
        }
        let count = names?.count ?? 0
        var flipIndex: [Int]? = nil
        if let names {
            for (position, category) in document.categories.enumerated() {
                guard let given = category.flipIndex else { continue }
                if given.sorted() != Array(0..<count) {
                    problem("categories[\(position)] (id \(category.id)): flip_idx is not a permutation of 0...\(count - 1)")
                } else if let flipIndex, flipIndex != given {
                    problem("categories[\(position)] (id \(category.id)): flip_idx differs from an earlier category's")
                } else {
                    flipIndex = given
                }
            }
            if flipIndex == nil { flipIndex = KeypointScheme.flipIndex(forNames: names) }
        }

        // Images.
        var imageIndex: [Int: Int] = [:]
        for (position, image) in document.images.enumerated() {
            let label = "images[\(position)] (id \(image.id))"
            if imageIndex[image.id] != nil { problem("\(label): the id is used by an earlier image") }
            imageIndex[image.id] = position
            if image.width <= 0 || image.height <= 0 { problem("\(label): size \(image.width)x\(image.height) is not positive") }
            if image.fileName.isEmpty { problem("\(label): 'file_name' is empty") }
        }

        // Annotations.
        var summary = ImportSummary(
            data: "", classes: categories.map(\.name), keypoints: count, hasFlipIndex: flipIndex != nil)
        var instances = [[PoseInstance]](repeating: [], count: document.images.count)
        var annotationIDs = Set<Int>()
        for (position, annotation) in document.annotations.enumerated() {
            let label = "annotations[\(position)] (id \(annotation.id))"
            if !annotationIDs.insert(annotation.id).inserted { problem("\(label): the id is used by an earlier annotation") }
            if annotation.iscrowd == 1 {
                summary.crowdAnnotations += 1
                continue
            }
            guard let index = imageIndex[annotation.imageID] else {
                problem("\(label): image_id \(annotation.imageID) is not in 'images'")
                continue
            }
            guard let classIndex = classOf[annotation.categoryID] else {
                problem("\(label): category_id \(annotation.categoryID) is not in 'categories'")
                continue
            }
            let image = document.images[index]
            guard image.width > 0, image.height > 0, count > 0 else { continue }
            let (width, height) = (Double(image.width), Double(image.height))
            guard annotation.bbox.count == 4, annotation.bbox.allSatisfy(\.isFinite) else {
                problem("\(label): bbox must be 4 finite numbers [x, y, width, height], found \(annotation.bbox.count) values")
                continue
            }
            let (x, y, w, h) = (annotation.bbox[0], annotation.bbox[1], annotation.bbox[2], annotation.bbox[3])
            guard w > 0, h > 0 else {
                problem("\(label): bbox width and height must be positive, found \(w) x \(h)")
                continue
            }
            let (left, top) = (min(max(x, 0), width), min(max(y, 0), height))
            let (right, bottom) = (min(max(x + w, 0), width), min(max(y + h, 0), height))
            guard right > left, bottom > top else {
                problem("\(label): bbox [\(x), \(y), \(w), \(h)] lies outside the \(image.width)x\(image.height) image")
                continue
            }
            if left != x || top != y || right != x + w || bottom != y + h { summary.boxesClamped += 1 }
            guard annotation.keypoints.count == 3 * count else {
                let found = annotation.keypoints.count
                problem("\(label): keypoints has \(found) values; expected \(3 * count) (x, y, v for \(count) points)")
                continue
            }
            if let bad = annotation.keypoints.firstIndex(where: { !$0.isFinite }) {
                problem("\(label): keypoints value \(bad) is not finite")
                continue
            }
            var keypoints: [Keypoint] = []
            var valid = true
            for point in 0..<count {
                let (values, base) = (annotation.keypoints, 3 * point)
                let (px, py, v) = (values[base], values[base + 1], values[base + 2])
                guard v == 0 || v == 1 || v == 2 else {
                    problem("\(label): keypoint \(point) has visibility \(v); COCO allows 0, 1 or 2")
                    valid = false
                    break
                }
                let inside = (0...width).contains(px) && (0...height).contains(py)
                if v > 0 && !inside { summary.pointsOutsideImage += 1 }
                keypoints.append(
                    Keypoint(
                        x: min(max(px, 0), width) / width, y: min(max(py, 0), height) / height, visibility: inside ? v : 0))
            }
            guard valid else { continue }
            let box = BoundingBox(minX: left / width, minY: top / height, maxX: right / width, maxY: bottom / height)
            instances[index].append(PoseInstance(classIndex: classIndex, box: box, keypoints: keypoints))
            summary.annotations += 1
        }
        if !problems.isEmpty { throw DataProblems(problems) }
        let config = DatasetConfig(
            train: [], val: [], keypointShape: KeypointShape(count: count, dimensions: 3), flipIndex: flipIndex,
            names: categories.map(\.name))
        summary.images = document.images.count
        return (config, Array(zip(document.images, instances)), summary)
    }

    /// Imports a COCO keypoints file and its images (in `images`, by `file_name`, or by its last
    /// path component) as a new YOLO-pose data set in `output`. Every image's size is checked
    /// against the JSON. Nothing is written when anything is wrong.
    ///
    /// - Throws: ``DataProblems`` listing every fault, or ``DataProblem`` when the output exists.
    @discardableResult
    public static func importDataset(json: URL, images folder: URL, output: URL, options: ImportOptions = .init()) throws
        -> ImportSummary
    {
        precondition((0...1).contains(options.valFraction), "COCOConversion: valFraction \(options.valFraction) outside [0, 1]")
        let document = try COCOKeypoints.read(json)
        let (config, labelled, parsedSummary) = try labels(of: document, file: json.path)
        var summary = parsedSummary

        // Find each image and check its size.
        var problems: [DataProblem] = []
        var files: [URL] = []
        for (position, item) in labelled.enumerated() {
            let label = "images[\(position)] (id \(item.image.id))"
            let name = item.image.fileName
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
                if info.width != item.image.width || info.height != item.image.height {
                    problems.append(
                        DataProblem(
                            file: json.path,
                            reason: .malformed(
                                "\(label): the JSON says \(item.image.width)x\(item.image.height) but \(url.path) is "
                                    + "\(info.width)x\(info.height)")))
                }
            } catch {
                problems.append(DataProblem(file: url.path, reason: .unreadableImage(error.reason)))
            }
            files.append(url)
        }
        if !problems.isEmpty { throw DataProblems(problems) }

        // Split.
        var order = Array(labelled.indices).sorted { labelled[$0].image.fileName < labelled[$1].image.fileName }
        var splitOf = [Split](repeating: options.split ?? .train, count: labelled.count)
        if options.split == nil {
            var random = SeededRandom(seed: options.seed)
            for index in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(index, random.int(0...index)) }
            let valCount = Int((Double(order.count) * options.valFraction).rounded())
            for index in order.prefix(valCount) { splitOf[index] = .val }
        }
        var entries: [Split: [DatasetWriter.Entry]] = [.train: [], .val: []]
        var used = Set<String>()
        for index in labelled.indices.sorted(by: { labelled[$0].image.fileName < labelled[$1].image.fileName }) {
            let name = labelled[index].image.fileName
            let safe = !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
            let place = Import300W.uniquePlace(safe ? name : files[index].lastPathComponent, split: splitOf[index], used: &used)
            entries[splitOf[index], default: []].append(
                DatasetWriter.Entry(image: files[index], relativePath: place, instances: labelled[index].instances))
            switch splitOf[index] {
            case .train: summary.trainImages += 1
            case .val: summary.valImages += 1
            case .test: summary.testImages += 1
            }
        }
        let writer = DatasetWriter(imageMode: options.imageMode, overwrite: options.overwrite)
        summary.data = try writer.write(config: config, splits: entries, to: output).path
        return summary
    }
}
