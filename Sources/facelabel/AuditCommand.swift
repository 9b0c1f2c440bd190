import ArgumentParser
import AutoLabel
import Foundation

/// `facelabel audit RUN`: the precision and recall of a run's generated labels, estimated from an
/// audit (`review RUN --audit N`) with their 95% intervals.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Estimate the precision and recall of a run's generated labels from an audit, with 95% intervals.",
        discussion: """
            Reads the decisions of 'facelabel review RUN --audit N': a uniformly random sample of the \
            generated labels (accepted and corrected count as right, rejected as wrong) and of the \
            images (faces no label covered, marked there). Precision carries Wilson's 95% score \
            interval, recall an interval from the precision's and the missed-face rate's Jeffreys \
            posteriors; both allow for the sample being drawn without replacement. With --width it \
            says how many more decisions bring each interval under that width. With --rehearse (a \
            synthetic run, whose truth synth writes) a scripted reviewer audits samples of the given \
            sizes over --seeds seeds, and it prints how wide the intervals are and how often they \
            hold the truth's precision and recall (a 95% interval should, about 19 times in 20).
            """)

    @Argument(help: "The run folder (refine --out).") var run: String
    @Option(help: "The audited iteration (default: every audited one).") var iteration: Int?
    @Option(help: "The 95% interval width wanted, in (0, 1]: how many more decisions reach it.") var width: Double?
    @Option(
        parsing: .upToNextOption,
        help: "Rehearse audits of these many labels (and half as many images) against the truth, e.g. --rehearse 50 100 200.")
    var rehearse: [Int] = []
    @Option(help: "With --rehearse: how many samples of each size.") var seeds = 20
    @Option(help: "With --rehearse: the truth data set (default: the run's --truth).") var truth: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if let iteration { try OptionCheck.atLeast(iteration, 1, "--iteration") }
        if let width { try OptionCheck.positiveFraction(width, "--width") }
        for size in rehearse { try OptionCheck.atLeast(size, 1, "--rehearse") }
        try OptionCheck.atLeast(seeds, 1, "--seeds", atMost: 10_000)
    }

    func run() async throws {
        let refinement = try RefinementRun.open(URL(fileURLWithPath: run))
        if !rehearse.isEmpty { return try rehearseAudits(refinement) }
        var estimates = try refinement.auditEstimates(width: width)
        if let iteration { estimates = estimates.filter { $0.iteration == iteration } }
        if json { return try printJSON(["audits": estimates]) }
        guard !estimates.isEmpty else {
            let which = iteration.map { "iteration \($0) of " } ?? ""
            print("\(which)\(run) has no audit yet: 'facelabel review \(run) --audit 100' draws one")
            return
        }
        for estimate in estimates { print(AuditText.lines(estimate).joined(separator: "\n")) }
    }

    struct Rehearsal: Encodable {
        var labels: Int
        var images: Int
        var seeds: Int
        var meanPrecisionWidth: Double?
        var precisionCovers: Int
        var meanRecallWidth: Double?
        var recallCovers: Int
    }

    struct RehearsalOutput: Encodable {
        var iteration: Int
        var truth: LabelQuality
        var rehearsals: [Rehearsal]
        /// What `audit` prints after the largest audit, with seed 0.
        var example: AuditEstimate?
    }

    func rehearseAudits(_ refinement: RefinementRun) throws {
        guard let truthData = try truth ?? refinement.settings().truth else {
            throw ValidationError("--rehearse needs the truth: pass --truth DATA (the run has none)")
        }
        guard let audited = try iteration ?? refinement.ledger.provenance().keys.filter({ $0 > 0 }).max() else {
            throw ValidationError("\(run) has generated no labels to rehearse an audit of")
        }
        let reviewer = try ScriptedReviewer(run: refinement, iteration: audited, truthData: URL(fileURLWithPath: truthData))
        let mean = { (values: [Double]) in values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        let rows = rehearse.map { size -> Rehearsal in
            let estimates = (0..<seeds).map { seed in
                AuditEstimate(reviewer.tally(labels: size, images: AuditPlan.images(forLabels: size), seed: UInt64(seed)))
            }
            let precisions = estimates.compactMap(\.precisionInterval)
            let recalls = estimates.compactMap(\.recallInterval)
            return Rehearsal(
                labels: min(size, reviewer.truth.generated), images: AuditPlan.images(forLabels: size), seeds: seeds,
                meanPrecisionWidth: mean(precisions.map(\.width)),
                precisionCovers: precisions.filter { $0.contains(reviewer.truth.precision ?? -1) }.count,
                meanRecallWidth: mean(recalls.map(\.width)),
                recallCovers: recalls.filter { $0.contains(reviewer.truth.recall ?? -1) }.count)
        }
        let example = rehearse.max().map { size in
            AuditEstimate(reviewer.tally(labels: size, images: AuditPlan.images(forLabels: size), seed: 0), width: width)
        }
        if json { return try printJSON(RehearsalOutput(iteration: audited, truth: reviewer.truth, rehearsals: rows, example: example)) }
        let percent = { (value: Double?) in value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        print(
            "iteration \(audited): \(reviewer.truth.generated) generated labels; against the truth precision "
                + "\(percent(reviewer.truth.precision)), recall \(percent(reviewer.truth.recall))")
        let pad = { (text: String, width: Int) in String(repeating: " ", count: max(0, width - text.count)) + text }
        print("labels  images  seeds  precision: mean width  holds truth  recall: mean width  holds truth")
        for row in rows {
            print(
                [
                    pad("\(row.labels)", 6), pad("\(row.images)", 6), pad("\(row.seeds)", 5), pad(percent(row.meanPrecisionWidth), 21),
                    pad("\(row.precisionCovers)/\(row.seeds)", 11), pad(percent(row.meanRecallWidth), 18),
                    pad("\(row.recallCovers)/\(row.seeds)", 11),
                ].joined(separator: "  "))
        }
        if let example {
            print("what 'facelabel audit' prints after the largest of these audits (seed 0):")
            print(AuditText.lines(example).joined(separator: "\n"))
        }
    }
}

/// How an estimate reads in the terminal.
enum AuditText {
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }

    static func interval(_ interval: Interval?) -> String {
        interval.map { String(format: "95%% CI %.1f–%.1f%%", $0.lower * 100, $0.upper * 100) } ?? "no interval"
    }

    static func lines(_ estimate: AuditEstimate) -> [String] {
        var lines = [
            "iteration \(estimate.iteration): \(estimate.labelsAudited) of \(estimate.generated) generated labels audited, "
                + "\(estimate.imagesChecked) of \(estimate.images) images checked for missed faces"
        ]
        if let precision = estimate.precision {
            lines.append(
                "  precision \(percent(precision)) (\(interval(estimate.precisionInterval)), Wilson): \(estimate.right) right "
                    + "(\(estimate.corrected) after a correction), \(estimate.rejected) rejected")
        } else {
            lines.append("  precision: no label of the sample decided yet")
        }
        if let share = estimate.correctedShare, estimate.corrected > 0 {
            let moved = estimate.meanCorrectionPixels.map { String(format: "%.1f px", $0) } ?? "–"
            let nme = estimate.meanCorrectionNME.map { String(format: ", NME %.1f%%", $0 * 100) } ?? ""
            lines.append("  corrected \(percent(share)) of the audited labels; a correction moved the points \(moved) on average\(nme)")
        }
        if let missed = estimate.missedPerImage {
            let range = estimate.missedPerImageInterval.map { String(format: "95%% CI %.2f–%.2f", $0.lower, $0.upper) } ?? ""
            lines.append(
                String(
                    format: "  missed faces %.2f per image (%@): %d on %d images", missed, range, estimate.missedFaces,
                    estimate.imagesChecked))
        } else {
            lines.append("  missed faces: no image of the sample checked yet")
        }
        if let recall = estimate.recall {
            lines.append("  recall about \(percent(recall)) (\(interval(estimate.recallInterval)))")
        }
        if let width = estimate.width {
            let labels = estimate.moreLabels.map { "\($0) more labels" } ?? "more labels than the run has"
            let images =
                estimate.precision == nil || estimate.missedPerImage == nil
                ? "" : "; recall: " + (estimate.moreImages.map { "\($0) more images" } ?? "more images than the run has")
            lines.append("  for intervals \(percent(width)) wide: precision: \(labels)\(images)")
        }
        return lines
    }
}

/// The sample an audit draws by default.
enum AuditPlan {
    /// Images checked for missed faces alongside `labels` labels: half as many.
    static func images(forLabels labels: Int) -> Int { max(1, labels / 2) }
}
