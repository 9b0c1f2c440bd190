import Foundation
import PoseData
import Testing
import Torch
import TorchNN

@testable import Pose

/// PyTorch checkpoints written by the reference (`Scripts/fixtures/make_checkpoint_fixtures.py`,
/// Ultralytics 8.4.190), each beside a digest of the state dict Ultralytics' own `state_dict()` gives.
@Suite struct `PyTorch checkpoints` {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("checkpoints")
    static func fixture(_ name: String) -> URL { folder.appendingPathComponent(name) }

    struct Digest: Decodable {
        struct Row: Decodable {
            var name: String
            var dtype: String
            var shape: [Int]
            var fnv1a: String
        }
        var tensors: [Row]
    }

    @Test(arguments: [
        ("tiny-pose51", "the EMA model of Ultralytics 8.4.190"), ("tiny-pose17-best", "the model of Ultralytics 8.4.190"),
        ("tiny-detect", "the EMA model of Ultralytics 8.4.190"), ("tiny-state-dict", "a state dict"),
    ])
    func `give the tensors of Ultralytics' own state_dict, bit for bit`(name: String, source: String) throws {
        let read = try PoseModel.readWeights(Self.fixture(name + ".pt"))
        let digest = try JSONDecoder().decode(Digest.self, from: Data(contentsOf: Self.fixture(name + ".digest.json")))
        #expect(read.tensors.map(\.name) == digest.tensors.map(\.name))
        #expect(read.tensors.count > 30)
        for ((key, tensor), row) in zip(read.tensors, digest.tensors) {
            #expect("\(tensor.dtype)" == row.dtype && tensor.shape == row.shape, "\(key): \(tensor.dtype) \(tensor.shape)")
            #expect(String(FNV1a.hash(Data(tensor.bytes())), radix: 16).leftPadded(to: 16) == row.fnv1a, "\(key) differs")
        }
        #expect(read.metadata["source"] == source)
    }

    @Test func `an Ultralytics pose checkpoint names its architecture and has exactly facelabel's keys`() throws {
        let pose = try PoseModel.readWeights(Self.fixture("tiny-pose51.pt"))
        // the yaml's scales entry for its scale n: the n depth, a width of 1/16
        #expect(pose.metadata["nc"] == "1" && pose.metadata["kpt_shape"] == "51,3" && pose.metadata["scale"] == "0.33,0.0625,1024")
        #expect(PoseModel.classNames(in: pose) == ["0"])  // Ultralytics' default names {0: '0'}, for export onnx
        #expect(try PoseModel.readWeights(Self.fixture("tiny-pose17-best.pt")).metadata["kpt_shape"] == "17,3")
        // the same keys, in the same order, as facelabel's own model of that layout
        let model = PoseModel(PoseModelConfig(scale: .n, classCount: 1, keypointCount: 51))
        #expect(pose.tensors.map(\.name) == model.store.entries.map(\.key))
        // built at the checkpoint's own scale, every shape matches: the load is strict
        let loaded = try PoseModel.load(pose, path: "tiny-pose51.pt")
        #expect(loaded.config.scale == ModelScale(depth: 0.33, width: 0.0625, maxChannels: 1024))
        #expect(loaded.store.entries.map(\.value.shape) == pose.tensors.map(\.tensor.shape))
        #expect(loaded.config.keypointCount == 51 && loaded.config.classCount == 1)
    }

    @Test func `a model scale is one of n to x or a custom yaml's multipliers, stored by name`() throws {
        #expect(ModelScale("s") == .s && ModelScale("0.33,0.25,1024") == .n && ModelScale.n.name == "n")
        let tiny = try #require(ModelScale("0.33,0.0625,1024"))
        #expect(tiny.name == "0.33,0.0625,1024" && tiny.standardName == nil)
        #expect(tiny.channels(64) == 8 && tiny.channels(1024) == 64 && tiny.repeats(3) == 1 && tiny.repeats(6) == 2)
        for refused in ["q", "0.33,0.25", "0.33,99,1024", "0,0.25,1024", "0.33,0.25,4", "0.33,0.25,1024.5", "0.33,,1024"] {
            #expect(ModelScale(refused) == nil, "\(refused)")
        }
        // settings written before custom scales ("scale": "n") read unchanged; a custom one round-trips
        let old = try JSONDecoder().decode(
            PoseModelConfig.self, from: Data(#"{"scale":"m","classCount":1,"keypointCount":51,"keypointDimensions":3}"#.utf8))
        #expect(old.scale == .m)
        let custom = PoseModelConfig(scale: tiny, keypointCount: 17)
        #expect(try JSONDecoder().decode(PoseModelConfig.self, from: JSONEncoder().encode(custom)) == custom)
    }

    @Test func `weights whose metadata names an impossible scale are refused, naming the file and the scale`() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("scale-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: scratch) }
        try PoseModel(PoseModelConfig(scale: .n, keypointCount: 5)).save(to: scratch, metadata: ["scale": "0.33,99,1024"])
        do {
            _ = try PoseModel.load(scratch)
            Issue.record("a width of 99 was built")
        } catch {
            #expect(
                error.description.hasPrefix(scratch.path) && error.description.contains(#"its scale "0.33,99,1024" is neither"#), "\(error)"
            )
        }
    }

    @Test func `a TorchScript archive, a truncated file and a zip without a pickle are refused with the reason`() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let whole = try Data(contentsOf: Self.fixture("tiny-pose51.pt"))
        let truncated = scratch.appendingPathComponent("truncated.pt")
        try whole.prefix(whole.count / 2).write(to: truncated)
        // zip archives of one stored file: a PyTorch archive's version record alone, and another file
        let zip = scratch.appendingPathComponent("versioned.pt")
        try Data(Self.storedZip(name: "archive/version", contents: Array("3\n".utf8))).write(to: zip)
        let other = scratch.appendingPathComponent("other.pt")
        try Data(Self.storedZip(name: "archive/x.txt", contents: Array("hello".utf8))).write(to: other)
        let legacy = scratch.appendingPathComponent("legacy.pt")
        try Data([0x80, 0x02, 0x8a, 0x0a]).write(to: legacy)
        for (url, reason) in [
            (Self.fixture("torchscript.pt"), "a TorchScript archive (torch.jit.save)"), (truncated, "truncated.pt: "),
            (zip, "a zip archive without data.pkl"), (other, "not a PyTorch checkpoint (libtorch: "), (legacy, "from before PyTorch 1.6"),
        ] {
            do {
                _ = try PoseModel.readWeights(url)
                Issue.record("\(url.lastPathComponent) was read")
            } catch {
                #expect(error.description.hasPrefix(url.path) && error.description.contains(reason), "\(error)")
            }
        }
    }

    /// A zip file holding one uncompressed file (PKWARE's APPNOTE: local header, data, central
    /// directory, end record), with its CRC-32.
    static func storedZip(name: String, contents: [UInt8]) -> [UInt8] {
        func le(_ value: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((value >> (8 * $0)) & 0xff) } }
        var crc: UInt32 = 0xffff_ffff
        for byte in contents {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
        }
        let checksum = Int(~crc)
        let path = Array(name.utf8)
        let fields =
            le(20, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(checksum, 4) + le(contents.count, 4) + le(contents.count, 4)
            + le(path.count, 2) + le(0, 2)
        let local = le(0x0403_4b50, 4) + fields + path + contents
        let central = le(0x0201_4b50, 4) + le(20, 2) + fields + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(0, 4) + path
        let end = le(0x0605_4b50, 4) + le(0, 2) + le(0, 2) + le(1, 2) + le(1, 2) + le(central.count, 4) + le(local.count, 4) + le(0, 2)
        return local + central + end
    }
}

extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
