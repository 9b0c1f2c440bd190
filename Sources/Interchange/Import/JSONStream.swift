import Foundation

/// A JSON text read one value at a time, from a file a chunk at a time or from memory, so that a
/// document of any size is walked in bounded memory: a COCO file of a million annotations is read
/// annotation by annotation, none of it kept once used.
///
/// The caller walks the structure: ``object(_:)`` and ``array(_:)`` hand each member or element to
/// a closure that must consume exactly one value (read it, or ``skipValue()`` it). Every byte is
/// checked against the JSON grammar (RFC 8259), the skipped values too, and a fault is a
/// ``Failure`` that carries the 1-based line it was found on.
///
/// ```swift
/// var stream = try JSONStream(contentsOf: url)
/// try stream.object { key, stream in
///     if key == "images" { try stream.array { index, stream in ... } } else { try stream.skipValue() }
/// }
/// try stream.end()
/// ```
struct JSONStream {
    /// A syntax fault or a value of the wrong kind, on `line`.
    struct Failure: Error, Equatable {
        var line: Int
        var message: String
    }

    /// What the next value is, by its first byte.
    enum Kind: Equatable {
        case object, array, string, number, boolean, null

        var name: String {
            switch self {
            case .object: "an object"
            case .array: "a list"
            case .string: "a string"
            case .number: "a number"
            case .boolean: "true or false"
            case .null: "null"
            }
        }
    }

    /// Nesting deeper than this is refused rather than recursed into (JSONDecoder's limit too).
    static let maximumDepth = 512
    /// A string longer than this is refused (no file name or keypoint name comes near it).
    static let maximumStringBytes = 1 << 20

    private let file: FileHandle?
    private let chunkSize: Int
    private var buffer: [UInt8]
    private var index = 0
    private var depth = 0
    /// The text of the number or string being read, reused so that reading allocates nothing.
    private var scratch: [UInt8] = []
    /// The 1-based line of the next byte.
    private(set) var line = 1

    /// Reads `url` in chunks of `chunkSize` bytes.
    init(contentsOf url: URL, chunkSize: Int = 1 << 20) throws {
        file = try FileHandle(forReadingFrom: url)
        self.chunkSize = chunkSize
        buffer = []
    }

    /// Reads JSON text held in memory.
    init(_ data: Data) {
        file = nil
        chunkSize = 0
        buffer = [UInt8](data)
    }

    // MARK: - Bytes

    /// The next byte, reading the next chunk when the buffer is used up; nil at the end.
    @inline(__always)
    private mutating func peek() throws(Failure) -> UInt8? {
        if index < buffer.count { return buffer[index] }
        return try refill()
    }

    /// Reads the next chunk into the buffer and returns its first byte; nil at the end.
    private mutating func refill() throws(Failure) -> UInt8? {
        guard let file else { return nil }
        let chunk: Data?
        do {
            chunk = try file.read(upToCount: chunkSize)
        } catch {
            throw Failure(line: line, message: "cannot read the file: \(error.localizedDescription)")
        }
        guard let chunk, !chunk.isEmpty else { return nil }
        buffer = [UInt8](chunk)
        index = 0
        return buffer[0]
    }

    @inline(__always)
    private mutating func advance() { index += 1 }

    /// The next byte, consumed; a fault at the end of the text.
    @inline(__always)
    private mutating func take(_ what: @autoclosure () -> String) throws(Failure) -> UInt8 {
        guard let byte = try peek() else { throw fault("the text ends inside \(what())") }
        advance()
        if byte == 0x0A { line += 1 }
        return byte
    }

    private mutating func skipSpace() throws(Failure) {
        while let byte = try peek() {
            switch byte {
            case 0x20, 0x09, 0x0D: advance()
            case 0x0A:
                advance()
                line += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        try skipSpace()
        guard let found = try peek() else { throw fault("the text ends where \(what) should be") }
        guard found == byte else { throw fault("expected \(what), found \(Self.describe(found))") }
        advance()
    }

    func fault(_ message: String) -> Failure { Failure(line: line, message: "not valid JSON: \(message)") }

    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
    }

    // MARK: - Structure

    /// The kind of the next value, which is not consumed.
    mutating func kind() throws(Failure) -> Kind {
        try skipSpace()
        guard let byte = try peek() else { throw fault("the text ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .boolean
        case UInt8(ascii: "n"): return .null
        default: throw fault("expected a value, found \(Self.describe(byte))")
        }
    }

    /// Walks an object: `member` gets each key and must consume its value.
    mutating func object(_ member: (String, inout JSONStream) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "'{'")
        try enter()
        try skipSpace()
        if try peek() == UInt8(ascii: "}") {
            advance()
            depth -= 1
            return
        }
        while true {
            try skipSpace()
            guard try peek() == UInt8(ascii: "\"") else {
                throw fault("expected a key in quotes, found \(try peek().map(Self.describe) ?? "the end")")
            }
            let key = try string()
            try expectColon()
            try member(key, &self)
            try skipSpace()
            switch try take("an object") {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return
            case let byte: throw fault("expected ',' or '}' in an object, found \(Self.describe(byte))")
            }
        }
    }

    /// Consumes an object without making strings of its keys (``object(_:)`` with every value skipped).
    private mutating func skipObject() throws {
        try expect(UInt8(ascii: "{"), "'{'")
        try enter()
        try skipSpace()
        if try peek() == UInt8(ascii: "}") {
            advance()
            depth -= 1
            return
        }
        while true {
            try skipSpace()
            guard try peek() == UInt8(ascii: "\"") else {
                throw fault("expected a key in quotes, found \(try peek().map(Self.describe) ?? "the end")")
            }
            try scanValidString()
            try expectColon()
            try skipValue()
            try skipSpace()
            switch try take("an object") {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return
            case let byte: throw fault("expected ',' or '}' in an object, found \(Self.describe(byte))")
            }
        }
    }

    /// Walks a list: `element` gets each position (from 0) and must consume the element; ``line``
    /// is then the line the element starts on.
    mutating func array(_ element: (Int, inout JSONStream) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "'['")
        try enter()
        try skipSpace()
        if try peek() == UInt8(ascii: "]") {
            advance()
            depth -= 1
            return
        }
        var position = 0
        while true {
            try skipSpace()  // so that `line` is the element's own
            try element(position, &self)
            position += 1
            try skipSpace()
            switch try take("a list") {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                depth -= 1
                return
            case let byte: throw fault("expected ',' or ']' in a list, found \(Self.describe(byte))")
            }
        }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        if depth > Self.maximumDepth { throw fault("nested deeper than \(Self.maximumDepth) levels") }
    }

    /// Consumes the next value, whatever it is, checking its grammar.
    mutating func skipValue() throws {
        switch try kind() {
        case .object: try skipObject()
        case .array: try array { _, stream in try stream.skipValue() }
        case .string: try scanValidString()
        case .number:
            try scanNumber()
            // only an exponent can make a number too large for a Double; only then convert it
            if scratch.contains(UInt8(ascii: "e")) || scratch.contains(UInt8(ascii: "E")) || scratch.count > 300 {
                guard scratchValue().isFinite else {
                    throw fault("the number \(String(decoding: scratch, as: UTF8.self)) is too large")
                }
            }
        case .boolean: _ = try boolean()
        case .null: try null()
        }
    }

    /// Checks that nothing but white space follows the document.
    mutating func end() throws(Failure) {
        try skipSpace()
        if let byte = try peek() { throw fault("unexpected \(Self.describe(byte)) after the end of the document") }
    }

    // MARK: - Scalars

    /// A string value, its escapes decoded.
    mutating func string() throws(Failure) -> String {
        try scanString()
        guard let text = String(validating: scratch, as: UTF8.self) else { throw fault("a string is not UTF-8") }
        return text
    }

    /// Reads a string into `scratch` and checks that it is UTF-8, without keeping a String of it.
    private mutating func scanValidString() throws(Failure) {
        try scanString()
        if scratch.contains(where: { $0 >= 0x80 }), String(validating: scratch, as: UTF8.self) == nil {
            throw fault("a string is not UTF-8")
        }
    }

    /// The ':' after an object's key, which `scratch` still holds for the message.
    private mutating func expectColon() throws(Failure) {
        try skipSpace()
        if try peek() == UInt8(ascii: ":") {
            advance()
            return
        }
        try expect(UInt8(ascii: ":"), "':' after the key \"\(String(decoding: scratch, as: UTF8.self))\"")
    }

    /// Reads a string value's bytes, escapes decoded, into `scratch`.
    private mutating func scanString() throws(Failure) {
        try expect(UInt8(ascii: "\""), "'\"'")
        scratch.removeAll(keepingCapacity: true)
        while true {
            let byte = try take("a string")
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                let escape = try take("a string")
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): scratch += try unicodeEscape()
                default: throw fault("unknown escape \\\(Self.describe(escape)) in a string")
                }
            case 0x00..<0x20: throw fault("a control character (\(Self.describe(byte))) inside a string")
            default: scratch.append(byte)
            }
            if scratch.count > Self.maximumStringBytes { throw fault("a string longer than \(Self.maximumStringBytes) bytes") }
        }
    }

    /// The UTF-8 bytes of `\uXXXX` (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws(Failure) -> [UInt8] {
        var value = try hexQuad()
        if (0xD800..<0xDC00).contains(value) {
            guard try take("a string") == UInt8(ascii: "\\"), try take("a string") == UInt8(ascii: "u") else {
                throw fault("a high surrogate \\u\(String(value, radix: 16)) without its low half")
            }
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw fault("\\u\(String(low, radix: 16)) is not a low surrogate") }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(value) {
            throw fault("a low surrogate \\u\(String(value, radix: 16)) without its high half")
        }
        return Array(String(Character(Unicode.Scalar(value)!)).utf8)
    }

    private mutating func hexQuad() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try take("a \\u escape")
            guard let digit = Self.hexDigit(byte) else { throw fault("\(Self.describe(byte)) is not a hex digit in a \\u escape") }
            value = value << 4 | digit
        }
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Reads a number's text into `scratch`, checked against JSON's number grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func scanNumber() throws(Failure) {
        try skipSpace()
        scratch.removeAll(keepingCapacity: true)
        if try peek() == UInt8(ascii: "-") { try keep() }
        if try peek() == UInt8(ascii: "0") {
            try keep()
            if Self.isDigit(try peek()) { throw fault("a number has a leading zero") }
        } else {
            try digits("after '-'")
        }
        if try peek() == UInt8(ascii: ".") {
            try keep()
            try digits("after its decimal point")
        }
        if let byte = try peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            try keep()
            if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { try keep() }
            try digits("in its exponent")
        }
    }

    private static func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }

    /// Moves the next byte (known to exist) into `scratch`.
    private mutating func keep() throws(Failure) {
        scratch.append(try peek()!)
        advance()
        if scratch.count > 400 { throw fault("a number longer than 400 characters") }
    }

    private mutating func digits(_ what: String) throws(Failure) {
        guard Self.isDigit(try peek()) else { throw fault("a number needs digits \(what)") }
        while Self.isDigit(try peek()) { try keep() }
    }

    /// The number in `scratch`, as strtod reads it (correctly rounded).
    private mutating func scratchValue() -> Double {
        scratch.append(0)
        defer { scratch.removeLast() }
        return scratch.withUnsafeBufferPointer { text in
            text.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
        }
    }

    /// A number value. A number too large for a Double is a fault (JSONDecoder's rule too).
    mutating func number() throws(Failure) -> Double {
        try scanNumber()
        let value = scratchValue()
        guard value.isFinite else { throw fault("the number \(String(decoding: scratch, as: UTF8.self)) is too large") }
        return value
    }

    /// A whole number value: digits only, or a number whose value is a whole number in range
    /// (`3.0`, `1e3`); nil for a fraction or a number out of `Int`'s range.
    mutating func wholeNumber() throws(Failure) -> Int? {
        try scanNumber()
        let negative = scratch.first == UInt8(ascii: "-")
        let digits = scratch.dropFirst(negative ? 1 : 0)
        if digits.count <= 18, digits.allSatisfy({ Self.isDigit($0) }) {  // 18 digits cannot overflow
            let magnitude = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            return negative ? -magnitude : magnitude
        }
        let value = scratchValue()
        guard value.isFinite, value == value.rounded(), value >= -9.2e18, value <= 9.2e18 else { return nil }
        return Int(value)
    }

    mutating func boolean() throws(Failure) -> Bool {
        let value = try peek() == UInt8(ascii: "t")
        try literal(value ? "true" : "false")
        return value
    }

    mutating func null() throws(Failure) { try literal("null") }

    private mutating func literal(_ word: String) throws(Failure) {
        for expected in word.utf8 {
            let byte = try take("'\(word)'")
            if byte != expected { throw fault("expected \(word), found \(Self.describe(byte))") }
        }
    }
}
