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
        let refinement = try RefinementRun.open(URL(fileURLWithPath: run))
        let summary = try refinement.summary()
        let report = try ReportFolder.write(refinement, summary: summary)
        if json {
            try printJSON(RefineOutput(summary: summary, report: report.path))
        } else {
            Tables.print(summary, run: run, report: report)
        }
    }
}

/// The report of a run, in `RUN/report/`.
enum ReportFolder {
    /// Writes every table and figure and returns the URL of report.html.
    static func write(_ run: RefinementRun, summary: RunSummary) throws -> URL {
        try RunReport.write(summary: summary, samples: try run.figureSamples(), to: run.reportFolder)
        return run.reportFolder.appendingPathComponent(RunReport.pageName)
    }
}

/// A run's summary for the terminal.
enum Tables {
    /// The report's tables, why the run stopped early (and where the stopping pass's labels are),
    /// and where the report is.
    static func print(_ summary: RunSummary, run: String, report: URL) {
        Swift.print(RunReport.markdown(summary))
        if let reason = summary.stoppedBecause { Swift.print("stopped early: \(reason)") }
        if let stopping = summary.stoppingPass { Swift.print(stopping.advice(run: run)) }
        Swift.print("report: \(report.path)")
    }
}
