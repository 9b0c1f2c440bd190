import Foundation
import Pose

/// A table file of the report, `<stem>.csv` and `<stem>.md`: one table, or several blocks with the
/// same columns (Table 2 on the own and on the fixed val), which CSV tells apart by a leading
/// column and Markdown shows one after the other.
struct ReportTableFile: Equatable {
    struct Block: Equatable {
        /// The block's value in the leading CSV column (`own`, `fixed`).
        var key: String
        var table: ReportTable
    }

    var stem: String
    var blocks: [Block]
    /// The CSV name of the leading column that names the block; nil for a file of one table.
    var blockColumn: String?

    var csv: String {
        guard let blockColumn, let first = blocks.first else { return blocks.first?.table.csv ?? "" }
        let header = first.table.csvHeader(leading: [blockColumn])
        let rows = blocks.flatMap { $0.table.csvRows(leading: [$0.key]) }
        return ([header] + rows).map { $0 + "\n" }.joined()
    }

    var markdown: String { blocks.map(\.table.markdown).joined(separator: "\n") }
}

/// The report's tables, built from a run summary.
enum ReportTables {
    /// Which val set Table 2 measures on.
    enum ValSet: String, CaseIterable {
        /// Each iteration's own (auto-labelled) val split, as the paper reports it.
        case own
        /// The original val labels, the same at every iteration.
        case fixed
    }

    /// Table 1: images and labels per split per iteration (the paper's columns) and the labels
    /// the iteration added; with the ledger's provenance, what became of the labels each
    /// iteration made: originals, generated and not reviewed, accepted, corrected, rejected (and
    /// faces a person added, when there are any).
    static func labelCounts(_ summary: RunSummary) -> ReportTable {
        var columns: [ReportTable.Column] = [
            .init("iteration", .count), .init("train images", .count), .init("train labels", .count),
            .init("val images", .count), .init("val labels", .count), .init("total labels", .count),
            .init("labels added", .count),
        ]
        let provenance = summary.provenance
        let showsAdded = provenance?.values.contains { $0.added > 0 } ?? false
        if provenance != nil {
            columns += ["original", "generated", "accepted", "corrected", "rejected"].map { ReportTable.Column($0, .count) }
            if showsAdded { columns.append(.init("added by a person", .count)) }
        }
        return ReportTable(
            title: "Table 1. Images and labels per iteration",
            columns: columns,
            rows: summary.iterations.map { iteration in
                var row: [ReportTable.Value] = [
                    .count(iteration.index), .count(iteration.train.images), .count(iteration.train.labels),
                    .count(iteration.val.images), .count(iteration.val.labels), .count(iteration.totalLabels),
                    .count(iteration.train.added + iteration.val.added),
                ]
                if let provenance {
                    let counts = provenance[iteration.index] ?? ProvenanceCounts()
                    row += [counts.original, counts.generated, counts.accepted, counts.corrected, counts.rejected].map { .count($0) }
                    if showsAdded { row.append(.count(counts.added)) }
                }
                return row
            })
    }

    /// Table 2: box and pose precision, recall, AP50 and AP50-95, landmark MSE and NME of every
    /// iteration's model on one val set.
    static func metrics(_ summary: RunSummary, on valSet: ValSet) -> ReportTable {
        let title =
            switch (valSet, summary.fixedVal?.source) {
            case (.own, _): "Table 2a. Metrics on each iteration's own val labels (as the paper reports them), %"
            case (.fixed, .truth): "Table 2b. Metrics on the truth's val labels (every face labelled; comparable across iterations), %"
            case (.fixed, .gold): "Table 2b. Metrics on the gold val labels (every face labelled; comparable across iterations), %"
            case (.fixed, _): "Table 2b. Metrics on the original val labels (comparable across iterations, but incomplete), %"
            }
        return ReportTable(
            title: title,
            columns: [
                .init("iteration", .count), .init("val labels", .count),
                .init("box P", .percent(decimals: 1)), .init("box R", .percent(decimals: 1)),
                .init("box AP50", .percent(decimals: 1)), .init("box AP50-95", .percent(decimals: 1)),
                .init("pose P", .percent(decimals: 1)), .init("pose R", .percent(decimals: 1)),
                .init("pose AP50", .percent(decimals: 1)), .init("pose AP50-95", .percent(decimals: 1)),
                .init("landmark MSE px2", heading: "MSE px²", .decimal(1)),
                .init("NME", heading: "NME", .percent(decimals: 2)),
            ],
            rows: summary.iterations.map { iteration in
                let metrics = valSet == .own ? iteration.ownValidation : iteration.fixedValidation
                return [
                    .count(iteration.index), .count(metrics?.instances),
                    .number(metrics?.box.precision), .number(metrics?.box.recall),
                    .number(metrics?.box.map50), .number(metrics?.box.map50_95),
                    .number(metrics?.pose.precision), .number(metrics?.pose.recall),
                    .number(metrics?.pose.map50), .number(metrics?.pose.map50_95),
                    .number(metrics?.landmarks.mse), .number(metrics?.landmarks.nme),
                ]
            })
    }

    /// The generated labels measured against the truth (Table 2's neighbour): all labels generated
    /// up to each iteration, and with the pass that stopped the run (its labels are in the last
    /// data set, not trained on).
    static func quality(_ summary: RunSummary) -> ReportTable {
        var passes = summary.iterations.map { (index: $0.index, trained: true, quality: $0.quality) }
        if let stopping = summary.stoppingPass { passes.append((stopping.index, false, stopping.quality)) }
        return ReportTable(
            title: "Label quality against the truth (all labels generated so far), %",
            columns: [
                .init("iteration", .count), .init("trained on", .text), .init("generated", .count), .init("correct", .count),
                .init("unlabelled faces", .count), .init("precision", .percent(decimals: 1)),
                .init("recall", .percent(decimals: 1)), .init("NME", .percent(decimals: 2)),
            ],
            rows: passes.map { pass in
                let quality = pass.quality
                return [
                    .count(pass.index), .text(pass.trained ? "yes" : "no (stopped the run)"), .count(quality?.generated),
                    .count(quality?.correct), .count(quality?.unlabelledFaces), .number(quality?.precision),
                    .number(quality?.recall), .number(quality?.nme),
                ]
            })
    }

    /// The generated labels as an audit estimates them (``AuditEstimate``): precision and recall
    /// with their 95% intervals, beside Table 1's counts.
    static func audit(_ audits: [AuditEstimate]) -> ReportTable {
        let range = { (interval: Interval?) in
            ReportTable.Value.text(interval.map { String(format: "%.1f–%.1f", $0.lower * 100, $0.upper * 100) } ?? "–")
        }
        return ReportTable(
            title: "Label quality from the audit (a random sample judged by a person; 95% intervals), %",
            columns: [
                .init("iteration", .count), .init("generated", .count), .init("labels audited", .count),
                .init("precision", .percent(decimals: 1)), .init("precision 95% CI", .text), .init("corrected", .percent(decimals: 1)),
                .init("images checked", .count), .init("missed faces per image", .decimal(2)), .init("recall", .percent(decimals: 1)),
                .init("recall 95% CI", .text),
            ],
            rows: audits.map { audit in
                [
                    .count(audit.iteration), .count(audit.generated), .count(audit.labelsAudited), .number(audit.precision),
                    range(audit.precisionInterval), .number(audit.correctedShare), .count(audit.imagesChecked),
                    .number(audit.missedPerImage), .number(audit.recall), range(audit.recallInterval),
                ]
            })
    }

    /// What each labelling pass's filters kept and removed, and (with the truth) how many of the
    /// removed candidates were wrong; nil when no pass filtered beyond the score threshold.
    static func filtering(_ summary: RunSummary) -> ReportTable? {
        guard let filtering = summary.filtering,
            filtering.values.contains(where: { $0.flagged > 0 || !$0.dropped.isEmpty })
                || summary.settings.autolabel.maxDisagreement != nil || summary.settings.autolabel.shapeCheck != .off
        else { return nil }
        let reasons: [FilterDecision] = [.droppedByFlip, .droppedAsSingleView, .droppedByShape, .droppedByOverlap]
        let withTruth = filtering.values.contains { $0.rightlyDropped != nil }
        var columns: [ReportTable.Column] = [.init("iteration", .count), .init("kept", .count), .init("flagged for review", .count)]
        columns += reasons.map { ReportTable.Column($0.rawValue, heading: "removed: " + $0.rawValue.dropFirst(8), .count) }
        if withTruth { columns += reasons.map { ReportTable.Column("\($0.rawValue) wrong", heading: "of those, wrong", .count) } }
        return ReportTable(
            title: "Label filters: what each labelling pass kept and removed",
            columns: columns,
            rows: filtering.keys.sorted().map { iteration in
                let counts = filtering[iteration]!
                var row: [ReportTable.Value] = [.count(iteration), .count(counts.kept), .count(counts.flagged)]
                row += reasons.map { .count(counts.dropped[$0.rawValue] ?? 0) }
                if withTruth { row += reasons.map { .count(counts.rightlyDropped?[$0.rawValue] ?? 0) } }
                return row
            })
    }

    /// Whether the run has Table 2 on the fixed val (not with the paper protocol).
    static func hasFixedValidation(_ summary: RunSummary) -> Bool {
        summary.iterations.contains { $0.fixedValidation != nil }
    }

    /// Whether the run measured its generated labels against the truth.
    static func hasQuality(_ summary: RunSummary) -> Bool {
        summary.iterations.contains { $0.quality != nil }
    }

    /// The table files of the run: table1, the audit's estimate (when audited), table2 (own val,
    /// then fixed val when measured) and quality (when measured).
    static func files(_ summary: RunSummary) -> [ReportTableFile] {
        var files = [ReportTableFile(stem: "table1", blocks: [.init(key: "", table: labelCounts(summary))])]
        if let audits = summary.audits { files.append(ReportTableFile(stem: "audit", blocks: [.init(key: "", table: audit(audits))])) }
        let valSets: [ValSet] = hasFixedValidation(summary) ? [.own, .fixed] : [.own]
        files.append(
            ReportTableFile(
                stem: "table2", blocks: valSets.map { .init(key: $0.rawValue, table: metrics(summary, on: $0)) },
                blockColumn: "val"))
        if hasQuality(summary) {
            files.append(ReportTableFile(stem: "quality", blocks: [.init(key: "", table: quality(summary))]))
        }
        if let table = filtering(summary) { files.append(ReportTableFile(stem: "filters", blocks: [.init(key: "", table: table)])) }
        return files
    }
}
