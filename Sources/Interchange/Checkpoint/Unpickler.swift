import Foundation

/// A value of a Python pickle, as ``Unpickler`` rebuilds it: plain values, containers, and inert
/// stand-ins for everything else. Tuples, lists, dicts and objects are shared references, as in
/// Python (a pickle mutates lists and dicts after it has memoised them), owned by their
/// ``PickleDocument``: however deep a pickle nests them, no value holds another directly, so
/// none is freed, or described, by recursion.
public enum PickleValue: CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for 64 bits (its byte count).
    case bigInt(bytes: Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function named by the pickle; never imported or called.
    case global(PickleGlobal)
    /// An instance of a class the reader does not rebuild, with what its pickle gave it.
    case object(PickleObject)
    /// A tensor's storage: a record of the archive (PyTorch's persistent id).
    case storage(PickleStorage)
    case tensor(PickleTensor)

    public var description: String {
        switch self {
        case .none: "None"
        case .bool(let value): value ? "True" : "False"
        case .int(let value): String(value)
        case .bigInt(let bytes): "<\(bytes)-byte integer>"
        case .float(let value): String(value)
        case .string(let value): "'\(value)'"
        case .bytes(let value): "<\(value.count) bytes>"
        case .tuple(let tuple):  // one level: a tuple inside is "(…)"
            "(" + tuple.items.map { if case .tuple = $0 { "(…)" } else { $0.description } }.joined(separator: ", ") + ")"
        case .list(let list): "[\(list.items.count) items]"
        case .dict(let dict): "{\(dict.entries.count) entries}"
        case .global(let global): global.description
        case .object(let object): "<\(object.type) object>"
        case .storage(let storage): "<storage \(storage.key)>"
        case .tensor(let tensor): "<tensor \(tensor.size)>"
        }
    }

    public var string: String? { if case .string(let value) = self { value } else { nil } }
    public var int: Int? { if case .int(let value) = self { value } else { nil } }
    /// An int or a float, as a double.
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        default: nil
        }
    }
    public var dict: PickleDict? { if case .dict(let value) = self { value } else { nil } }
    public var object: PickleObject? { if case .object(let value) = self { value } else { nil } }
    public var tensor: PickleTensor? { if case .tensor(let value) = self { value } else { nil } }

    /// The items of a tuple or a list.
    public var items: [PickleValue]? {
        switch self {
        case .tuple(let tuple): tuple.items
        case .list(let list): list.items
        default: nil
        }
    }
}

/// What a ``PickleDocument`` empties when it goes: a pickle can make containers hold each other.
protocol PickleContainer: AnyObject {
    func release()
}

public final class PickleTuple: PickleContainer {
    public private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func release() { items = [] }
}

public final class PickleList: PickleContainer {
    public var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
    func release() { items = [] }
}

/// A dict in insertion order (an `OrderedDict` too).
public final class PickleDict: PickleContainer {
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var positions: [String: Int] = [:]

    func release() { (entries, positions) = ([], [:]) }

    /// Sets `key`; a string key set again keeps its first position, as in Python.
    func set(_ key: PickleValue, _ value: PickleValue) {
        if let name = key.string {
            if let position = positions[name] {
                entries[position].value = value
                return
            }
            positions[name] = entries.count
        }
        entries.append((key, value))
    }

    public subscript(name: String) -> PickleValue? { positions[name].map { entries[$0].value } }
}

public struct PickleGlobal: Hashable, CustomStringConvertible {
    public var module: String
    public var name: String
    public var description: String { "\(module).\(name)" }
}

public final class PickleObject: PickleContainer {
    public let type: PickleGlobal?
    public private(set) var arguments: [PickleValue]
    /// What BUILD gave it (a module's `__dict__`, for instance).
    public var state: PickleValue?
    init(type: PickleGlobal?, arguments: [PickleValue]) { (self.type, self.arguments) = (type, arguments) }
    func release() { (arguments, state) = ([], nil) }

    /// The entry `name` of its state dict (or of the dict of a `(dict, slots)` state).
    public subscript(name: String) -> PickleValue? {
        switch state {
        case .dict(let dict): dict[name]
        case .tuple(let parts): parts.items.first?.dict?[name]
        default: nil
        }
    }
}

public struct PickleStorage {
    /// The archive record below `data/` that holds its bytes.
    public var key: String
    /// Its element type by PyTorch's storage class name (`FloatStorage`, `HalfStorage`, ...).
    public var type: String
    public var location: String
    public var count: Int
}

public struct PickleTensor {
    public var storage: PickleStorage
    public var offset: Int
    public var size: [Int]
    public var stride: [Int]
}

/// What a pickle built: its value, valid while the document lives (keep it alive, with
/// `withExtendedLifetime`, while reading `root`). The document owns every list, dict and object of
/// it and empties them when it goes, since a pickle can make them refer to each other, which
/// reference counting alone would never free.
public final class PickleDocument {
    public let root: PickleValue
    private let containers: [any PickleContainer]

    init(root: PickleValue, containers: [any PickleContainer]) { (self.root, self.containers) = (root, containers) }

    deinit { for container in containers { container.release() } }
}

/// A reader of Python pickles (protocols 0 to 5) that never executes code and never imports
/// anything: globals are names, calls are recorded, and only what a PyTorch checkpoint needs is
/// rebuilt (tensors from `torch._utils._rebuild_tensor_v2` and `_rebuild_parameter`, storages from
/// their persistent ids, `OrderedDict`s, and bytes pickled by protocol 2). Anything else becomes an
/// inert ``PickleObject``. Malformed input is a ``PickleError`` naming the offset and the reason.
public struct Unpickler {
    /// Limits that bound what a hostile pickle can make the reader allocate.
    /// Open MARKs at a time.
    public static let maximumMarks = 10_000
    /// Values on the stack, and the largest memo index.
    public static let maximumValues = 10_000_000

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var containers: [any PickleContainer] = []

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// What the pickle builds.
    public static func load(_ bytes: [UInt8]) throws(PickleError) -> PickleDocument {
        var reader = Unpickler(bytes)
        do {
            return PickleDocument(root: try reader.run(), containers: reader.containers)
        } catch {
            for container in reader.containers { container.release() }
            throw error
        }
    }

    private mutating func run() throws(PickleError) -> PickleValue {
        while true {
            if let result = try step(try byte()) { return result }
        }
    }

    private mutating func tuple(_ items: [PickleValue]) -> PickleValue { .tuple(made(PickleTuple(items))) }

    /// A new tuple, list, dict or object, which the document will empty.
    private mutating func made<Container: PickleContainer>(_ container: Container) -> Container {
        containers.append(container)
        return container
    }

    // MARK: Reading the input

    private func fail(_ reason: String) -> PickleError { PickleError(offset: position, reason: reason) }

    private mutating func byte() throws(PickleError) -> UInt8 {
        guard position < bytes.count else { throw fail("the pickle ends without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws(PickleError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw fail("a length of \(count) bytes runs past the end of the pickle")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// A little-endian unsigned integer of `count` bytes.
    private mutating func unsigned(_ count: Int) throws(PickleError) -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func length(_ count: Int) throws(PickleError) -> Int {
        let value = try unsigned(count)
        guard value <= UInt64(bytes.count - position) else { throw fail("a length of \(value) bytes runs past the end of the pickle") }
        return Int(value)
    }

    private mutating func line() throws(PickleError) -> String {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { throw fail("a text argument has no end of line") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private mutating func utf8(_ count: Int) throws(PickleError) -> String {
        let slice = try take(count)
        guard let text = String(validating: slice, as: UTF8.self) else { throw fail("a string is not UTF-8") }
        return text
    }

    // MARK: The stack

    private mutating func push(_ value: PickleValue) throws(PickleError) {
        guard stack.count < Self.maximumValues else { throw fail("the stack holds more than \(Self.maximumValues) values") }
        stack.append(value)
    }

    private mutating func pop() throws(PickleError) -> PickleValue {
        guard let value = stack.popLast() else { throw fail("the stack is empty") }
        if let mark = marks.last, stack.count < mark { throw fail("a value is taken from below a MARK") }
        return value
    }

    private mutating func popToMark() throws(PickleError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK to end at") }
        guard mark <= stack.count else { throw fail("the stack is shorter than its MARK") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private mutating func top() throws(PickleError) -> PickleValue {
        guard let value = stack.last else { throw fail("the stack is empty") }
        return value
    }

    private mutating func remember(_ index: Int) throws(PickleError) {
        guard index >= 0, index < Self.maximumValues else { throw fail("memo index \(index) is out of range") }
        memo[index] = try top()
    }

    private mutating func recall(_ index: Int) throws(PickleError) {
        guard let value = memo[index] else { throw fail("memo index \(index) was never stored") }
        try push(value)
    }

    // MARK: Opcodes

    /// Runs one opcode; returns the result at STOP.
    private mutating func step(_ opcode: UInt8) throws(PickleError) -> PickleValue? {
        switch opcode {
        case 0x80: _ = try byte()  // PROTO
        case 0x95: _ = try take(8)  // FRAME: frames are only a hint for buffered reading
        case UInt8(ascii: "."): return try pop()  // STOP
        case UInt8(ascii: "("):  // MARK
            guard marks.count < Self.maximumMarks else { throw fail("MARKs nest deeper than \(Self.maximumMarks)") }
            marks.append(stack.count)
        case UInt8(ascii: "0"): _ = try pop()  // POP
        case UInt8(ascii: "1"): _ = try popToMark()  // POP_MARK
        case UInt8(ascii: "2"): try push(try top())  // DUP

        case UInt8(ascii: "N"): try push(.none)
        case 0x88: try push(.bool(true))
        case 0x89: try push(.bool(false))
        case UInt8(ascii: "J"): try push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
        case UInt8(ascii: "K"): try push(.int(Int(try unsigned(1))))  // BININT1
        case UInt8(ascii: "M"): try push(.int(Int(try unsigned(2))))  // BININT2
        case 0x8a: try push(try long(try length(1)))  // LONG1
        case 0x8b: try push(try long(try length(4)))  // LONG4
        case UInt8(ascii: "I"):  // INT: text; 00 and 01 are False and True
            let text = try line()
            if text == "00" || text == "01" {
                try push(.bool(text == "01"))
            } else {
                guard let value = Int(text) else { throw fail("INT '\(text)' is not a number") }
                try push(.int(value))
            }
        case UInt8(ascii: "L"):  // LONG: text with an L
            let text = try line()
            guard let value = Int(text.hasSuffix("L") ? String(text.dropLast()) : text) else {
                throw fail("LONG '\(text)' is not a 64-bit number")
            }
            try push(.int(value))
        case UInt8(ascii: "G"):  // BINFLOAT, big-endian
            try push(.float(Double(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })))
        case UInt8(ascii: "F"):
            let text = try line()
            guard let value = Double(text) else { throw fail("FLOAT '\(text)' is not a number") }
            try push(.float(value))

        case UInt8(ascii: "X"): try push(.string(try utf8(try length(4))))  // BINUNICODE
        case 0x8c: try push(.string(try utf8(try length(1))))  // SHORT_BINUNICODE
        case 0x8d: try push(.string(try utf8(try length(8))))  // BINUNICODE8
        case UInt8(ascii: "V"): try push(.string(try line()))  // UNICODE (raw-unicode-escape; ASCII in practice)
        case UInt8(ascii: "T"): try push(.string(String(decoding: try take(try length(4)), as: UTF8.self)))  // BINSTRING
        case UInt8(ascii: "U"): try push(.string(String(decoding: try take(try length(1)), as: UTF8.self)))  // SHORT_BINSTRING
        case UInt8(ascii: "S"):  // STRING: a quoted Python literal
            let text = try line()
            guard text.count >= 2, let quote = text.first, quote == "'" || quote == "\"", text.last == quote else {
                throw fail("STRING \(text) is not quoted")
            }
            try push(.string(String(text.dropFirst().dropLast())))
        case UInt8(ascii: "B"): try push(.bytes(Array(try take(try length(4)))))  // BINBYTES
        case UInt8(ascii: "C"): try push(.bytes(Array(try take(try length(1)))))  // SHORT_BINBYTES
        case 0x8e, 0x96: try push(.bytes(Array(try take(try length(8)))))  // BINBYTES8, BYTEARRAY8

        case UInt8(ascii: ")"): try push(tuple([]))
        case UInt8(ascii: "t"): try push(tuple(try popToMark()))
        case 0x85: try push(tuple([try pop()]))
        case 0x86:
            let second = try pop()
            try push(tuple([try pop(), second]))
        case 0x87:
            let third = try pop()
            let second = try pop()
            try push(tuple([try pop(), second, third]))
        case UInt8(ascii: "]"): try push(.list(made(PickleList())))
        case UInt8(ascii: "l"): try push(.list(made(PickleList(try popToMark()))))
        case UInt8(ascii: "a"):  // APPEND
            let value = try pop()
            try append([value])
        case UInt8(ascii: "e"): try append(try popToMark())  // APPENDS
        case UInt8(ascii: "}"): try push(.dict(made(PickleDict())))
        case UInt8(ascii: "d"): try push(.dict(try dict(try popToMark())))
        case UInt8(ascii: "s"):  // SETITEM
            let value = try pop()
            let key = try pop()
            try setItems([key, value])
        case UInt8(ascii: "u"): try setItems(try popToMark())  // SETITEMS
        case 0x8f: try push(.list(made(PickleList())))  // EMPTY_SET, kept as a list
        case 0x90: try append(try popToMark())  // ADDITEMS
        case 0x91: try push(.list(made(PickleList(try popToMark()))))  // FROZENSET

        case UInt8(ascii: "q"): try remember(Int(try unsigned(1)))  // BINPUT
        case UInt8(ascii: "r"): try remember(Int(try unsigned(4)))  // LONG_BINPUT
        case 0x94: try remember(memo.count)  // MEMOIZE
        case UInt8(ascii: "p"):  // PUT
            let text = try line()
            guard let index = Int(text) else { throw fail("PUT '\(text)' is not a number") }
            try remember(index)
        case UInt8(ascii: "h"): try recall(Int(try unsigned(1)))  // BINGET
        case UInt8(ascii: "j"): try recall(Int(try unsigned(4)))  // LONG_BINGET
        case UInt8(ascii: "g"):  // GET
            let text = try line()
            guard let index = Int(text) else { throw fail("GET '\(text)' is not a number") }
            try recall(index)

        case UInt8(ascii: "c"):  // GLOBAL
            let module = try line()
            try push(.global(PickleGlobal(module: module, name: try line())))
        case 0x93:  // STACK_GLOBAL
            guard let name = try pop().string, let module = try pop().string else { throw fail("STACK_GLOBAL needs two strings") }
            try push(.global(PickleGlobal(module: module, name: name)))
        case UInt8(ascii: "R"):  // REDUCE
            let arguments = try pop()
            try push(try call(try pop(), arguments.items ?? [arguments]))
        case 0x81:  // NEWOBJ
            let arguments = try pop()
            try push(try call(try pop(), arguments.items ?? [arguments]))
        case 0x92:  // NEWOBJ_EX
            _ = try pop()
            let arguments = try pop()
            try push(try call(try pop(), arguments.items ?? [arguments]))
        case UInt8(ascii: "b"):  // BUILD
            let state = try pop()
            if case .object(let object) = try top() { object.state = state }
        case UInt8(ascii: "i"):  // INST
            let module = try line()
            let type = PickleGlobal(module: module, name: try line())
            try push(.object(made(PickleObject(type: type, arguments: try popToMark()))))
        case UInt8(ascii: "o"):  // OBJ
            let items = try popToMark()
            guard let first = items.first else { throw fail("OBJ without a class") }
            try push(try call(first, Array(items.dropFirst())))
        case UInt8(ascii: "Q"): try push(try persistent(try pop()))  // BINPERSID
        case UInt8(ascii: "P"): try push(try persistent(.string(try line())))  // PERSID
        default:
            throw fail("opcode 0x\(String(opcode, radix: 16)) is not supported")
        }
        return nil
    }

    /// A little-endian two's-complement integer of `count` bytes (LONG1, LONG4).
    private mutating func long(_ count: Int) throws(PickleError) -> PickleValue {
        let digits = try take(count)
        guard count <= 8 else { return .bigInt(bytes: count) }
        guard let last = digits.last else { return .int(0) }
        let value = digits.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // sign-extend from the top byte's high bit
        let shift = UInt64(64 - 8 * count)
        return .int(last & 0x80 == 0 ? Int(value) : Int(Int64(bitPattern: value << shift) >> Int64(shift)))
    }

    private mutating func append(_ values: [PickleValue]) throws(PickleError) {
        guard case .list(let list) = try top() else { throw fail("APPEND to something that is not a list") }
        list.items += values
    }

    private mutating func dict(_ items: [PickleValue]) throws(PickleError) -> PickleDict {
        guard items.count % 2 == 0 else { throw fail("a dict needs pairs of keys and values") }
        let dict = made(PickleDict())
        for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
        return dict
    }

    private mutating func setItems(_ items: [PickleValue]) throws(PickleError) {
        guard items.count % 2 == 0 else { throw fail("SETITEMS needs pairs of keys and values") }
        switch try top() {
        case .dict(let dict):
            for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index], items[index + 1]) }
        case .object: break  // a dict subclass rebuilt as a stand-in keeps nothing
        default: throw fail("SETITEM on something that is not a dict")
        }
    }

    /// A call of `callable` with `arguments`: rebuilt for what a checkpoint needs, recorded otherwise.
    private mutating func call(_ callable: PickleValue, _ arguments: [PickleValue]) throws(PickleError) -> PickleValue {
        guard case .global(let function) = callable else { return .object(made(PickleObject(type: nil, arguments: arguments))) }
        switch (function.module, function.name) {
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard arguments.count >= 4, case .storage(let storage) = arguments[0], let offset = arguments[1].int,
                let size = arguments[2].items?.compactMap(\.int), let stride = arguments[3].items?.compactMap(\.int),
                size.count == arguments[2].items?.count, stride.count == size.count, offset >= 0
            else { throw fail("\(function) with arguments that do not describe a tensor") }
            return .tensor(PickleTensor(storage: storage, offset: offset, size: size, stride: stride))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = arguments.first, case .tensor = data else { throw fail("\(function) without a tensor") }
            return data
        case ("collections", "OrderedDict"):
            let dict = made(PickleDict())
            for pair in arguments.first?.items ?? [] {
                guard let parts = pair.items, parts.count == 2 else { throw fail("OrderedDict with an item that is not a pair") }
                dict.set(parts[0], parts[1])
            }
            return .dict(dict)
        case ("_codecs", "encode"):  // how protocol 2 pickles bytes: encode(text, 'latin1')
            guard let text = arguments.first?.string else { throw fail("_codecs.encode without text") }
            return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        default:
            return .object(made(PickleObject(type: function, arguments: arguments)))
        }
    }

    /// PyTorch's persistent id of a storage: `('storage', type, key, location, count)`.
    private func persistent(_ id: PickleValue) throws(PickleError) -> PickleValue {
        guard let parts = id.items, parts.count >= 5, parts[0].string == "storage", case .global(let type) = parts[1],
            let key = parts[2].string, let location = parts[3].string, let count = parts[4].int, count >= 0
        else { throw fail("a persistent id that is not a PyTorch storage: \(id)") }
        return .storage(PickleStorage(key: key, type: type.name, location: location, count: count))
    }
}

/// A malformed pickle: where it went wrong and why.
public struct PickleError: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var reason: String
    public var description: String { "pickle byte \(offset): \(reason)" }
}
