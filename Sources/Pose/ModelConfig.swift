import Foundation

/// The size of a YOLOv8 model: depth, width and channel cap (reference §1.1). One of the five
/// named scales n…x, or the multipliers a custom model yaml gives (Ultralytics'
/// `scales: {n: [0.33, 0.0625, 1024]}`), which a checkpoint trained from such a yaml carries.
public struct ModelScale: Sendable, Hashable {
    /// Multiplier of the number of bottlenecks in each C2f.
    public let depth: Double
    /// Multiplier of the channel counts.
    public let width: Double
    /// The cap applied to the yaml's channel counts before the width multiplier.
    public let maxChannels: Int

    public static let n = ModelScale(0.33, 0.25, 1024)
    public static let s = ModelScale(0.33, 0.50, 1024)
    public static let m = ModelScale(0.67, 0.75, 768)
    public static let l = ModelScale(1.0, 1.0, 512)
    public static let x = ModelScale(1.0, 1.25, 512)
    /// The reference's five scales, by name.
    public static let named: [(name: String, scale: ModelScale)] = [("n", .n), ("s", .s), ("m", .m), ("l", .l), ("x", .x)]

    /// The multipliers a custom scale may take: wide enough for every yaml in use, narrow enough
    /// that a file's metadata cannot ask for an absurd network.
    public static let multipliers = 0.01...4.0
    public static let channelCaps = 8...8192

    private init(_ depth: Double, _ width: Double, _ maxChannels: Int) {
        (self.depth, self.width, self.maxChannels) = (depth, width, maxChannels)
    }

    /// A custom scale; nil when a value lies outside ``multipliers`` or ``channelCaps``.
    public init?(depth: Double, width: Double, maxChannels: Int) {
        guard Self.multipliers.contains(depth), Self.multipliers.contains(width), Self.channelCaps.contains(maxChannels) else {
            return nil
        }
        self.init(depth, width, maxChannels)
    }

    /// A scale from its ``name``: `n`…`x`, or `depth,width,max_channels` for a custom one.
    public init?(_ name: String) {
        if let scale = Self.named.first(where: { $0.name == name })?.scale {
            self = scale
            return
        }
        let parts = name.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 3, let depth = Double(parts[0]), let width = Double(parts[1]), let cap = Int(parts[2]) else { return nil }
        self.init(depth: depth, width: width, maxChannels: cap)
    }

    /// `n`…`x` for one of the reference's scales; nil for a custom one.
    public var standardName: String? { Self.named.first(where: { $0.scale == self })?.name }

    /// `n`…`x` for a named scale, else `depth,width,max_channels` (`0.33,0.0625,1024`): what
    /// weights files and run settings store.
    public var name: String { standardName ?? "\(depth),\(width),\(maxChannels)" }

    /// The scale's name where it has one (`n`), else its multipliers spelled out.
    public var summary: String {
        standardName ?? "custom scale (depth \(depth), width \(width), max channels \(maxChannels))"
    }

    /// Output channels of a layer whose yaml says `channels`: `ceil(min(c, max) · width / 8) · 8`.
    func channels(_ channels: Int) -> Int {
        let scaled = Double(min(channels, maxChannels)) * width
        return Int((scaled / 8).rounded(.up)) * 8
    }

    /// Bottlenecks of a C2f whose yaml says `repeats`: Python's `round(n · depth)`, at least 1.
    func repeats(_ repeats: Int) -> Int {
        repeats > 1 ? max(Int((Double(repeats) * depth).rounded(.toNearestOrEven)), 1) : repeats
    }
}

extension ModelScale: Codable {
    /// Stored as its ``name``, so settings written before custom scales read unchanged.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let scale = ModelScale(name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(name) is no model scale")
        }
        self = scale
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What defines a YOLOv8-pose network: its scale, its classes and its keypoint layout.
public struct PoseModelConfig: Sendable, Codable, Equatable {
    public var scale: ModelScale
    public var classCount: Int
    /// K, the number of keypoints.
    public var keypointCount: Int
    /// D: 2 (x, y) or 3 (x, y, visibility).
    public var keypointDimensions: Int

    public init(scale: ModelScale = .n, classCount: Int = 1, keypointCount: Int = 51, keypointDimensions: Int = 3) {
        precondition(classCount >= 1, "a model needs at least one class")
        precondition(keypointCount >= 1 && (2...3).contains(keypointDimensions), "kpt_shape must be [K >= 1, 2 or 3]")
        self.scale = scale
        self.classCount = classCount
        self.keypointCount = keypointCount
        self.keypointDimensions = keypointDimensions
    }

    /// K · D, the keypoint channels per anchor.
    public var keypointChannels: Int { keypointCount * keypointDimensions }

    /// DFL bins per box side (reference §1.4).
    public static let regressionBins = 16
    /// Strides of the three detection levels P3, P4, P5.
    public static let strides = [8, 16, 32]
}
