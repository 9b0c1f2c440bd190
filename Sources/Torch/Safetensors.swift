import Foundation

/// The safetensors file format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length, a JSON header mapping names to `{dtype, shape, data_offsets}` (plus an optional
/// `__metadata__` map of strings), then the packed little-endian tensor bytes.
public enum Safetensors {
    /// A file's tensors in storage order, with its metadata.
    public struct Contents {
        public var tensors: [(name: String, tensor: Tensor)]
        public var metadata: [String: String]

        public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        /// The tensor stored under `name`, if any.
        public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }
    }

    /// A problem with a safetensors file, naming the file and the reason.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// The largest header accepted (the reference implementation's limit).
    static let maximumHeaderBytes = 100_000_000

    static let codes: [DType: String] = [
        .float64: "F64", .float32: "F32", .float16: "F16", .bfloat16: "BF16", .int64: "I64", .int32: "I32",
        .uint8: "U8", .bool: "BOOL",
    ]

    // MARK: Writing

    /// Encodes tensors (names must be unique) in the given order.
    public static func encode(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]
    ) throws(Error)
        -> Data
    {
        var header = "{"
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            header += "\"__metadata__\":{\(pairs.joined(separator: ","))}"
        }
        var payload: [UInt8] = []
        var seen = Set<String>()
        for (name, tensor) in tensors {
            guard seen.insert(name).inserted else { throw Error(path: "<memory>", reason: "duplicate tensor name \(name)") }
            guard let code = codes[tensor.dtype] else {
                throw Error(path: "<memory>", reason: "\(name): dtype \(tensor.dtype) cannot be stored")
            }
            let begin = payload.count
            payload += tensor.bytes()
            if header.count > 1 { header += "," }
            header += "\(jsonString(name)):{\"dtype\":\"\(code)\",\"shape\":\(tensor.shape),"
            header += "\"data_offsets\":[\(begin),\(payload.count)]}"
        }
        header += "}"
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (header.utf8.count % 8) != 0 { header += " " }
        var data = Data(capacity: 8 + header.utf8.count + payload.count)
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: payload)
        return data
    }

    /// Writes tensors atomically (a temporary file renamed into place).
    public static func write(
        _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL
    ) throws(Error) {
        let data: Data
        do {
            data = try encode(tensors, metadata: metadata)
        } catch {
            throw Error(path: url.path, reason: error.reason)
        }
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw Error(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    // MARK: Reading

    /// Reads and validates a whole file.
    public static func read(from url: URL) throws(Error) -> Contents {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw Error(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates bytes; `path` names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws(Error) -> Contents {
        func fail(_ reason: String) -> Error { Error(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("truncated: \(data.count) bytes, a header length needs 8") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        guard headerLength <= UInt64(maximumHeaderBytes) else { throw fail("header length \(headerLength) is too large") }
        guard 8 + Int(headerLength) <= data.count else {
            throw fail("truncated: the header needs \(headerLength) bytes but only \(data.count - 8) follow")
        }
        let headerBytes = data.subdata(in: data.startIndex + 8..<data.startIndex + 8 + Int(headerLength))
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes), let header = object as? [String: Any]
        else { throw fail("the header is not a JSON object") }

        let dataStart = 8 + Int(headerLength)
        let dataSize = data.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = map
                continue
            }
            guard let info = value as? [String: Any], let code = info["dtype"] as? String,
                let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor \(name): needs dtype, shape and two data_offsets") }
            guard let dtype = codes.first(where: { $0.value == code })?.key else {
                throw fail("tensor \(name): unsupported dtype \(code)")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor \(name): negative size in shape \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end else { throw fail("tensor \(name): bad data_offsets \(offsets)") }
            // a product that overflows is as wrong as one that does not match
            let expected = shape.reduce(Int?(dtype.byteSize)) { product, size in
                product.flatMap { $0.multipliedReportingOverflow(by: size) }.flatMap { $0.overflow ? nil : $0.partialValue }
            }
            guard let expected, end - begin == expected else {
                let needed = expected.map(String.init) ?? "more than Int.max"
                throw fail("tensor \(name): shape \(shape) of \(dtype) needs \(needed) bytes, offsets give \(end - begin)")
            }
            guard end <= dataSize else {
                throw fail("truncated: tensor \(name) ends at byte \(end) but the data has \(dataSize)")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var position = 0
        for entry in entries {
            guard entry.begin == position else {
                throw fail("tensor \(entry.name) starts at byte \(entry.begin), expected \(position) (gap or overlap)")
            }
            position = entry.end
        }
        guard position == dataSize else { throw fail("\(dataSize - position) bytes after the last tensor") }

        var tensors: [(name: String, tensor: Tensor)] = []
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            let tensor: Tensor
            do {
                tensor = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Tensor in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.begin)..<(dataStart + entry.end)])
                    return try Tensor(bytes: bytes, shape: entry.shape, dtype: entry.dtype)
                }
            } catch {
                throw fail("tensor \(entry.name): \(error)")
            }
            tensors.append((entry.name, tensor))
        }
        return Contents(tensors: tensors, metadata: metadata)
    }

    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
