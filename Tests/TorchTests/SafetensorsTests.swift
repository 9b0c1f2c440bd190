import Foundation
import Testing
import Torch
import TorchTestSupport

@Suite struct SafetensorsTests {
    @Test func `a file written by Python's safetensors loads with every dtype and the metadata`() throws {
        let file = try Goldens.load("python_written")
        #expect(file.metadata == ["writer": "python"])
        #expect(try file.required("f32").toArray(of: Float.self) == [1.5, -2.25, 3.0, 1e-3])
        #expect(try file.required("f32").shape == [2, 2])
        #expect(try file.required("f64").toArray(of: Double.self) == [1.0 / 3.0, -7])
        #expect(try file.required("f16").toArray(of: Float.self) == [0.5, -1, 65504])
        #expect(try file.required("bf16").toArray(of: Float.self) == [1, -0.5])
        #expect(try file.required("i64").toArray(of: Int64.self) == [-(1 << 40), 7])
        #expect(try file.required("i32").toArray(of: Int32.self) == [-3, 1 << 30])
        #expect(try file.required("u8").toArray(of: UInt8.self) == [0, 255, 17])
        #expect(try file.required("bool").toArray(of: Bool.self) == [true, false, true])
        #expect(try file.required("empty").shape == [0, 3])
    }

    /// The tensors `Scripts/goldens/verify_swift_written.py` expects to read back in Python.
    static func swiftWrittenTensors() -> [(name: String, tensor: Tensor)] {
        [
            ("model.0.conv.weight", Tensor.arange(0, 24, dtype: .float32).reshaped([2, 3, 2, 2]) / 8),
            ("model.0.bn.num_batches_tracked", Tensor(scalar: Int64(5))),
            ("half", Tensor([0.5, -2] as [Float]).to(.float16)),
            ("mask", Tensor([true, false])),
            ("bytes", Tensor([1, 2, 250] as [UInt8])),
            ("ints", Tensor([-1, 2] as [Int32], shape: [1, 2])),
            ("doubles", Tensor([0.1] as [Double])),
        ]
    }

    @Test func `our writer produces the bytes that Python was shown to load`() throws {
        let data = try Safetensors.encode(Self.swiftWrittenTensors(), metadata: ["writer": "facelabel"])
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../TorchTestSupport/Fixtures/swift_written.safetensors").standardized
        if ProcessInfo.processInfo.environment["FACELABEL_WRITE_FIXTURES"] == "1" { try data.write(to: fixture) }
        let committed = try Data(contentsOf: try Goldens.url("swift_written"))
        #expect(data == committed, "regenerate with `make goldens`, which also checks the file in Python")
    }

    @Test func `write then read gives the same names, order, values and metadata`() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(Self.swiftWrittenTensors(), metadata: ["a": "b\"c"], to: url)
        let read = try Safetensors.read(from: url)
        #expect(read.metadata == ["a": "b\"c"])
        #expect(read.tensors.map(\.name) == Self.swiftWrittenTensors().map(\.name))
        for (original, loaded) in zip(Self.swiftWrittenTensors(), read.tensors) {
            #expect(original.tensor.dtype == loaded.tensor.dtype && original.tensor.shape == loaded.tensor.shape)
            #expect(original.tensor.bytes() == loaded.tensor.bytes())
        }
    }

    @Test func `a truncated file is an error naming the file`() throws {
        let data = try Safetensors.encode(Self.swiftWrittenTensors())
        for cut in [4, 20, data.count - 3] {
            #expect {
                try Safetensors.decode(data.prefix(cut), path: "weights.safetensors")
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("weights.safetensors: ") && text.contains("truncated")
            }
        }
    }

    @Test func `a malformed header is rejected with the reason`() throws {
        func file(_ header: String, payload: Int = 0) -> Data {
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: Array(header.utf8))
            data.append(Data(count: payload))
            return data
        }
        let cases: [(String, Int, String)] = [
            ("not json", 0, "not a JSON object"),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, 4, "needs 8 bytes"),
            (#"{"x":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, 8, "unsupported dtype C64"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 8, "bytes after the last tensor"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "gap or overlap"),
        ]
        for (header, payload, reason) in cases {
            #expect {
                try Safetensors.decode(file(header, payload: payload), path: "f")
            } throws: { error in "\(error)".contains(reason) }
        }
    }
}

/// Issue 20: the safetensors inputs fuzzing keeps (Fuzz/regressions/safetensors) and a shape whose
/// byte count overflows are refused with an error, never a crash.
@Suite struct `Safetensors against hostile headers` {
    static func file(header: String) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        return data + Data(header.utf8)
    }

    @Test func `a shape whose size overflows is an error`() {
        let data = Self.file(header: #"{"t": {"dtype": "F32", "shape": [4611686018427387904, 8], "data_offsets": [0, 0]}}"#)
        let error = #expect(throws: Safetensors.Error.self) { try Safetensors.decode(data, path: "big.safetensors") }
        #expect(error?.description.contains("more than Int.max") == true)
    }

    @Test func `the kept fuzz inputs are refused or read, never crash`() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Fuzz/regressions/safetensors")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        #expect(!files.isEmpty)
        for file in files { _ = try? Safetensors.decode(try Data(contentsOf: file), path: file.path) }
    }
}
