import Foundation
import Imaging
import PoseData
import Testing

@testable import AutoLabel

@Suite struct `Run report` {
    /// Writes the fixture's report into a new temporary folder.
    func write(_ summary: RunSummary = ReportFixture.summary()) throws -> (report: URL, folder: URL) {
        let folder = try ReportFixture.temporaryFolder()
        let report = folder.appendingPathComponent("run/report")
        try RunReport.write(summary: summary, samples: try ReportFixture.samples(in: folder), to: report)
        return (report, folder)
    }

    func text(_ file: URL) throws -> String { try String(contentsOf: file, encoding: .utf8) }

    @Test func `the report folder holds every table as CSV and Markdown, both figures and the page`() throws {
        let (report, folder) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = try FileManager.default.contentsOfDirectory(atPath: report.path).sorted()
        #expect(
            names == [
                "figure2.svg", "figure3.svg", "quality.csv", "quality.md", "report.html", "table1.csv", "table1.md", "table2.csv",
                "table2.md",
            ])
        let summary = ReportFixture.summary()
        for file in ReportTables.files(summary) {
            #expect(try text(report.appendingPathComponent("\(file.stem).csv")) == file.csv)
            #expect(try text(report.appendingPathComponent("\(file.stem).md")) == file.markdown)
        }
        #expect(try text(report.appendingPathComponent("figure2.svg")).hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"812\""))
        #expect(try text(report.appendingPathComponent("figure3.svg")).hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\""))
        // Nothing of the writing is left beside the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: report.deletingLastPathComponent().path) == ["report"])
    }

    @Test func `the page says where the stopping pass's labels are, how many are right, and which data set the last model trained on`()
        throws
    {
        var summary = ReportFixture.summary(stoppedBecause: "iteration 3 added 2 labels, fewer than --stop-below 2%")
        summary.stoppingPass = StoppingPass(
            index: 3, added: 2,
            quality: LabelQuality(generated: 21, correct: 19, unlabelledFaces: 30, precision: 19.0 / 21, recall: 19.0 / 30, nme: 0.052))
        let (report, folder) = try write(summary)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = try text(report.appendingPathComponent("report.html"))
        #expect(
            page.contains(
                "yes: iteration 3 added 2 labels, fewer than --stop-below 2%; its 2 labels are in iter3/data, but no model trained on them "
                    + "(with them, 90.5% of the generated labels are right): review them (facelabel review RUN --iteration 3) or use iter2/data, "
                    + "the data set the last model trained on"))
        #expect(page.contains("<td>3</td><td class=\"text\">no (stopped the run)</td><td>21</td>"))
    }

    @Test func `a run with the paper protocol has no quality files`() throws {
        let (report, folder) = try write(ReportFixture.summary(protocolName: .paper))
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(!FileManager.default.fileExists(atPath: report.appendingPathComponent("quality.csv").path))
        let page = try text(report.appendingPathComponent("report.html"))
        #expect(page.contains("Table 2a.") && !page.contains("Table 2b.") && page.contains("the paper protocol has no fixed val"))
    }

    @Test func `writing again replaces the whole report and leaves nothing behind`() throws {
        let (report, folder) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        try RunReport.write(
            summary: ReportFixture.summary(protocolName: .paper), samples: try ReportFixture.samples(in: folder), to: report)
        #expect(!FileManager.default.fileExists(atPath: report.appendingPathComponent("quality.csv").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: report.deletingLastPathComponent().path) == ["report"])
    }

    @Test func `a failed write leaves the previous report as it was`() throws {
        let (report, folder) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = try text(report.appendingPathComponent("report.html"))
        let missing = FigureSample(image: folder.appendingPathComponent("gone.png"), labels: [[]])
        #expect(throws: ImageError.self) {
            try RunReport.write(summary: ReportFixture.summary(protocolName: .paper), samples: [missing], to: report)
        }
        #expect(try text(report.appendingPathComponent("report.html")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: report.deletingLastPathComponent().path) == ["report"])
    }

    @Test func `a folder that holds something other than a report is not replaced`() throws {
        let folder = try ReportFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let precious = folder.appendingPathComponent("weights.safetensors")
        try Data([1, 2, 3]).write(to: precious)
        #expect(throws: RunReport.Failure.notAReportFolder(folder.standardizedFileURL.path)) {
            try RunReport.write(summary: ReportFixture.summary(), samples: [], to: folder)
        }
        #expect(try Data(contentsOf: precious) == Data([1, 2, 3]))
    }

    @Test func `report.html is one self-contained page with the run's facts, the tables and both figures`() throws {
        let (report, folder) = try write(ReportFixture.summary(stoppedBecause: "iteration 2 added 7 labels, fewer than --stop-below 8"))
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = try text(report.appendingPathComponent("report.html"))
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<code>/data/faces &amp; friends/data.yaml</code>"))
        #expect(page.contains("<b>default</b>: as the paper"))
        #expect(page.contains("yes: iteration 2 added 7 labels, fewer than --stop-below 8"))
        #expect(page.contains("75 to 94 (+25.3%)"))
        // The thresholds and schedule quoted are the run's own, not the defaults.
        #expect(page.contains("<code>--conf</code>, here 0.55") && page.contains("<code>--merge-iou</code> (here 0.35)"))
        #expect(page.contains("trains 7 epochs at 640 px"))
        #expect(page.contains("<b>not comparable across iterations</b>") && page.contains("<b>are comparable</b>"))
        for caption in [
            "Table 1. Images and labels per iteration", "Table 2a. Metrics on each iteration&#39;s own val labels",
            "Table 2b. Metrics on the original val labels", "Label quality against the truth",
        ] {
            #expect(page.contains("<caption>\(caption)"), "\(caption)")
        }
        #expect(page.contains("<tr><td>2</td><td>40</td><td>76</td><td>10</td><td>18</td><td>94</td><td>7</td></tr>"))
        #expect(page.contains("<td>95.3</td>"))
        // Both figures are in the page as the files hold them (less the namespace, which HTML
        // implies), and nothing is fetched from anywhere: the sample images are inside.
        for name in ["figure2.svg", "figure3.svg"] {
            let svg = try text(report.appendingPathComponent(name)).replacingOccurrences(
                of: " xmlns=\"http://www.w3.org/2000/svg\"", with: "")
            #expect(page.contains(svg), "\(name)")
        }
        #expect(page.components(separatedBy: "<svg ").count == 3 && !page.contains("<img "))
        for reference in ["http:", "https:", "file:", "<script", "<link", "<iframe", "@import", "url(", "src="] {
            #expect(!page.contains(reference), "\(reference)")
        }
        let links = page.components(separatedBy: "href=\"").dropFirst()
        #expect(links.count == 8 && links.allSatisfy { $0.hasPrefix("data:image/jpeg;base64,") || $0.hasPrefix("#sample-") })
    }
}
