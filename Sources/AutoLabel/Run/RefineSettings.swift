import Foundation
import Pose
import PoseData

/// Which procedure a refinement run follows.
public enum RefineProtocol: String, Sendable, Codable, CaseIterable {
    /// The published procedure: both splits labelled, metrics on each iteration's own val only.
    case paper
    /// Also measures every iteration on the original val labels, and stops when an iteration adds
    /// fewer than `stopBelow` labels.
    case `default`
}

/// Which labels a refinement run trains on.
public enum TrainOn: String, Sendable, Codable, CaseIterable {
    /// Every label but the rejected ones, generated ones included (the paper's way).
    case all
    /// Only the labels a person confirmed (originals, accepted, corrected, added), as SLEAP trains
    /// only on predictions a person accepted; the generated ones wait for review.
    case reviewed
}

/// Everything a refinement run is started with; saved in the ledger and reused by `--resume`.
public struct RefineSettings: Sendable, Codable, Equatable {
    /// Iterations after iteration 0 (the paper: 4, giving Iter0…Iter4).
    public var iterations: Int
    public var training: TrainingConfig
    public var autolabel: AutolabelSettings
    public var protocolName: RefineProtocol
    /// Stop (default protocol) after an iteration that adds fewer labels than this. Once the
    /// unlabelled faces are found, further passes add mostly false detections (see
    /// docs/method.md, "Choosing --conf, and when to stop"), so the default stops when a pass adds
    /// under 2% of the labels.
    public var stopBelow: StopThreshold
    /// `n`…`x` for fresh weights, or a weights file iteration 0 starts from.
    public var model: String
    /// The truth data set (same images) for measuring the generated labels.
    public var truth: String?
    public var trainOn: TrainOn
    /// A fully labelled val set for Table 2b when there is no truth (`--gold-val`).
    public var goldVal: String?
    /// A reviewed run this run starts from: its iteration 0 holds that run's originals and the
    /// labels a person confirmed there; its rejections block predictions here too.
    public var startRun: String?

    /// The splits each labelling pass goes over: the paper's protocol labels train and val.
    public var labelledSplits: [Split] { protocolName == .paper ? [.train, .val] : autolabel.splits }

    public init(
        iterations: Int = 4, training: TrainingConfig = TrainingConfig(), autolabel: AutolabelSettings = AutolabelSettings(),
        protocolName: RefineProtocol = .default, stopBelow: StopThreshold = .percent(2), model: String = "n", truth: String? = nil,
        trainOn: TrainOn = .all, goldVal: String? = nil, startRun: String? = nil
    ) {
        (self.iterations, self.training, self.autolabel, self.protocolName) = (iterations, training, autolabel, protocolName)
        (self.stopBelow, self.model, self.truth, self.trainOn, self.goldVal, self.startRun) = (
            stopBelow, model, truth, trainOn, goldVal, startRun
        )
    }

    /// Reads saved settings; one they lack (written by an earlier version) keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RefineSettings()
        iterations = try c.value(.iterations, or: d.iterations)
        training = try c.value(.training, or: d.training)
        autolabel = try c.value(.autolabel, or: d.autolabel)
        protocolName = try c.value(.protocolName, or: d.protocolName)
        stopBelow = try c.value(.stopBelow, or: d.stopBelow)
        model = try c.value(.model, or: d.model)
        truth = try c.decodeIfPresent(String.self, forKey: .truth)
        trainOn = try c.value(.trainOn, or: d.trainOn)
        startRun = try c.decodeIfPresent(String.self, forKey: .startRun)
        goldVal = try c.decodeIfPresent(String.self, forKey: .goldVal)
    }
}

/// How few labels an iteration may add before the run stops: a count, or a percentage of the
/// labels the data set already has. Written as `30` or `2%`.
public enum StopThreshold: Sendable, Codable, Equatable, LosslessStringConvertible {
    case labels(Int)
    case percent(Double)

    public init?(_ text: String) {
        if text.hasSuffix("%") {
            guard let value = Double(text.dropLast()), value >= 0, value <= 100 else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(text), value >= 0 else { return nil }
            self = .labels(value)
        }
    }

    public var description: String {
        switch self {
        case .labels(let count): "\(count)"
        case .percent(let value): String(format: "%g%%", value)
        }
    }

    /// The fewest labels an iteration must add, given the labels already there.
    public func minimumLabels(existing: Int) -> Double {
        switch self {
        case .labels(let count): Double(count)
        case .percent(let value): Double(existing) * value / 100
        }
    }
}
