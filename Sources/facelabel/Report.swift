import ArgumentParser
import AutoLabel
import Foundation

/// `facelabel report RUN`: rebuilds a refinement run's tables, figures and report.html from its ledger.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a refinement run's tables, figures and report.html from its ledger.")

    @Argument(help: "The run folder (refine --out).") var run: String
    @Flag(help: "Print the run summary as one JSON object on stdout.") var json = false

    func run() async throws {
        let refiner = try Refiner(run: URL(fileURLWithPath: run), data: nil, settings: RefineSettings(), resume: true)
        let summary = try refiner.summary()
        let report = try ReportFolder.write(refiner, summary: summary)
        if json {
            try printJSON(RefineOutput(summary: summary, report: report.path))
        } else {
            print(Tables.text(summary))
            print("report: \(report.path)")
        }
    }
}

/// The report of a run, in `RUN/report/`.
enum ReportFolder {
    /// Writes every table and figure and returns the URL of report.html.
    static func write(_ refiner: Refiner, summary: RunSummary) throws -> URL {
        let folder = refiner.run.appendingPathComponent("report")
        try RunReport.write(summary: summary, samples: try refiner.figureSamples(), to: folder)
        return folder.appendingPathComponent("report.html")
    }
}

/// The report's tables as text for the terminal.
enum Tables {
    static func text(_ summary: RunSummary) -> String {
        RunReport.markdown(summary)
    }
}
