import Foundation
import Imaging
import PoseData

/// What ``DatasetCheck`` found: counts per split and every problem.
public struct DatasetCheckReport: Sendable, Equatable {
    /// The counts of one split.
    public struct Counts: Sendable, Equatable, Codable {
        /// Images listed by the split (folder search or list file).
        public var images = 0
        /// Images with at least one valid label line.
        public var labelledImages = 0
        /// Valid label lines (objects; faces in a face data set).
        public var faces = 0
        /// Images with no label file, or one without valid lines (background images).
        public var imagesWithoutLabels = 0
        /// Images that cannot be read or decoded, or are smaller than 10 px on a side.
        public var unreadableImages = 0
        /// Images whose bytes equal those of an image listed before them (in this or an earlier
        /// split, in the order train, val, test).
        public var duplicateImages = 0

        public init() {}
    }

    /// The `data.yaml` checked.
    public var data: String
    /// Counts of the splits the yaml names (train and val always, test when present).
    public var splits: [(split: Split, counts: Counts)]
    /// Every problem, in split order, then image order.
    public var problems: [DataProblem]

    /// True when nothing is wrong.
    public var isOK: Bool { problems.isEmpty }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.data == rhs.data && lhs.problems == rhs.problems && lhs.splits.map(\.split) == rhs.splits.map(\.split)
            && lhs.splits.map(\.counts) == rhs.splits.map(\.counts)
    }

    /// The counts of a split, if it was checked.
    public func counts(_ split: Split) -> Counts? { splits.first { $0.split == split }?.counts }
}

/// Checks a YOLO-pose data set the way training will read it, and reports every problem. It only
/// reads: no cache or anything else is written into the data set.
public enum DatasetCheck {
    /// Options of a check.
    public struct Options: Sendable {
        /// Decode every image fully (at 1/8 scale for JPEG, which still reads all of its data) to
        /// find corrupt and truncated files; without it only headers are read.
        public var decodesImages = true
        /// Images checked at the same time.
        public var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// The image size limit.
        public var maxPixels = ImageDecodeOptions().maxPixels

        public init(decodesImages: Bool = true, concurrency: Int? = nil, maxPixels: Int? = nil) {
            self.decodesImages = decodesImages
            if let concurrency { self.concurrency = max(1, concurrency) }
            if let maxPixels { self.maxPixels = maxPixels }
        }
    }

    /// Checks the data set of `configURL`. `progress` is called with (images done, images in all).
    public static func run(
        configURL: URL, options: Options = .init(), progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async -> DatasetCheckReport {
        var report = DatasetCheckReport(data: configURL.path, splits: [], problems: [])
        let dataset: Dataset
        do {
            dataset = try Dataset.load(configURL)
        } catch let error as DataProblems {
            report.problems = error.problems
            return report
        } catch {
            report.problems = [DataProblem(file: configURL.path, reason: .io("\(error)"))]
            return report
        }

        let splits = Split.allCases.filter { $0 != .test || !dataset.config.test.isEmpty }
        var work: [(split: Split, image: Dataset.Image)] = []
        for split in splits {
            let (images, problems) = dataset.images(split)
            report.problems += problems
            work += images.map { (split, $0) }
        }

        let results = await checkImages(work.map(\.image), dataset: dataset, options: options, progress: progress)

        var counts: [Split: DatasetCheckReport.Counts] = [:]
        var firstWithContent: [ContentKey: String] = [:]
        var firstWithLabel: [String: String] = [:]
        var problemsBySplit: [Split: [DataProblem]] = [:]
        for (index, (split, image)) in work.enumerated() {
            let result = results[index]
            var splitCounts = counts[split] ?? .init()
            var problems = result.problems
            splitCounts.images += 1
            splitCounts.faces += result.instances
            if result.instances > 0 { splitCounts.labelledImages += 1 } else { splitCounts.imagesWithoutLabels += 1 }
            if result.unreadable { splitCounts.unreadableImages += 1 }
            if let key = result.content {
                if let first = firstWithContent[key] {
                    splitCounts.duplicateImages += 1
                    problems.append(DataProblem(file: image.url.path, reason: .duplicateImage(of: first)))
                } else {
                    firstWithContent[key] = image.url.path
                }
            }
            let label = image.labelURL.path
            if let other = firstWithLabel[label] {
                problems.append(DataProblem(file: image.url.path, reason: .io("shares its label file \(label) with \(other)")))
            } else {
                firstWithLabel[label] = image.url.path
            }
            counts[split] = splitCounts
            problemsBySplit[split, default: []] += problems
        }
        report.splits = splits.map { ($0, counts[$0] ?? .init()) }
        report.problems += splits.flatMap { problemsBySplit[$0] ?? [] }
        return report
    }

    /// Identity of an image's bytes: 64-bit FNV-1a and the length.
    struct ContentKey: Hashable {
        var hash: UInt64
        var length: Int
    }

    struct ImageResult: Sendable {
        var instances = 0
        var unreadable = false
        var content: ContentKey? = nil
        var problems: [DataProblem] = []
    }

    static func checkImages(
        _ images: [Dataset.Image], dataset: Dataset, options: Options, progress: (@Sendable (Int, Int) -> Void)?
    ) async -> [ImageResult] {
        var results = [ImageResult](repeating: .init(), count: images.count)
        await withTaskGroup(of: (Int, ImageResult).self) { group in
            var next = 0
            var done = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, checkImage(images[index], dataset: dataset, options: options)) }
            }
            while next < min(options.concurrency, images.count) { start() }
            for await (index, result) in group {
                results[index] = result
                done += 1
                progress?(done, images.count)
                if next < images.count { start() }
            }
        }
        return results
    }

    static func checkImage(_ image: Dataset.Image, dataset: Dataset, options: Options) -> ImageResult {
        var result = ImageResult()
        let config = dataset.config
        do {
            if let parsed = try LabelFile.parse(
                contentsOf: image.labelURL, keypointShape: config.keypointShape, classCount: config.names.count)
            {
                result.instances = parsed.instances.count
                result.problems += parsed.problems
            }
        } catch let error as DataProblems {
            result.problems += error.problems
        } catch {
            result.problems.append(DataProblem(file: image.labelURL.path, reason: .io("\(error)")))
        }

        let name = image.url.path
        do throws(ImageError) {
            let data = try ImageCodec.read(image.url)
            result.content = ContentKey(hash: FNV1a.hash(data), length: data.count)
            let info = try ImageCodec.info(data, name: name)
            if info.width * info.height > options.maxPixels {
                throw ImageError(file: name, reason: .tooLarge(width: info.width, height: info.height, maxPixels: options.maxPixels))
            }
            if options.decodesImages {
                _ = try ImageCodec.decode(
                    data, name: name, options: .init(maxPixels: options.maxPixels, appliesOrientation: false, minimumLongSide: 1))
            }
            if info.width < 10 || info.height < 10 {
                result.unreadable = true
                result.problems.append(DataProblem(file: name, reason: .imageTooSmall(width: info.width, height: info.height)))
            }
        } catch {
            result.unreadable = true
            result.problems.insert(DataProblem(file: name, reason: .unreadableImage(error.reason)), at: 0)
        }
        return result
    }

}

extension DatasetCheckReport {
    /// The report as one JSON object:
    /// `{"data": ..., "ok": ..., "splits": {"train": {"images": ..., ...}, ...}, "problems": [...]}`
    /// with snake_case count names and each problem as its `file:line: reason` text.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        func encode<T: Encodable>(_ value: T) -> String {
            // Strings, booleans and integer structs always encode.
            String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
        }
        let splitText = splits.map { "\(encode($0.split.rawValue)):\(encode($0.counts))" }.joined(separator: ",")
        return "{\"data\":\(encode(data)),\"ok\":\(isOK),\"splits\":{\(splitText)},"
            + "\"problems\":\(encode(problems.map(\.description)))}"
    }
}
