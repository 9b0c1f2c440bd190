import Foundation
import PoseData

/// The paper's tables and figures for a refinement run (`RUN/report/`): Table 1 (label counts),
/// Table 2 (metrics on each iteration's own val and on the original val), the label quality
/// against the truth, Figure 2 (sample images across iterations), Figure 3 (label counts), as CSV,
/// Markdown and PNG, and one self-contained `report.html`.
public enum RunReport {
    /// Writes every file into `folder` (replaced as a whole, atomically).
    public static func write(summary: RunSummary, samples: [FigureSample], to folder: URL) throws {
        let parent = folder.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(folder.lastPathComponent).partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            let tables = ReportTable.all(summary)
            for (stem, table) in tables {
                try Data(table.csv.utf8).write(to: staging.appendingPathComponent("\(stem).csv"))
                try Data(table.markdown.utf8).write(to: staging.appendingPathComponent("\(stem).md"))
            }
            let figure2 = try ImageCodec.encodePNG(ReportFigures.samples(samples, iterations: summary.iterations.count))
            let figure3 = try ImageCodec.encodePNG(ReportFigures.labelCounts(summary))
            try figure2.write(to: staging.appendingPathComponent("figure2.png"))
            try figure3.write(to: staging.appendingPathComponent("figure3.png"))
            try Data(html(summary, tables: tables.map(\.table), figures: [figure2, figure3]).utf8)
                .write(to: staging.appendingPathComponent("report.html"))
            if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
            try FileManager.default.moveItem(at: staging, to: folder)
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// The tables as Markdown, for the terminal.
    public static func markdown(_ summary: RunSummary) -> String {
        ReportTable.all(summary).map(\.table.markdown).joined(separator: "\n")
    }

    static func html(_ summary: RunSummary, tables: [ReportTable], figures: [Data]) -> String {
        let stopped = summary.stoppedBecause.map { "<p><b>Stopped early:</b> \($0)</p>" } ?? ""
        let images = figures.map { "<img alt=\"figure\" src=\"data:image/png;base64,\($0.base64EncodedString())\">" }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>facelabel refinement report</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; max-width: 1100px; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: right; }
            th { background: #eee; }
            img { max-width: 100%; border: 1px solid #ddd; margin: 0.5em 0 1.5em; }
            .note { color: #555; }
            </style></head><body>
            <h1>Iterative refinement report</h1>
            <p>Data set: <code>\(summary.data)</code> · protocol: <b>\(summary.protocolName)</b> · iterations: \(summary.iterations.count)</p>
            \(stopped)
            <p class="note">Metrics on each iteration's own val labels change as the val labels grow, so they are
            not comparable across iterations (this is what the paper reports). Metrics on the original val labels
            are measured on the same labels every time and are comparable. Percentages; MSE in px², NME by the
            inter-ocular distance.</p>
            \(tables.map(\.html).joined(separator: "\n"))
            \(images.joined(separator: "\n"))
            </body></html>
            """
    }
}
