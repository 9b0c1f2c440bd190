import Foundation
import PoseData

/// Reads the labels of a COCO keypoints file as a stream, in bounded memory whatever the number of
/// annotations: a first pass keeps the categories and images (the top-level keys may come in any
/// order), a second hands over each annotation, checked and converted, and keeps nothing of it but
/// its id. Faults name the file, the line and the JSON path (`annotations[3].bbox`).
///
/// ```swift
/// let reader = COCOReader(url)
/// var labels = try reader.header()
/// try reader.annotations(into: &labels) { image, instance in ... }
/// ```
public struct COCOReader: Sendable {
    /// Where the JSON text comes from: a file, read a chunk at a time, or bytes in memory.
    enum Source: Sendable {
        case file(URL)
        case memory(Data)
    }

    let source: Source
    /// The file's name in problems.
    public let file: String

    /// A reader of a COCO file. Its size is checked against ``InputFile/cocoJSON``'s limit when read.
    public init(_ url: URL) {
        source = .file(url)
        file = url.path
    }

    /// A reader of COCO JSON in memory; `file` names it in problems.
    public init(_ data: Data, file: String) {
        source = .memory(data)
        self.file = file
    }

    /// The first pass: the categories and the images, checked.
    ///
    /// - Throws: ``DataProblem`` for a syntax fault or a value of the wrong kind (the first one
    ///   found), ``DataProblems`` listing every fault of the categories and images.
    public func header() throws -> COCOLabels {
        var categories: [COCOKeypoints.Category]? = nil
        var images: [COCOKeypoints.Image]? = nil
        try walk { key, stream in
            switch key {
            case "categories":
                var found: [COCOKeypoints.Category] = []
                try stream.list(at: key) { path, stream in found.append(try stream.category(at: path)) }
                categories = found
            case "images":
                var found: [COCOKeypoints.Image] = []
                try stream.list(at: key) { path, stream in found.append(try stream.image(at: path)) }
                images = found
            default: try stream.skipValue()
            }
        }
        guard let categories else { throw DataProblem(file: file, reason: .malformed("the top level has no 'categories'")) }
        guard let images else { throw DataProblem(file: file, reason: .malformed("the top level has no 'images'")) }
        return try COCOLabels(categories: categories, images: images, file: file)
    }

    /// The second pass: every annotation in the file's order, checked against `labels`' categories
    /// and images; `each` gets the position of its image in `labels.images` and the instance.
    /// Crowds and faulty annotations are counted or recorded in `labels`, not handed over.
    ///
    /// - Throws: ``DataProblem`` for a syntax fault or a value of the wrong kind, ``DataProblems``
    ///   listing the faults of the annotations (the first ``COCOLabels/listedProblems`` of them).
    public func annotations(into labels: inout COCOLabels, _ each: (Int, PoseInstance) throws -> Void) throws {
        var found = false
        try walk { key, stream in
            guard key == "annotations" else { return try stream.skipValue() }
            found = true
            try stream.list(at: key) { path, stream in
                let line = stream.line
                let annotation = try stream.annotation(at: path)
                if let (image, instance) = labels.instance(of: annotation, at: path, line: line) { try each(image, instance) }
            }
        }
        if !found { throw DataProblem(file: file, reason: .malformed("the top level has no 'annotations'")) }
        try labels.throwProblems()
    }

    /// Walks the top-level object once, from the start of the text.
    private func walk(_ member: (String, inout JSONStream) throws -> Void) throws {
        do {
            var stream: JSONStream
            switch source {
            case .file(let url):
                try InputFile.cocoJSON.checkSize(url)
                stream = try JSONStream(contentsOf: url)
            case .memory(let data): stream = JSONStream(data)
            }
            guard try stream.kind() == .object else {
                throw JSONStream.Failure(line: stream.line, message: "the top level: expected an object")
            }
            try stream.object(member)
            try stream.end()
        } catch let failure as JSONStream.Failure {
            throw DataProblem(file: file, line: failure.line, reason: .malformed(failure.message))
        } catch let problem as DataProblem {
            throw problem
        } catch let problems as DataProblems {
            throw problems
        } catch {
            throw DataProblem(file: file, reason: .io("cannot read the file: \(error.localizedDescription)"))
        }
    }
}

/// The labels of a COCO keypoints file as they are read (``COCOReader``): the data set's
/// configuration from the categories, the images, what the annotations held, and their faults.
public struct COCOLabels: Sendable {
    /// Faults listed in full; more are counted in one last problem (so that a file of a million
    /// bad annotations neither floods the terminal nor fills the memory).
    public static let listedProblems = 100

    /// The classes (categories by id), the keypoint layout and the flip index; paths empty.
    public let config: DatasetConfig
    /// The images in the file's order.
    public let images: [COCOKeypoints.Image]
    /// The counts of an import (`data` and the splits are filled in by the importer).
    public var summary: COCOConversion.ImportSummary

    let file: String
    private let imageIndex: [Int: Int]
    private let classOf: [Int: Int]
    private var annotationIDs = Set<Int>()
    private var problems: [DataProblem] = []
    private var unlistedProblems = 0

    /// Checks the categories and images.
    ///
    /// - Throws: ``DataProblems`` with every fault, each naming the JSON path.
    init(categories unsorted: [COCOKeypoints.Category], images: [COCOKeypoints.Image], file: String) throws(DataProblems) {
        self.file = file
        var problems: [DataProblem] = []
        func problem(_ message: String) { problems.append(DataProblem(file: file, reason: .malformed(message))) }

        // Categories: the classes, sorted by id, sharing one keypoint layout.
        let categories = unsorted.sorted { $0.id < $1.id }
        if categories.isEmpty { problem("'categories' is empty") }
        var classOf: [Int: Int] = [:]
        var names: [String]? = nil
        for (position, category) in unsorted.enumerated() {
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
        if count > DatasetConfig.maximumKeypoints {
            problem("categories: \(count) keypoints; at most \(DatasetConfig.maximumKeypoints) are supported")
        }
        var flipIndex: [Int]? = nil
        if let names {
            for (position, category) in unsorted.enumerated() {
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
        for (position, image) in images.enumerated() {
            let label = "images[\(position)] (id \(image.id))"
            if imageIndex[image.id] != nil { problem("\(label): the id is used by an earlier image") }
            imageIndex[image.id] = position
            if image.width <= 0 || image.height <= 0 { problem("\(label): size \(image.width)x\(image.height) is not positive") }
            if image.fileName.isEmpty { problem("\(label): 'file_name' is empty") }
        }
        if !problems.isEmpty { throw DataProblems(problems) }

        self.images = images
        self.imageIndex = imageIndex
        self.classOf = classOf
        config = DatasetConfig(
            train: [], val: [], keypointShape: KeypointShape(count: count, dimensions: 3), flipIndex: flipIndex,
            names: categories.map(\.name))
        summary = COCOConversion.ImportSummary(
            data: "", classes: categories.map(\.name), keypoints: count, hasFlipIndex: flipIndex != nil)
        summary.images = images.count
    }

    /// The image position and the instance of one annotation, or nil for a crowd or a fault (which
    /// is recorded). `path` names the annotation (`annotations[3]`), `line` is where it starts.
    mutating func instance(of annotation: COCOKeypoints.Annotation, at path: String, line: Int) -> (Int, PoseInstance)? {
        let label = "\(path) (id \(annotation.id))"
        func problem(_ message: String) -> (Int, PoseInstance)? {
            if problems.count < Self.listedProblems {
                problems.append(DataProblem(file: file, line: line, reason: .malformed("\(label): \(message)")))
            } else {
                unlistedProblems += 1
            }
            return nil
        }
        if !annotationIDs.insert(annotation.id).inserted { _ = problem("the id is used by an earlier annotation") }
        if annotation.iscrowd == 1 {
            summary.crowdAnnotations += 1
            return nil
        }
        guard let index = imageIndex[annotation.imageID] else { return problem("image_id \(annotation.imageID) is not in 'images'") }
        guard let classIndex = classOf[annotation.categoryID] else {
            return problem("category_id \(annotation.categoryID) is not in 'categories'")
        }
        let image = images[index]
        let count = config.keypointShape.count
        let (width, height) = (Double(image.width), Double(image.height))
        guard annotation.bbox.count == 4, annotation.bbox.allSatisfy(\.isFinite) else {
            return problem("bbox must be 4 finite numbers [x, y, width, height], found \(annotation.bbox.count) values")
        }
        let (x, y, w, h) = (annotation.bbox[0], annotation.bbox[1], annotation.bbox[2], annotation.bbox[3])
        guard w > 0, h > 0 else { return problem("bbox width and height must be positive, found \(w) x \(h)") }
        let (left, top) = (min(max(x, 0), width), min(max(y, 0), height))
        let (right, bottom) = (min(max(x + w, 0), width), min(max(y + h, 0), height))
        guard right > left, bottom > top else {
            return problem("bbox [\(x), \(y), \(w), \(h)] lies outside the \(image.width)x\(image.height) image")
        }
        guard annotation.keypoints.count == 3 * count else {
            let found = annotation.keypoints.count
            return problem("keypoints has \(found) values; expected \(3 * count) (x, y, v for \(count) points)")
        }
        if let bad = annotation.keypoints.firstIndex(where: { !$0.isFinite }) { return problem("keypoints value \(bad) is not finite") }
        var keypoints: [Keypoint] = []
        keypoints.reserveCapacity(count)
        var outside = 0
        for point in 0..<count {
            let (values, base) = (annotation.keypoints, 3 * point)
            let (px, py, v) = (values[base], values[base + 1], values[base + 2])
            guard v == 0 || v == 1 || v == 2 else { return problem("keypoint \(point) has visibility \(v); COCO allows 0, 1 or 2") }
            let inside = (0...width).contains(px) && (0...height).contains(py)
            if v > 0 && !inside { outside += 1 }
            keypoints.append(
                Keypoint(x: min(max(px, 0), width) / width, y: min(max(py, 0), height) / height, visibility: inside ? v : 0))
        }
        summary.pointsOutsideImage += outside
        if left != x || top != y || right != x + w || bottom != y + h { summary.boxesClamped += 1 }
        summary.annotations += 1
        let box = BoundingBox(minX: left / width, minY: top / height, maxX: right / width, maxY: bottom / height)
        return (index, PoseInstance(classIndex: classIndex, box: box, keypoints: keypoints))
    }

    /// Throws the recorded faults, if any, with the count of those not listed.
    func throwProblems() throws(DataProblems) {
        guard !problems.isEmpty else { return }
        var listed = problems
        if unlistedProblems > 0 {
            listed.append(DataProblem(file: file, reason: .malformed("\(unlistedProblems) more faulty annotations not listed")))
        }
        throw DataProblems(listed)
    }
}

// MARK: - The values of a COCO file

extension JSONStream {
    /// A value of the wrong kind: the path and what it should have been.
    fileprivate func mismatch(_ path: String, _ expected: String, found: Kind) -> Failure {
        Failure(line: line, message: found == .null ? "\(path): expected \(expected), found null" : "\(path): expected \(expected)")
    }

    /// Walks a list at `path`, handing each element its own path (`path[3]`).
    fileprivate mutating func list(at path: String, _ element: (String, inout JSONStream) throws -> Void) throws {
        let found = try kind()
        guard found == .array else { throw mismatch(path, "a list", found: found) }
        try array { position, stream in try element("\(path)[\(position)]", &stream) }
    }

    fileprivate mutating func wholeNumber(at path: String) throws -> Int {
        let found = try kind()
        guard found == .number, let value = try wholeNumber() else { throw mismatch(path, "a whole number", found: found) }
        return value
    }

    fileprivate mutating func number(at path: String) throws -> Double {
        let found = try kind()
        guard found == .number else { throw mismatch(path, "a number", found: found) }
        return try number()
    }

    fileprivate mutating func text(at path: String) throws -> String {
        let found = try kind()
        guard found == .string else { throw mismatch(path, "a string", found: found) }
        return try string()
    }

    /// A list of values read by `element`, or nil for null when `optional`.
    fileprivate mutating func values<Value>(
        at path: String, optional: Bool = false, _ element: (inout JSONStream, String) throws -> Value
    ) throws -> [Value]? {
        if optional, try kind() == .null {
            try null()
            return nil
        }
        var values: [Value] = []
        try list(at: path) { elementPath, stream in values.append(try element(&stream, elementPath)) }
        return values
    }

    /// A list of numbers (the bulk of a COCO file: boxes and keypoints).
    fileprivate mutating func numbers(at path: String) throws -> [Double] {
        let found = try kind()
        guard found == .array else { throw mismatch(path, "a list", found: found) }
        var values: [Double] = []
        values.reserveCapacity(64)
        try array { position, stream in
            let found = try stream.kind()
            guard found == .number else { throw stream.mismatch("\(path)[\(position)]", "a number", found: found) }
            values.append(try stream.number())
        }
        return values
    }

    /// An object's members: `member` reads the keys it knows and returns false for the others,
    /// which are skipped. Returns the keys seen.
    fileprivate mutating func members(at path: String, _ member: (String, inout JSONStream) throws -> Bool) throws -> Set<String> {
        let found = try kind()
        guard found == .object else { throw mismatch(path, "an object", found: found) }
        var seen = Set<String>()
        try object { key, stream in
            if try member(key, &stream) { seen.insert(key) } else { try stream.skipValue() }
        }
        return seen
    }

    fileprivate func require(_ keys: [String], in seen: Set<String>, at path: String) throws {
        if let missing = keys.first(where: { !seen.contains($0) }) {
            throw Failure(line: line, message: "\(path) has no '\(missing)'")
        }
    }

    fileprivate mutating func image(at path: String) throws -> COCOKeypoints.Image {
        var image = COCOKeypoints.Image(id: 0, fileName: "", width: 0, height: 0)
        let seen = try members(at: path) { key, stream in
            switch key {
            case "id": image.id = try stream.wholeNumber(at: "\(path).id")
            case "file_name": image.fileName = try stream.text(at: "\(path).file_name")
            case "width": image.width = try stream.wholeNumber(at: "\(path).width")
            case "height": image.height = try stream.wholeNumber(at: "\(path).height")
            default: return false
            }
            return true
        }
        try require(["id", "file_name", "width", "height"], in: seen, at: path)
        return image
    }

    fileprivate mutating func category(at path: String) throws -> COCOKeypoints.Category {
        var category = COCOKeypoints.Category(id: 0, name: "", supercategory: nil, keypoints: nil, skeleton: nil, flipIndex: nil)
        let seen = try members(at: path) { key, stream in
            switch key {
            case "id": category.id = try stream.wholeNumber(at: "\(path).id")
            case "name": category.name = try stream.text(at: "\(path).name")
            case "keypoints":
                category.keypoints = try stream.values(at: "\(path).keypoints", optional: true) { try $0.text(at: $1) }
            case "flip_idx":
                category.flipIndex = try stream.values(at: "\(path).flip_idx", optional: true) { try $0.wholeNumber(at: $1) }
            default: return false
            }
            return true
        }
        try require(["id", "name"], in: seen, at: path)
        return category
    }

    fileprivate mutating func annotation(at path: String) throws -> COCOKeypoints.Annotation {
        var annotation = COCOKeypoints.Annotation(
            id: 0, imageID: 0, categoryID: 0, bbox: [], area: nil, iscrowd: nil, keypoints: [], numKeypoints: nil)
        let seen = try members(at: path) { key, stream in
            switch key {
            case "id": annotation.id = try stream.wholeNumber(at: "\(path).id")
            case "image_id": annotation.imageID = try stream.wholeNumber(at: "\(path).image_id")
            case "category_id": annotation.categoryID = try stream.wholeNumber(at: "\(path).category_id")
            case "bbox": annotation.bbox = try stream.numbers(at: "\(path).bbox")
            case "keypoints": annotation.keypoints = try stream.numbers(at: "\(path).keypoints")
            case "iscrowd":
                if try stream.kind() == .null {
                    try stream.null()
                } else {
                    annotation.iscrowd = try stream.wholeNumber(at: "\(path).iscrowd")
                }
            default: return false
            }
            return true
        }
        try require(["id", "image_id", "category_id", "bbox", "keypoints"], in: seen, at: path)
        return annotation
    }
}
