import Foundation
import Testing

/// A scratch folder removed when the test ends.
final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-cli-\(UUID())")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not one JSON object: \(text)")
}

@Suite(.serialized) struct `train, val and predict commands` {
    @Test func `train then val then predict run end to end and print the documented JSON`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "12", "--imgsz", "64", "--json"])
        #expect(synth.status == 0)
        let data = scratch.path("data/data.yaml")

        let train = try runFaceLabel([
            "train", "--data", data, "--epochs", "2", "--imgsz", "64", "--batch", "4", "--out", scratch.path("run"), "--json",
        ])
        #expect(train.status == 0)
        let trained = try jsonObject(train.output)
        let weights = try #require(trained["weights"] as? [String: String])
        #expect(trained["epochs"] as? Int == 2)
        #expect(FileManager.default.fileExists(atPath: try #require(weights["best"])))
        #expect(FileManager.default.fileExists(atPath: try #require(weights["last"])))
        let metrics = try #require(trained["metrics"] as? [String: Any])
        #expect(Set(metrics.keys).isSuperset(of: ["box", "pose", "landmarks", "images", "instances"]))

        let val = try runFaceLabel(["val", "--data", data, "--weights", weights["best"]!, "--imgsz", "64", "--json"])
        #expect(val.status == 0)
        let measured = try jsonObject(val.output)
        for task in ["box", "pose"] {
            let scores = try #require(measured[task] as? [String: Double])
            #expect(Set(scores.keys) == ["precision", "recall", "map50", "map50_95"])
            #expect(scores.values.allSatisfy { (0...1).contains($0) })
        }
        let landmarks = try #require(measured["landmarks"] as? [String: Any])
        #expect(landmarks["matched"] is Int && landmarks["missed"] is Int)
        #expect((measured["images"] as? Int ?? 0) > 0 && (measured["instances"] as? Int ?? 0) > 0)

        let predict = try runFaceLabel([
            "predict", "--weights", weights["last"]!, "--source", scratch.path("data/images/val"), "--imgsz", "64", "--conf", "0.001",
            "--save-txt", "--out", scratch.path("predictions"), "--json",
        ])
        #expect(predict.status == 0)
        let images = try #require(try jsonObject(predict.output)["images"] as? [[String: Any]])
        #expect(!images.isEmpty)
        for image in images {
            #expect(image["file"] is String && image["width"] as? Int == 64 && image["height"] as? Int == 64)
            let detections = try #require(image["detections"] as? [[String: Any]])
            for detection in detections {
                #expect(detection["score"] is Double && detection["box"] is [String: Double])
                #expect((detection["keypoints"] as? [[String: Double]])?.count == 51)
            }
        }
        let labels = try FileManager.default.contentsOfDirectory(atPath: scratch.path("predictions/labels"))
        #expect(labels.count == images.count)

        // a float16 copy is about half the size and still loads
        let half = scratch.path("half.safetensors")
        #expect(try runFaceLabel(["export", "weights", "--weights", weights["best"]!, "--out", half, "--half"]).status == 0)
        let sizes = try [weights["best"]!, half].map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int }
        #expect(Double(sizes[1]) < 0.55 * Double(sizes[0]))
        #expect(try runFaceLabel(["val", "--data", data, "--weights", half, "--imgsz", "64"]).status == 0)
    }

    /// Issue 32: on a CPU without native bfloat16, `--half` ran emulated bfloat16, five times slower
    /// than float32. `FACELABEL_CPU_BFLOAT16=0` makes any CPU take the fallback.
    @Test func `without native bfloat16, --half and --amp compute in float32 and say once why`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "6", "--imgsz", "64"]).status == 0)
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").standardizedFileURL.path
        let predict = ["predict", "--weights", weights, "--source", scratch.path("data/images/train"), "--imgsz", "64", "--json"]
        let noBFloat16 = ["FACELABEL_CPU_BFLOAT16": "0"]
        let plain = try runFaceLabel(predict, environment: noBFloat16)
        let half = try runFaceLabel(predict + ["--half"], environment: noBFloat16)
        #expect(plain.status == 0 && half.status == 0)
        #expect(half.output == plain.output)  // float32, the same numbers
        let warnings = half.errors.components(separatedBy: "\n").filter { $0.hasPrefix("warning: --half:") }
        #expect(warnings.count == 1 && warnings[0].contains("AVX512-BF16 or AMX") && warnings[0].contains("SIMD level"), "\(half.errors)")
        #expect(!plain.errors.contains("warning"))
        let train = try runFaceLabel(
            [
                "train", "--data", scratch.path("data/data.yaml"), "--epochs", "1", "--imgsz", "64", "--batch", "2", "--amp", "--no-val",
                "--out", scratch.path("run"),
            ], environment: noBFloat16)
        #expect(train.status == 0)
        #expect(
            train.errors.components(separatedBy: "\n").filter { $0.contains("mixed precision (--amp): this CPU") }.count == 1,
            "\(train.errors)")
    }

    @Test func `a weights file that does not exist is a clear error and a non-zero exit`() throws {
        let scratch = try Scratch()
        let missing = scratch.path("missing.safetensors")
        let result = try runFaceLabel(["predict", "--weights", missing, "--source", scratch.path("")])
        #expect(result.status != 0)
        #expect(result.errors.contains("\(missing): cannot read"))
    }
}
