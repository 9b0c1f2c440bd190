import ArgumentParser
import Foundation
import Loader
import PoseData

/// `facelabel check DATA.yaml`: counts and problems of a YOLO-pose data set; never writes into it.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a YOLO-pose data set without changing it.",
        discussion: """
            Reads data.yaml, every image and every label file the way training will, and prints per \
            split the number of images, labelled images, faces, images without labels, unreadable \
            images and duplicate images (same bytes), then every problem as 'file:line: reason'. \
            Exits with status 1 when anything is wrong. Nothing is written into the data set.
            """)

    @Argument(help: "The data set's data.yaml.")
    var data: String

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @Flag(inversion: .prefixedNo, help: "Decode every image to find corrupt and truncated files (slower than reading headers).")
    var decode = true

    @Option(help: "Images checked at the same time.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        try OptionCheck.workers(workers)
    }

    func run() async throws {
        let url = URL(fileURLWithPath: data)
        let progress = ProgressLine("checking images")
        let report = await DatasetCheck.run(
            configURL: url, options: .init(decodesImages: decode, concurrency: workers),
            progress: { done, total in progress.update(done, of: total) })
        progress.finish()
        if json {
            print(report.json())
        } else {
            print(Self.table(report))
        }
        if !report.isOK { throw ExitCode(1) }
    }

    /// The human-readable report: a table of counts, then the problems.
    static func table(_ report: DatasetCheckReport) -> String {
        let columns = ["images", "labelled", "faces", "no labels", "unreadable", "duplicates"]
        var lines = [report.data]
        if !report.splits.isEmpty {
            let header = ["split"] + columns
            var rows = [header]
            for (split, counts) in report.splits {
                rows.append(
                    [split.rawValue]
                        + [
                            counts.images, counts.labelledImages, counts.faces, counts.imagesWithoutLabels,
                            counts.unreadableImages, counts.duplicateImages,
                        ].map(String.init))
            }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append(
                    row.enumerated().map { column, cell in
                        let pad = String(repeating: " ", count: widths[column] - cell.count)
                        return column == 0 ? cell + pad : pad + cell
                    }.joined(separator: "  "))
            }
        }
        if report.isOK {
            lines.append("no problems")
        } else {
            lines.append("\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"):")
            lines += report.problems.map(\.description)
        }
        return lines.joined(separator: "\n")
    }
}
