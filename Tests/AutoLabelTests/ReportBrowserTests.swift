import Foundation
import PoseData
import Testing

@testable import AutoLabel

/// Opens report.html in Debian's headless Chromium, which `Scripts/bootstrap.sh` installs (issue 5:
/// "the report opens in headless Chromium without errors and shows the tables").
@Suite struct `Report page in Chromium` {
    /// Chromium's path, from PATH.
    static func chromiumPath() -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    /// Runs Chromium headless with `arguments`, no network (every host name fails to resolve) and
    /// its profile in `folder`; stops it after `timeout` seconds.
    ///
    /// - Returns: its exit status, standard output and standard error.
    static func browse(_ arguments: [String], in folder: URL, timeout: Double = 120) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let chromium = try #require(
            chromiumPath(), "chromium is not on PATH: Scripts/bootstrap.sh installs Debian's chromium package")
        let (output, errors) = (folder.appendingPathComponent("stdout.txt"), folder.appendingPathComponent("stderr.txt"))
        try Data().write(to: output)
        try Data().write(to: errors)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments =
            [
                "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--enable-logging=stderr", "--v=0",
            ] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("chromium \(arguments.joined(separator: " ")) ran past \(Int(timeout)) s")
        }
        return (
            process.terminationStatus, try String(contentsOf: output, encoding: .utf8),
            try String(contentsOf: errors, encoding: .utf8)
        )
    }

    @Test func `report.html renders in headless Chromium with its tables and embedded figures, loading nothing else`() throws {
        let folder = try ReportFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report")
        try RunReport.write(summary: ReportFixture.summary(), samples: try ReportFixture.samples(in: folder), to: report)
        let page = report.appendingPathComponent(RunReport.pageName)

        let dom = try Self.browse(["--dump-dom", page.absoluteString], in: folder)
        #expect(dom.status == 0, "chromium --dump-dom exited with \(dom.status): \(dom.errors.suffix(2000))")
        for heading in [
            "<h1>Iterative labelling report</h1>", "<caption>Table 1. Images and labels per iteration</caption>",
            "<caption>Table 2a.", "<caption>Table 2b.", "<caption>Label quality against the truth",
        ] {
            #expect(dom.output.contains(heading), "\(heading)")
        }
        #expect(dom.output.contains("<td>94</td>"))
        #expect(dom.output.components(separatedBy: "src=\"data:image/png;base64,").count == 3)
        // A resource that failed to load (or a script error) shows in Chromium's console log.
        for problem in ["Failed to load resource", "Uncaught", "ERR_NAME_NOT_RESOLVED", "Not allowed to load"] {
            #expect(!dom.errors.contains(problem), "\(problem)")
        }

        let screenshot = report.appendingPathComponent("screenshot.png")
        let shot = try Self.browse(
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
