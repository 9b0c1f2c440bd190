import Foundation
import Torch

/// A tensor of the model's weights. Its identity keys the optimizer state.
public final class Parameter {
    /// The dotted state-dict key, e.g. `model.0.conv.weight`.
    public let key: String
    /// The value, a leaf that requires grad unless frozen. Replace values in place
    /// (``ParameterStore/load(_:strict:source:)``).
    public let value: Tensor
    /// Whether optimizers update it (false for fixed weights such as the DFL's bin indices).
    public let isTrainable: Bool

    init(key: String, value: Tensor, trainable: Bool) {
        self.key = key
        self.value = value.detached().requiringGrad(trainable)
        isTrainable = trainable
    }

    public var grad: Tensor? { value.grad }
}

/// A saved but untrained tensor (BatchNorm running statistics and batch counter).
public final class Buffer {
    public let key: String
    public let value: Tensor

    init(key: String, value: Tensor) {
        self.key = key
        self.value = value.detached()
    }
}

/// One ordered register of every parameter and buffer of a model, by dotted key.
///
/// Layers register what they own at construction through a ``Scope``; the order of registration
/// is the order of ``stateDict``, of the optimizer's parameters and of saved files, and it is the
/// same on every run.
public final class ParameterStore {
    public enum Entry {
        case parameter(Parameter)
        case buffer(Buffer)

        public var key: String {
            switch self {
            case .parameter(let parameter): parameter.key
            case .buffer(let buffer): buffer.key
            }
        }

        public var value: Tensor {
            switch self {
            case .parameter(let parameter): parameter.value
            case .buffer(let buffer): buffer.value
            }
        }
    }

    public private(set) var entries: [Entry] = []
    private var keys: Set<String> = []
    /// The generator layers draw their initial weights from.
    public let generator: Generator

    public init(seed: UInt64 = 0) { generator = Generator(seed: seed) }

    /// The root scope: keys are built from it with `/`.
    public var root: Scope { Scope(store: self, path: "") }

    public var parameters: [Parameter] {
        entries.compactMap { if case .parameter(let parameter) = $0 { parameter } else { nil } }
    }

    /// The parameters optimizers update.
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }

    public var buffers: [Buffer] {
        entries.compactMap { if case .buffer(let buffer) = $0 { buffer } else { nil } }
    }

    /// Every entry's key and value, in registration order.
    public var stateDict: [(name: String, tensor: Tensor)] { entries.map { ($0.key, $0.value) } }

    /// The number of scalars in all parameters, frozen ones included (as the reference counts).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Where the values live (the first entry's device; every entry shares it).
    public var device: Device { entries.first?.value.device ?? .cpu }

    /// Moves every parameter and buffer to `device` in place, as `module.to(device)`: each tensor
    /// keeps its identity (so layers, optimizer state keys and EMA pairs stay valid). Gradients are
    /// dropped. Check the device first (``Device/checkAvailable()``).
    public func move(to device: Device) {
        guard device != self.device else { return }
        withNoGrad {
            for entry in entries {
                entry.value.zeroGrad()
                entry.value.setData(entry.value.to(device))
            }
        }
    }

    func register(_ entry: Entry) {
        precondition(keys.insert(entry.key).inserted, "the key \(entry.key) is registered twice")
        entries.append(entry)
    }

    // MARK: Saving and loading

    /// Writes every entry to a safetensors file (atomically), floating-point values converted to
    /// `floatType` when given (e.g. `.float16` for a compact checkpoint).
    public func save(to url: URL, metadata: [String: String] = [:], floatType: DType? = nil) throws(Safetensors.Error) {
        let tensors = stateDict.map { entry in
            (
                entry.name,
                floatType.map { entry.tensor.dtype.isFloatingPoint ? entry.tensor.to($0) : entry.tensor }
                    ?? entry.tensor
            )
        }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// What ``load(_:strict:)`` did.
    public struct LoadReport: Sendable {
        /// Keys whose values were copied in.
        public var loaded: [String]
        /// Keys of the store with no tensor of the same name and shape in the source (kept as they were).
        public var missing: [String]
        /// Keys of the source that the store does not have.
        public var unexpected: [String]

        public init(loaded: [String], missing: [String], unexpected: [String]) {
            (self.loaded, self.missing, self.unexpected) = (loaded, missing, unexpected)
        }

        /// "transferred 355/361 tensors from yolov8n-pose.pt", then the keys left as they were
        /// (the first ten), out of the store's `total`.
        public func summary(from source: String, of total: Int) -> String {
            var line = "transferred \(loaded.count)/\(total) tensors from \(source)"
            if !missing.isEmpty {
                let named = missing.prefix(10).joined(separator: ", ")
                line += "; left as initialised: \(named)\(missing.count > 10 ? " and \(missing.count - 10) more" : "")"
            }
            return line
        }
    }

    /// Copies values from `contents` into the registered tensors (converting dtype).
    ///
    /// With `strict`, every key must be present with the same shape and no extra key may exist;
    /// otherwise entries whose name and shape match are copied and the rest reported, as the
    /// reference does when it starts from pretrained weights.
    @discardableResult
    public func load(
        _ contents: Safetensors.Contents, strict: Bool = true, source: String = "<memory>"
    )
        throws(Safetensors.Error) -> LoadReport
    {
        var byName: [String: Tensor] = [:]
        for (name, tensor) in contents.tensors { byName[name] = tensor }
        var report = LoadReport(loaded: [], missing: [], unexpected: [])
        for entry in entries {
            guard let tensor = byName.removeValue(forKey: entry.key) else {
                if strict { throw Safetensors.Error(path: source, reason: "missing key \(entry.key)") }
                report.missing.append(entry.key)
                continue
            }
            guard tensor.shape == entry.value.shape else {
                if strict {
                    throw Safetensors.Error(
                        path: source,
                        reason: "\(entry.key): shape \(tensor.shape) in the file, the model expects \(entry.value.shape)")
                }
                report.missing.append(entry.key)
                continue
            }
            withNoGrad { entry.value.copyInPlace(tensor) }
            report.loaded.append(entry.key)
        }
        report.unexpected = contents.tensors.map(\.name).filter { byName[$0] != nil }
        if strict, let key = report.unexpected.first {
            throw Safetensors.Error(path: source, reason: "unexpected key \(key) (the model has no such entry)")
        }
        return report
    }

    /// Loads a safetensors file; see ``load(_:strict:source:)``.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws(Safetensors.Error) -> LoadReport {
        try load(Safetensors.read(from: url), strict: strict, source: url.path)
    }
}

/// A position in a ``ParameterStore``'s key space: `scope / "conv"` names `model.0.conv`.
public struct Scope {
    public let store: ParameterStore
    public let path: String

    public static func / (scope: Scope, name: String) -> Scope {
        Scope(store: scope.store, path: scope.key(name))
    }

    public static func / (scope: Scope, index: Int) -> Scope { scope / String(index) }

    /// The full key of `name` inside this scope.
    public func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Registers a weight under `name`; a frozen one (`trainable: false`) gets no gradient.
    public func parameter(_ name: String, _ initial: Tensor, trainable: Bool = true) -> Parameter {
        let parameter = Parameter(key: key(name), value: initial, trainable: trainable)
        store.register(.parameter(parameter))
        return parameter
    }

    /// Registers a saved, untrained tensor under `name`.
    public func buffer(_ name: String, _ initial: Tensor) -> Buffer {
        let buffer = Buffer(key: key(name), value: initial)
        store.register(.buffer(buffer))
        return buffer
    }
}
