import Foundation
import Yams

/// The data splits of a YOLO data set.
public enum Split: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case train
    case val
    case test

    public var description: String { rawValue }
}

/// An Ultralytics pose `data.yaml`: where the images of each split are, the keypoint layout and the
/// class names.
///
/// ```yaml
/// path: /data/faces          # root; train/val/test are relative to it
/// train: images/train        # a folder, a .txt list of images, or a list of either
/// val: images/val
/// kpt_shape: [51, 3]
/// flip_idx: [9, 8, 7, ...]
/// names:
///   0: face
/// ```
///
/// Differences from the reference, on purpose: a relative `path` is taken relative to the yaml's
/// folder (the reference uses its global `datasets_dir` setting), and so is a relative line of a
/// `.txt` image list (the reference uses the working directory unless the line starts with `./`).
public struct DatasetConfig: Sendable, Hashable {
    /// The `path` key: the root folder. nil when absent (the yaml's folder is then the root).
    public var path: String?
    /// Entries of `train`: folders or `.txt` image lists, relative to the root or absolute.
    public var train: [String]
    /// Entries of `val` (the reference also accepts the key `validation`).
    public var val: [String]
    /// Entries of `test`; empty when absent.
    public var test: [String]
    /// `kpt_shape`.
    public var keypointShape: KeypointShape
    /// `flip_idx`: after a horizontal flip, point i takes the place of point `flipIndex[i]`.
    public var flipIndex: [Int]?
    /// `names`, indexed by class.
    public var names: [String]
    /// `kpt_oks_sigmas`: per-keypoint σ for OKS, when the data set defines its own.
    public var keypointSigmas: [Double]?
    /// `kpt_names`: one name per keypoint, when the data set names them (a list, or the reference's
    /// map from class to list, of which class 0's is kept). `measure` finds pupils and iris edges by name.
    public var keypointNames: [String]?

    public init(
        path: String? = nil, train: [String], val: [String], test: [String] = [], keypointShape: KeypointShape,
        flipIndex: [Int]? = nil, names: [String], keypointSigmas: [Double]? = nil, keypointNames: [String]? = nil
    ) {
        self.keypointNames = keypointNames
        self.path = path
        self.train = train
        self.val = val
        self.test = test
        self.keypointShape = keypointShape
        self.flipIndex = flipIndex
        self.names = names
        self.keypointSigmas = keypointSigmas
    }

    /// The entries of a split.
    public func entries(_ split: Split) -> [String] {
        switch split {
        case .train: train
        case .val: val
        case .test: test
        }
    }

    /// The splits the yaml names: train and val, and test when it has entries.
    public var splits: [Split] { Split.allCases.filter { $0 != .test || !test.isEmpty } }

    /// Bounds no real data set reaches, so that a typo (YAML 1.1 reads `nc: 4:05` as a base-60
    /// number) is refused instead of allocated (found by fuzzing): 10,000 classes, 4,096 keypoints
    /// (a dense face mesh has 468).
    public static let maximumClasses = 10_000
    public static let maximumKeypoints = 4_096

    /// Reads and validates a `data.yaml`. Every problem found is thrown together as
    /// ``DataProblems``, each naming the file and the line of the offending key.
    public static func read(contentsOf url: URL) throws -> DatasetConfig {
        let text: String
        do throws(DataProblem) {
            text = try InputFile.dataYAML.text(url)!
        } catch {
            throw DataProblems([error])
        }
        return try parse(text, file: url.path)
    }

    /// Parses and validates `data.yaml` text; `file` names it in problems.
    public static func parse(_ text: String, file: String) throws -> DatasetConfig {
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw DataProblems([DataProblem(file: file, reason: .yaml("the file is empty"))])
            }
            root = composed
        } catch let error as YamlError {
            throw DataProblems([yamlProblem(error, file: file)])
        }
        guard let mapping = root.mapping else {
            throw DataProblems([DataProblem(file: file, line: root.mark?.line, reason: .yaml("the top level is not a mapping"))])
        }
        var keys = KeyReader(mapping, file: file)
        let path = keys.path()
        let (train, val, test) = (
            keys.entries("train", required: true), keys.entries("val", required: true), keys.entries("test", required: false)
        )
        let shape = keys.keypointShape()
        let (flipIndex, names, sigmas, keypointNames) = (keys.flipIndex(shape), keys.names(), keys.sigmas(shape), keys.keypointNames(shape))
        if !keys.problems.isEmpty { throw DataProblems(keys.problems) }
        return DatasetConfig(
            path: path, train: train, val: val, test: test, keypointShape: shape!, flipIndex: flipIndex, names: names,
            keypointSigmas: sigmas, keypointNames: keypointNames)
    }

    /// The keys of a `data.yaml` mapping, each read and checked by its own method; what is wrong
    /// becomes a problem naming the file and the line, and the reading goes on.
    struct KeyReader {
        let file: String
        private var values: [String: Node] = [:]
        private(set) var problems: [DataProblem] = []

        init(_ mapping: Node.Mapping, file: String) {
            self.file = file
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { continue }
                values[name] = value
            }
            // the reference also accepts the key `validation`
            if values["val"] == nil, let validation = values["validation"] { values["val"] = validation }
        }

        mutating func problem(_ node: Node?, _ reason: DataProblem.Reason) {
            problems.append(DataProblem(file: file, line: node?.mark?.line, reason: reason))
        }

        /// A key's value, nil when it is absent or null.
        func value(_ key: String) -> Node? { values[key].flatMap { $0.null == nil ? $0 : nil } }

        mutating func path() -> String? {
            guard let node = value("path") else { return nil }
            guard let string = node.scalar?.string else {
                problem(node, .badValue(key: "path", reason: "is not a string"))
                return nil
            }
            return string
        }

        /// `train`, `val` or `test`: a path or a list of paths.
        mutating func entries(_ key: String, required: Bool) -> [String] {
            guard let node = value(key) else {
                if required { problem(nil, .missingKey(key)) }
                return []
            }
            // an empty path (`val: !tag`, `- ""`) names no folder: as wrong as a missing one (found by fuzzing)
            if let scalar = node.scalar {
                guard !scalar.string.isEmpty else {
                    problem(node, .badValue(key: key, reason: "is an empty path"))
                    return []
                }
                return [scalar.string]
            }
            guard let sequence = node.sequence else {
                problem(node, .badValue(key: key, reason: "is neither a path nor a list of paths"))
                return []
            }
            var result: [String] = []
            for item in sequence {
                if let string = item.scalar?.string, !string.isEmpty {
                    result.append(string)
                } else {
                    problem(item, .badValue(key: key, reason: "has an entry that is not a path"))
                }
            }
            if result.isEmpty { problem(node, .badValue(key: key, reason: "is an empty list")) }
            return result
        }

        mutating func keypointShape() -> KeypointShape? {
            guard let node = values["kpt_shape"] else {
                problem(nil, .missingKey("kpt_shape"))
                return nil
            }
            let numbers = node.sequence?.compactMap { $0.int } ?? []
            guard numbers.count == 2, node.sequence?.count == 2, (1...DatasetConfig.maximumKeypoints).contains(numbers[0]),
                numbers[1] == 2 || numbers[1] == 3
            else {
                problem(
                    node, .badValue(key: "kpt_shape", reason: "must be [K, 2] or [K, 3] with 0 < K ≤ \(DatasetConfig.maximumKeypoints)"))
                return nil
            }
            return KeypointShape(count: numbers[0], dimensions: numbers[1])
        }

        mutating func flipIndex(_ shape: KeypointShape?) -> [Int]? {
            guard let node = value("flip_idx") else { return nil }
            let items = node.sequence ?? []
            let numbers = items.compactMap { $0.int }
            if node.sequence == nil || numbers.count != items.count {
                problem(node, .badValue(key: "flip_idx", reason: "must be a list of whole numbers"))
            } else if let shape, numbers.count != shape.count {
                problem(node, .badValue(key: "flip_idx", reason: "has \(numbers.count) entries for \(shape.count) keypoints"))
            } else if numbers.sorted() != Array(0..<numbers.count) {
                problem(node, .badValue(key: "flip_idx", reason: "is not a permutation of 0...\(numbers.count - 1)"))
            } else {
                return numbers
            }
            return nil
        }

        /// `names` (a list, or a map from class number to name), or `nc` alone.
        mutating func names() -> [String] {
            let classCountNode = values["nc"]
            guard let node = values["names"] else {
                guard let classCountNode else {
                    problem(nil, .missingKey("names"))
                    return []
                }
                guard let count = classCountNode.int, (1...DatasetConfig.maximumClasses).contains(count) else {
                    problem(
                        classCountNode, .badValue(key: "nc", reason: "must be a whole number from 1 to \(DatasetConfig.maximumClasses)"))
                    return []
                }
                return (0..<count).map { "class\($0)" }
            }
            var names: [String] = []
            if let sequence = node.sequence {
                for item in sequence {
                    if let string = item.scalar?.string {
                        names.append(string)
                    } else {
                        problem(item, .badValue(key: "names", reason: "has an entry that is not a string"))
                    }
                }
            } else if let map = node.mapping {
                var byIndex: [Int: String] = [:]
                for (key, value) in map {
                    guard let index = key.int, index >= 0, let name = value.scalar?.string else {
                        problem(key, .badValue(key: "names", reason: "must map class numbers to names"))
                        continue
                    }
                    byIndex[index] = name
                }
                if byIndex.keys.sorted() == Array(0..<byIndex.count) {
                    names = (0..<byIndex.count).map { byIndex[$0]! }
                } else if !byIndex.isEmpty {
                    problem(node, .badValue(key: "names", reason: "class numbers must be 0...\(byIndex.count - 1)"))
                }
            } else {
                problem(node, .badValue(key: "names", reason: "must be a list or a map of class names"))
            }
            if let classCountNode, let count = classCountNode.int, count != names.count, !names.isEmpty {
                problem(classCountNode, .badValue(key: "nc", reason: "is \(count) but 'names' has \(names.count) classes"))
            }
            return names
        }

        mutating func sigmas(_ shape: KeypointShape?) -> [Double]? {
            guard let node = value("kpt_oks_sigmas") else { return nil }
            let items = node.sequence ?? []
            let numbers = items.compactMap { $0.float }
            if node.sequence == nil || numbers.count != items.count || numbers.contains(where: { !($0 > 0) }) {
                problem(node, .badValue(key: "kpt_oks_sigmas", reason: "must be a list of positive numbers"))
            } else if let shape, numbers.count != shape.count {
                problem(node, .badValue(key: "kpt_oks_sigmas", reason: "has \(numbers.count) entries for \(shape.count) keypoints"))
            } else {
                return numbers
            }
            return nil
        }

        /// `kpt_names`: a list, or `{class: list}` (class 0's is kept).
        mutating func keypointNames(_ shape: KeypointShape?) -> [String]? {
            guard let node = value("kpt_names") else { return nil }
            let list = node.sequence ?? node.mapping?.first(where: { $0.key.int == 0 })?.value.sequence
            let strings = list?.compactMap { $0.scalar?.string } ?? []
            if list == nil || strings.count != list!.count {
                problem(node, .badValue(key: "kpt_names", reason: "must be a list of names (or {0: [names]})"))
            } else if let shape, strings.count != shape.count {
                problem(node, .badValue(key: "kpt_names", reason: "has \(strings.count) names for \(shape.count) keypoints"))
            } else if Set(strings).count != strings.count {
                problem(node, .badValue(key: "kpt_names", reason: "names a keypoint twice"))
            } else {
                return strings
            }
            return nil
        }
    }

    /// The `data.yaml` text: keys in the reference's order, lists of numbers in flow style, names as
    /// a map `{index: name}` as in the reference's own pose yamls. A split with one entry is
    /// written as a single path.
    public func yaml() -> String {
        // Strings that YAML would read as something else ("yes", "1", "null") are quoted.
        func text(_ string: String) -> Node { .scalar(string.represented()) }
        func paths(_ entries: [String]) -> Node {
            entries.count == 1 ? text(entries[0]) : Node(entries.map(text))
        }
        func flow(_ numbers: [Node]) -> Node { Node(numbers, .implicit, .flow) }
        var pairs: [(Node, Node)] = []
        if let path { pairs.append((Node("path"), text(path))) }
        pairs.append((Node("train"), paths(train)))
        pairs.append((Node("val"), paths(val)))
        if !test.isEmpty { pairs.append((Node("test"), paths(test))) }
        pairs.append((Node("kpt_shape"), flow([Node(String(keypointShape.count)), Node(String(keypointShape.dimensions))])))
        if let flipIndex { pairs.append((Node("flip_idx"), flow(flipIndex.map { Node(String($0)) }))) }
        if let keypointSigmas { pairs.append((Node("kpt_oks_sigmas"), flow(keypointSigmas.map { Node("\($0)") }))) }
        if let keypointNames { pairs.append((Node("kpt_names"), flow(keypointNames.map(text)))) }
        pairs.append((Node("names"), Node(names.enumerated().map { (Node(String($0.offset)), text($0.element)) })))
        // Serialising a tree we built cannot fail: every node is a plain scalar, sequence or mapping.
        return (try? Yams.serialize(node: Node(pairs), width: -1, sortKeys: false)) ?? ""
    }

    /// Writes the yaml atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(yaml(), to: url)
    }

    static func yamlProblem(_ error: YamlError, file: String) -> DataProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            DataProblem(file: file, line: mark.line, reason: .yaml(problem))
        case .composer(_, let problem, let mark, _):
            DataProblem(file: file, line: mark.line, reason: .yaml(problem))
        default:
            DataProblem(file: file, reason: .yaml("\(error)"))
        }
    }
}
