import Foundation
import Interchange
import Torch
import TorchNN

/// Weights files: safetensors with the reference's state-dict keys, plus metadata naming the
/// architecture (`scale`, `nc`, `kpt_shape`) so a file is enough to rebuild its model.
extension PoseModel {
    /// The metadata written with every weights file.
    public var architectureMetadata: [String: String] {
        [
            "format": "yolov8-pose", "scale": config.scale.name, "nc": String(config.classCount),
            "kpt_shape": "\(config.keypointCount),\(config.keypointDimensions)",
        ]
    }

    /// Saves the weights (atomically) with the architecture metadata and `extra` entries.
    public func save(to url: URL, metadata extra: [String: String] = [:], floatType: DType? = nil) throws(Safetensors.Error) {
        try store.save(to: url, metadata: architectureMetadata.merging(extra) { _, new in new }, floatType: floatType)
    }

    /// Builds the model a weights file describes and loads it strictly. Files without our metadata
    /// (e.g. the reference's weights exported to safetensors) are read from their tensor shapes;
    /// `keypointDimensions` settles K·D when the file cannot (default 3). The model is placed on
    /// `device` (files hold no device: the same file loads anywhere).
    public static func load(_ url: URL, keypointDimensions: Int? = nil, device: Device = .cpu) throws(Safetensors.Error) -> PoseModel {
        try load(readWeights(url), path: url.path, keypointDimensions: keypointDimensions, device: device)
    }

    /// The model of weights already read (``readWeights(_:)``) from the file at `path`.
    public static func load(
        _ contents: Safetensors.Contents, path: String, keypointDimensions: Int? = nil, device: Device = .cpu
    ) throws(Safetensors.Error) -> PoseModel {
        let model = PoseModel(try architecture(of: contents, path: path, keypointDimensions: keypointDimensions))
        try model.store.load(contents, strict: true, source: path)
        model.move(to: device)
        return model
    }

    /// The class names a weights file carries (a `.pt`'s model names them), if any.
    public static func classNames(in contents: Safetensors.Contents) -> [String]? {
        contents.metadata["names"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    /// Copies every tensor of `url` whose key and shape match (the reference's `intersect_dicts`),
    /// for starting a training from other weights (another K, another nc).
    @discardableResult
    public func loadMatching(from url: URL) throws(Safetensors.Error) -> ParameterStore.LoadReport {
        try store.load(Self.readWeights(url), strict: false, source: url.path)
    }

    /// The tensors and metadata of a weights file: safetensors, or a PyTorch checkpoint (`.pt`,
    /// told by its zip signature, whatever its name: ``readCheckpoint(_:)``).
    public static func readWeights(_ url: URL) throws(Safetensors.Error) -> Safetensors.Contents {
        // a file that cannot be opened gets the reader's own message
        guard let file = try? FileHandle(forReadingFrom: url) else { return try Safetensors.read(from: url) }
        defer { try? file.close() }
        let head = (try? file.read(upToCount: 4)) ?? Data()
        if head.first == 0x80 {  // a pickle's PROTO: torch.save's format before PyTorch 1.6
            throw Safetensors.Error(
                path: url.path,
                reason: "a PyTorch checkpoint from before PyTorch 1.6 (not a zip archive): load it and save it again with a recent torch")
        }
        return head.elementsEqual([0x50, 0x4b, 0x03, 0x04]) ? try readCheckpoint(url) : try Safetensors.read(from: url)
    }

    /// The weights of a PyTorch checkpoint (the zip archive of `torch.save`): an Ultralytics
    /// checkpoint (its EMA model, else its model), a saved module or a state dict, read by
    /// ``Unpickler``, which runs none of the pickle's code. Tensors keep their stored dtype (an
    /// Ultralytics checkpoint stores float16); the `yaml`'s `nc`, `kpt_shape` and `scale` become
    /// the metadata that ``architecture(of:path:keypointDimensions:)`` reads, and the model's class
    /// names the metadata's `names` (``classNames(in:)``).
    public static func readCheckpoint(_ url: URL) throws(Safetensors.Error) -> Safetensors.Contents {
        do {
            return try checkpointContents(url)
        } catch let error as Safetensors.Error {
            throw error
        } catch let error as TorchError {
            throw Safetensors.Error(path: url.path, reason: error.message)
        } catch let error as PickleError {
            throw Safetensors.Error(path: url.path, reason: "data.pkl: \(error)")
        } catch {
            throw Safetensors.Error(path: url.path, reason: "\(error)")
        }
    }

    private static func checkpointContents(_ url: URL) throws -> Safetensors.Contents {
        func fail(_ reason: String) -> Safetensors.Error { Safetensors.Error(path: url.path, reason: reason) }
        let archive: TorchArchive
        do {
            archive = try TorchArchive(url)
        } catch {
            // libtorch's message, without its plea for a better one
            let message = error.message.components(separatedBy: "  (Could this error message").first ?? error.message
            throw fail("not a PyTorch checkpoint (libtorch: \(message))")
        }
        if archive.has("constants.pkl") {
            throw fail("a TorchScript archive (torch.jit.save): save the model's weights with torch.save, or use the .pt of training")
        }
        guard archive.has("data.pkl") else { throw fail("a zip archive without data.pkl: not a PyTorch checkpoint") }
        let checkpoint = try TorchCheckpoint.read(try Unpickler.load(try archive.bytes(of: "data.pkl")))  // copies what it needs
        var storages: [String: Tensor] = [:]
        var tensors: [(name: String, tensor: Tensor)] = []
        for (name, reference) in checkpoint.tensors {
            let storage = reference.storage
            guard let dtype = storageTypes[storage.type] else { throw fail("\(name): storage type \(storage.type) is not supported") }
            let values = try storages[storage.key] ?? archive.storage("data/\(storage.key)", dtype: dtype)
            guard values.dtype == dtype else { throw fail("\(name): storage \(storage.key) is read as two types") }
            storages[storage.key] = values
            tensors.append((name, try values.stridedCopy(size: reference.size, stride: reference.stride, offset: reference.offset)))
        }
        var metadata = checkpoint.architecture
        metadata["source"] = checkpoint.source
        return Safetensors.Contents(tensors: tensors, metadata: metadata)
    }

    /// PyTorch's storage classes by name, and the dtype of their values.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .float32, "HalfStorage": .float16, "BFloat16Storage": .bfloat16, "DoubleStorage": .float64,
        "LongStorage": .int64, "IntStorage": .int32, "ByteStorage": .uint8, "BoolStorage": .bool,
    ]

    /// The architecture of a weights file: from its metadata, or else from its tensors' shapes.
    public static func architecture(
        of contents: Safetensors.Contents, path: String, keypointDimensions: Int? = nil
    )
        throws(Safetensors.Error) -> PoseModelConfig
    {
        func fail(_ reason: String) -> Safetensors.Error { Safetensors.Error(path: path, reason: reason) }
        let meta = contents.metadata
        if meta["scale"] != nil, let nc = meta["nc"].flatMap(Int.init),
            let shape = meta["kpt_shape"]?.split(separator: ",").compactMap({ Int($0) }), shape.count == 2
        {
            return PoseModelConfig(
                scale: try scale(of: contents, path: path), classCount: nc, keypointCount: shape[0], keypointDimensions: shape[1])
        }
        guard let classes = contents["model.22.cv3.0.2.weight"], let keypoints = contents["model.22.cv4.0.2.weight"] else {
            throw fail("not YOLOv8-pose weights: model.22.cv3.0.2.weight or model.22.cv4.0.2.weight is missing")
        }
        let scale = try self.scale(of: contents, path: path)
        let channels = keypoints.size(0)
        let dimensions = keypointDimensions ?? (channels % 3 == 0 ? 3 : 2)
        guard channels % dimensions == 0 else { throw fail("\(channels) keypoint channels are not a multiple of \(dimensions)") }
        return PoseModelConfig(
            scale: scale, classCount: classes.size(0), keypointCount: channels / dimensions, keypointDimensions: dimensions)
    }

    /// The scale of a weights file, pose or detection: from its metadata (n to x, or a custom
    /// scale's multipliers), or else from the channels of its first convolution (n to x).
    public static func scale(of contents: Safetensors.Contents, path: String) throws(Safetensors.Error) -> ModelScale {
        if let name = contents.metadata["scale"] {
            guard let scale = ModelScale(name) else {
                throw Safetensors.Error(
                    path: path,
                    reason: "its scale \"\(name)\" is neither n, s, m, l, x nor depth,width,max_channels with multipliers in "
                        + "\(ModelScale.multipliers) and max_channels in \(ModelScale.channelCaps)")
            }
            return scale
        }
        guard let stem = contents["model.0.conv.weight"] else {
            throw Safetensors.Error(path: path, reason: "not YOLOv8 weights: model.0.conv.weight is missing")
        }
        guard let scale = ModelScale.named.map(\.scale).first(where: { $0.channels(64) == stem.size(0) }) else {
            throw Safetensors.Error(
                path: path, reason: "model.0.conv.weight has \(stem.size(0)) output channels, which no scale n/s/m/l/x has")
        }
        return scale
    }
}
