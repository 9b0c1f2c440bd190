import Foundation
import PoseData

/// Label Studio's task JSON, for faces: one `rectanglelabels` region per face and one
/// `keypointlabels` region per point, tied to its face by `parentID` (the region's `id`).
/// Coordinates are percentages of the image (0…100) from its top-left corner, kept as Doubles (no
/// rounding to pixels). Label Studio has no visibility: a point with visibility 0 is left out, and
/// an importer takes an absent point as invisible.
///
/// Tasks go in as a list (`predictions` hold the labels to review; the prediction's `score` is
/// what the Data Manager sorts by, lowest first) and come back from Label Studio's JSON export
/// with `annotations` (the latest one not cancelled is the person's answer).
public enum LabelStudio {
    /// The names of the controls in the labelling configuration.
    public static let imageName = "image"
    public static let boxesName = "face"
    public static let pointsName = "keypoints"

    public struct Task: Codable, Sendable, Equatable {
        public var id: Int?
        public var data: TaskData
        public var predictions: [Prediction]?
        public var annotations: [Annotation]?
        /// Set for a task read from a JSON-min export, whose regions lost their ids: its faces are
        /// tied to the exported labels by where they are, not by id.
        public var regionIDsLost = false

        public init(id: Int? = nil, data: TaskData, predictions: [Prediction]? = nil, annotations: [Annotation]? = nil) {
            (self.id, self.data, self.predictions, self.annotations) = (id, data, predictions, annotations)
        }

        enum CodingKeys: String, CodingKey { case id, data, predictions, annotations }

        /// Reads a task file's task or an export's: Label Studio's JSON export lists a task's
        /// predictions by their ids (`"predictions": [1]`), read as none (the answer is in the
        /// annotations).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(Int.self, forKey: .id)
            data = try c.decode(TaskData.self, forKey: .data)
            annotations = try c.decodeIfPresent([Annotation].self, forKey: .annotations)
            if (try? c.decodeIfPresent([Int].self, forKey: .predictions)) != nil {
                predictions = nil
            } else {
                predictions = try c.decodeIfPresent([Prediction].self, forKey: .predictions)
            }
        }

        /// The person's answer: the latest annotation not cancelled (nil when there is none).
        public var latestAnnotation: Annotation? {
            (annotations ?? []).filter { $0.wasCancelled != true }.max {
                ($0.createdAt ?? "", $0.id ?? 0) < ($1.createdAt ?? "", $1.id ?? 0)
            }
        }
    }

    public struct TaskData: Codable, Sendable, Equatable {
        /// The image's URL as Label Studio reads it (`/data/local-files/?d=...` for local storage).
        public var image: String
        /// Where the task comes from, so that an import finds the image and labels again.
        public var facelabel: Reference?

        public init(image: String, facelabel: Reference?) { (self.image, self.facelabel) = (image, facelabel) }
    }

    /// The image of a task and, for a run, the ledger label behind each region (`id` → label id)
    /// with the label's version when exported (a later decision makes the import skip it).
    public struct Reference: Codable, Sendable, Equatable {
        public var split: String
        public var path: String
        public var labels: [String: Int64]?
        public var versions: [String: Int]?

        public init(split: String, path: String, labels: [String: Int64]? = nil, versions: [String: Int]? = nil) {
            (self.split, self.path, self.labels, self.versions) = (split, path, labels, versions)
        }
    }

    public struct Prediction: Codable, Sendable, Equatable {
        public var modelVersion: String
        /// The task's sort key: the lowest box score of its faces.
        public var score: Double?
        public var result: [Region]

        public init(modelVersion: String, score: Double?, result: [Region]) {
            (self.modelVersion, self.score, self.result) = (modelVersion, score, result)
        }

        enum CodingKeys: String, CodingKey {
            case score, result
            case modelVersion = "model_version"
        }
    }

    public struct Annotation: Codable, Sendable, Equatable {
        public var id: Int?
        public var result: [Region]
        public var wasCancelled: Bool?
        public var createdAt: String?
        /// Who made it: Label Studio writes an id, or an object with an `email` (read as the email).
        public var completedBy: String?

        public init(id: Int? = nil, result: [Region], wasCancelled: Bool? = nil, createdAt: String? = nil, completedBy: String? = nil) {
            (self.id, self.result, self.wasCancelled, self.createdAt, self.completedBy) = (id, result, wasCancelled, createdAt, completedBy)
        }

        enum CodingKeys: String, CodingKey {
            case id, result
            case wasCancelled = "was_cancelled"
            case createdAt = "created_at"
            case completedBy = "completed_by"
        }

        struct Person: Decodable {
            var id: Int?
            var email: String?
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(Int.self, forKey: .id)
            result = try c.decodeIfPresent([Region].self, forKey: .result) ?? []
            wasCancelled = try c.decodeIfPresent(Bool.self, forKey: .wasCancelled)
            createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
            if let number = try? c.decodeIfPresent(Int.self, forKey: .completedBy) {
                completedBy = "user \(number)"
            } else if let name = try? c.decodeIfPresent(String.self, forKey: .completedBy) {
                completedBy = name
            } else if let person = try? c.decodeIfPresent(Person.self, forKey: .completedBy) {
                completedBy = person.email ?? person.id.map { "user \($0)" }
            }
        }
    }

    /// One result item: a face's box or one of its points (other kinds, relations for example,
    /// are read and left alone).
    public struct Region: Codable, Sendable, Equatable {
        public var id: String?
        public var parentID: String?
        public var type: String
        public var fromName: String?
        public var toName: String?
        public var originalWidth: Int?
        public var originalHeight: Int?
        public var imageRotation: Double?
        public var score: Double?
        public var value: Value?

        public init(
            id: String?, parentID: String? = nil, type: String, fromName: String?, toName: String?, originalWidth: Int?,
            originalHeight: Int?,
            score: Double?, value: Value?
        ) {
            (self.id, self.parentID, self.type, self.fromName, self.toName) = (id, parentID, type, fromName, toName)
            (self.originalWidth, self.originalHeight, self.imageRotation, self.score, self.value) = (
                originalWidth, originalHeight, 0, score, value
            )
        }

        enum CodingKeys: String, CodingKey {
            case id, parentID, type, score, value
            case fromName = "from_name"
            case toName = "to_name"
            case originalWidth = "original_width"
            case originalHeight = "original_height"
            case imageRotation = "image_rotation"
        }
    }

    /// A region's geometry, in percent of the image.
    public struct Value: Codable, Sendable, Equatable {
        public var x: Double?
        public var y: Double?
        public var width: Double?
        public var height: Double?
        public var rotation: Double?
        public var rectanglelabels: [String]?
        public var keypointlabels: [String]?

        public init(
            x: Double?, y: Double?, width: Double?, height: Double? = nil, rotation: Double? = nil, rectanglelabels: [String]? = nil,
            keypointlabels: [String]? = nil
        ) {
            (self.x, self.y, self.width, self.height, self.rotation) = (x, y, width, height, rotation)
            (self.rectanglelabels, self.keypointlabels) = (rectanglelabels, keypointlabels)
        }
    }

    // MARK: Faces

    /// The regions of one face: its box (id `id`) and its visible points.
    public static func regions(
        of instance: PoseInstance, id: String, className: String, pointNames: [String], width: Int, height: Int, score: Double?
    ) -> [Region] {
        let box = instance.box
        var regions = [
            Region(
                id: id, type: "rectanglelabels", fromName: boxesName, toName: imageName, originalWidth: width, originalHeight: height,
                score: score,
                value: Value(
                    x: box.minX * 100, y: box.minY * 100, width: box.width * 100, height: box.height * 100, rotation: 0,
                    rectanglelabels: [className]))
        ]
        for (index, point) in instance.keypoints.enumerated() where point.visibility > 0 {
            regions.append(
                Region(
                    id: "\(id)-\(index)", parentID: id, type: "keypointlabels", fromName: pointsName, toName: imageName,
                    originalWidth: width,
                    originalHeight: height, score: nil,
                    value: Value(x: point.x * 100, y: point.y * 100, width: 0.5, keypointlabels: [pointNames[index]])))
        }
        return regions
    }

    /// A face read back from a task's regions.
    public struct Face: Sendable, Equatable {
        /// The box region's id.
        public var id: String?
        public var instance: PoseInstance

        public init(id: String?, instance: PoseInstance) { (self.id, self.instance) = (id, instance) }
    }

    /// The faces of a task's result: each box with the points whose `parentID` is its id (a point
    /// not named in `pointNames`, or a box not of a class in `classNames`, is an error).
    ///
    /// - Throws: ``DataProblem`` naming `file` and the task.
    public static func faces(in regions: [Region], classNames: [String], pointNames: [String], file: String, task: String) throws -> [Face]
    {
        func problem(_ text: String) -> DataProblem { DataProblem(file: file, reason: .malformed("\(task): \(text)")) }
        let points = Dictionary(grouping: regions.filter { $0.type == "keypointlabels" }) { $0.parentID ?? "" }
        if let orphans = points[""], !orphans.isEmpty {
            throw problem("\(orphans.count) keypoints belong to no face (no parentID): group them under their face's box")
        }
        let boxes = regions.filter { $0.type == "rectanglelabels" }
        let known = Set(boxes.compactMap(\.id))
        if let stray = points.keys.first(where: { !known.contains($0) }) {
            throw problem("keypoints with parentID '\(stray)' have no such box")
        }
        return try boxes.map { region in
            guard let value = region.value, let x = value.x, let y = value.y, let w = value.width, let h = value.height,
                [x, y, w, h].allSatisfy(\.isFinite), w > 0, h > 0
            else { throw problem("box '\(region.id ?? "?")' has no x, y, width and height") }
            if let rotation = value.rotation, rotation != 0 {
                throw problem("box '\(region.id ?? "?")' is rotated; faces are upright boxes")
            }
            let name = value.rectanglelabels?.first ?? ""
            guard let classIndex = classNames.firstIndex(of: name) else {
                throw problem("box '\(region.id ?? "?")' has class '\(name)', not one of \(classNames)")
            }
            let clamp = { (v: Double) in min(max(v, 0), 1) }
            var keypoints = [Keypoint](repeating: Keypoint(x: 0, y: 0, visibility: 0), count: pointNames.count)
            for point in points[region.id ?? ""] ?? [] {
                guard let name = point.value?.keypointlabels?.first, let index = pointNames.firstIndex(of: name) else {
                    let name = point.value?.keypointlabels?.first ?? ""
                    throw problem("a point of box '\(region.id ?? "?")' is named '\(name)', not a keypoint of the layout")
                }
                guard let px = point.value?.x, let py = point.value?.y, px.isFinite, py.isFinite else {
                    throw problem("point '\(name)' has no x and y")
                }
                keypoints[index] = Keypoint(x: clamp(px / 100), y: clamp(py / 100), visibility: 2)
            }
            let box = BoundingBox(minX: clamp(x / 100), minY: clamp(y / 100), maxX: clamp((x + w) / 100), maxY: clamp((y + h) / 100))
            return Face(id: region.id, instance: PoseInstance(classIndex: classIndex, box: box, keypoints: keypoints))
        }
    }

    /// The labelling configuration for `classNames` and `pointNames`: an image, a box per face and
    /// its points, each point with `model_index` (its position in the layout), which Label Studio's
    /// COCO and YOLO keypoint exports need to put the points in order.
    public static func labellingConfig(classNames: [String], pointNames: [String]) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(
                of: "<", with: "&lt;")
        }
        var lines = ["<View>", "  <Image name=\"\(imageName)\" value=\"$image\" zoom=\"true\" zoomControl=\"true\"/>"]
        lines.append("  <RectangleLabels name=\"\(boxesName)\" toName=\"\(imageName)\">")
        lines += classNames.map { "    <Label value=\"\(escaped($0))\"/>" }
        lines.append("  </RectangleLabels>")
        lines.append("  <KeyPointLabels name=\"\(pointsName)\" toName=\"\(imageName)\" smart=\"false\">")
        lines += pointNames.enumerated().map { "    <Label value=\"\(escaped($0.element))\" model_index=\"\($0.offset)\"/>" }
        lines += ["  </KeyPointLabels>", "</View>"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a Label Studio export, JSON or JSON-min (or a task file): a list of tasks.
    public static func read(_ url: URL) throws -> [Task] {
        try decode(InputFile.exchange.read(url)!, file: url.path)
    }

    /// Decodes Label Studio JSON; `file` names it in problems, with the JSON path of the fault.
    public static func decode(_ data: Data, file: String) throws(DataProblem) -> [Task] {
        do {
            // JSON-min: one flat object per annotation, without "data"
            if let tasks = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]], let first = tasks.first,
                first["data"] == nil, first["annotation_id"] != nil || first["annotator"] != nil
            {
                let minimal = try JSONDecoder().decode([MinimalTask].self, from: data)
                return try minimal.enumerated().map { position, task in try task.task(position: position, file: file) }
            }
            return try JSONDecoder().decode([Task].self, from: data)
        } catch let error as DataProblem {
            throw error
        } catch let error as DecodingError {
            throw DataProblem(file: file, reason: .malformed(COCOKeypoints.describe(error)))
        } catch {
            throw DataProblem(file: file, reason: .malformed("\(error)"))
        }
    }

    /// One object of Label Studio's JSON-min export: the task's data flattened, each control's
    /// regions as a list of bare values (under the control's name), and who annotated. Regions have
    /// no ids: a point belongs to the face whose box holds it (the nearest centre where boxes overlap).
    struct MinimalTask: Decodable {
        struct Item: Decodable {
            var value: Value
            var originalWidth: Int?
            var originalHeight: Int?

            enum CodingKeys: String, CodingKey {
                case originalWidth = "original_width"
                case originalHeight = "original_height"
            }

            init(from decoder: any Decoder) throws {
                value = try Value(from: decoder)
                let c = try decoder.container(keyedBy: CodingKeys.self)
                originalWidth = try c.decodeIfPresent(Int.self, forKey: .originalWidth)
                originalHeight = try c.decodeIfPresent(Int.self, forKey: .originalHeight)
            }
        }

        var id: Int?
        var image: String
        var facelabel: Reference?
        var faces: [Item]
        var points: [Item]
        var annotationID: Int?
        var createdAt: String?
        var annotator: String?

        /// The controls' names are ``boxesName`` and ``pointsName``.
        enum CodingKeys: String, CodingKey {
            case id, image, facelabel, annotator
            case faces = "face"
            case points = "keypoints"
            case annotationID = "annotation_id"
            case createdAt = "created_at"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(Int.self, forKey: .id)
            image = try c.decode(String.self, forKey: .image)
            facelabel = try c.decodeIfPresent(Reference.self, forKey: .facelabel)
            faces = try c.decodeIfPresent([Item].self, forKey: .faces) ?? []
            points = try c.decodeIfPresent([Item].self, forKey: .points) ?? []
            annotationID = try c.decodeIfPresent(Int.self, forKey: .annotationID)
            createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
            if let number = try? c.decodeIfPresent(Int.self, forKey: .annotator) {
                annotator = "user \(number)"
            } else {
                annotator = try c.decodeIfPresent(String.self, forKey: .annotator)
            }
        }

        /// Whether `face`'s box holds the point (x, y), in percent.
        func holds(_ face: Int, _ x: Double, _ y: Double) -> Bool {
            let box = faces[face].value
            guard let left = box.x, let top = box.y, let width = box.width, let height = box.height else { return false }
            return (left...left + width).contains(x) && (top...top + height).contains(y)
        }

        /// The squared distance from `face`'s centre to (x, y).
        func distance(_ face: Int, _ x: Double, _ y: Double) -> Double {
            let box = faces[face].value
            let (cx, cy) = ((box.x ?? 0) + (box.width ?? 0) / 2, (box.y ?? 0) + (box.height ?? 0) / 2)
            return (cx - x) * (cx - x) + (cy - y) * (cy - y)
        }

        /// The task with one annotation whose points are tied to the faces that hold them.
        func task(position: Int, file: String) throws(DataProblem) -> Task {
            func problem(_ text: String) -> DataProblem { DataProblem(file: file, reason: .malformed("[\(position)]: \(text)")) }
            var regions = faces.enumerated().map { index, face in
                Region(
                    id: "face-\(index)", type: "rectanglelabels", fromName: boxesName, toName: imageName, originalWidth: face.originalWidth,
                    originalHeight: face.originalHeight, score: nil, value: face.value)
            }
            for (index, point) in points.enumerated() {
                guard let x = point.value.x, let y = point.value.y else { throw problem("keypoints[\(index)] has no position") }
                let owner = faces.indices.filter { holds($0, x, y) }.min { distance($0, x, y) < distance($1, x, y) }
                guard let owner else {
                    throw problem("keypoints[\(index)] (\(point.value.keypointlabels?.first ?? "?")) lies in no face's box")
                }
                regions.append(
                    Region(
                        id: "point-\(index)", parentID: "face-\(owner)", type: "keypointlabels", fromName: pointsName, toName: imageName,
                        originalWidth: point.originalWidth, originalHeight: point.originalHeight, score: nil, value: point.value))
            }
            var task = Task(
                id: id, data: TaskData(image: image, facelabel: facelabel),
                annotations: [Annotation(id: annotationID, result: regions, createdAt: createdAt, completedBy: annotator)])
            task.regionIDsLost = true
            return task
        }
    }

    /// The tasks as JSON, keys sorted, one task per line.
    public static func json(_ tasks: [Task]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let lines = try tasks.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return Data(("[\n" + lines.joined(separator: ",\n") + "\n]\n").utf8)
    }
}
