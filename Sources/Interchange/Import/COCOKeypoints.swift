import Foundation
import PoseData

/// A COCO keypoints annotation file, the part of it a pose data set uses (other keys, such as
/// `info`, `licenses` or `segmentation`, are ignored when reading).
///
/// Pixel coordinates with the origin at the image's top-left corner; boxes are
/// `[x, y, width, height]`; keypoints are `[x1, y1, v1, ...]` with v = 0 (not labelled), 1
/// (labelled, hidden) or 2 (labelled, visible); `skeleton` pairs are 1-based point numbers.
public struct COCOKeypoints: Sendable, Hashable, Codable {
    public struct Image: Sendable, Hashable, Codable {
        public var id: Int
        /// The image's path, relative to the images folder.
        public var fileName: String
        public var width: Int
        public var height: Int

        public init(id: Int, fileName: String, width: Int, height: Int) {
            self.id = id
            self.fileName = fileName
            self.width = width
            self.height = height
        }

        enum CodingKeys: String, CodingKey {
            case id, width, height
            case fileName = "file_name"
        }
    }

    public struct Annotation: Sendable, Hashable, Codable {
        public var id: Int
        public var imageID: Int
        public var categoryID: Int
        /// `[x, y, width, height]` in pixels.
        public var bbox: [Double]
        /// The object's area in pixels (the box's, as there is no segmentation).
        public var area: Double?
        /// 1 marks a crowd region, which is not one object.
        public var iscrowd: Int?
        /// `[x1, y1, v1, ...]` in pixels.
        public var keypoints: [Double]
        /// The number of labelled points (v > 0).
        public var numKeypoints: Int?

        public init(
            id: Int, imageID: Int, categoryID: Int, bbox: [Double], area: Double?, iscrowd: Int?, keypoints: [Double],
            numKeypoints: Int?
        ) {
            self.id = id
            self.imageID = imageID
            self.categoryID = categoryID
            self.bbox = bbox
            self.area = area
            self.iscrowd = iscrowd
            self.keypoints = keypoints
            self.numKeypoints = numKeypoints
        }

        enum CodingKeys: String, CodingKey {
            case id, bbox, area, iscrowd, keypoints
            case imageID = "image_id"
            case categoryID = "category_id"
            case numKeypoints = "num_keypoints"
        }
    }

    public struct Category: Sendable, Hashable, Codable {
        public var id: Int
        public var name: String
        public var supercategory: String?
        /// One name per keypoint.
        public var keypoints: [String]?
        /// Pairs of 1-based keypoint numbers joined in drawings.
        public var skeleton: [[Int]]?
        /// The data set's `flip_idx`, an extension of this project (COCO has no flip pairing;
        /// other readers ignore the key).
        public var flipIndex: [Int]?

        public init(
            id: Int, name: String, supercategory: String?, keypoints: [String]?, skeleton: [[Int]]?, flipIndex: [Int]?
        ) {
            self.id = id
            self.name = name
            self.supercategory = supercategory
            self.keypoints = keypoints
            self.skeleton = skeleton
            self.flipIndex = flipIndex
        }

        enum CodingKeys: String, CodingKey {
            case id, name, supercategory, keypoints, skeleton
            case flipIndex = "flip_idx"
        }
    }

    public var images: [Image]
    public var annotations: [Annotation]
    public var categories: [Category]

    public init(images: [Image], annotations: [Annotation], categories: [Category]) {
        self.images = images
        self.annotations = annotations
        self.categories = categories
    }

    /// Reads a COCO JSON file. A file that is not JSON, or whose structure is wrong (a missing
    /// key, a string where a number belongs), throws a ``DataProblem`` naming the file and the
    /// JSON path of the fault, e.g. `annotations[3].bbox`.
    public static func read(_ url: URL) throws(DataProblem) -> COCOKeypoints {
        try decode(InputFile.cocoJSON.read(url)!, file: url.path)
    }

    /// Decodes COCO JSON; `file` names it in problems.
    public static func decode(_ data: Data, file: String) throws(DataProblem) -> COCOKeypoints {
        do {
            return try JSONDecoder().decode(COCOKeypoints.self, from: data)
        } catch let error as DecodingError {
            throw DataProblem(file: file, reason: .malformed(describe(error)))
        } catch {
            throw DataProblem(file: file, reason: .malformed("\(error)"))
        }
    }

    /// The JSON text: keys sorted, slashes unescaped, one line.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath)) has no '\(key.stringValue)'"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { ": \($0)" } ?? "")
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is String.Type: "a string"
        case is [Double].Type, is [Int].Type, is [String].Type, is [[Int]].Type: "a list"
        default: type is any Collection.Type ? "a list" : "an object"
        }
    }
}
