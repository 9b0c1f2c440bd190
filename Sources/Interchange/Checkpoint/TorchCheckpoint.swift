import Foundation

/// The weights a PyTorch checkpoint's pickle describes, as state-dict entries (`model.0.conv.weight`)
/// with where their values are, read without running any of its code:
/// - an Ultralytics checkpoint (`{"model", "ema", "train_args", "date", "version", ...}`, written by
///   8.0 to 8.4 and YOLO11): the `ema` module when there is one, else `model`, as Ultralytics loads
///   it; its `yaml` dict gives `nc`, `kpt_shape` and `scale`;
/// - a whole `nn.Module` saved on its own;
/// - a plain state dict (a dict of tensors), alone or under `model` or `state_dict`.
public struct TorchCheckpoint {
    /// The state dict, in the module's order.
    public var tensors: [(name: String, tensor: PickleTensor)]
    /// `nc`, `kpt_shape` (`K,D`) and `scale` where the model's `yaml` gives them, and `names` (a JSON
    /// array) where the model has class names.
    public var architecture: [String: String]
    /// What the weights were taken from, in words (e.g. "the EMA model of Ultralytics 8.4.190").
    public var source: String

    /// Modules nest at most this deep (a bound against hostile pickles).
    static let maximumDepth = 64

    /// The weights of an unpickled checkpoint.
    public static func read(_ document: PickleDocument) throws(CheckpointProblem) -> TorchCheckpoint {
        defer { withExtendedLifetime(document) {} }
        return try read(root: document.root)
    }

    static func read(root: PickleValue) throws(CheckpointProblem) -> TorchCheckpoint {
        if let module = root.object, isModule(module) { return try read(module: module, source: "a saved \(module.typeName)") }
        guard let dict = root.dict else {
            throw CheckpointProblem("the checkpoint holds \(root), not a model, a state dict or an Ultralytics checkpoint")
        }
        let version = dict["version"]?.string.map { " of Ultralytics \($0)" } ?? ""
        for key in ["ema", "model"] {
            if let module = dict[key]?.object, isModule(module) {
                return try read(module: module, source: (key == "ema" ? "the EMA model" : "the model") + version)
            }
        }
        for key in ["model", "state_dict"] {
            if let inner = dict[key]?.dict, let tensors = try stateDict(inner) {
                return TorchCheckpoint(tensors: tensors, architecture: [:], source: "the state dict under '\(key)'")
            }
        }
        if let tensors = try stateDict(dict) { return TorchCheckpoint(tensors: tensors, architecture: [:], source: "a state dict") }
        let keys = dict.entries.compactMap { $0.key.string }.prefix(8).joined(separator: ", ")
        throw CheckpointProblem("the checkpoint's dict (\(keys)) holds no model and no state dict")
    }

    static func isModule(_ object: PickleObject) -> Bool { object["_modules"] != nil && object["_parameters"] != nil }

    private static func read(module: PickleObject, source: String) throws(CheckpointProblem) -> TorchCheckpoint {
        var tensors: [(name: String, tensor: PickleTensor)] = []
        var visited = Set<ObjectIdentifier>()
        try collect(module, prefix: "", depth: 0, into: &tensors, visited: &visited)
        guard !tensors.isEmpty else { throw CheckpointProblem("\(source) has no tensors") }
        return TorchCheckpoint(tensors: tensors, architecture: architecture(of: module), source: source)
    }

    /// A module's parameters and persistent buffers, then its children's, as `state_dict()` orders them.
    private static func collect(
        _ module: PickleObject, prefix: String, depth: Int, into tensors: inout [(name: String, tensor: PickleTensor)],
        visited: inout Set<ObjectIdentifier>
    ) throws(CheckpointProblem) {
        guard depth < maximumDepth else { throw CheckpointProblem("modules nest deeper than \(maximumDepth)") }
        guard visited.insert(ObjectIdentifier(module)).inserted else { return }
        let transient = Set((module["_non_persistent_buffers_set"]?.items ?? []).compactMap(\.string))
        for (field, keepsAll) in [("_parameters", true), ("_buffers", false)] {
            for (key, value) in module[field]?.dict?.entries ?? [] {
                guard let name = key.string, keepsAll || !transient.contains(name) else { continue }
                switch value {
                case .tensor(let tensor): tensors.append((prefix + name, tensor))
                case .none: continue
                default: throw CheckpointProblem("\(prefix + name) is \(value), not a tensor")
                }
            }
        }
        for (key, value) in module["_modules"]?.dict?.entries ?? [] {
            guard let name = key.string, let child = value.object else { continue }
            try collect(child, prefix: prefix + name + ".", depth: depth + 1, into: &tensors, visited: &visited)
        }
    }

    /// A dict whose values are all tensors, as entries; nil for any other dict.
    private static func stateDict(_ dict: PickleDict) throws(CheckpointProblem) -> [(name: String, tensor: PickleTensor)]? {
        var tensors: [(name: String, tensor: PickleTensor)] = []
        for (key, value) in dict.entries {
            guard let name = key.string, let tensor = value.tensor else { return nil }
            tensors.append((name, tensor))
        }
        return tensors.isEmpty ? nil : tensors
    }

    /// `nc`, `kpt_shape` and `scale` from an Ultralytics model's `yaml` dict, and its class `names`
    /// (a dict `{0: 'face', ...}`) as a JSON array.
    private static func architecture(of module: PickleObject) -> [String: String] {
        var found: [String: String] = [:]
        if let yaml = module["yaml"]?.dict {
            if let classes = yaml["nc"]?.int { found["nc"] = String(classes) }
            if let shape = yaml["kpt_shape"]?.items?.compactMap(\.int), shape.count == 2 { found["kpt_shape"] = "\(shape[0]),\(shape[1])" }
            if let scale = scale(in: yaml) { found["scale"] = scale }
        }
        let names = (module["names"]?.dict?.entries ?? []).compactMap { key, value in
            key.int.flatMap { index in value.string.map { (index, $0) } }
        }
        .sorted { $0.0 < $1.0 }
        if !names.isEmpty, names.map(\.0) == Array(0..<names.count),
            let json = try? JSONEncoder().encode(names.map(\.1))
        {
            found["names"] = String(decoding: json, as: UTF8.self)
        }
        return found
    }

    /// The scale a model yaml gives, as `depth,width,max_channels` (facelabel's spelling of a custom
    /// scale): as Ultralytics builds it, the `scales` entry `scale` names (the first one when the
    /// yaml names none), else `depth_multiple` and `width_multiple` without a channel cap; else the
    /// bare `scale` name.
    private static func scale(in yaml: PickleDict) -> String? {
        let name = yaml["scale"]?.string
        if let scales = yaml["scales"]?.dict, let entry = name != nil ? scales[name!] : scales.entries.first?.value {
            guard let values = entry.items?.compactMap(\.number), values.count == 3, let cap = Int(exactly: values[2]) else { return name }
            return "\(values[0]),\(values[1]),\(cap)"
        }
        if let depth = yaml["depth_multiple"]?.number, let width = yaml["width_multiple"]?.number {
            return "\(depth),\(width),8192"  // no cap: above every channel count of the YOLOv8 yamls
        }
        return name
    }
}

extension PickleObject {
    /// The class name, or "object".
    var typeName: String { type?.name ?? "object" }
}

/// A checkpoint whose pickle is well formed but does not hold weights facelabel can read.
public struct CheckpointProblem: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
