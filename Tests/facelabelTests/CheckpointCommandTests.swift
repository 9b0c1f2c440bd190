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
        // the checkpoint's yaml says scale n; its tiny width matches only the shapeless counters and the DFL
        let line = try #require(trained.errors.split(separator: "\n").first { $0.hasPrefix("transferred ") })
        #expect(line.contains("/397 tensors from tiny-detect.pt; left as initialised: model.0.conv.weight"), "\(line)")
    }

    @Test func `a TorchScript archive given as weights is a clear error and a non-zero exit`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "4", "--imgsz", "64", "--seed", "2"]).status == 0)
        let script = Self.checkpoints.appendingPathComponent("torchscript.pt").path
        let result = try runFaceLabel(["val", "--data", scratch.path("data/data.yaml"), "--weights", script, "--imgsz", "64"])
        #expect(result.status != 0 && result.errors.contains("torchscript.pt: a TorchScript archive (torch.jit.save)"), "\(result.errors)")
    }
}
