import Foundation
import Torch
import TorchNN

/// Weights files: safetensors with the reference's state-dict keys, plus metadata naming the
/// architecture (`scale`, `nc`, `kpt_shape`) so a file is enough to rebuild its model.
extension PoseModel {
    /// The metadata written with every weights file.
    public var architectureMetadata: [String: String] {
        [
            "format": "yolov8-pose", "scale": config.scale.rawValue, "nc": String(config.classCount),
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
        let contents = try Safetensors.read(from: url)
        let model = PoseModel(try architecture(of: contents, path: url.path, keypointDimensions: keypointDimensions))
        try model.store.load(contents, strict: true, source: url.path)
        model.move(to: device)
        return model
    }

    /// Copies every tensor of `url` whose key and shape match (the reference's `intersect_dicts`),
    /// for starting a training from other weights (another K, another nc).
    @discardableResult
    public func loadMatching(from url: URL) throws(Safetensors.Error) -> ParameterStore.LoadReport {
        try store.load(from: url, strict: false)
    }

    /// The architecture of a weights file: from its metadata, or else from its tensors' shapes.
    public static func architecture(
        of contents: Safetensors.Contents, path: String, keypointDimensions: Int? = nil
    )
        throws(Safetensors.Error) -> PoseModelConfig
    {
        func fail(_ reason: String) -> Safetensors.Error { Safetensors.Error(path: path, reason: reason) }
        let meta = contents.metadata
        if let scaleName = meta["scale"], let scale = ModelScale(rawValue: scaleName), let nc = meta["nc"].flatMap(Int.init),
            let shape = meta["kpt_shape"]?.split(separator: ",").compactMap({ Int($0) }), shape.count == 2
        {
            return PoseModelConfig(scale: scale, classCount: nc, keypointCount: shape[0], keypointDimensions: shape[1])
        }
        guard let stem = contents["model.0.conv.weight"], let classes = contents["model.22.cv3.0.2.weight"],
            let keypoints = contents["model.22.cv4.0.2.weight"]
        else { throw fail("not YOLOv8-pose weights: model.0.conv.weight, model.22.cv3.0.2.weight or model.22.cv4.0.2.weight is missing") }
        guard let scale = ModelScale.allCases.first(where: { $0.channels(64) == stem.size(0) }) else {
            throw fail("model.0.conv.weight has \(stem.size(0)) output channels, which no scale n/s/m/l/x has")
        }
        let channels = keypoints.size(0)
        let dimensions = keypointDimensions ?? (channels % 3 == 0 ? 3 : 2)
        guard channels % dimensions == 0 else { throw fail("\(channels) keypoint channels are not a multiple of \(dimensions)") }
        return PoseModelConfig(
            scale: scale, classCount: classes.size(0), keypointCount: channels / dimensions, keypointDimensions: dimensions)
    }
}
