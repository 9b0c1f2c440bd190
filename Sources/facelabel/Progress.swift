import Foundation

/// Progress on stderr: one line redrawn in place with a bar and ETA on a terminal, a plain line
/// every `plainEvery` steps otherwise (logs and CI; by default every tenth of the total).
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let title: String
    private let plainEvery: Int?
    private var started = Date()
    private var drew = false

    init(_ title: String, plainEvery: Int? = nil) {
        self.title = title
        self.plainEvery = plainEvery.map { max($0, 1) }
    }

    /// Shows step `done` of `total`, with `detail` after the counts.
    func update(_ done: Int, of total: Int, detail: String = "") {
        lock.lock()
        defer { lock.unlock() }
        if done <= 1 { started = Date() }
        let elapsed = Date().timeIntervalSince(started)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        if isTerminal {
            let width = 20
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let line = "\r\(title) \(bar) \(done)/\(total) \(detail) ETA \(Self.clock(remaining))\u{1B}[K"
            FileHandle.standardError.write(Data(line.utf8))
            drew = true
        } else if done == total || done % (plainEvery ?? max(total / 10, 1)) == 0 {
            FileHandle.standardError.write(Data("\(title) \(done)/\(total) \(detail)\n".utf8))
        }
    }

    /// Ends the redrawn line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drew { FileHandle.standardError.write(Data("\n".utf8)) }
        drew = false
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) : String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// Writes `line` and a newline to stderr.
func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// Prints an `Encodable` result as one JSON object on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
