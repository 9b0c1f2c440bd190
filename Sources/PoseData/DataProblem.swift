/// One thing wrong with a data set: a bad label line, a bad `data.yaml` entry, an unreadable or
/// duplicate image. Its description is `file:line: reason`, or `file: reason` when no line applies,
/// so editors and terminals can jump to it.
public struct DataProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault, as given (not resolved).
    public var file: String
    /// The 1-based line, when the problem is on one line.
    public var line: Int?
    public var reason: Reason

    public init(file: String, line: Int? = nil, reason: Reason) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if let line { "\(file):\(line): \(reason)" } else { "\(file): \(reason)" }
    }

    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        // Label lines.
        /// A label line has the wrong number of fields for `5 + K·D`.
        case fieldCount(found: Int, keypoints: Int, dimensions: Int)
        /// A field is not a number. `field` is 1-based.
        case notANumber(field: Int, text: String)
        /// A field is NaN or infinite.
        case notFinite(field: Int, text: String)
        /// The class is not a whole number or not in `0..<classCount`.
        case badClass(text: String, classCount: Int?)
        /// A box value (`cx`, `cy`, `w`, `h`) is outside its range.
        case boxOutOfRange(name: String, value: Double)
        /// A keypoint coordinate (`x` or `y` of point `index`, 0-based) is outside [0, 1].
        case keypointOutOfRange(index: Int, axis: String, value: Double)
        /// A keypoint visibility is neither 0, 1, 2 nor a confidence in [0, 1].
        case badVisibility(index: Int, value: Double)
        /// The same line appears earlier in the file.
        case duplicateLine(firstLine: Int)
        /// The file is not UTF-8 text.
        case notText

        // data.yaml.
        /// The YAML does not parse.
        case yaml(String)
        /// A required key is missing.
        case missingKey(String)
        /// A key's value is malformed.
        case badValue(key: String, reason: String)
        /// A split entry names a file or folder that does not exist.
        case missingSplitSource(split: String, path: String)
        /// A split entry exists but holds no image (an empty folder, a folder of other files, an empty list).
        case emptySplitSource(split: String, path: String)
        /// The file is larger than its kind ever is (``InputFile``).
        case fileTooLarge(bytes: Int, limit: Int, kind: String)

        /// Whether this is about a split's entry itself (missing, or holding no image): a data set
        /// with one cannot be trained or labelled as written.
        public var isSplitSource: Bool {
            switch self {
            case .missingSplitSource, .emptySplitSource: true
            default: false
            }
        }

        // Images.
        /// The image cannot be decoded.
        case unreadableImage(ImageError.Reason)
        /// The image is smaller than the reference's 10 px minimum on a side.
        case imageTooSmall(width: Int, height: Int)
        /// The image has the same bytes as another image of the data set.
        case duplicateImage(of: String)
        /// A file could not be read or written.
        case io(String)
        /// A file in another format (an iBUG `.pts` file, a COCO JSON) breaks that format's rules;
        /// the text says how.
        case malformed(String)

        public var description: String {
            switch self {
            case .fieldCount(let found, let keypoints, let dimensions):
                "expected \(5 + keypoints * dimensions) fields (class, 4 box values, \(keypoints) keypoints × "
                    + "\(dimensions)), found \(found)"
            case .notANumber(let field, let text): "field \(field) is not a number: '\(text)'"
            case .notFinite(let field, let text): "field \(field) is not finite: '\(text)'"
            case .badClass(let text, let classCount?):
                "class '\(text)' is not one of 0...\(classCount - 1)"
            case .badClass(let text, nil): "class '\(text)' is not a non-negative whole number"
            case .boxOutOfRange(let name, let value):
                name == "w" || name == "h"
                    ? "box \(name) \(value) is outside (0, 1]" : "box \(name) \(value) is outside [0, 1]"
            case .keypointOutOfRange(let index, let axis, let value):
                "keypoint \(index) \(axis) \(value) is outside [0, 1]"
            case .badVisibility(let index, let value):
                "keypoint \(index) visibility \(value) is neither 0, 1, 2 nor a confidence in [0, 1]"
            case .duplicateLine(let firstLine): "duplicate of line \(firstLine)"
            case .notText: "not a UTF-8 text file"
            case .yaml(let message): "invalid YAML: \(message)"
            case .missingKey(let key): "missing required key '\(key)'"
            case .badValue(let key, let reason): "'\(key)' \(reason)"
            case .missingSplitSource(let split, let path): "\(split): '\(path)' does not exist"
            case .emptySplitSource(let split, let path): "\(split): '\(path)' holds no images (jpg, png, ...)"
            case .fileTooLarge(let bytes, let limit, let kind):
                "\(bytes) bytes, over the \(limit >> 20) MiB limit for a \(kind)"
            case .unreadableImage(let reason): reason.description
            case .imageTooSmall(let width, let height):
                "image is \(width)x\(height) pixels; at least 10 pixels on each side are needed"
            case .duplicateImage(let other): "same content as \(other)"
            case .io(let message): message
            case .malformed(let message): message
            }
        }
    }
}

/// Several problems at once, e.g. every bad line of a label file. Its description lists them one
/// per line.
public struct DataProblems: Error, Sendable, Hashable, CustomStringConvertible {
    public var problems: [DataProblem]

    public init(_ problems: [DataProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
