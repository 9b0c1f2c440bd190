import Foundation
import Testing

/// Starts `facelabel` in the background and kills it with SIGKILL after `seconds`.
func runFaceLabel(_ arguments: [String], killAfter seconds: Double) throws -> Int32 {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = directory.appendingPathComponent("facelabel")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return process.terminationStatus
}

/// The ledger's labels and iteration summaries (without timings), as text, via the report command.
func ledgerContents(_ run: String) throws -> (labels: String, summaries: [[String: Any]]) {
    let result = try runFaceLabel(["report", run, "--json"])
    let object = try jsonObject(result.output)
    let summary = try #require(object["summary"] as? [String: Any])
    var iterations = try #require(summary["iterations"] as? [[String: Any]])
    for index in iterations.indices {
        iterations[index]["labellingSeconds"] = nil
        iterations[index]["trainingSeconds"] = nil
    }
    let sqlite = Process()
    sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    sqlite.arguments = [
        run + "/ledger.sqlite",
        "SELECT image.split, image.path, label.iteration, label.confidence, label.model, label.line FROM label JOIN image ON image.id = label.imageId ORDER BY 1, 2, 3, label.id",
    ]
    let pipe = Pipe()
    sqlite.standardOutput = pipe
    try sqlite.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    sqlite.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), iterations)
}

@Suite(.serialized) struct `refine and report commands` {
    func arguments(_ scratch: Scratch, run: String) -> [String] {
        [
            "refine", "--data", scratch.path("data/data.yaml"), "--truth", scratch.path("data/truth/data.yaml"), "--out", run,
            "--iterations", "2", "--epochs", "2", "--imgsz", "64", "--batch", "4", "--conf", "0.0001", "--stop-below", "0",
            "--warmup-epochs", "0", "--close-mosaic", "0", "--workers", "1",
        ]
    }

    @Test func `a run killed at several points and resumed ends with the same ledger as an uninterrupted one`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "10", "--imgsz", "64", "--seed", "2"]).status == 0)
        let straight = scratch.path("straight")
        let finished = try runFaceLabel(arguments(scratch, run: straight) + ["--json"])
        #expect(finished.status == 0)
        let expected = try ledgerContents(straight)

        let interrupted = scratch.path("interrupted")
        let ledger = interrupted + "/ledger.sqlite"
        var kills = 0
        for delay in [1.0, 2.5, 4.0] {
            // a run killed before it wrote its ledger left nothing to resume; it starts afresh
            let resume = FileManager.default.fileExists(atPath: ledger) ? ["--resume"] : []
            let status = try runFaceLabel(arguments(scratch, run: interrupted) + resume, killAfter: delay)
            if status != 0 && FileManager.default.fileExists(atPath: ledger) { kills += 1 }
        }
        let resumed = try runFaceLabel(["refine", "--out", interrupted, "--resume", "--json"])
        #expect(resumed.status == 0)
        #expect(kills >= 1, "the run was never killed after writing its ledger; change the delays")
        let actual = try ledgerContents(interrupted)
        #expect(actual.labels == expected.labels)
        #expect(NSArray(array: actual.summaries).isEqual(to: expected.summaries))

        // the report has the tables, figures and page
        for file in ["table1.csv", "table1.md", "table2.csv", "table2.md", "quality.csv", "figure2.svg", "figure3.svg", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: interrupted + "/report/" + file), "\(file)")
        }
    }

    @Test func `the demo runs at a tiny size and prints the three tables`() throws {
        let scratch = try Scratch()
        let result = try runFaceLabel([
            "demo", "--out", scratch.path("demo"), "--images", "8", "--imgsz", "64", "--iterations", "1", "--epochs", "1",
            "--batch", "4", "--model", "n",
        ])
        #expect(result.status == 0)
        #expect(result.output.contains("report: ") && result.output.contains("report.html"))
    }
}
