import Foundation
import Testing

/// Debian's headless Chromium, which `Scripts/bootstrap.sh` installs, for tests of the pages the
/// tool writes.
public enum Chromium {
    /// Chromium's path, from PATH.
    public static func path() -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    /// Runs Chromium headless with `arguments`, no network (every host name fails to resolve) and
    /// its profile in `folder`; stops it after `timeout` seconds.
    ///
    /// - Returns: its exit status, standard output and standard error.
    public static func browse(
        _ arguments: [String], in folder: URL, timeout: Double = 120
    ) throws -> (
        status: Int32, output: String, errors: String
    ) {
        let chromium = try #require(
            path(), "chromium is not on PATH: Scripts/bootstrap.sh installs Debian's chromium package")
        let (output, errors) = (folder.appendingPathComponent("stdout.txt"), folder.appendingPathComponent("stderr.txt"))
        try Data().write(to: output)
        try Data().write(to: errors)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments =
            [
                "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--enable-logging=stderr", "--v=0",
            ] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("chromium \(arguments.joined(separator: " ")) ran past \(Int(timeout)) s")
        }
        return (
            process.terminationStatus, try String(contentsOf: output, encoding: .utf8),
            try String(contentsOf: errors, encoding: .utf8)
        )
    }
}
