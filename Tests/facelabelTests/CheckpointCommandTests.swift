import Foundation
import Testing

/// PyTorch checkpoints where the commands take weights.
@Suite struct `PyTorch checkpoints in commands` {
    static let checkpoints = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PoseTests/Fixtures/checkpoints")

    @Test func `train starts from an Ultralytics detection checkpoint and says what it transferred`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "8", "--imgsz", "64", "--seed", "2"]).status == 0)
        let trained = try runFaceLabel([
            "train", "--data", scratch.path("data/data.yaml"), "--model", Self.checkpoints.appendingPathComponent("tiny-detect.pt").path,
            "--epochs", "1", "--imgsz", "64", "--batch", "4", "--out", scratch.path("run"),
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        // the model takes the checkpoint's own (tiny) scale, so the backbone and the neck transfer; the
        // head's class branch (80 classes) and its keypoint branch (none) are left
        #expect(trained.errors.contains("training custom scale (depth 0.33, width 0.0625, max channels 1024)"), "\(trained.errors)")
        let line = try #require(trained.errors.split(separator: "\n").first { $0.hasPrefix("transferred ") })
        #expect(
            line.hasPrefix("transferred 319/397 tensors from tiny-detect.pt; left as initialised: model.22.cv3.0.0.conv.weight"), "\(line)")
    }

    @Test func `val and predict with an Ultralytics checkpoint give what the same weights give as safetensors`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "8", "--imgsz", "64", "--seed", "2"]).status == 0)
        let checkpoint = Self.checkpoints.appendingPathComponent("tiny-pose51.pt").path
        let copied = try runFaceLabel(["export", "weights", "--weights", checkpoint, "--out", scratch.path("tiny.safetensors")])
        #expect(copied.status == 0, "\(copied.errors)")
        var outputs: [[String]] = []
        for weights in [checkpoint, scratch.path("tiny.safetensors")] {
            let val = try runFaceLabel(["val", "--data", scratch.path("data/data.yaml"), "--weights", weights, "--imgsz", "64", "--json"])
            let predict = try runFaceLabel([
                "predict", "--source", scratch.path("data/images"), "--weights", weights, "--imgsz", "64", "--conf", "0.01", "--json",
            ])
            #expect(val.status == 0 && predict.status == 0, "\(val.errors)\(predict.errors)")
            outputs.append([val.output, predict.output])
        }
        #expect(outputs[0] == outputs[1])
        // a detection in each of the 8 images, with 51 points each: the random weights' values show
        #expect(outputs[0][1].components(separatedBy: #""score""#).count - 1 >= 8)
    }

    @Test func `a TorchScript archive given as weights is a clear error and a non-zero exit`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "4", "--imgsz", "64", "--seed", "2"]).status == 0)
        let script = Self.checkpoints.appendingPathComponent("torchscript.pt").path
        let result = try runFaceLabel(["val", "--data", scratch.path("data/data.yaml"), "--weights", script, "--imgsz", "64"])
        #expect(result.status != 0 && result.errors.contains("torchscript.pt: a TorchScript archive (torch.jit.save)"), "\(result.errors)")
    }
}
