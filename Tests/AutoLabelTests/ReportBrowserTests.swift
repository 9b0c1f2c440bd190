import BrowserTestSupport
import Foundation
import Imaging
import PoseData
import Testing

@testable import AutoLabel

/// Opens report.html in Debian's headless Chromium, which `Scripts/bootstrap.sh` installs (issue 5:
/// "the report opens in headless Chromium without errors and shows the tables").
@Suite struct `Report page in Chromium` {
    @Test func `report.html renders in headless Chromium with its tables and embedded figures, loading nothing else`() throws {
        let folder = try ReportFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report")
        try RunReport.write(summary: ReportFixture.summary(), samples: try ReportFixture.samples(in: folder), to: report)
        let page = report.appendingPathComponent(RunReport.pageName)

        let dom = try Chromium.browse(["--dump-dom", page.absoluteString], in: folder)
        #expect(dom.status == 0, "chromium --dump-dom exited with \(dom.status): \(dom.errors.suffix(2000))")
        for heading in [
            "<h1>Iterative labelling report</h1>", "<caption>Table 1. Images and labels per iteration</caption>",
            "<caption>Table 2a.", "<caption>Table 2b.", "<caption>Label quality against the truth",
        ] {
            #expect(dom.output.contains(heading), "\(heading)")
        }
        #expect(dom.output.contains("<td>94</td>"))
        // both figures as SVG, with their words as text and the sample images inside
        #expect(dom.output.components(separatedBy: "<svg ").count == 3)
        for words in [">Labels per iteration</text>", ">Iter 2</text>", ">Original labels</text>", ">94</text>"] {
            #expect(dom.output.contains(words), "\(words)")
        }
        #expect(dom.output.components(separatedBy: "href=\"data:image/jpeg;base64,").count == 3)
        // A resource that failed to load (or a script error) shows in Chromium's console log.
        for problem in ["Failed to load resource", "Uncaught", "ERR_NAME_NOT_RESOLVED", "Not allowed to load"] {
            #expect(!dom.errors.contains(problem), "\(problem)")
        }

        let screenshot = report.appendingPathComponent("screenshot.png")
        let shot = try Chromium.browse(
            ["--screenshot=\(screenshot.path)", "--window-size=1280,3200", "--hide-scrollbars", page.absoluteString], in: folder)
        #expect(shot.status == 0, "chromium --screenshot exited with \(shot.status): \(shot.errors.suffix(2000))")
        let image = try ImageCodec.decode(contentsOf: screenshot)
        #expect(image.width == 1280 && image.height == 3200)
        // Not a blank page: dark text and the figures' colours are on it.
        let values = Set(stride(from: 0, to: image.pixels.count, by: 3 * 97).map { image.pixels[$0] })
        #expect(values.count > 20 && values.contains { $0 < 80 })
        // FACELABEL_REPORT_OUTPUT=FOLDER keeps the report and the screenshot there, for a person to look at.
        if let output = ProcessInfo.processInfo.environment["FACELABEL_REPORT_OUTPUT"] {
            try? FileManager.default.removeItem(atPath: output)
            try FileManager.default.copyItem(at: report, to: URL(fileURLWithPath: output))
        }
    }
}
