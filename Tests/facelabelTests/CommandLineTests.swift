import Foundation
import Testing

/// Runs the built `facelabel` binary (it sits beside the test bundle) and returns its stdout,
/// stderr and exit status.
func runFaceLabel(_ arguments: [String]) throws -> (output: String, errors: String, status: Int32) {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = directory.appendingPathComponent("facelabel")
    process.arguments = arguments
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

@Suite struct `facelabel demo` {
    @Test func `the smoke job learns and reloads its weights identically`() throws {
        let (output, _, status) = try runFaceLabel(["demo", "--steps", "80", "--json"])
        #expect(status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let first = try #require(object["first_loss"] as? Double)
        let last = try #require(object["last_loss"] as? Double)
        #expect(last < first / 2)
        #expect(object["reloaded_weights_identical"] as? Bool == true)
        #expect(object["steps"] as? Int == 80)
    }
}
