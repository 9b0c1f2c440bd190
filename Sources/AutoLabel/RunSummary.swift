import Foundation
import Pose
import PoseData

/// Images and labels of one split at one iteration (the paper's Table 1).
public struct SplitCounts: Sendable, Codable, Equatable {
    public var images: Int
    /// Labels the split held when the iteration started (originals plus those added earlier).
    public var labels: Int
    /// Labels this iteration added by pseudo-labelling (0 for iteration 0).
    public var added: Int

    public init(images: Int, labels: Int, added: Int) {
        (self.images, self.labels, self.added) = (images, labels, added)
    }
}

/// How good the generated labels are, measured against the known truth (synthetic data).
public struct LabelQuality: Sendable, Codable, Equatable {
    /// Labels generated so far (all iterations up to this one).
    public var generated: Int
    /// Generated labels that match a real face that had no original label (box IoU ≥ 0.5).
    public var correct: Int
    /// The faces without an original label.
    public var unlabelledFaces: Int
    /// correct / generated.
    public var precision: Double?
    /// Unlabelled faces recovered / unlabelled faces.
    public var recall: Double?
    /// NME of the correct generated labels' landmarks against the truth.
    public var nme: Double?

    public init(generated: Int, correct: Int, unlabelledFaces: Int, precision: Double?, recall: Double?, nme: Double?) {
        (self.generated, self.correct, self.unlabelledFaces) = (generated, correct, unlabelledFaces)
        (self.precision, self.recall, self.nme) = (precision, recall, nme)
    }
}

/// What one labelling pass's filters decided, and, against the truth, how many of the candidates
/// each removed were wrong (no unlabelled face of the truth, or landmarks off by more than 10% of
/// the inter-ocular distance): the removals that were right.
public struct FilterCounts: Sendable, Codable, Equatable {
    public var kept = 0
    public var flagged = 0
    /// Candidates removed, by ``FilterDecision`` raw value.
    public var dropped: [String: Int] = [:]
    /// Of those, the ones that were wrong (nil without the truth).
    public var rightlyDropped: [String: Int]?

    public init() {}
}

/// Everything measured in one iteration of a refinement run.
public struct IterationSummary: Sendable, Codable, Equatable {
    /// 0 = trained on the labels as given.
    public var index: Int
    /// The label counts of the data set this iteration trained on.
    public var train: SplitCounts
    public var val: SplitCounts
    /// Metrics on this iteration's own (auto-labelled) val split, as the paper reports them.
    public var ownValidation: ValidationMetrics?
    /// Metrics on the original val labels, the same for every iteration (nil with `--protocol paper`).
    public var fixedValidation: ValidationMetrics?
    /// Quality of all labels generated up to this iteration (nil without `--truth`).
    public var quality: LabelQuality?
    public var labellingSeconds: Double
    public var trainingSeconds: Double

    public var totalLabels: Int { train.labels + val.labels }

    public init(
        index: Int, train: SplitCounts, val: SplitCounts, ownValidation: ValidationMetrics?, fixedValidation: ValidationMetrics?,
        quality: LabelQuality?, labellingSeconds: Double, trainingSeconds: Double
    ) {
        (self.index, self.train, self.val) = (index, train, val)
        (self.ownValidation, self.fixedValidation, self.quality) = (ownValidation, fixedValidation, quality)
        (self.labellingSeconds, self.trainingSeconds) = (labellingSeconds, trainingSeconds)
    }
}

/// Which val set Table 2b measures every iteration on.
public struct FixedVal: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// The truth's val labels (`--truth`): every face labelled.
        case truth
        /// A fully labelled val set the user named (`--gold-val`).
        case gold
        /// The original val labels, in which the faces nobody labelled count as false positives.
        case original
    }

    public var source: Source
    /// Its data.yaml.
    public var data: String
    /// With the original val labels: the val faces the run labelled itself (generated and not
    /// rejected), an estimate of how many faces the original val lacks.
    public var unlabelledEstimate: Int?

    public init(source: Source, data: String, unlabelledEstimate: Int? = nil) {
        (self.source, self.data, self.unlabelledEstimate) = (source, data, unlabelledEstimate)
    }

    /// What it is, for the report.
    public var description: String {
        switch source {
        case .truth: "the truth's val labels (every face labelled)"
        case .gold: "the gold val labels of \(data) (every face labelled)"
        case .original:
            "the original val labels, which are incomplete"
                + (unlabelledEstimate.map {
                    ": about \($0) faces in them are unlabelled (the val labels the run generated), so box precision reads low"
                } ?? "")
        }
    }
}

/// The labelling pass that stopped the run: its labels are in the run's last data set, but no
/// model was trained on them.
public struct StoppingPass: Sendable, Codable, Equatable {
    public var index: Int
    /// The labels it added (not rejected since).
    public var added: Int
    /// With the truth: every label generated, this pass's included: the generated labels of the
    /// data set the run ends with.
    public var quality: LabelQuality?

    public init(index: Int, added: Int, quality: LabelQuality?) {
        (self.index, self.added, self.quality) = (index, added, quality)
    }

    /// What to do with its labels, for the terminal and the report (they are less sure than the
    /// first pass's: 4 of 11 right on one seed of the label-quality benchmark, 7 of 9 on another);
    /// `run` is the run's folder.
    public func advice(run: String = "RUN") -> String {
        let judged = quality?.precision.map { String(format: " (with them, %.1f%% of the generated labels are right)", $0 * 100) } ?? ""
        return "its \(added) labels are in iter\(index)/data, but no model trained on them\(judged): review them "
            + "(facelabel review \(run) --iteration \(index)) or use iter\(index - 1)/data, the data set the last model trained on"
    }
}

/// A whole refinement run, as the report shows it.
public struct RunSummary: Sendable, Codable, Equatable {
    /// The input data set's yaml.
    public var data: String
    /// What the run was started with (protocol, training and labelling options).
    public var settings: RefineSettings
    public var iterations: [IterationSummary]
    /// Why the run ended before its last planned iteration, if it did.
    public var stoppedBecause: String?
    /// The labels each iteration made (0: the originals) by provenance, as reviewed now (nil for
    /// a summary made without the ledger).
    public var provenance: [Int: ProvenanceCounts]?
    /// The val set of Table 2b (nil with the paper protocol, which has none).
    public var fixedVal: FixedVal?
    /// What the filters of each labelling pass removed (nil for a summary made without the ledger).
    public var filtering: [Int: FilterCounts]?
    /// The pass that stopped the run, when it stopped after labelling (nil otherwise).
    public var stoppingPass: StoppingPass?
    /// What the audits of its generated labels estimate, by audited iteration (nil: no audit).
    public var audits: [AuditEstimate]?

    public init(
        data: String, settings: RefineSettings, iterations: [IterationSummary], stoppedBecause: String?,
        provenance: [Int: ProvenanceCounts]? = nil, fixedVal: FixedVal? = nil, filtering: [Int: FilterCounts]? = nil,
        stoppingPass: StoppingPass? = nil, audits: [AuditEstimate]? = nil
    ) {
        (self.data, self.settings, self.iterations, self.stoppedBecause) = (data, settings, iterations, stoppedBecause)
        (self.provenance, self.fixedVal, self.filtering, self.stoppingPass) = (provenance, fixedVal, filtering, stoppingPass)
        self.audits = audits
    }
}

/// One image shown across iterations in Figure 2: its labels at each iteration, each marked as an
/// original label or one generated by an iteration.
public struct FigureSample: Sendable, Codable, Equatable {
    public struct Label: Sendable, Codable, Equatable {
        public var instance: PoseInstance
        /// nil for an original label, else the iteration that generated it.
        public var addedBy: Int?

        public init(instance: PoseInstance, addedBy: Int?) {
            self.instance = instance
            self.addedBy = addedBy
        }
    }

    public var image: URL
    /// `labels[k]` = the image's labels in the data set iteration k trained on.
    public var labels: [[Label]]

    public init(image: URL, labels: [[Label]]) {
        self.image = image
        self.labels = labels
    }
}
