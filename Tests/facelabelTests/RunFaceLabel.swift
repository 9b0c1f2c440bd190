import Foundation
import Testing

/// Runs the built `facelabel` binary (it sits beside the test bundle), with `environment` added to
/// this process's, and returns its stdout, stderr and exit status.
func runFaceLabel(_ arguments: [String], environment: [String: String] = [:]) throws -> (output: String, errors: String, status: Int32) {
    try StartedFaceLabel(arguments, environment: environment).wait()
}

/// The `facelabel` binary running in the background (several at once: the ranks of a group), its
/// stdout and stderr going to files so that neither can fill a pipe and stall it.
final class StartedFaceLabel {
    let process = Process()
    private let outputFile: URL
    private let errorFile: URL

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        process.executableURL = directory.appendingPathComponent("facelabel")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let name = "facelabel-\(UUID())"
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent(name + ".out")
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent(name + ".err")
        for file in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
    }

    /// What it has written to stderr so far.
    var errorsSoFar: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    /// Waits for it to end; its stdout, stderr and exit status.
    func wait() -> (output: String, errors: String, status: Int32) {
        process.waitUntilExit()
        defer { for file in [outputFile, errorFile] { try? FileManager.default.removeItem(at: file) } }
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        return (output, errorsSoFar, process.terminationStatus)
    }
}
