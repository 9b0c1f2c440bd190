import Foundation
import Testing

@testable import Interchange
@testable import PoseData

@Suite struct JSONStreamTests {
    /// A value of any kind, rebuilt from the stream, to compare with what JSONSerialization reads.
    func rebuild(_ stream: inout JSONStream) throws -> Any {
        switch try stream.kind() {
        case .object:
            var object: [String: Any] = [:]
            try stream.object { key, stream in object[key] = try rebuild(&stream) }
            return object
        case .array:
            var array: [Any] = []
            try stream.array { _, stream in array.append(try rebuild(&stream)) }
            return array
        case .string: return try stream.string()
        case .number: return try stream.number()
        case .boolean: return try stream.boolean()
        case .null:
            try stream.null()
            return NSNull()
        }
    }

    /// The stream's failure for `text`, or nil when it reads the whole text.
    func failure(_ text: String) -> JSONStream.Failure? {
        var stream = JSONStream(Data(text.utf8))
        do {
            try stream.skipValue()
            try stream.end()
            return nil
        } catch {
            return error as? JSONStream.Failure
        }
    }

    @Test func `values read as JSONSerialization reads them, one byte per chunk too`() throws {
        let text = #"""
            {"a": [1, -2.5, 3e2, 0, -0.0, 1E-2], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
             "n": null, "t": true, "f": false, "o": {}, "l": [], "nested": [[{"x": [{}]}]]}
            """#
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(text.utf8).write(to: url)
        let expected = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! NSDictionary
        var inMemory = JSONStream(Data(text.utf8))
        #expect(try rebuild(&inMemory) as! NSDictionary == expected)
        var byteByByte = try JSONStream(contentsOf: url, chunkSize: 1)
        #expect(try rebuild(&byteByByte) as! NSDictionary == expected)
        try byteByByte.end()
    }

    @Test(arguments: [
        ("[1,]", "expected a value, found ']'"),
        ("{\"a\" 1}", "expected ':' after the key \"a\", found '1'"),
        ("{a: 1}", "expected a key in quotes, found 'a'"),
        ("[01]", "a number has a leading zero"),
        ("[1.]", "a number needs digits after its decimal point"),
        ("[-]", "a number needs digits after '-'"),
        ("[1e]", "a number needs digits in its exponent"),
        ("[1e999]", "the number 1e999 is too large"),
        ("[tru]", "expected true, found ']'"),
        ("[\"\\x\"]", "unknown escape \\'x' in a string"),
        ("[\"\\ud800\"]", "a high surrogate \\ud800 without its low half"),
        ("[\"a\tb\"]", "a control character (byte 0x09) inside a string"),
        ("[1] 2", "unexpected '2' after the end of the document"),
        ("[1", "the text ends inside a list"),
        ("[\"abc", "the text ends inside a string"),
    ])
    func `malformed text is a failure that says what is wrong`(text: String, message: String) {
        #expect(failure(text)?.message == "not valid JSON: \(message)")
    }

    @Test func `a failure names the line it is on`() {
        #expect(failure("{\n  \"a\": [1,\n    2,\n    x]\n}")?.line == 4)
        #expect(failure("\"\(String(repeating: "\\n", count: 3))\" 7")?.line == 1)
    }

    @Test func `invalid UTF-8 in a string is a failure`() {
        var stream = JSONStream(Data([0x22, 0xC3, 0x28, 0x22]))
        #expect(throws: JSONStream.Failure.self) { try stream.string() }
    }

    @Test func `nesting deeper than the limit is refused, not recursed into`() {
        let depth = JSONStream.maximumDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(failure(text)?.message == "not valid JSON: nested deeper than \(JSONStream.maximumDepth) levels")
        let allowed = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
        #expect(failure(allowed) == nil)
    }

    @Test func `whole numbers accept an integral value in any notation and nothing else`() throws {
        var stream = JSONStream(Data("[7, 3.0, 1e3, -2, 2.5, 1e30]".utf8))
        var values: [Int?] = []
        try stream.array { _, stream in values.append(try stream.wholeNumber()) }
        #expect(values == [7, 3, 1000, -2, nil, nil])
    }
}
