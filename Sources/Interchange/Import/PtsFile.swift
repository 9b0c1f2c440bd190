import Foundation
import Imaging
import PoseData

/// Reading iBUG `.pts` landmark files, the annotation format of 300-W, AFW, HELEN, IBUG and LFPW:
///
/// ```
/// version: 1
/// n_points:  68
/// {
/// 446.000 91.000
/// ...
/// }
/// ```
///
/// The coordinates are returned as written: iBUG's are 1-based (the top-left pixel's centre is
/// (1, 1)); callers subtract the origin.
public enum PtsFile {
    /// Parses `.pts` text; `file` names it in problems. Header lines are `key: value`; `n_points`
    /// is required and must match the number of point lines between `{` and `}`. Blank lines are
    /// allowed anywhere.
    ///
    /// - Parameter allowedCounts: when given, an `n_points` outside it is a problem on its line.
    ///
    /// - Throws: ``DataProblem`` at the first line that breaks the format.
    public static func parse(_ text: String, file: String, allowedCounts: Set<Int>? = nil) throws(DataProblem) -> [Point] {
        func problem(_ line: Int?, _ message: String) -> DataProblem {
            DataProblem(file: file, line: line, reason: .malformed(message))
        }
        var declared: (count: Int, line: Int)? = nil
        var points: [Point] = []
        var state = State.header
        var lastLine = 0
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            lastLine = lineNumber
            switch state {
            case .header:
                if line == "{" {
                    guard declared != nil else { throw problem(lineNumber, "missing the 'n_points' header before '{'") }
                    state = .points
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else {
                    throw problem(lineNumber, "expected a header line 'key: value' or '{', found '\(line)'")
                }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard key == "n_points" else { continue }
                guard let count = Int(value), count > 0 else {
                    throw problem(lineNumber, "n_points must be a positive whole number, found '\(value)'")
                }
                if let allowedCounts, !allowedCounts.contains(count) {
                    let expected = allowedCounts.sorted(by: >).map(String.init).joined(separator: " or ")
                    throw problem(lineNumber, "n_points is \(count); expected \(expected)")
                }
                declared = (count, lineNumber)
            case .points:
                if line == "}" {
                    let declared = declared!
                    guard points.count == declared.count else {
                        let header = "n_points (line \(declared.line)) says \(declared.count)"
                        let found = points.count == 1 ? "1 point" : "\(points.count) points"
                        throw problem(lineNumber, "found \(found), but \(header)")
                    }
                    state = .done
                    continue
                }
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count == 2 else {
                    throw problem(lineNumber, "expected a point 'x y', found \(fields.count) values: '\(line)'")
                }
                guard let x = Double(fields[0]), let y = Double(fields[1]), x.isFinite, y.isFinite else {
                    throw problem(lineNumber, "expected two finite numbers 'x y', found '\(line)'")
                }
                points.append(Point(x, y))
            case .done:
                throw problem(lineNumber, "text after the closing '}'")
            }
        }
        switch state {
        case .header: throw problem(lastLine == 0 ? nil : lastLine, "no '{' with points")
        case .points: throw problem(lastLine, "missing the closing '}'")
        case .done: return points
        }
    }

    private enum State { case header, points, done }

    /// Reads and parses a `.pts` file.
    public static func read(_ url: URL, allowedCounts: Set<Int>? = nil) throws(DataProblem) -> [Point] {
        try parse(InputFile.points.text(url)!, file: url.path, allowedCounts: allowedCounts)
    }
}
