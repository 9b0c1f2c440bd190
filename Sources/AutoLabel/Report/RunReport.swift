import Foundation
import Imaging
import PoseData

/// The paper's tables and figures for a refinement run, as files in one folder (`RUN/report/`):
///
/// - `table1.csv`, `table1.md`: images and labels per split per iteration, and the labels added;
/// - `table2.csv`, `table2.md`: box and pose P, R, AP50, AP50-95, landmark MSE and NME on each
///   iteration's own val, and on the fixed (original) val when the run measured it; the CSV tells
///   the two apart by its leading `val` column (`own`, `fixed`);
/// - `quality.csv`, `quality.md` (runs with `--truth`): the generated labels against the truth;
/// - `figure2.svg`: the same images across iterations, original and generated labels in
///   different colours; `figure3.svg`: label counts per iteration (SVG with real text, the
///   images inside);
/// - `report.html`: all of it in one self-contained page.
///
/// CSV holds raw numbers (fractions as fractions, missing values empty); Markdown and HTML show
/// fractions as percentages with one decimal, as the paper does, and missing values as "–".
///
/// ```swift
/// let run = try RefinementRun.open(folder)
/// try RunReport.write(summary: try run.summary(), samples: try run.figureSamples(), to: run.reportFolder)
/// ```
public enum RunReport {
    /// What keeps a report from being written.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The target exists and is not a report folder (a file, or a folder with other content
        /// than a report's), so replacing it could lose what the user put there.
        case notAReportFolder(String)

        public var description: String {
            switch self {
            case .notAReportFolder(let path):
                "\(path): exists and is not a report folder (no report.html in it); choose another folder"
            }
        }
    }

    /// The name of the page in the report folder.
    public static let pageName = "report.html"

    /// Writes every table, figure and the page into `folder`, replacing a report already there.
    ///
    /// Everything is rendered first and written to a new folder beside `folder`, which then takes
    /// its place by renames: an interruption leaves the previous report or the new one, never a
    /// mixture, and a failure leaves the previous report as it was.
    ///
    /// - Parameters:
    ///   - summary: the run's counts and metrics.
    ///   - samples: the images of Figure 2 with their labels at every iteration.
    ///   - folder: the report folder; created with its parents when missing.
    /// - Throws: ``ImageError`` when a sample's image cannot be read, ``Failure`` when `folder` is
    ///   something other than a report, or the file system's error.
    public static func write(summary: RunSummary, samples: [FigureSample], to folder: URL) throws {
        try replace(folder, with: files(summary: summary, samples: samples))
    }

    /// Every table as Markdown, one after the other (for printing on a terminal).
    public static func markdown(_ summary: RunSummary) -> String {
        ReportTables.files(summary).map(\.markdown).joined(separator: "\n")
    }

    /// The report's files by name, in the order they are written.
    static func files(summary: RunSummary, samples: [FigureSample]) throws -> [(name: String, data: Data)] {
        let tables = ReportTables.files(summary)
        let figures = ReportPage.Figures(
            samples: try SampleGrid.svg(samples, iterations: summary.iterations.count), counts: CountChart.svg(summary))
        var files: [(name: String, data: Data)] = []
        for table in tables {
            files.append(("\(table.stem).csv", Data(table.csv.utf8)))
            files.append(("\(table.stem).md", Data(table.markdown.utf8)))
        }
        files.append(("figure2.svg", Data(figures.samples.markup(standalone: true).utf8)))
        files.append(("figure3.svg", Data(figures.counts.markup(standalone: true).utf8)))
        let page = ReportPage.html(summary: summary, tables: tables, figures: figures, samples: samples)
        files.append((pageName, Data(page.utf8)))
        return files
    }

    /// Puts a folder holding exactly `files` at `folder`, by rename.
    static func replace(_ folder: URL, with files: [(name: String, data: Data)]) throws {
        let manager = FileManager.default
        let folder = folder.standardizedFileURL
        let parent = folder.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        let exists = manager.fileExists(atPath: folder.path, isDirectory: &isFolder)
        if exists {
            let contents = isFolder.boolValue ? try manager.contentsOfDirectory(atPath: folder.path) : []
            guard isFolder.boolValue, contents.isEmpty || contents.contains(pageName) else {
                throw Failure.notAReportFolder(folder.path)
            }
        }
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        // Leftovers of a write that was killed half-way.
        let leftovers = [".\(folder.lastPathComponent).partial-", ".\(folder.lastPathComponent).previous-"]
        for name in try manager.contentsOfDirectory(atPath: parent.path) where leftovers.contains(where: name.hasPrefix) {
            try? manager.removeItem(at: parent.appendingPathComponent(name))
        }
        let token = UUID().uuidString
        let staging = parent.appendingPathComponent(".\(folder.lastPathComponent).partial-\(token)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            for file in files { try file.data.write(to: staging.appendingPathComponent(file.name)) }
            guard exists else { return try manager.moveItem(at: staging, to: folder) }
            let previous = parent.appendingPathComponent(".\(folder.lastPathComponent).previous-\(token)")
            try manager.moveItem(at: folder, to: previous)
            do {
                try manager.moveItem(at: staging, to: folder)
            } catch {
                try? manager.moveItem(at: previous, to: folder)
                throw error
            }
            try? manager.removeItem(at: previous)
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
