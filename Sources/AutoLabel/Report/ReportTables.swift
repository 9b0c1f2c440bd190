import Foundation
import Pose

/// A table of the report, rendered as CSV (raw numbers), Markdown and HTML (fractions as percentages
/// with one decimal, as the paper prints them; missing values as "–").
struct ReportTable {
    enum Cell {
        case count(Int)
        case fraction(Double?)
        case value(Double?, decimals: Int)
        case text(String)
    }

    var title: String
    var columns: [String]
    var rows: [[Cell]]

    var csv: String {
        func raw(_ cell: Cell) -> String {
            switch cell {
            case .count(let n): String(n)
            case .fraction(let v): v.map { String(format: "%.6g", $0) } ?? ""
            case .value(let v, _): v.map { String(format: "%.6g", $0) } ?? ""
            case .text(let t): t.contains(",") ? "\"\(t)\"" : t
            }
        }
        return ([columns.joined(separator: ",")] + rows.map { $0.map(raw).joined(separator: ",") }).joined(separator: "\n") + "\n"
    }

    static func shown(_ cell: Cell) -> String {
        switch cell {
        case .count(let n): String(n)
        case .fraction(let v): v.map { String(format: "%.1f", $0 * 100) } ?? "–"
        case .value(let v, let decimals): v.map { String(format: "%.\(decimals)f", $0) } ?? "–"
        case .text(let t): t
        }
    }

    var markdown: String {
        var lines = ["| " + columns.joined(separator: " | ") + " |", "|" + columns.map { _ in "---:" }.joined(separator: "|") + "|"]
        lines += rows.map { "| " + $0.map(Self.shown).joined(separator: " | ") + " |" }
        return "**\(title)**\n\n" + lines.joined(separator: "\n") + "\n"
    }

    var html: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        }
        let head = columns.map { "<th>\(escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\(escape(Self.shown($0)))</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<h2>\(escape(title))</h2>\n<table>\n<thead><tr>\(head)</tr></thead>\n<tbody>\n\(body)\n</tbody>\n</table>\n"
    }
}

extension ReportTable {
    /// Table 1: images and labels per split per iteration.
    static func labelCounts(_ summary: RunSummary) -> ReportTable {
        ReportTable(
            title: "Table 1. Images and labels per iteration",
            columns: ["iteration", "train images", "train labels", "val images", "val labels", "total labels", "added"],
            rows: summary.iterations.map { i in
                [.count(i.index), .count(i.train.images), .count(i.train.labels), .count(i.val.images), .count(i.val.labels),
                 .count(i.totalLabels), .count(i.train.added + i.val.added)]
            })
    }

    /// Table 2: box and pose metrics and landmark errors, on the given val set of every iteration.
    static func metrics(_ summary: RunSummary, fixed: Bool) -> ReportTable {
        ReportTable(
            title: fixed ? "Table 2b. Metrics on the original val labels (comparable across iterations), %"
                : "Table 2a. Metrics on each iteration's own val labels (as the paper reports them), %",
            columns: [
                "iteration", "box P", "box R", "box AP50", "box AP50-95", "pose P", "pose R", "pose AP50", "pose AP50-95",
                "MSE px²", "NME",
            ],
            rows: summary.iterations.map { i in
                let m = fixed ? i.fixedValidation : i.ownValidation
                let cells: [ReportTable.Cell] = [
                    .fraction(m?.box.precision), .fraction(m?.box.recall), .fraction(m?.box.map50), .fraction(m?.box.map50_95),
                    .fraction(m?.pose.precision), .fraction(m?.pose.recall), .fraction(m?.pose.map50), .fraction(m?.pose.map50_95),
                    .value(m?.landmarks.mse, decimals: 1), .value(m?.landmarks.nme, decimals: 4),
                ]
                return [.count(i.index)] + cells
            })
    }

    /// The generated labels measured against the truth.
    static func quality(_ summary: RunSummary) -> ReportTable {
        ReportTable(
            title: "Label quality against the truth (all labels generated so far), %",
            columns: ["iteration", "generated", "correct", "unlabelled faces", "precision", "recall", "NME"],
            rows: summary.iterations.compactMap { i in
                i.quality.map { q in
                    [.count(i.index), .count(q.generated), .count(q.correct), .count(q.unlabelledFaces), .fraction(q.precision),
                     .fraction(q.recall), .value(q.nme, decimals: 4)]
                }
            })
    }

    /// Every table the summary has data for, with its file stem.
    static func all(_ summary: RunSummary) -> [(stem: String, table: ReportTable)] {
        var tables: [(String, ReportTable)] = [("table1", labelCounts(summary)), ("table2", metrics(summary, fixed: false))]
        if summary.iterations.contains(where: { $0.fixedValidation != nil }) { tables.append(("table2-fixed", metrics(summary, fixed: true))) }
        if summary.iterations.contains(where: { $0.quality != nil }) { tables.append(("quality", quality(summary))) }
        return tables
    }
}
