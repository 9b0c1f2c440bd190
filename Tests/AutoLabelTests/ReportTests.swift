import Foundation
import Pose
import PoseData
import Testing

@testable import AutoLabel

/// A hand-made summary of three iterations with both val sets and the label quality.
func handSummary() -> RunSummary {
    func metrics(_ map: Double) -> ValidationMetrics {
        ValidationMetrics(
            box: DetectionScores(precision: 0.9, recall: 0.8, map50: map, map50_95: map / 2),
            pose: DetectionScores(precision: 0.85, recall: 0.75, map50: map - 0.1, map50_95: map / 3),
            landmarks: LandmarkScores(mse: 12.5, nme: 0.0456, failureRate: 0.1, auc: 0.6, matched: 9, missed: 1), images: 5, instances: 10)
    }
    let iterations = (0..<3).map { k in
        IterationSummary(
            index: k, train: SplitCounts(images: 40, labels: 60 + 10 * k, added: k == 0 ? 0 : 10),
            val: SplitCounts(images: 10, labels: 15 + 2 * k, added: k == 0 ? 0 : 2), ownValidation: metrics(0.9),
            fixedValidation: metrics(0.8 + 0.05 * Double(k)),
            quality: k == 0 ? nil : LabelQuality(generated: 12 * k, correct: 12 * k - 1, unlabelledFaces: 30, precision: Double(12 * k - 1) / Double(12 * k), recall: Double(12 * k - 1) / 30, nme: 0.05),
            labellingSeconds: 1, trainingSeconds: 2)
    }
    return RunSummary(data: "/data/faces.yaml", protocolName: "default", iterations: iterations, stoppedBecause: nil)
}

@Suite(.serialized) struct `Run report` {
    func write() throws -> (folder: URL, report: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let image = folder.appendingPathComponent("face.png")
        try ImageCodec.write(RGBImage(width: 100, height: 80, fill: (200, 200, 200)), to: image)
        let original = PoseInstance(box: BoundingBox(minX: 0.1, minY: 0.1, maxX: 0.4, maxY: 0.5), keypoints: [Keypoint(x: 0.2, y: 0.2)])
        let added = PoseInstance(box: BoundingBox(minX: 0.5, minY: 0.3, maxX: 0.9, maxY: 0.8), keypoints: [Keypoint(x: 0.7, y: 0.5)])
        let sample = FigureSample(image: image, labels: [
            [.init(instance: original, addedBy: nil)], [.init(instance: original, addedBy: nil), .init(instance: added, addedBy: 1)],
            [.init(instance: original, addedBy: nil), .init(instance: added, addedBy: 1)],
        ])
        let report = folder.appendingPathComponent("report")
        try RunReport.write(summary: handSummary(), samples: [sample], to: report)
        return (folder, report)
    }

    @Test func `Table 1 and the quality table hold the summary's numbers`() throws {
        let (folder, report) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let table1 = try String(contentsOf: report.appendingPathComponent("table1.csv"), encoding: .utf8)
        #expect(table1 == """
            iteration,train images,train labels,val images,val labels,total labels,added
            0,40,60,10,15,75,0
            1,40,70,10,17,87,12
            2,40,80,10,19,99,12

            """)
        let markdown = try String(contentsOf: report.appendingPathComponent("table2-fixed.md"), encoding: .utf8)
        #expect(markdown.contains("| 2 | 90.0 | 80.0 | 90.0 | 45.0 | 85.0 | 75.0 | 80.0 | 30.0 | 12.5 | 0.0456 |"))
        let quality = try String(contentsOf: report.appendingPathComponent("quality.csv"), encoding: .utf8)
        #expect(quality.split(separator: "\n")[1] == "1,12,11,30,0.916667,0.366667,0.05")
    }

    @Test func `the figures decode, and original and generated labels have their own colours`() throws {
        let (folder, report) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chart = try ImageCodec.decode(contentsOf: report.appendingPathComponent("figure3.png"))
        #expect(chart.width == 720 && chart.height == 420)
        let figure = try ImageCodec.decode(contentsOf: report.appendingPathComponent("figure2.png"))
        #expect(figure.width == 3 * 226 + 6)
        func present(_ color: Color) -> Bool {
            let target = (UInt8(color.r * 255), UInt8(color.g * 255), UInt8(color.b * 255))
            return stride(from: 0, to: figure.pixels.count, by: 3).contains { i in
                abs(Int(figure.pixels[i]) - Int(target.0)) < 3 && abs(Int(figure.pixels[i + 1]) - Int(target.1)) < 3
                    && abs(Int(figure.pixels[i + 2]) - Int(target.2)) < 3
            }
        }
        #expect(present(ReportFigures.labelColor(addedBy: nil)) && present(ReportFigures.labelColor(addedBy: 1)))
    }

    @Test func `report.html is self-contained and shows the tables in headless Chromium`() throws {
        let (folder, report) = try write()
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = report.appendingPathComponent("report.html")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count == 3)
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "Chromium is missing: Scripts/bootstrap.sh installs Debian's chromium")
        let screenshot = folder.appendingPathComponent("shot.png")
        func browse(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path)/profile"] + arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let dom = try browse(["--dump-dom", page.absoluteString])
        #expect(dom.contains("Table 1. Images and labels per iteration") && dom.contains("<td>99</td>"))
        #expect(dom.contains("<img alt=\"figure\" src=\"data:image/png;base64,"))
        _ = try browse(["--screenshot=\(screenshot.path)", "--window-size=1200,2000", page.absoluteString])
        let shot = try ImageCodec.decode(contentsOf: screenshot)
        #expect(shot.width == 1200 && shot.pixels.contains { $0 < 100 })
    }
}
