import Foundation

/// Files that come from outside, read with a size limit checked before any byte is read: a mistaken
/// path (a video, a disk image, a log named `.txt`) is refused by name and limit instead of filling
/// memory. Each kind's limit is far above what a real file of it holds.
public enum InputFile: Sendable {
    /// A YOLO-pose label file: 16 MiB (1,000 faces of 68 points take about 2 MB).
    case labels
    /// An iBUG `.pts` file: 1 MiB (68 points take about 1.5 kB).
    case points
    /// A `data.yaml`: 1 MiB.
    case dataYAML
    /// A COCO keypoints JSON: 2 GiB (a million 17-point annotations take about 400 MB).
    case cocoJSON
    /// A Label Studio JSON export or a CVAT XML file: 1 GiB.
    case exchange

    public var limit: Int {
        switch self {
        case .labels: 16 << 20
        case .points, .dataYAML: 1 << 20
        case .cocoJSON: 2 << 30
        case .exchange: 1 << 30
        }
    }

    public var name: String {
        switch self {
        case .labels: "label file"
        case .points: ".pts file"
        case .dataYAML: "data.yaml"
        case .cocoJSON: "COCO JSON file"
        case .exchange: "Label Studio or CVAT file"
        }
    }

    /// The file's size in bytes, checked against the limit (for a file read as a stream); throws
    /// ``DataProblem`` when it cannot be read or is over the limit. `missingIsNil` returns nil for a
    /// file that does not exist.
    @discardableResult
    public func checkSize(_ url: URL, missingIsNil: Bool = false) throws(DataProblem) -> Int? {
        let size: Int
        do {
            size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        } catch CocoaError.fileReadNoSuchFile where missingIsNil {
            return nil
        } catch {
            if missingIsNil && !FileManager.default.fileExists(atPath: url.path) { return nil }
            throw DataProblem(file: url.path, reason: .io("cannot read: \(error.localizedDescription)"))
        }
        guard size <= limit else { throw DataProblem(file: url.path, reason: .fileTooLarge(bytes: size, limit: limit, kind: name)) }
        return size
    }

    /// The file's bytes; throws ``DataProblem`` when it cannot be read or is over the limit.
    /// `missingIsNil` returns nil for a file that does not exist.
    public func read(_ url: URL, missingIsNil: Bool = false) throws(DataProblem) -> Data? {
        guard try checkSize(url, missingIsNil: missingIsNil) != nil else { return nil }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw DataProblem(file: url.path, reason: .io("cannot read: \(error.localizedDescription)"))
        }
    }

    /// The file as UTF-8 text (see ``read(_:missingIsNil:)``); a file that is not text throws.
    public func text(_ url: URL, missingIsNil: Bool = false) throws(DataProblem) -> String? {
        guard let data = try read(url, missingIsNil: missingIsNil) else { return nil }
        guard let text = String(data: data, encoding: .utf8) else { throw DataProblem(file: url.path, reason: .notText) }
        return text
    }
}
