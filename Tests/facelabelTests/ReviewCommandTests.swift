import AutoLabel
import Foundation
import PoseData
import Testing

/// A refinement run with generated labels, made through the commands: 12 drawn 64-px images, one
/// iteration of one epoch that keeps whatever the model finds.
func reviewableRun(_ scratch: Scratch) throws -> String {
    let synth = try runFaceLabel([
        "synth", "--out", scratch.path("data"), "--images", "12", "--imgsz", "64", "--unlabeled", "0.34", "--seed", "4",
    ])
    #expect(synth.status == 0, "\(synth.errors)")
    let refine = try runFaceLabel([
        "refine", "--data", scratch.path("data/data.yaml"), "--out", scratch.path("run"), "--iterations", "1", "--epochs", "1", "--imgsz",
        "64",
        "--batch", "4", "--conf", "0.0001", "--stop-below", "0", "--warmup-epochs", "0", "--close-mosaic", "0", "--workers", "1",
    ])
    #expect(refine.status == 0, "\(refine.errors)")
    return scratch.path("run")
}

/// `facelabel review` running in the background, stopped (SIGINT) when the test is done.
final class ReviewProcess {
    let process = Process()
    let output = Pipe()
    let errors: URL
    /// The URL it printed, with the token.
    private(set) var url = ""

    init(_ arguments: [String]) throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        process.executableURL = directory.appendingPathComponent("facelabel")
        process.arguments = ["review"] + arguments
        process.standardOutput = output
        errors = FileManager.default.temporaryDirectory.appendingPathComponent("review-stderr-\(UUID())")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        url = text.hasPrefix("review: ") ? String(text.dropFirst(8)) : ""
        #expect(!url.isEmpty, "review printed '\(text)', stderr: \(stderrText)")
    }

    var stderrText: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }
    var origin: String { String(url[..<url.range(of: "/?token=")!.lowerBound]) }
    var token: String { String(url[url.range(of: "token=")!.upperBound...]) }

    /// Stops the server as Ctrl-C does and returns its exit status.
    func interrupt() -> Int32 {
        process.interrupt()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: errors)
    }
}

/// One HTTP request with curl (which sends paths as given: `--path-as-is`); returns the status
/// and the body.
func http(
    _ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil
) throws -> (status: Int, body: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    var arguments = ["-s", "--path-as-is", "-X", method, "-o", "-", "-w", "\n%{http_code}", url]
    for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
    let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID())")
    defer { try? FileManager.default.removeItem(at: bodyFile) }
    if let body {
        try body.write(to: bodyFile)
        arguments += ["--data-binary", "@\(bodyFile.path)"]
    }
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    let split = text.range(of: "\n", options: .backwards)!
    return (Int(text[split.upperBound...]) ?? 0, String(text[..<split.lowerBound]))
}

/// What `Scripts/browser/review_flow.py URL ARGUMENTS` saw, acting on the page in headless Chromium.
func reviewFlow(_ url: String, _ arguments: [String] = []) throws -> [String: Any] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/browser/review_flow.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = [script.path, url] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "review_flow.py: \(String(decoding: data, as: UTF8.self))")
    return try jsonObject(String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct `review command` {
    @Test func `a person accepts, corrects and rejects in a real browser, and the ledger holds exactly that`() throws {
        let scratch = try Scratch()
        let run = try reviewableRun(scratch)
        let server = try ReviewProcess([run, "--reviewer", "ann"])
        let seen = try reviewFlow(server.url)
        let ids = try #require(seen["ids"] as? [Int])
        #expect(seen["statuses"] as? [String: String] == ["\(ids[0])": "accepted", "\(ids[1])": "corrected", "\(ids[2])": "rejected"])
        #expect((seen["errors"] as? [String])?.isEmpty == true, "console errors: \(seen["errors"] ?? "")")
        #expect(server.interrupt() == 0)
        #expect(server.stderrText.contains("every decision is in"))

        let ledger = try RefinementRun.open(URL(fileURLWithPath: run)).ledger
        let decided = try ledger.labels(matching: ReviewFilter()).filter { $0.version > 0 }
        #expect(decided.map(\.id).sorted() == ids.map(Int64.init).sorted())
        let byId = Dictionary(uniqueKeysWithValues: decided.map { ($0.id, $0) })
        #expect(byId[Int64(ids[0])]?.status == .accepted && byId[Int64(ids[0])]?.correctedLine == nil)
        #expect(byId[Int64(ids[2])]?.status == .rejected)
        #expect(decided.allSatisfy { $0.reviewer == "ann" && $0.version == 1 })
        // the corrected label: exactly one point moved, by the drag (24, 8 screen px at the page's zoom)
        let corrected = try #require(byId[Int64(ids[1])])
        #expect(corrected.status == .corrected)
        let before = corrected.instance
        let after = try #require(corrected.corrected)
        #expect(after.box == before.box)
        let moved = zip(before.keypoints, after.keypoints).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(moved.count == 1)
        let dragged = try #require(seen["dragged_px"] as? [Double])
        if let (_, (from, to)) = moved.first {
            #expect(abs((to.x - from.x) * 64 - dragged[0]) < 0.05 && abs((to.y - from.y) * 64 - dragged[1]) < 0.05, "\(from) → \(to)")
        }
        // the run's files are untouched: only the ledger changed
        #expect(
            try ledger.labels().filter { $0.iteration == 1 }.count == decided.count
                + ledger.labels(matching: ReviewFilter(statuses: [.unreviewed])).count)
    }

    @Test func `every request needs the token, changes must come from the page, and nothing outside the run is served`() throws {
        let scratch = try Scratch()
        let run = try reviewableRun(scratch)
        let server = try ReviewProcess([run])
        defer { _ = server.interrupt() }
        let (origin, token) = (server.origin, server.token)
        let auth = ["X-Review-Token": token]
        #expect(try http("GET", origin + "/api/run").status == 403)
        #expect(try http("GET", origin + "/api/run", headers: ["X-Review-Token": String(repeating: "0", count: token.count)]).status == 403)
        #expect(try http("GET", origin + "/?token=wrong").status == 403)
        #expect(try http("GET", origin + "/api/run", headers: ["Cookie": "facelabel_review=\(token)x"]).status == 403)
        // the token once in the URL, then the cookie
        let first = try http("GET", server.url)
        #expect(first.status == 303)
        #expect(try http("GET", origin + "/", headers: ["Cookie": "facelabel_review=\(token)"]).status == 200)
        // DNS rebinding: another host name for the same address
        #expect(try http("GET", origin + "/api/run", headers: auth.merging(["Host": "evil.example"]) { $1 }).status == 403)

        let queue = try jsonObject(try http("GET", origin + "/api/labels", headers: auth).body)
        let items = try #require(queue["items"] as? [[String: Any]])
        let item = items[0]
        let (id, image) = (try #require(item["id"] as? Int), try #require(item["imageURL"] as? String))
        #expect(try http("GET", origin + image, headers: auth).status == 200)
        for path in [
            "/images/train/../../ledger.sqlite", "/images/train/..%2F..%2Fledger.sqlite", "/images//etc/passwd",
            "/images/train//etc/passwd",
            "/images/../iter0/data/data.yaml", "/ledger.sqlite", "/images/test/x.jpg",
        ] {
            #expect(try http("GET", origin + path, headers: auth).status == 404, "\(path)")
        }

        let json = ["Content-Type": "application/json"]
        let decision = Data(#"{"status": "accepted", "version": 0}"#.utf8)
        let url = origin + "/api/labels/\(id)/decision"
        #expect(
            try http("POST", url, headers: json.merging(["Origin": "http://evil.example"]) { $1 }.merging(auth) { $1 }, body: decision)
                .status == 403)
        #expect(
            try http("POST", url, headers: json.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }.merging(auth) { $1 }, body: decision)
                .status == 403)
        #expect(try http("POST", url, headers: ["Content-Type": "text/plain"].merging(auth) { $1 }, body: decision).status == 415)
        #expect(try http("POST", url, headers: json, body: decision).status == 403)
        let large = try http("POST", url, headers: json.merging(auth) { $1 }, body: Data(repeating: 0x20, count: 200_000))
        #expect(large.status == 413 || large.status == 400)
        let malformed = try http("POST", url, headers: json.merging(auth) { $1 }, body: Data(#"{"status": "maybe", "version": 0}"#.utf8))
        #expect(malformed.status == 400 && malformed.body.contains("malformed body"), "\(malformed)")
        let badPoints = try http(
            "POST", url, headers: json.merging(auth) { $1 },
            body: Data(#"{"status": "corrected", "version": 0, "keypoints": [[0.5, 0.5, 2]]}"#.utf8))
        #expect(badPoints.status == 400 && badPoints.body.contains("the layout has 51"), "\(badPoints)")
        // from the page's own origin it is taken
        let taken = try http(
            "POST", url, headers: json.merging(["Origin": origin, "Sec-Fetch-Site": "same-origin"]) { $1 }.merging(auth) { $1 },
            body: decision)
        #expect(taken.status == 200 && taken.body.contains(#""status":"accepted""#), "\(taken)")
        #expect(try http("GET", origin + "/nothing", headers: auth).status == 404)
    }

    @Test func `two tabs: different labels both save, the same label gets a conflict, and a killed server keeps what it answered`() throws {
        let scratch = try Scratch()
        let run = try reviewableRun(scratch)
        let server = try ReviewProcess([run, "--reviewer", "bob"])
        let auth = ["X-Review-Token": server.token, "Content-Type": "application/json"]
        let queue = try jsonObject(try http("GET", server.origin + "/api/labels", headers: auth).body)
        let ids = try #require(queue["items"] as? [[String: Any]]).prefix(2).compactMap { $0["id"] as? Int }
        func decide(_ id: Int, _ status: String, version: Int) throws -> (status: Int, body: String) {
            try http(
                "POST", server.origin + "/api/labels/\(id)/decision", headers: auth,
                body: Data(#"{"status": "\#(status)", "version": \#(version)}"#.utf8))
        }
        #expect(try decide(ids[0], "accepted", version: 0).status == 200)
        #expect(try decide(ids[1], "rejected", version: 0).status == 200)
        let conflict = try decide(ids[0], "rejected", version: 0)
        #expect(
            conflict.status == 409 && conflict.body.contains("changed meanwhile") && conflict.body.contains(#""status":"accepted""#),
            "\(conflict)")
        let accepted = try http("POST", server.origin + "/api/accept-remaining", headers: auth, body: Data(#"{"minScore": 0}"#.utf8))
        #expect(accepted.status == 200)
        // SIGKILL: nothing the server answered is lost
        server.process.terminate()
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        let ledger = try RefinementRun.open(URL(fileURLWithPath: run)).ledger
        let items = try ledger.labels(matching: ReviewFilter())
        #expect(items.first { $0.id == Int64(ids[0]) }?.status == .accepted)
        #expect(items.first { $0.id == Int64(ids[1]) }?.status == .rejected)
        #expect(items.allSatisfy { $0.status != .unreviewed })
        let history = try runFaceLabel(["review", run, "--history", items[0].image.description])
        #expect(history.status == 0 && history.output.contains("by bob (review)"), "\(history)")
    }

    @Test func `generated labels go to Label Studio and CVAT files and come back as decisions through the commands`() throws {
        let scratch = try Scratch()
        let run = try reviewableRun(scratch)
        let exported = try runFaceLabel([
            "export", "labelstudio", "--run", run, "--out", scratch.path("tasks.json"), "--document-root", scratch.url.path,
        ])
        #expect(exported.status == 0, "\(exported.errors)")
        let config = try String(contentsOfFile: scratch.path("tasks.xml"), encoding: .utf8)
        #expect(config.contains(#"model_index="50""#) && config.contains("<KeyPointLabels"))
        let tasks = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path("tasks.json")))) as? [[String: Any]])
        let image = try #require((tasks.first?["data"] as? [String: Any])?["image"] as? String)
        #expect(image.hasPrefix("/data/local-files/?d=data/images/"))  // the original image, relative to the document root
        // answered in Label Studio: the first task as predicted, by its annotator
        var answered = tasks
        var first = answered[0]
        first["annotations"] = [
            [
                "id": 1, "was_cancelled": false, "completed_by": ["id": 3, "email": "cy@clinic.org"],
                "result": ((first["predictions"] as! [[String: Any]])[0]["result"] as! [[String: Any]]),
            ]
        ]
        answered[0] = first
        try JSONSerialization.data(withJSONObject: answered).write(to: URL(fileURLWithPath: scratch.path("export.json")))
        let imported = try runFaceLabel(["import", "labelstudio", "--run", run, "--file", scratch.path("export.json"), "--json"])
        #expect(imported.status == 0, "\(imported.errors)")
        let summary = try jsonObject(imported.output)
        #expect(
            summary["unanswered"] as? Int == tasks.count - 1 && (summary["accepted"] as? Int ?? 0) > 0 && summary["corrected"] as? Int == 0)

        let cvat = try runFaceLabel(["export", "cvat", "--run", run, "--out", scratch.path("annotations.xml")])
        #expect(cvat.status == 0, "\(cvat.errors)")
        let back = try runFaceLabel([
            "import", "cvat", "--run", run, "--xml", scratch.path("annotations.xml"), "--reviewer", "dan", "--json",
        ])
        #expect(back.status == 0, "\(back.errors)")
        let cvatSummary = try jsonObject(back.output)
        #expect(cvatSummary["corrected"] as? Int == 0 && cvatSummary["rejected"] as? Int == 0 && cvatSummary["added"] as? Int == 0)
        let ledger = try RefinementRun.open(URL(fileURLWithPath: run)).ledger
        #expect(try ledger.labels(matching: ReviewFilter()).allSatisfy { $0.status == .accepted })
        #expect(
            try ledger.labels(matching: ReviewFilter()).contains { $0.reviewer == "cy@clinic.org" }
                && ledger.labels(matching: ReviewFilter()).contains { $0.reviewer == "dan" })
        // a file that is not one refuses with its name
        try Data("<annotations><image name=\"x.jpg\" width=\"0\" height=\"1\"></image></annotations>".utf8).write(
            to: URL(fileURLWithPath: scratch.path("bad.xml")))
        let bad = try runFaceLabel(["import", "cvat", "--run", run, "--xml", scratch.path("bad.xml")])
        #expect(bad.status != 0 && bad.errors.contains("bad.xml:1: <image> needs a name and a positive width and height"), "\(bad.errors)")
    }

    @Test
    func
        `an audit by keyboard in a real browser: its decisions and a missed face are the audit's, and the estimate calibrates the next pass`()
        throws
    {
        let scratch = try Scratch()
        let run = try reviewableRun(scratch)
        let refused = try runFaceLabel(["review", run, "--audit-images", "2"])
        #expect(refused.status != 0 && refused.errors.contains("--audit-images needs --audit"), "\(refused.errors)")
        let server = try ReviewProcess([run, "--reviewer", "ann", "--audit", "3", "--audit-images", "2", "--seed", "5"])
        #expect(server.stderrText.contains("audit of iteration 1: 3 labels (0 decided), 2 images (0 checked)"), "\(server.stderrText)")
        let seen = try reviewFlow(server.url, ["--audit"])
        #expect((seen["errors"] as? [String])?.isEmpty == true, "console errors: \(seen["errors"] ?? "")")
        #expect((seen["progress"] as? String)?.contains("precision 66.7% (95% CI") == true, "\(seen["progress"] ?? "")")
        #expect(server.interrupt() == 0)

        let refinement = try RefinementRun.open(URL(fileURLWithPath: run))
        let ledger = refinement.ledger
        let items = try ledger.auditItems(iteration: 1)
        let labels = items.filter { $0.kind == .label }
        #expect(labels.compactMap(\.labelId).map(Int.init) == seen["labels"] as? [Int] && items.allSatisfy(\.done))
        let decisions = try ledger.auditDecisions(iteration: 1)
        #expect(decisions.map(\.decision.status) == [.accepted, .rejected, .accepted])
        #expect(decisions.allSatisfy { $0.decision.source == "audit" && $0.decision.reviewer == "ann" })
        // the missed face: a box on the first image of the sample, its points not placed
        let image = try #require(items.first { $0.kind == .image }).image
        let added = try ledger.history(of: image).filter { $0.label.status == .added }
        #expect(added.count == 1 && added[0].decisions.map(\.source) == ["audit"])
        #expect(added.first?.label.current.keypoints.allSatisfy { $0.visibility == 0 } == true)

        let audit = try runFaceLabel(["audit", run, "--json", "--width", "0.2"])
        #expect(audit.status == 0, "\(audit.errors)")
        let estimate = try #require((try jsonObject(audit.output)["audits"] as? [[String: Any]])?.first)
        #expect(estimate["labelsAudited"] as? Int == 3 && estimate["right"] as? Int == 2 && estimate["rejected"] as? Int == 1)
        #expect(estimate["imagesChecked"] as? Int == 2 && estimate["missedFaces"] as? Int == 1 && estimate["moreLabels"] is Int)
        let text = try runFaceLabel(["audit", run])
        #expect(text.output.contains("precision 66.7% (95% CI ") && text.output.contains("Wilson): 2 right"), "\(text.output)")
        let wide = try runFaceLabel(["audit", run, "--width", "2"])
        #expect(wide.status != 0 && wide.errors.contains("--width must be in (0, 1], not 2.0"), "\(wide.errors)")

        let calibrated = try runFaceLabel([
            "calibrate", "--from-review", run, "--target-precision", "0.5", "--out", scratch.path("audit.json"),
        ])
        #expect(calibrated.status == 0 && calibrated.output.contains("3 audited labels of iteration 1"), "\(calibrated)")
        let file = try JSONDecoder().decode(Calibration.File.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.path("audit.json"))))
        #expect(file.precision == 2.0 / 3 && file.conf >= 0.0001)
        let resumed = try runFaceLabel([
            "refine", "--resume", "--out", run, "--iterations", "2", "--calibrated", scratch.path("audit.json"),
        ])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(try RefinementRun.open(URL(fileURLWithPath: run)).settings().autolabel.confidence == file.conf)
        let table = try String(contentsOfFile: run + "/report/audit.md", encoding: .utf8)
        #expect(table.contains("Label quality from the audit") && table.contains("| 1 |"), "\(table)")
    }
}
