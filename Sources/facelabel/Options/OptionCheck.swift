import ArgumentParser
import Foundation
import Pose

/// The range checks of numeric options: a value out of range is a `ValidationError` that names the
/// option and what it accepts, so that the command stops before any work (never a trap later).
enum OptionCheck {
    /// The largest network input (`--imgsz`): 4096² pixels a channel keep one image's feature maps
    /// within a few GiB.
    static let maximumImageSize = 4096
    /// The most images in one batch.
    static let maximumBatch = 1024
    /// The most threads or loader tasks.
    static let maximumWorkers = 256

    static func fraction(_ value: Double, _ option: String) throws {
        guard (0...1).contains(value) else { throw ValidationError("\(option) must be in [0, 1], not \(value).") }
    }

    static func fraction(_ value: Float, _ option: String) throws { try fraction(Double(value), option) }

    /// A fraction that must not be 0 (a learning rate).
    static func positiveFraction(_ value: Double, _ option: String) throws {
        guard value > 0, value <= 1 else { throw ValidationError("\(option) must be in (0, 1], not \(value).") }
    }

    static func range(_ value: Double, _ range: ClosedRange<Double>, _ option: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be in [\(range.lowerBound), \(range.upperBound)], not \(value).")
        }
    }

    static func atLeast(_ value: Int, _ minimum: Int, _ option: String, atMost maximum: Int = .max) throws {
        guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum), not \(value).") }
        guard value <= maximum else { throw ValidationError("\(option) must be at most \(maximum), not \(value).") }
    }

    /// A gain or a size that may be 0 but not negative (and must be a number).
    static func nonNegative(_ value: Double, _ option: String) throws {
        guard value >= 0, value.isFinite else { throw ValidationError("\(option) must be a number of at least 0, not \(value).") }
    }

    /// A value that must be above 0.
    static func positive(_ value: Double, _ option: String) throws {
        guard value > 0, value.isFinite else { throw ValidationError("\(option) must be a number above 0, not \(value).") }
    }

    /// A network input size: a multiple of the model's largest stride, 32, within ``maximumImageSize``.
    static func imageSize(_ value: Int, _ option: String = "--imgsz") throws {
        guard value >= 32, value <= maximumImageSize, value % 32 == 0 else {
            throw ValidationError("\(option) must be a multiple of 32 from 32 to \(maximumImageSize), not \(value).")
        }
    }

    static func batch(_ value: Int, _ option: String = "--batch") throws { try atLeast(value, 1, option, atMost: maximumBatch) }

    static func workers(_ value: Int, _ option: String = "--workers") throws { try atLeast(value, 1, option, atMost: maximumWorkers) }

    /// `--model`: a scale, a weights file, or a custom scale `depth,width,max_channels`; three numbers
    /// that name no file are a custom scale, and must lie within ``ModelScale``'s bounds.
    static func model(_ value: String, _ option: String = "--model") throws {
        let parts = value.split(separator: ",", omittingEmptySubsequences: false)
        guard ModelScale(value) == nil, parts.count == 3, parts.allSatisfy({ Double($0) != nil }),
            !FileManager.default.fileExists(atPath: value)
        else { return }
        throw ValidationError(
            "\(option) \(value): a custom scale is depth,width,max_channels with depth and width in \(ModelScale.multipliers) "
                + "and a whole max_channels in \(ModelScale.channelCaps).")
    }
}
