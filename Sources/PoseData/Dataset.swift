import Foundation

/// A YOLO-pose data set on disk: a parsed `data.yaml` with its root and splits resolved.
///
/// Reading it never writes anything (the reference writes `labels/<split>.cache` files; we do not).
public struct Dataset: Sendable {
    /// The file extensions the reference lists as images (`IMG_FORMATS`). The codecs decode JPEG
    /// and PNG; other images are listed and then reported as unreadable.
    public static let imageExtensions: Set<String> = [
        "bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm",
    ]

    /// The `data.yaml` file.
    public let configURL: URL
    public let config: DatasetConfig
    /// The resolved root folder (`path`, or the yaml's folder).
    public let root: URL

    /// An image of a split and where it goes in a derived data set.
    public struct Image: Sendable, Hashable {
        /// The image file.
        public var url: URL
        /// Its path below `images/<split>/` in a derived data set (e.g. `sub/a.jpg`).
        public var relativePath: String
        /// Its label file by the reference's rule.
        public var labelURL: URL { Dataset.labelURL(forImage: url) }
    }

    public init(configURL: URL, config: DatasetConfig) {
        self.configURL = configURL
        self.config = config
        let folder = configURL.deletingLastPathComponent()
        if let path = config.path, !path.isEmpty {
            root = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
        } else {
            root = folder
        }
    }

    /// Loads and validates a `data.yaml`.
    public static func load(_ configURL: URL) throws -> Dataset {
        Dataset(configURL: configURL, config: try DatasetConfig.read(contentsOf: configURL))
    }

    /// The label file of an image by the reference's rule: the last `/images/` of the path becomes
    /// `/labels/` and the extension becomes `.txt` (`root/images/train/a.jpg` →
    /// `root/labels/train/a.txt`). An image path without `/images/` keeps its folder.
    public static func labelURL(forImage url: URL) -> URL {
        var path = url.path
        if let range = path.range(of: "/images/", options: .backwards) {
            path.replaceSubrange(range, with: "/labels/")
        }
        return URL(fileURLWithPath: path).deletingPathExtension().appendingPathExtension("txt")
    }

    /// An entry of a split resolved against the root. Like the reference, an entry starting with
    /// `../` that does not exist is tried again without it.
    public func resolve(_ entry: String) -> URL {
        if entry.hasPrefix("/") { return URL(fileURLWithPath: entry).standardizedFileURL }
        let direct = root.appendingPathComponent(entry).standardizedFileURL
        if !FileManager.default.fileExists(atPath: direct.path), entry.hasPrefix("../") {
            let retry = root.appendingPathComponent(String(entry.dropFirst(3))).standardizedFileURL
            if FileManager.default.fileExists(atPath: retry.path) { return retry }
        }
        return direct
    }

    /// The images of a split, sorted by path, with their places in a derived data set.
    ///
    /// A folder entry is searched recursively; a `.txt` entry lists one image per line (relative
    /// lines are relative to the list's folder). Missing entries become problems, and the images
    /// found elsewhere are still returned.
    public func images(_ split: Split) -> (images: [Image], problems: [DataProblem]) {
        var found: [(url: URL, relative: String)] = []
        var problems: [DataProblem] = []
        for entry in config.entries(split) {
            let url = resolve(entry)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                problems.append(DataProblem(file: configURL.path, reason: .missingSplitSource(split: split.rawValue, path: url.path)))
                continue
            }
            let before = found.count
            if isFolder.boolValue {
                found += Self.imageFiles(under: url).map { ($0, String($0.path.dropFirst(url.path.count + 1))) }
            } else {
                do {
                    found += try Self.imageList(url).map { ($0, Self.relativePathForListed($0, split: split)) }
                } catch {
                    problems.append(DataProblem(file: url.path, reason: .io("cannot read the image list: \(error.localizedDescription)")))
                    continue
                }
            }
            // an entry that resolves to nothing is a mistake (`train: ../../../etc`), never a silent zero
            if found.count == before {
                problems.append(DataProblem(file: configURL.path, reason: .emptySplitSource(split: split.rawValue, path: url.path)))
            }
        }
        found.sort { $0.url.path < $1.url.path }
        // The same file listed twice counts once. Different files that would share a label file in
        // a derived data set (same stem: a.jpg and a.png, or two lists' x.jpg) get a suffix.
        var seenFiles = Set<String>()
        var usedStems = Set<String>()
        var result: [Image] = []
        for (url, relative) in found where seenFiles.insert(url.path).inserted {
            let base = (relative as NSString).deletingPathExtension
            let ext = (relative as NSString).pathExtension
            var place = relative
            var counter = 1
            while !usedStems.insert((place as NSString).deletingPathExtension.lowercased()).inserted {
                place = "\(base)-\(counter).\(ext)"
                counter += 1
            }
            result.append(Image(url: url, relativePath: place))
        }
        return (result, problems)
    }

    /// Every file below `folder` (recursively) whose extension is an image extension, sorted by path.
    public static func imageFiles(under folder: URL) -> [URL] {
        files(under: folder) { imageExtensions.contains($0) }
    }

    /// Every file below `folder` (recursively) whose lowercased extension passes `keep`, sorted by
    /// path. The folder itself may be a link (`images/val -> /elsewhere`); links below it are not
    /// followed. The paths keep the folder's spelling as given, link or not.
    package static func files(under folder: URL, keep: (String) -> Bool) -> [URL] {
        let given = folder.standardizedFileURL.path
        let walked = folder.resolvingSymlinksInPath().standardizedFileURL
        let keys: [URLResourceKey] = [.isDirectoryKey]
        guard let walker = FileManager.default.enumerator(at: walked, includingPropertiesForKeys: keys) else { return [] }
        var result: [URL] = []
        for case let url as URL in walker {
            guard keep(url.pathExtension.lowercased()) else { continue }
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(walked.path + "/") else { continue }
            result.append(URL(fileURLWithPath: given).appendingPathComponent(String(path.dropFirst(walked.path.count + 1))))
        }
        return result.sorted { $0.path < $1.path }
    }

    /// The image paths of a `.txt` list: one per line, blank lines skipped, relative ones resolved
    /// against the list's folder, only image extensions kept.
    public static func imageList(_ url: URL) throws -> [URL] {
        let folder = url.deletingLastPathComponent()
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { rawLine in
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { return nil }
            let image =
                line.hasPrefix("/")
                ? URL(fileURLWithPath: line) : folder.appendingPathComponent(line.hasPrefix("./") ? String(line.dropFirst(2)) : line)
            return imageExtensions.contains(image.pathExtension.lowercased()) ? image.standardizedFileURL : nil
        }
    }

    /// Where a listed image goes below `images/<split>/`: the part after the last `/images/` (less
    /// a leading `<split>/`), or its file name.
    static func relativePathForListed(_ url: URL, split: Split) -> String {
        let path = url.path
        guard let range = path.range(of: "/images/", options: .backwards) else { return url.lastPathComponent }
        var tail = String(path[range.upperBound...])
        if tail.hasPrefix("\(split.rawValue)/") { tail.removeFirst(split.rawValue.count + 1) }
        return tail
    }
}
