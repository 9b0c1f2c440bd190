import Foundation

/// A strict reader of the XML that labelling tools write (CVAT's): elements, attributes, text,
/// comments, CDATA, processing instructions and the five predefined and numeric character
/// references. A DOCTYPE is refused, so no entity is ever expanded. Every fault is a ``Failure``
/// with the line it is on. (Foundation's XMLParser traps on some malformed input: found by
/// fuzzing.)
///
/// ```swift
/// try XMLReader.read(data) { event, line in
///     if case .start(let name, let attributes) = event { ... }
/// }
/// ```
enum XMLReader {
    struct Failure: Error, Equatable {
        var line: Int
        var message: String
    }

    enum Event: Equatable {
        case start(String, [String: String])
        case end(String)
        case text(String)
    }

    /// Elements nested deeper than this are refused.
    static let maximumDepth = 256

    /// Reads `data` (UTF-8) and hands each event, with its line, to `handle`, which may throw to stop.
    static func read(_ data: Data, _ handle: (Event, Int) throws -> Void) throws {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Failure(line: CVATXML.firstInvalidUTF8Line(data) ?? 1, message: "not UTF-8 text")
        }
        var scanner = Scanner(bytes: Array(text.utf8))
        var open: [String] = []
        var sawRoot = false
        while !scanner.atEnd {
            if scanner.peek() != UInt8(ascii: "<") {
                let value = try scanner.textUntil(UInt8(ascii: "<"))
                if open.isEmpty {
                    guard value.allSatisfy(\.isWhitespace) else { throw scanner.fault("text outside the root element") }
                } else {
                    try handle(.text(value), scanner.line)
                }
                continue
            }
            let line = scanner.line
            if scanner.skip("<?") {
                try scanner.skipPast("?>", what: "a processing instruction")
            } else if scanner.skip("<!--") {
                try scanner.skipPast("-->", what: "a comment")
            } else if scanner.skip("<![CDATA[") {
                guard !open.isEmpty else { throw scanner.fault("CDATA outside the root element") }
                try handle(.text(try scanner.rawUntil("]]>", what: "a CDATA section")), line)
            } else if scanner.skip("<!") {
                throw scanner.fault("a DOCTYPE or declaration is not accepted here")
            } else if scanner.skip("</") {
                let name = try scanner.name()
                scanner.skipSpace()
                guard scanner.skip(">") else { throw scanner.fault("expected '>' to close </\(name)") }
                guard open.last == name else {
                    throw scanner.fault(open.last.map { "</\(name)> closes <\($0)>" } ?? "</\(name)> closes no element")
                }
                open.removeLast()
                try handle(.end(name), line)
            } else {
                scanner.position += 1
                let name = try scanner.name()
                if open.isEmpty && sawRoot { throw scanner.fault("a second root element <\(name)>") }
                var attributes: [String: String] = [:]
                while true {
                    let spaced = scanner.skipSpace()
                    if scanner.skip("/>") {
                        try handle(.start(name, attributes), line)
                        try handle(.end(name), line)
                        break
                    }
                    if scanner.skip(">") {
                        open.append(name)
                        guard open.count <= maximumDepth else { throw scanner.fault("elements nested deeper than \(maximumDepth)") }
                        try handle(.start(name, attributes), line)
                        break
                    }
                    guard spaced else { throw scanner.fault("expected a space, '>' or '/>' in <\(name)>") }
                    let key = try scanner.name()
                    scanner.skipSpace()
                    guard scanner.skip("=") else { throw scanner.fault("attribute \(key) of <\(name)> has no '='") }
                    scanner.skipSpace()
                    guard let quote = scanner.peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                        throw scanner.fault("attribute \(key) of <\(name)> has no quoted value")
                    }
                    scanner.position += 1
                    guard attributes[key] == nil else { throw scanner.fault("attribute \(key) appears twice in <\(name)>") }
                    attributes[key] = try scanner.textUntil(quote)
                    scanner.position += 1
                }
                sawRoot = true
            }
        }
        if let unclosed = open.last { throw scanner.fault("the text ends inside <\(unclosed)>") }
        if !sawRoot { throw scanner.fault("no element") }
    }

    /// The bytes being read, and where.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var line = 1

        var atEnd: Bool { position >= bytes.count }
        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }
        func fault(_ message: String) -> Failure { Failure(line: line, message: "not valid XML: \(message)") }

        mutating func skip(_ literal: String) -> Bool {
            let expected = Array(literal.utf8)
            guard position + expected.count <= bytes.count, bytes[position..<(position + expected.count)].elementsEqual(expected) else {
                return false
            }
            advance(expected.count)
            return true
        }

        mutating func advance(_ count: Int) {
            for _ in 0..<count {
                if bytes[position] == 0x0A { line += 1 }
                position += 1
            }
        }

        @discardableResult
        mutating func skipSpace() -> Bool {
            let start = position
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { advance(1) }
            return position > start
        }

        mutating func skipPast(_ end: String, what: String) throws {
            _ = try rawUntil(end, what: what)
        }

        /// The text up to `end` (which is consumed), as it is.
        mutating func rawUntil(_ end: String, what: String) throws -> String {
            let marker = Array(end.utf8)
            let start = position
            while position + marker.count <= bytes.count {
                if bytes[position..<(position + marker.count)].elementsEqual(marker) {
                    let text = String(decoding: bytes[start..<position], as: UTF8.self)
                    advance(marker.count)
                    return text
                }
                advance(1)
            }
            throw fault("the text ends inside \(what)")
        }

        mutating func name() throws -> String {
            let start = position
            while let byte = peek(),
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
                    || byte >= 0x80
                    || (position > start && ((0x30...0x39).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")))
            {
                position += 1
            }
            guard position > start else {
                throw fault("expected a name, found \(peek().map { "'\(Character(Unicode.Scalar($0)))'" } ?? "the end")")
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// The text up to `stop` (not consumed), its references replaced; `<` inside an attribute
        /// value is a fault.
        mutating func textUntil(_ stop: UInt8) throws -> String {
            var result: [UInt8] = []
            while let byte = peek(), byte != stop {
                if byte == UInt8(ascii: "<") { throw fault("'<' inside an attribute value") }
                if byte == UInt8(ascii: "&") {
                    result += try reference()
                } else {
                    result.append(byte)
                    advance(1)
                }
            }
            if stop != UInt8(ascii: "<") && atEnd { throw fault("the text ends inside an attribute value") }
            return String(decoding: result, as: UTF8.self)
        }

        /// A character reference (`&amp;`, `&#60;`, `&#x3C;`), as UTF-8.
        mutating func reference() throws -> [UInt8] {
            let start = position
            advance(1)
            var body: [UInt8] = []
            while let byte = peek(), byte != UInt8(ascii: ";"), body.count < 12 {
                body.append(byte)
                advance(1)
            }
            guard peek() == UInt8(ascii: ";") else { throw fault("an '&' that starts no reference") }
            advance(1)
            let name = String(decoding: body, as: UTF8.self)
            let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'"]
            if let value = named[name] { return Array(value.utf8) }
            var code: UInt32?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                code = UInt32(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                code = UInt32(name.dropFirst())
            }
            guard let code, code != 0, let scalar = Unicode.Scalar(code) else {
                position = start
                throw fault("unknown reference &\(name);")
            }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
