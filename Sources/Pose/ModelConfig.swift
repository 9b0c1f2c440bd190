import Foundation

/// The size of a YOLOv8 model: depth, width and channel cap (reference §1.1).
public enum ModelScale: String, Sendable, Codable, CaseIterable {
    case n, s, m, l, x

    /// Multiplier of the number of bottlenecks in each C2f.
    public var depth: Double {
        switch self {
        case .n, .s: 0.33
        case .m: 0.67
        case .l, .x: 1.0
        }
    }

    /// Multiplier of the channel counts.
    public var width: Double {
        switch self {
        case .n: 0.25
        case .s: 0.50
        case .m: 0.75
        case .l: 1.0
        case .x: 1.25
        }
    }

    /// The cap applied to the yaml's channel counts before the width multiplier.
    public var maxChannels: Int {
        switch self {
        case .n, .s: 1024
        case .m: 768
        case .l, .x: 512
        }
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
