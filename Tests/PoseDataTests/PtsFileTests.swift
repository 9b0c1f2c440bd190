import Foundation
import Testing

@testable import Imaging
@testable import Interchange
@testable import PoseData

@Suite struct PtsFileTests {
    /// A `.pts` text with `count` points declared and `written` point lines.
    func text(declared count: Int, written: Int) -> String {
        "version: 1\nn_points:  \(count)\n{\n" + (0..<written).map { "\($0).5 \(2 * $0).25\n" }.joined() + "}\n"
    }

    func problem(_ text: String, allowedCounts: Set<Int>? = nil) -> String? {
        do {
            _ = try PtsFile.parse(text, file: "a.pts", allowedCounts: allowedCounts)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func `an iBUG file gives its points as written`() throws {
        let text = "version: 1\r\nn_points: 3\r\n{\r\n1 2\r\n3.5 4.25\r\n\t-1e1   6\r\n}\r\n\r\n"
        let points = try PtsFile.parse(text, file: "a.pts")
        #expect(points == [Point(1, 2), Point(3.5, 4.25), Point(-10, 6)])
    }

    @Test func `a .pts with 67 point lines names the file and line`() {
        #expect(problem(text(declared: 68, written: 67)) == "a.pts:71: found 67 points, but n_points (line 2) says 68")
    }

    @Test func `a point count outside the allowed ones is named at its header line`() {
        #expect(problem(text(declared: 67, written: 67), allowedCounts: [68, 51]) == "a.pts:2: n_points is 67; expected 68 or 51")
    }

    @Test func `a point line that is not two numbers names its line`() {
        #expect(problem("n_points: 2\n{\n1 2\n3 x\n}\n") == "a.pts:4: expected two finite numbers 'x y', found '3 x'")
        #expect(problem("n_points: 2\n{\n1 2 3\n3 4\n}\n") == "a.pts:3: expected a point 'x y', found 3 values: '1 2 3'")
        #expect(problem("n_points: 1\n{\nnan 2\n}\n") == "a.pts:3: expected two finite numbers 'x y', found 'nan 2'")
    }

    @Test func `a broken frame names where it breaks`() {
        #expect(problem("version: 1\n{\n1 2\n}\n") == "a.pts:2: missing the 'n_points' header before '{'")
        #expect(problem("n_points: 1\n{\n1 2\n") == "a.pts:3: missing the closing '}'")
        #expect(problem("n_points: 1\n{\n1 2\n}\n1 2\n") == "a.pts:5: text after the closing '}'")
        #expect(problem("n_points: many\n") == "a.pts:1: n_points must be a positive whole number, found 'many'")
        #expect(problem("n_points: 1\nhello\n") == "a.pts:2: expected a header line 'key: value' or '{', found 'hello'")
        #expect(problem("") == "a.pts: no '{' with points")
    }
}
