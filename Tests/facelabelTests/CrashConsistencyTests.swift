import AutoLabel
import Foundation
import Imaging
import PoseData
import Testing
import Torch

/// Issue 20: kills at random moments (seeded, so the same every run) across `train`, `autolabel`,
/// `refine` and the review server's writes. After every kill each output is absent or complete and
/// the ledger is sound; the run then resumed (train, refine, review) or run again (autolabel) ends
/// equal to an uninterrupted one.
@Suite(.serialized) struct `kills at random moments` {
    /// SplitMix64: the moments of the kills.
    struct Moments {
        var state: UInt64
        mutating func next(upTo limit: Double) -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return 0.05 + Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * limit
        }
    }

    /// Checks that every output below `folder` is complete: weights and states decode, yamls and
    /// label files parse, JSON parses, CSV rows match their header, images decode, ledgers pass
    /// SQLite's integrity check. A kill may leave an atomic write's temporary (`.name.UUID.tmp`) and
    /// SQLite its journal: those are not outputs. Returns how many files were checked.
    static func expectComplete(_ folder: String, after context: String) throws -> Int {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return 0 }
        var checked = 0
        for case let relative as String in walker {
            let path = folder + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            let name = URL(fileURLWithPath: path).lastPathComponent
            if (name.hasPrefix(".") && name.hasSuffix(".tmp")) || name.hasSuffix("-journal") || name.hasSuffix("-wal")
                || name.hasSuffix("-shm")
            {
                continue
            }
            let url = URL(fileURLWithPath: path)
            let problem: String?
            switch url.pathExtension {
            case "safetensors": problem = (try? Safetensors.read(from: url)) == nil ? "does not decode" : nil
            case "yaml": problem = (try? DatasetConfig.read(contentsOf: url)) == nil ? "does not parse" : nil
            case "json": problem = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) == nil ? "is not JSON" : nil
            case "jpg", "png": problem = (try? ImageCodec.decode(contentsOf: url)) == nil ? "does not decode" : nil
            case "txt" where path.contains("/labels/"):
                let text = try String(contentsOf: url, encoding: .utf8)
                problem = text.isEmpty || text.hasSuffix("\n") ? nil : "ends in the middle of a line"
            case "csv":
                let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
                let columns = rows.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }
                problem =
                    rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == columns }
                    ? nil : "has a short row"
            case "sqlite":
                let sqlite = Process()
                sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
                sqlite.arguments = [path, "PRAGMA integrity_check"]
                let pipe = Pipe()
                sqlite.standardOutput = pipe
                try sqlite.run()
                let answer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                sqlite.waitUntilExit()
                problem = answer.trimmingCharacters(in: .whitespacesAndNewlines) == "ok" ? nil : "fails integrity_check: \(answer)"
            default: problem = nil
            }
            #expect(problem == nil, "\(context): \(relative) \(problem ?? "")")
            checked += 1
        }
        return checked
    }

    /// Kills `command` at random moments until `target` kills happened, checking the outputs after
    /// each, restarting it (with `resume` once `started(folder)`) and, after each run that finished,
    /// comparing it with the uninterrupted one and starting over.
    static func kill(
        _ command: [String], folder: String, target: Int, duration: Double, moments: inout Moments,
        resume: [String], started: (String) -> Bool, equal: (String) throws -> Void
    ) throws -> (kills: Int, checked: Int) {
        var (kills, checked, attempts) = (0, 0, 0)
        while kills < target && attempts < 4 * target {
            attempts += 1
            let arguments = command + (started(folder) ? resume : [])
            let status = try runFaceLabel(arguments, killAfter: moments.next(upTo: 1.2 * duration))
            if status == 0 {
                try equal(folder)
                try FileManager.default.removeItem(atPath: folder)
            } else {
                kills += 1
                checked += try expectComplete(folder, after: "\(command[0]) kill \(kills)")
            }
        }
        if started(folder) {
            #expect(try runFaceLabel(command + resume).status == 0, "\(command[0]): the last resume")
            try equal(folder)
        }
        return (kills, checked)
    }

    @Test func `fifty kills across train, autolabel and refine leave complete files, a sound ledger and the same end`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "10", "--imgsz", "64", "--seed", "2"]).status == 0)
        let data = scratch.path("data/data.yaml")
        var moments = Moments(state: 20)
        func timed(_ arguments: [String]) throws -> Double {
            let started = Date()
            #expect(try runFaceLabel(arguments).status == 0, "\(arguments[0]) without a kill")
            return Date().timeIntervalSince(started)
        }

        let train = ["train", "--data", data, "--epochs", "3", "--imgsz", "64", "--batch", "4", "--workers", "1", "--warmup-epochs", "0"]
        let trainDuration = try timed(train + ["--out", scratch.path("train-straight")])
        let weights = try Data(contentsOf: URL(fileURLWithPath: scratch.path("train-straight/weights/last.safetensors")))
        let trained = try Self.kill(
            train + ["--out", scratch.path("train")], folder: scratch.path("train"), target: 20, duration: trainDuration,
            moments: &moments, resume: ["--resume"], started: { FileManager.default.fileExists(atPath: $0 + "/config.json") },
            equal: { folder throws in
                #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/weights/last.safetensors")) == weights, "train after kills")
            })

        let model = scratch.path("train-straight/weights/last.safetensors")
        let autolabel = ["autolabel", "--data", data, "--weights", model, "--imgsz", "64", "--conf", "0.0001"]
        let autolabelDuration = try timed(autolabel + ["--out", scratch.path("labelled-straight")])
        func labels(_ folder: String) throws -> [String: Data] {
            var files: [String: Data] = [:]
            for split in ["train", "val"] {
                let labelFolder = folder + "/labels/" + split
                for name in try FileManager.default.contentsOfDirectory(atPath: labelFolder) {
                    files[split + "/" + name] = try Data(contentsOf: URL(fileURLWithPath: labelFolder + "/" + name))
                }
            }
            return files
        }
        let expectedLabels = try labels(scratch.path("labelled-straight"))
        let labelled = try Self.kill(
            autolabel + ["--out", scratch.path("labelled")], folder: scratch.path("labelled"), target: 10, duration: autolabelDuration,
            moments: &moments, resume: ["--overwrite"], started: { FileManager.default.fileExists(atPath: $0) },
            equal: { folder throws in #expect(try labels(folder) == expectedLabels, "autolabel after kills") })

        let refine = [
            "refine", "--data", data, "--iterations", "1", "--epochs", "1", "--imgsz", "64", "--batch", "4", "--conf", "0.0001",
            "--stop-below", "0", "--warmup-epochs", "0", "--close-mosaic", "0", "--workers", "1",
        ]
        let refineDuration = try timed(refine + ["--out", scratch.path("refined-straight")])
        let ledger = try ledgerContents(scratch.path("refined-straight"))
        let refined = try Self.kill(
            refine + ["--out", scratch.path("refined")], folder: scratch.path("refined"), target: 20, duration: refineDuration,
            moments: &moments, resume: ["--resume"], started: { FileManager.default.fileExists(atPath: $0 + "/ledger.sqlite") },
            equal: { folder throws in
                let contents = try ledgerContents(folder)
                #expect(contents.labels == ledger.labels, "refine after kills: labels")
                #expect(NSArray(array: contents.summaries).isEqual(to: ledger.summaries), "refine after kills: summaries")
            })

        let reviewed = try Self.killReview(run: scratch.path("refined-straight"), scratch: scratch, target: 10, moments: &moments)

        let kills = (trained.kills, labelled.kills, refined.kills, reviewed)
        #expect(
            kills.0 + kills.1 + kills.2 + kills.3 >= 50,
            "kills: \(kills.0) train, \(kills.1) autolabel, \(kills.2) refine, \(kills.3) review")
        #expect(trained.checked > 0 && refined.checked > 0)
    }

    /// The decision a scripted reviewer takes on label `id`: accept, reject, or correct (the first
    /// point moved right by 1% of the width).
    static func decision(for item: [String: Any], detail: [String: Any]) -> Data {
        let (id, version) = (item["id"] as! Int, item["version"] as! Int)
        switch id % 3 {
        case 0: return Data(#"{"status": "accepted", "version": \#(version)}"#.utf8)
        case 1: return Data(#"{"status": "rejected", "version": \#(version)}"#.utf8)
        default:
            var points = ((detail["label"] as! [String: Any])["shape"] as! [String: Any])["keypoints"] as! [[Double]]
            points[0][0] = min(points[0][0] + 0.01, 1)
            points[0][2] = 2
            let body: [String: Any] = ["status": "corrected", "version": version, "keypoints": points]
            return try! JSONSerialization.data(withJSONObject: body)
        }
    }

    /// Decides every label of the run in `folder` through a review server, one request at a time;
    /// with `moments`, kills the server (SIGKILL) at random moments and starts it again, checking
    /// after each kill that the ledger is sound and holds every decision the server had answered.
    /// Returns the kills and the labels as they end (id, status, line).
    static func reviewEverything(_ folder: String, killing moments: inout Moments?, target: Int) throws -> (kills: Int, end: [String]) {
        var kills = 0
        var answered: [Int: String] = [:]  // id → status the server confirmed
        while true {
            let server = try ReviewProcess([folder, "--reviewer", "kay"])
            let auth = ["X-Review-Token": server.token, "Content-Type": "application/json"]
            var pendingKill: ScheduledKill? = nil
            if moments != nil && kills < target {
                pendingKill = ScheduledKill(server.process.processIdentifier, after: moments!.next(upTo: 1.5))
            }
            var finished = true
            let items = (try? jsonObject(try http("GET", server.origin + "/api/labels", headers: auth).body))?["items"] as? [[String: Any]]
            for item in items ?? [] where item["status"] as? String == "unreviewed" {
                let id = item["id"] as! Int
                guard let detail = try? jsonObject(try http("GET", server.origin + "/api/labels/\(id)", headers: auth).body) else {
                    finished = false
                    break
                }
                let answer = try http(
                    "POST", server.origin + "/api/labels/\(id)/decision", headers: auth, body: decision(for: item, detail: detail))
                guard answer.status == 200, let status = try? jsonObject(answer.body)["status"] as? String else {
                    finished = false
                    break
                }
                answered[id] = status
            }
            if items == nil { finished = false }
            // A kill that has not fired yet is called off, so that it cannot land during the drain.
            if finished && pendingKill?.callOff() != false && server.process.isRunning {
                #expect(server.interrupt() == 0)
                break
            }
            server.process.waitUntilExit()
            kills += 1
            _ = try expectComplete(folder, after: "review kill \(kills)")
            let ledger = try RefinementRun.open(URL(fileURLWithPath: folder)).ledger
            for item in try ledger.labels(matching: ReviewFilter()) where answered[Int(item.id)] != nil {
                #expect(item.status.rawValue == answered[Int(item.id)], "review kill \(kills): label \(item.id) lost its decision")
            }
        }
        let ledger = try RefinementRun.open(URL(fileURLWithPath: folder)).ledger
        return (kills, try ledger.labels(matching: ReviewFilter()).map { "\($0.id) \($0.status.rawValue) \($0.currentLine)" }.sorted())
    }

    /// Reviews a copy of `run` without kills and another with `target` kills: they end the same.
    static func killReview(run: String, scratch: Scratch, target: Int, moments: inout Moments) throws -> Int {
        for copy in ["review-straight", "review-killed"] { try FileManager.default.copyItem(atPath: run, toPath: scratch.path(copy)) }
        var none: Moments? = nil
        let straight = try reviewEverything(scratch.path("review-straight"), killing: &none, target: 0)
        var some: Moments? = moments
        let killed = try reviewEverything(scratch.path("review-killed"), killing: &some, target: target)
        moments = some!
        #expect(killed.end == straight.end, "review after \(killed.kills) kills")
        #expect(!straight.end.isEmpty)
        return killed.kills
    }
}

/// A SIGKILL sent to a process after a delay, unless called off first.
final class ScheduledKill: @unchecked Sendable {
    private let lock = NSLock()
    private enum State { case pending, fired, calledOff }
    private var state = State.pending

    init(_ pid: pid_t, after delay: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            lock.withLock {
                guard state == .pending else { return }
                state = .fired
                Foundation.kill(pid, SIGKILL)
            }
        }
    }

    /// Whether the kill was called off in time (false: it has fired).
    func callOff() -> Bool {
        lock.withLock {
            if state == .pending { state = .calledOff }
            return state == .calledOff
        }
    }
}
