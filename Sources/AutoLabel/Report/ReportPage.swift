import Foundation
import Imaging
import PoseData

/// `report.html`: one self-contained page (inline CSS, the figures as inline SVG with their images
/// inside, no script and no other resource) with the run's facts, how to read it, every table and
/// both figures.
enum ReportPage {
    /// The figures, placed in the page as inline SVG.
    struct Figures {
        var samples: SVGDocument
        var counts: SVGDocument
    }

    static func html(summary: RunSummary, tables: [ReportTableFile], figures: Figures, samples: [FigureSample]) -> String {
        let table = { (stem: String) in tables.first { $0.stem == stem }?.blocks.map(\.table.html) ?? [] }
        var body = ["<h1>Iterative labelling report</h1>"] + facts(summary) + process(summary.settings)
        body += ["<h2>Labels per iteration</h2>"] + table("table1")
        if summary.audits != nil {
            body.append(
                """
                <p class="note">From the audit (<code>facelabel review RUN --audit N</code>): a person judged a \
                uniformly random sample of the generated labels (accepted and corrected count as right) and \
                checked a random sample of images for faces no label covered. Precision's interval is Wilson's; \
                recall's comes from the precision and the missed-face rate; both allow for sampling without \
                replacement.</p>
                """)
            body += table("audit")
        }
        body.append(figure(figures.counts, caption: "Figure 3. Train, val and total labels per iteration."))
        body += ["<h2>Metrics</h2>", metricsNote(summary)] + table("table2")
        body += quality(table("quality"), filters: table("filters"))
        body.append("<h2>The same images across iterations</h2>")
        body.append(
            figure(
                figures.samples,
                caption: "Figure 2. Columns are iterations, rows are images; original labels in blue, generated labels in the "
                    + "colour of the iteration that added them."))
        if !samples.isEmpty {
            let names = samples.map { "<code>\(HTMLText.escape($0.image.lastPathComponent))</code>" }
            body.append("<p class=\"note\">Rows, top to bottom: \(names.joined(separator: ", ")).</p>")
        }
        let files = tables.flatMap { ["\($0.stem).csv", "\($0.stem).md"] } + ["figure2.svg", "figure3.svg"]
        body.append("<footer>Beside this page: \(files.map { "<code>\($0)</code>" }.joined(separator: ", ")).</footer>")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>facelabel report: \(HTMLText.escape(summary.data))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// The run's facts: its data set, protocol, iterations, label growth, and whether it stopped early.
    static func facts(_ summary: RunSummary) -> [String] {
        let escape = HTMLText.escape
        let settings = summary.settings
        let stopped = summary.stoppedBecause.map { "yes: \($0)" + (summary.stoppingPass.map { "; \($0.advice())" } ?? "") } ?? "no"
        return [
            "<dl class=\"facts\">",
            "<dt>Data set</dt><dd><code>\(escape(summary.data))</code></dd>",
            "<dt>Protocol</dt><dd><b>\(settings.protocolName.rawValue)</b>: \(escape(protocolText(settings.protocolName)))</dd>",
            "<dt>Iterations</dt><dd>\(escape(iterationsText(summary)))</dd>",
            "<dt>Labels</dt><dd>\(escape(growthText(summary)))</dd>",
            "<dt>Stopped early</dt><dd>\(escape(stopped))</dd>",
            "</dl>",
        ]
    }

    /// How the run works, with the run's own thresholds and schedule.
    static func process(_ settings: RefineSettings) -> [String] {
        [
            "<h2>How the run works</h2>",
            """
            <p>Iteration 0 trains on the labels as given. Each later iteration predicts on the images with the \
            previous iteration's best weights, keeps the detections at or above the confidence threshold \
            (<code>--conf</code>, here \(format(settings.autolabel.confidence))), drops every prediction whose box \
            overlaps an existing label by more than <code>--merge-iou</code> (here \(format(settings.autolabel.mergeIoU))), \
            appends the rest as new labels (keypoints under <code>--kpt-conf</code> \
            \(format(settings.autolabel.keypointConfidence)) are written invisible), and fine-tunes from the previous \
            best weights. Existing labels, original or generated earlier, are never changed or removed. Each \
            iteration trains \(settings.training.epochs) epochs at \(settings.training.imageSize) px.</p>
            """,
        ]
    }

    /// How to read the metrics: which are comparable across iterations, and what each measures.
    static func metricsNote(_ summary: RunSummary) -> String {
        let fixedNote =
            ReportTables.hasFixedValidation(summary)
            ? ". Table 2b measures on \(HTMLText.escape(summary.fixedVal?.description ?? "the original val labels"))"
            : "; this run did not measure them (the paper protocol has no fixed val)"
        return """
            <p class="note">The own val labels grow as the run labels the val split, so metrics on them measure \
            each model against a different, partly self-made answer key: they are <b>not comparable across \
            iterations</b> (this is what the paper reports). Metrics on a fixed val use the same \
            labels every time and <b>are comparable</b>\(fixedNote). P and R are taken at the \
            confidence of maximum F1; AP50 and AP50-95 by 101-point interpolation, over box IoU for box and \
            keypoint OKS for pose. MSE is the mean squared landmark error in pixels² and NME the mean landmark \
            error over the inter-ocular distance (in %), both on the faces the model found. The paper's \
            "MSE" column is a competition score and is not reproduced here.</p>
            """
    }

    /// The quality of the generated labels and what the filters removed, when the run measured them.
    static func quality(_ quality: [String], filters: [String]) -> [String] {
        var section: [String] = []
        if !quality.isEmpty {
            section.append("<h2>Quality of the generated labels</h2>")
            section.append(
                """
                <p class="note">Against the true labels: a generated label is correct when its box overlaps a \
                face that had no original label with IoU ≥ 0.5; precision is correct / generated, recall the \
                share of those unlabelled faces recovered, NME the landmark error of the correct ones.</p>
                """)
            section += quality
        }
        if !filters.isEmpty {
            section.append(
                """
                <p class="note">The filters beyond the score threshold: the flip check removes a face whose \
                landmarks move when the image is mirrored, or that only one view finds; the shape check removes \
                (or flags for review) a face whose shape the original labels make implausible. With the truth, \
                a removed candidate was wrong when it found no unlabelled face, or placed its landmarks more \
                than 10% of the inter-ocular distance away.</p>
                """)
            section += filters
        }
        return section
    }

    static let style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 2em auto; \
        max-width: 1150px; padding: 0 1em; line-height: 1.45; }
        h1 { font-size: 1.7em; margin-bottom: 0.4em; }
        h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; }
        code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.92em; background: #f3f3f3; \
        padding: 0 0.25em; border-radius: 3px; }
        table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-variant-numeric: tabular-nums; }
        caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
        th, td { border: 1px solid #c8c8c8; padding: 3px 9px; text-align: right; }
        th { background: #eef1f5; }
        td.text { text-align: left; }
        tbody tr:nth-child(even) { background: #fafafa; }
        figure { margin: 1em 0 1.5em; }
        figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; background: #fff; }
        figcaption { color: #555; font-size: 0.92em; }
        .note { color: #444; }
        footer { margin-top: 2.5em; color: #666; font-size: 0.9em; }
        @media print {
          body { margin: 0; max-width: none; font-size: 10pt; }
          h2 { break-after: avoid; }
          figure, table { break-inside: avoid; }
          figure svg { border: none; }
        }
        """

    static func figure(_ svg: SVGDocument, caption: String) -> String {
        "<figure>\n\(svg.markup(standalone: false))<figcaption>\(HTMLText.escape(caption))</figcaption></figure>"
    }

    /// A threshold as the user would type it: 0.7, 0.35.
    static func format(_ value: some BinaryFloatingPoint) -> String { String(format: "%g", Double(value)) }

    static func protocolText(_ name: RefineProtocol) -> String {
        switch name {
        case .paper:
            "the published procedure: each iteration labels the train and the val split, and every model is "
                + "measured on its own iteration's val labels only."
        case .default:
            "as the paper, and every model is also measured on the original val labels (the fixed val); the run "
                + "stops early when an iteration adds fewer labels than --stop-below."
        }
    }

    static func iterationsText(_ summary: RunSummary) -> String {
        guard let first = summary.iterations.first, let last = summary.iterations.last else { return "none yet" }
        let count = summary.iterations.count
        return "Iter\(first.index) to Iter\(last.index) (\(count) model\(count == 1 ? "" : "s") trained)"
    }

    /// "4437 to 6240 (+40.6%)", the growth from the first to the last iteration.
    static func growthText(_ summary: RunSummary) -> String {
        guard let first = summary.iterations.first?.totalLabels, let last = summary.iterations.last?.totalLabels else {
            return "none yet"
        }
        guard first > 0 else { return "\(first) to \(last)" }
        let growth = Double(last - first) / Double(first) * 100
        return "\(first) to \(last) (\(growth >= 0 ? "+" : "")\(String(format: "%.1f", growth))%)"
    }
}
