import Foundation
import Testing

/// Runs the built `facelabel` binary (it sits beside the test bundle), with `environment` added to
/// this process's, and returns its stdout, stderr and exit status.
func runFaceLabel(_ arguments: [String], environment: [String: String] = [:]) throws -> (output: String, errors: String, status: Int32) {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = directory.appendingPathComponent("facelabel")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    process.standardOutput = output
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-stderr-\(UUID())")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
    return (String(decoding: data, as: UTF8.self), errors, process.terminationStatus)
}
