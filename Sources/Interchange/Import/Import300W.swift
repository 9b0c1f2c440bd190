import Foundation
import Imaging
import PoseData

/// Imports a 300-W-style tree (300W, AFW, HELEN, IBUG, LFPW: images with same-stem iBUG `.pts`
/// files) as a YOLO-pose face data set, following the method's rules (docs/reference/method.md):
///
/// - 68-point files lose the 17 jaw points (51-index k = 68-index k + 17) unless
///   ``Options/keepsJaw``; 51-point files are taken as they are.
/// - Coordinates are iBUG's 1-based ones: ``Options/origin`` (1) is subtracted.
/// - The box is the extent of the written points widened by ``Options/boxMargin`` pixels on each
///   side and clamped to the image; every point gets visibility 2, except a point outside the
///   image, which is clamped to its edge with visibility 0 (and counted).
/// - The sources hold one file per annotated face, so files that show the same image become one
///   image with one label line per face: files with the same decoded pixels, and files named
///   `<base>_<n>` in one folder (`x_01.png`, `x_02.png`) of the same size whose pixels agree within
///   JPEG re-encoding noise.
/// - Each source folder (the first folder level below the root) is split into train and val on
///   its own: a seeded shuffle of its images, ``Options/valFraction`` of them (rounded) to val.
///
/// A `.pts` is found beside its image (`a.jpg`, `a.pts`) or, in trees with `images/` and `labels/`
/// folders, by the data set rule (`.../images/a.jpg` → `.../labels/a.pts`). All files are read
/// and checked before anything is written; any problem throws ``DataProblems`` listing every one,
/// and the output is written atomically by ``DatasetWriter``.
public enum Import300W {
    public struct Options: Sendable, Hashable {
        /// Keep all 68 points, jaw included (the 68-point flip index is written).
        public var keepsJaw = false
        /// Pixels added to the landmark extent on each side (the method's 20).
        public var boxMargin = 20.0
        /// Fraction of each source folder's images in val.
        public var valFraction = 0.2
        public var seed: UInt64 = 0
        /// The coordinate of the top-left pixel's centre in the `.pts` files: 1 for iBUG's files,
        /// 0 for files written 0-based.
        public var origin = 1.0
        public var imageMode = DatasetWriter.ImageMode.symlink
        public var overwrite = false
        /// Files decoded at the same time.
        public var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)

        public init(
            keepsJaw: Bool = false, boxMargin: Double = 20, valFraction: Double = 0.2, seed: UInt64 = 0, origin: Double = 1,
            imageMode: DatasetWriter.ImageMode = .symlink, overwrite: Bool = false, concurrency: Int? = nil
        ) {
            self.keepsJaw = keepsJaw
            self.boxMargin = boxMargin
            self.valFraction = valFraction
            self.seed = seed
            self.origin = origin
            self.imageMode = imageMode
            self.overwrite = overwrite
            if let concurrency { self.concurrency = max(1, concurrency) }
        }
    }

    /// What an import did. Encoded with snake_case keys for `--json`.
    public struct Summary: Sendable, Hashable, Codable {
        /// The counts of one source folder.
        public struct Source: Sendable, Hashable, Codable {
            public var name: String
            public var trainImages = 0
            public var valImages = 0
            public var trainFaces = 0
            public var valFaces = 0
        }

        /// The written `data.yaml`.
        public var data: String
        /// Keypoints per face (51, or 68 with the jaw).
        public var keypoints: Int
        /// Annotated image files read (one per face in the sources).
        public var files = 0
        /// Images written, after merging files that show the same image.
        public var images = 0
        public var faces = 0
        /// Files merged into another file's image.
        public var mergedFiles = 0
        /// Faces dropped because the same image already had an identical one.
        public var duplicateFaces = 0
        public var trainImages = 0
        public var valImages = 0
        public var trainFaces = 0
        public var valFaces = 0
        /// Points outside their image, written with visibility 0.
        public var pointsOutsideImage = 0
        /// Images without a `.pts` file (skipped).
        public var imagesWithoutPts: [String] = []
        /// `.pts` files without an image (skipped).
        public var ptsWithoutImage: [String] = []
        public var sources: [Source] = []
    }

    /// Imports the tree at `source` into a new data set folder `output` and returns what was done.
    ///
    /// - Parameter progress: called with (files read, files in all).
    /// - Throws: ``DataProblems`` for bad `.pts` files and unreadable images (nothing is
    ///   written), ``DataProblem`` when the output exists or cannot be written.
    @discardableResult
    public static func run(
        source: URL, output: URL, options: Options = .init(), progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Summary {
        precondition((0...1).contains(options.valFraction), "Import300W: valFraction \(options.valFraction) outside [0, 1]")
        let root = source.standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataProblem(file: root.path, reason: .io("is not a folder"))
        }
        let scheme = options.keepsJaw ? KeypointScheme.face68 : KeypointScheme.face51
        var summary = Summary(data: output.standardizedFileURL.appendingPathComponent("data.yaml").path, keypoints: scheme.count)

        // Pair images with .pts files.
        let images = Dataset.imageFiles(under: root)
        var ptsFiles = Set(Dataset.files(under: root) { $0 == "pts" }.map(\.path))
        var pairs: [(image: URL, pts: URL)] = []
        for image in images {
            let beside = image.deletingPathExtension().appendingPathExtension("pts")
            let inLabels = Dataset.labelURL(forImage: image).deletingPathExtension().appendingPathExtension("pts")
            if let pts = [beside, inLabels].first(where: { ptsFiles.contains($0.path) }) {
                pairs.append((image, pts))
            } else {
                summary.imagesWithoutPts.append(relativePath(of: image, under: root))
            }
        }
        for pair in pairs { ptsFiles.remove(pair.pts.path) }
        summary.ptsWithoutImage = ptsFiles.sorted().map { relativePath(of: URL(fileURLWithPath: $0), under: root) }
        summary.files = pairs.count

        // Read every file (in parallel) and stop on any problem.
        let read = await readAll(pairs, options: options, progress: progress)
        let problems = read.flatMap(\.problems)
        if !problems.isEmpty { throw DataProblems(problems) }
        let faces = read.map { $0.face! }
        summary.pointsOutsideImage = faces.reduce(0) { $0 + $1.outside }

        // Merge files that show the same image.
        let groups = sameImageGroups(faces.map(\.image), paths: pairs.map(\.image))
        summary.mergedFiles = faces.count - groups.count

        // Split each source folder on its own.
        var entries: [Split: [DatasetWriter.Entry]] = [.train: [], .val: []]
        var usedStems = Set<String>()
        var bySource: [String: [[Int]]] = [:]
        for group in groups { bySource[sourceName(of: pairs[group[0]].image, under: root), default: []].append(group) }
        for name in bySource.keys.sorted() {
            var members = bySource[name]!
            var random = SeededRandom(seed: options.seed, stream: FNV1a.hash(Data(name.utf8)))
            for index in stride(from: members.count - 1, to: 0, by: -1) {
                members.swapAt(index, random.int(0...index))
            }
            let valCount = Int((Double(members.count) * options.valFraction).rounded())
            var counts = Summary.Source(name: name)
            for (position, group) in members.enumerated() {
                let split: Split = position < valCount ? .val : .train
                var instances: [PoseInstance] = []
                for member in group where !instances.contains(faces[member].instance) {
                    instances.append(faces[member].instance)
                }
                summary.duplicateFaces += group.count - instances.count
                let image = pairs[group[0]].image
                let place = uniquePlace(relativePath(of: image, under: root), split: split, used: &usedStems)
                entries[split]!.append(DatasetWriter.Entry(image: image, relativePath: place, instances: instances))
                if split == .val {
                    counts.valImages += 1
                    counts.valFaces += instances.count
                } else {
                    counts.trainImages += 1
                    counts.trainFaces += instances.count
                }
            }
            summary.trainImages += counts.trainImages
            summary.valImages += counts.valImages
            summary.trainFaces += counts.trainFaces
            summary.valFaces += counts.valFaces
            summary.sources.append(counts)
        }
        summary.images = summary.trainImages + summary.valImages
        summary.faces = summary.trainFaces + summary.valFaces
        for split in [Split.train, .val] { entries[split]!.sort { $0.relativePath < $1.relativePath } }

        let config = DatasetConfig(
            train: [], val: [], keypointShape: KeypointShape(count: scheme.count, dimensions: 3), flipIndex: scheme.flipIndex,
            names: ["face"])
        let writer = DatasetWriter(imageMode: options.imageMode, overwrite: options.overwrite)
        summary.data = try writer.write(config: config, splits: entries, to: output).path
        return summary
    }

    /// The label of one face from its points in 0-based pixel coordinates: the box is their
    /// extent widened by `boxMargin` on each side and clamped to the image; a point outside the
    /// image is clamped to its edge with visibility 0, the others get visibility 2.
    ///
    /// - Returns: the label, and how many points were outside; nil when the box is empty (the
    ///   face lies outside the image).
    public static func instance(
        points: [Point], imageWidth: Int, imageHeight: Int, boxMargin: Double
    )
        -> (instance: PoseInstance, outside: Int)?
    {
        let (width, height) = (Double(imageWidth), Double(imageHeight))
        let xs = points.map(\.x)
        let ys = points.map(\.y)
        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max() else { return nil }
        let left = min(max(minX - boxMargin, 0), width)
        let right = min(max(maxX + boxMargin, 0), width)
        let top = min(max(minY - boxMargin, 0), height)
        let bottom = min(max(maxY + boxMargin, 0), height)
        guard right > left, bottom > top else { return nil }
        var outside = 0
        let keypoints = points.map { point in
            let inside = (0...width).contains(point.x) && (0...height).contains(point.y)
            if !inside { outside += 1 }
            return Keypoint(
                x: min(max(point.x, 0), width) / width, y: min(max(point.y, 0), height) / height, visibility: inside ? 2 : 0)
        }
        let box = BoundingBox(minX: left / width, minY: top / height, maxX: right / width, maxY: bottom / height)
        return (PoseInstance(classIndex: 0, box: box, keypoints: keypoints), outside)
    }

    // MARK: - Internals

    /// One annotated file, read.
    struct Face: Sendable {
        var instance: PoseInstance
        var outside: Int
        var image: ImageKey
    }

    /// What identifies an image's content: its size, a hash of its pixels and an 8×8 thumbnail
    /// (mean of each cell, per channel) for the near-equality test of re-encoded copies.
    struct ImageKey: Sendable {
        var width: Int
        var height: Int
        var hash: UInt64
        var thumbnail: [Float]
    }

    /// Largest mean absolute difference of two thumbnails (in 8-bit levels) for the same picture
    /// saved twice; a JPEG re-encode at ordinary quality stays well under it.
    static let sameImageTolerance: Float = 3

    static func readAll(
        _ pairs: [(image: URL, pts: URL)], options: Options, progress: (@Sendable (Int, Int) -> Void)?
    )
        async -> [(face: Face?, problems: [DataProblem])]
    {
        var results = [(face: Face?, problems: [DataProblem])](repeating: (nil, []), count: pairs.count)
        await withTaskGroup(of: (Int, Face?, [DataProblem]).self) { group in
            var next = 0
            var done = 0
            func start() {
                let index = next
                next += 1
                let (image, pts) = pairs[index]
                group.addTask {
                    do {
                        return (index, try readFace(image: image, pts: pts, options: options), [])
                    } catch let problem as DataProblem {
                        return (index, nil, [problem])
                    } catch {
                        return (index, nil, [DataProblem(file: image.path, reason: .io("\(error)"))])
                    }
                }
            }
            while next < min(options.concurrency, pairs.count) { start() }
            for await (index, face, problems) in group {
                results[index] = (face, problems)
                done += 1
                progress?(done, pairs.count)
                if next < pairs.count { start() }
            }
        }
        return results
    }

    static func readFace(image url: URL, pts: URL, options: Options) throws -> Face {
        let allowed: Set<Int> = options.keepsJaw ? [68] : [68, 51]
        var points = try PtsFile.read(pts, allowedCounts: allowed)
        if points.count == 68 && !options.keepsJaw { points.removeFirst(17) }
        points = points.map { Point($0.x - options.origin, $0.y - options.origin) }
        let image: RGBImage
        do {
            image = try ImageCodec.decode(contentsOf: url)
        } catch {
            throw DataProblem(file: url.path, reason: .unreadableImage(error.reason))
        }
        let size = (width: image.width, height: image.height)
        guard let face = instance(points: points, imageWidth: size.width, imageHeight: size.height, boxMargin: options.boxMargin)
        else {
            throw DataProblem(file: pts.path, reason: .malformed("the face lies outside its \(size.width)x\(size.height) image"))
        }
        return Face(instance: face.instance, outside: face.outside, image: key(of: image))
    }

    static func key(of image: RGBImage) -> ImageKey {
        let cells = 8
        var sums = [Float](repeating: 0, count: cells * cells * 3)
        var counts = [Float](repeating: 0, count: cells * cells)
        for y in 0..<image.height {
            let row = y * cells / image.height
            for x in 0..<image.width {
                let cell = row * cells + x * cells / image.width
                let index = (y * image.width + x) * 3
                for channel in 0..<3 { sums[cell * 3 + channel] += Float(image.pixels[index + channel]) }
                counts[cell] += 1
            }
        }
        let thumbnail = sums.indices.map { sums[$0] / max(counts[$0 / 3], 1) }
        return ImageKey(
            width: image.width, height: image.height, hash: FNV1a.hash(Data(image.pixels)), thumbnail: thumbnail)
    }

    /// Groups of file indices that show the same image, each in path order, ordered by their
    /// first file. `paths` are sorted.
    static func sameImageGroups(_ keys: [ImageKey], paths: [URL]) -> [[Int]] {
        var parent = Array(keys.indices)
        func root(_ index: Int) -> Int {
            var index = index
            while parent[index] != index {
                parent[index] = parent[parent[index]]
                index = parent[index]
            }
            return index
        }
        func union(_ a: Int, _ b: Int) {
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        // Identical pixels.
        var firstWithPixels: [[UInt64]: Int] = [:]
        for (index, key) in keys.enumerated() {
            let identity = [UInt64(key.width), UInt64(key.height), key.hash]
            if let first = firstWithPixels[identity] { union(first, index) } else { firstWithPixels[identity] = index }
        }
        // `<base>_<n>` names in one folder, same size, pixels equal up to re-encoding.
        var byName: [String: [Int]] = [:]
        for (index, url) in paths.enumerated() {
            let stem = url.deletingPathExtension().lastPathComponent
            guard let underscore = stem.lastIndex(of: "_"), underscore > stem.startIndex,
                stem[stem.index(after: underscore)...].allSatisfy(\.isASCIIDigit),
                stem.index(after: underscore) < stem.endIndex
            else { continue }
            let folder = url.deletingLastPathComponent().path
            byName["\(folder)/\(stem[..<underscore])|\(keys[index].width)x\(keys[index].height)", default: []].append(index)
        }
        for members in byName.values where members.count > 1 {
            for (position, a) in members.enumerated() {
                for b in members[(position + 1)...] where root(a) != root(b) {
                    let difference = zip(keys[a].thumbnail, keys[b].thumbnail).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
                    if difference / Float(keys[a].thumbnail.count) <= sameImageTolerance { union(a, b) }
                }
            }
        }
        var groups: [Int: [Int]] = [:]
        for index in keys.indices { groups[root(index), default: []].append(index) }
        return groups.keys.sorted().map { groups[$0]! }
    }

    static func relativePath(of url: URL, under root: URL) -> String {
        let path = url.standardizedFileURL.path
        let base = root.standardizedFileURL.path
        return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : url.lastPathComponent
    }

    /// The source folder of a file: its first folder below the root, or "." at the root.
    static func sourceName(of url: URL, under root: URL) -> String {
        let parts = relativePath(of: url, under: root).split(separator: "/")
        return parts.count > 1 ? String(parts[0]) : "."
    }

    /// `relative`, or `<stem>-<n>.<ext>` when another image of the split already took its label stem.
    static func uniquePlace(_ relative: String, split: Split, used: inout Set<String>) -> String {
        let base = (relative as NSString).deletingPathExtension
        let ext = (relative as NSString).pathExtension
        var place = relative
        var counter = 1
        while !used.insert("\(split)/\((place as NSString).deletingPathExtension.lowercased())").inserted {
            place = "\(base)-\(counter).\(ext)"
            counter += 1
        }
        return place
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
