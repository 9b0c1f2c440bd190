import ArgumentParser
import AutoLabel
import Foundation
import PoseData
import Review

/// `facelabel review RUN`: the local review page of a refinement run's generated labels.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review a refinement run's generated labels in the browser: accept, correct or reject each.",
        discussion: """
            Prints one line, 'review: http://127.0.0.1:PORT/?token=...': open it in a browser on this \
            machine. The queue puts first the labels most likely to be wrong (lowest box score). Each \
            decision is saved to RUN/ledger.sqlite the moment it is made (label, decision, corrected \
            points, reviewer, time); the run's files are never changed. The next 'refine --resume' \
            (or a run started with 'refine --from RUN') uses the decisions. Ctrl-C stops the server. \
            With --history IMAGE it prints who decided what on each label of an image and exits. \
            With --audit N the page audits instead: a uniformly random sample of N of the labels \
            the iteration's data set holds as generated, shown in random order, then a random \
            sample of images on which to mark the faces no label covers; its decisions are marked \
            as the audit's, and 'facelabel audit RUN' turns them into precision and recall with \
            95% intervals. A larger N later extends the same sample (same --seed).
            """)

    @Argument(help: "The run folder (refine --out).") var run: String
    @Option(help: "The iteration whose labels the queue shows first (default: the latest that generated labels).") var iteration: Int?
    @Option(help: "Port (default: a free one).") var port = 0
    @Option(help: "The name recorded with each decision (default: the login name).") var reviewer: String?
    @Option(help: "Address to listen on. Anything but loopback exposes the page (token-protected) to the network.")
    var host = "127.0.0.1"
    @Option(help: "Print the labels of this image (split/path, e.g. train/a.jpg) with their decisions, and exit.") var history: String?
    @Flag(help: "With --history, print JSON.") var json = false
    @Option(help: "Audit a uniformly random sample of this many generated labels of the iteration.") var audit: Int?
    @Option(help: "With --audit: images to check for missed faces (default: half of --audit).") var auditImages: Int?
    @Option(help: "With --audit: the seed of the random sample.") var seed: UInt64 = 0

    func validate() throws {
        try OptionCheck.atLeast(port, 0, "--port", atMost: 65535)
        if let iteration { try OptionCheck.atLeast(iteration, 1, "--iteration") }
        if let audit { try OptionCheck.atLeast(audit, 1, "--audit") }
        if let auditImages {
            guard audit != nil else { throw ValidationError("--audit-images needs --audit") }
            try OptionCheck.atLeast(auditImages, 0, "--audit-images")
        }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: run)
        if let history { return try printHistory(try RefinementRun.open(folder).ledger, history) }
        let reviewRun = try ReviewRun(try RefinementRun.open(folder, access: .readWrite), iteration: iteration, audits: audit != nil)
        if audit != nil && reviewRun.iteration == nil { throw ValidationError("\(run) has generated no labels to audit") }
        if let audit, let audited = reviewRun.iteration {
            let items = try reviewRun.ledger.drawAudit(
                iteration: audited, labels: audit, images: auditImages ?? AuditPlan.images(forLabels: audit), seed: seed,
                splits: try reviewRun.run.settings().labelledSplits)
            let (labels, images) = (items.filter { $0.kind == .label }, items.filter { $0.kind == .image })
            note(
                "audit of iteration \(audited): \(labels.count) labels (\(labels.filter(\.done).count) decided), "
                    + "\(images.count) images (\(images.filter(\.done).count) checked)")
        }
        let name = reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        if !ReviewServer.isLoopback(host) {
            note("warning: --host \(host) makes the review page reachable from the network; anyone with the token can change the labels")
        }
        let server = ReviewServer(run: reviewRun, options: .init(host: host, port: port, reviewer: name))
        try await server.serve { url in
            FileHandle.standardOutput.write(Data("review: \(url)\n".utf8))
        }
        note("review: stopped; every decision is in \(reviewRun.run.ledgerURL.path)")
    }

    func printHistory(_ ledger: Ledger, _ image: String) throws {
        guard let key = ImageKey(image) else { throw ValidationError("--history takes split/path, e.g. train/a.jpg") }
        let labels = try ledger.history(of: key)
        if labels.isEmpty { throw ValidationError("\(image) is not an image of this run") }
        if json { return try printJSON(["labels": labels]) }
        let format = ISO8601DateFormatter()
        for entry in labels {
            let label = entry.label
            let origin =
                label.iteration == 0
                ? "original" : "iteration \(label.iteration)" + (label.score.map { String(format: ", score %.3f", $0) } ?? "")
            print("label \(label.id) (\(origin)): \(label.status.rawValue)")
            for decision in entry.decisions {
                print(
                    "  \(format.string(from: decision.decidedAt))  \(decision.status.rawValue) by \(decision.reviewer) (\(decision.source))"
                )
            }
        }
    }
}
