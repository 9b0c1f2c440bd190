import Foundation

/// Writes a derived YOLO-pose data set: its own `data.yaml` and label files, with the images taken
/// from the originals by symbolic link (or copied). The whole folder is built under a temporary
/// name beside the target and renamed into place at the end, so an interrupted run leaves either
/// nothing or the complete data set. The source data set is only read.
///
/// Layout:
/// ```
/// out/data.yaml                  path: <absolute out>, train: images/train, val: images/val
/// out/images/<split>/<relative>  -> original image
/// out/labels/<split>/<stem>.txt  one line per instance (no file for an image without instances)
/// ```
public struct DatasetWriter: Sendable {
    /// How the derived data set gets its images.
    public enum ImageMode: String, Sendable, CaseIterable {
        /// A symbolic link to the original file (resolved to its real path).
        case symlink
        /// A copy of the original file.
        case copy
    }

    /// One image of a split and its labels.
    public struct Entry: Sendable, Hashable {
        public var image: URL
        /// The path below `images/<split>/`, e.g. `a.jpg` or `helen/b.png`.
        public var relativePath: String
        /// Label text written first, byte for byte (existing labels that must not change).
        public var keptText: String
        /// Labels formatted after `keptText`.
        public var instances: [PoseInstance]
        /// A file that already holds the label text (``LabelSpool``), moved into the data set in
        /// place of `keptText` and `instances`.
        public var labelFile: URL?

        public init(image: URL, relativePath: String, keptText: String = "", instances: [PoseInstance]) {
            self.image = image
            self.relativePath = relativePath
            self.keptText = keptText
            self.instances = instances
        }

        /// An entry whose label text is in `labelFile` (nil: no labels).
        public init(image: URL, relativePath: String, labelFile: URL?) {
            self.init(image: image, relativePath: relativePath, instances: [])
            self.labelFile = labelFile
        }
    }

    public var imageMode: ImageMode
    /// Replace an existing output folder (it is moved aside and removed after the new one is in
    /// place). Without it an existing output is an error.
    public var overwrite: Bool
    /// Decimals of label values; nil writes each in its shortest exact form.
    public var decimals: Int?

    public init(imageMode: ImageMode = .symlink, overwrite: Bool = false, decimals: Int? = nil) {
        self.imageMode = imageMode
        self.overwrite = overwrite
        self.decimals = decimals
    }

    /// Writes the data set and returns the URL of its `data.yaml`.
    ///
    /// - Parameters:
    ///   - config: keypoint shape, flip index, names and sigmas to keep; its paths are replaced.
    ///   - splits: the entries of each split; an absent split is not written.
    @discardableResult
    public func write(config: DatasetConfig, splits: [Split: [Entry]], to output: URL) throws -> URL {
        let fileManager = FileManager.default
        let output = output.standardizedFileURL
        let staging = try Self.staging(for: output, overwrite: overwrite)
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            var derived = config
            derived.path = output.path
            derived.train = []
            derived.val = []
            derived.test = []
            for split in Split.allCases {
                guard let entries = splits[split] else { continue }
                let entry = "images/\(split.rawValue)"
                switch split {
                case .train: derived.train = [entry]
                case .val: derived.val = [entry]
                case .test: derived.test = [entry]
                }
                try fileManager.createDirectory(
                    at: staging.appendingPathComponent(entry), withIntermediateDirectories: true)
                var stems = Set<String>()
                for item in entries {
                    let stem = "\(split.rawValue)/\((item.relativePath as NSString).deletingPathExtension)"
                    guard !item.relativePath.hasPrefix("/"), !item.relativePath.split(separator: "/").contains(".."),
                        stems.insert(stem.lowercased()).inserted
                    else {
                        throw DataProblem(
                            file: item.image.path, reason: .io("place '\(item.relativePath)' in \(split) is invalid or taken"))
                    }
                    let image = staging.appendingPathComponent(entry).appendingPathComponent(item.relativePath)
                    try fileManager.createDirectory(at: image.deletingLastPathComponent(), withIntermediateDirectories: true)
                    let source = item.image.resolvingSymlinksInPath()
                    switch imageMode {
                    case .symlink: try fileManager.createSymbolicLink(at: image, withDestinationURL: source)
                    case .copy: try fileManager.copyItem(at: source, to: image)
                    }
                    let label = staging.appendingPathComponent("labels/\(stem).txt")
                    if let labelFile = item.labelFile {
                        try fileManager.createDirectory(at: label.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try fileManager.moveItem(at: labelFile, to: label)
                    } else if !item.instances.isEmpty || !item.keptText.isEmpty {
                        var text = item.keptText
                        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
                        text += LabelFile.format(item.instances, keypointShape: config.keypointShape, decimals: decimals)
                        try fileManager.createDirectory(at: label.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try Data(text.utf8).write(to: label)
                    }
                }
            }
            if derived.train.isEmpty || derived.val.isEmpty {
                throw DataProblem(file: output.path, reason: .io("a data set needs train and val splits (either may be empty)"))
            }
            try derived.write(to: staging.appendingPathComponent("data.yaml"))
            try Self.moveIntoPlace(staging, output)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        return output.appendingPathComponent("data.yaml")
    }

    /// A new hidden folder's place beside `output`, to write into before
    /// ``moveIntoPlace(_:_:)``; an existing output is an error unless `overwrite`.
    package static func staging(for output: URL, overwrite: Bool) throws -> URL {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: output.path), !overwrite {
            throw DataProblem(file: output.path, reason: .io("already exists; choose a new folder or overwrite it"))
        }
        let parent = output.deletingLastPathComponent()
        try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        return parent.appendingPathComponent(".\(output.lastPathComponent).partial-\(UUID().uuidString)")
    }

    /// Renames `staging` to `output`; an existing output is first moved aside and removed after.
    package static func moveIntoPlace(_ staging: URL, _ output: URL) throws {
        let fileManager = FileManager.default
        var aside: URL? = nil
        if fileManager.fileExists(atPath: output.path) {
            let old = output.deletingLastPathComponent()
                .appendingPathComponent(".\(output.lastPathComponent).old-\(UUID().uuidString)")
            try fileManager.moveItem(at: output, to: old)
            aside = old
        }
        guard rename(staging.path, output.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let aside { try? fileManager.moveItem(at: aside, to: output) }
            throw DataProblem(file: output.path, reason: .io("cannot rename the finished data set into place: \(reason)"))
        }
        if let aside { try? fileManager.removeItem(at: aside) }
    }
}

extension Dataset {
    /// The entries of a split with the labels as they are on disk (read strictly), ready for
    /// ``DatasetWriter`` after changes.
    public func entries(_ split: Split) throws -> [DatasetWriter.Entry] {
        let (images, problems) = images(split)
        if !problems.isEmpty { throw DataProblems(problems) }
        return try images.map { image in
            DatasetWriter.Entry(
                image: image.url, relativePath: image.relativePath,
                instances: try LabelFile.read(
                    image.labelURL, keypointShape: config.keypointShape, classCount: config.names.count))
        }
    }
}
