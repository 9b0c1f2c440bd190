import Foundation
import Pose
import Testing
import Torch

/// onnxruntime and onnx from PyPI, which `make test` installs into .deps/onnxruntime
/// (`Scripts/bootstrap.sh --onnxruntime`), and the script that runs an ONNX file in them.
enum ONNXRuntime {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
    static let python = root.appendingPathComponent(".deps/onnxruntime/bin/python").path
    static let script = root.appendingPathComponent("Scripts/onnx/run_onnx.py").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }

    /// Checks `model` with onnx's full checker and runs it on `images` in onnxruntime: its output
    /// and what the script reports (inputs, outputs, shape, metadata).
    static func run(_ model: String, on images: Tensor, scratch: Scratch) throws -> (output: Tensor, report: [String: Any]) {
        let (input, output) = (scratch.path("images.f32"), scratch.path("output0.f32"))
        try Data(images.contiguous().bytes()).write(to: URL(fileURLWithPath: input))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, model, input, images.shape.map(String.init).joined(separator: ","), output]
        let (stdout, stderr) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (stdout, stderr)
        try process.run()
        let printed = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "run_onnx.py failed: \(errors)")
        let report = try jsonObject(String(decoding: printed, as: UTF8.self))
        let shape = try #require(report["shape"] as? [Int])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        let values = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (Tensor(values, shape: shape), report)
    }
}

/// `facelabel export onnx`: the file passes onnx's checker, and onnxruntime computes from it what
/// facelabel's own forward pass and decoding compute, in the reference's layout.
@Suite(.serialized, .enabled(if: ONNXRuntime.available, "onnxruntime is not installed: `make test` installs it into .deps/onnxruntime"))
struct `ONNX export in onnxruntime` {
    static let weights = ONNXRuntime.root.appendingPathComponent("Weights/yolov8n-pose-synth51.safetensors").path

    /// facelabel's own output for `images`, as `predict` computes it: BatchNorm folded, float32, decoded.
    static func reference(_ weights: String, _ images: Tensor) throws -> Tensor {
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        model.prepareForInference(half: false)
        return withNoGrad { model.decode(model(images, mode: .eval)) }
    }

    static func images(_ shape: [Int], seed: UInt64) -> Tensor { Tensor.rand(shape, generator: Generator(seed: seed)) }

    /// The largest differences between two outputs `[B, 4 + nc + K·D, A]`: in pixels (boxes,
    /// keypoint x and y) and in probability (class scores, keypoint visibility).
    static func differences(
        _ a: Tensor, _ b: Tensor, classes: Int = 1, keypoints: Int = 51, dimensions: Int = 3
    )
        -> (pixels: Double, probabilities: Double)
    {
        let difference = (a - b).abs()
        let (batch, _, anchors) = difference.shape3
        let points = difference.narrow(dim: 1, start: 4 + classes, length: keypoints * dimensions)
            .reshaped([batch, keypoints, dimensions, anchors])
        let pixels = max(
            difference.narrow(dim: 1, start: 0, length: 4).max().item(), points.narrow(dim: 2, start: 0, length: 2).max().item())
        let scores = difference.narrow(dim: 1, start: 4, length: classes).max().item()
        return (pixels, dimensions == 3 ? max(scores, points.narrow(dim: 2, start: 2, length: 1).max().item()) : scores)
    }

    @Test(arguments: [
        (["--imgsz", "256"], [1, 3, 256, 256]),
        (["--imgsz", "320", "192"], [1, 3, 320, 192]),
        (["--imgsz", "256", "--dynamic"], [3, 3, 224, 288]),
    ])
    func `onnxruntime gives facelabel's own decoded output, to float32's rounding`(options: [String], shape: [Int]) throws {
        let scratch = try Scratch()
        let file = scratch.path("model.onnx")
        let exported = try runFaceLabel(["export", "onnx", "--weights", Self.weights, "--out", file] + options)
        #expect(exported.status == 0, "\(exported.errors)")
        let images = Self.images(shape, seed: 7)
        let (output, report) = try ONNXRuntime.run(file, on: images, scratch: scratch)
        let expected = try Self.reference(Self.weights, images)
        let anchors = [8, 16, 32].reduce(0) { $0 + (shape[2] / $1) * (shape[3] / $1) }
        #expect(output.shape == [shape[0], 4 + 1 + 51 * 3, anchors])
        // float32 in another order of operations: facelabel's own folded and unfolded forward
        // passes differ by as much (3 to 6e-4 px on these inputs)
        let difference = Self.differences(output, expected)
        #expect(difference.pixels < 1e-3 && difference.probabilities < 1e-4, "largest differences \(difference)")
        print("export onnx \(options.joined(separator: " ")), input \(shape): largest difference from facelabel \(difference)")

        let inputs = try #require(report["inputs"] as? [[String: Any]])
        let outputs = try #require(report["outputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["images"] && outputs.map { $0["name"] as? String } == ["output0"])
        if options.contains("--dynamic") {
            #expect(inputs[0]["shape"] as? [AnyHashable] == ["batch", 3, "height", "width"])
            #expect(outputs[0]["shape"] as? [AnyHashable] == ["batch", 158, "anchors"])
        } else {
            #expect(inputs[0]["shape"] as? [Int] == shape)
        }
        let metadata = try #require(report["metadata"] as? [String: String])
        #expect(metadata["task"] == "pose" && metadata["stride"] == "32" && metadata["kpt_shape"] == "[51, 3]")
        #expect(metadata["names"] == "{0: 'face'}" && metadata["batch"] == "1")
        #expect(metadata["imgsz"] == (options.contains("192") ? "[320, 192]" : "[256, 256]"))
    }

    @Test func `another layout exports too: two classes and 17 points without visibility, names from data.yaml`() throws {
        let scratch = try Scratch()
        let model = PoseModel(PoseModelConfig(scale: .n, classCount: 2, keypointCount: 17, keypointDimensions: 2), seed: 3)
        let weights = scratch.path("fresh.safetensors")
        try model.save(to: URL(fileURLWithPath: weights))
        try "path: .\ntrain: images\nval: images\nkpt_shape: [17, 2]\nnames:\n  0: eye's\n  1: nose\n".write(
            toFile: scratch.path("data.yaml"), atomically: true, encoding: .utf8)
        let exported = try runFaceLabel([
            "export", "onnx", "--weights", weights, "--imgsz", "128", "--batch", "2", "--data", scratch.path("data.yaml"),
        ])
        #expect(exported.status == 0, "\(exported.errors)")
        let file = scratch.path("fresh.onnx")  // beside the weights by default
        #expect(exported.output == file + "\n")
        let images = Self.images([2, 3, 128, 128], seed: 8)
        let (output, report) = try ONNXRuntime.run(file, on: images, scratch: scratch)
        #expect(output.shape == [2, 4 + 2 + 17 * 2, 336])
        let difference = Self.differences(output, try Self.reference(weights, images), classes: 2, keypoints: 17, dimensions: 2)
        #expect(difference.pixels < 1e-3 && difference.probabilities < 1e-4, "largest differences \(difference)")
        let metadata = try #require(report["metadata"] as? [String: String])
        #expect(metadata["names"] == "{0: 'eye\\'s', 1: 'nose'}" && metadata["kpt_shape"] == "[17, 2]" && metadata["batch"] == "2")

        let again = try runFaceLabel(["export", "onnx", "--weights", weights, "--imgsz", "128"])
        #expect(again.status != 0 && again.errors.contains("fresh.onnx exists: choose another --out, or --overwrite"), "\(again.errors)")
    }

    @Test func `float16 weights halve the file and move the output by little`() throws {
        let scratch = try Scratch()
        let (single, half) = (scratch.path("single.onnx"), scratch.path("half.onnx"))
        for (file, extra) in [(single, [String]()), (half, ["--half"])] {
            let exported = try runFaceLabel(["export", "onnx", "--weights", Self.weights, "--imgsz", "256", "--out", file] + extra)
            #expect(exported.status == 0, "\(exported.errors)")
        }
        func size(_ path: String) throws -> Int { try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) }
        let ratio = Double(try size(half)) / Double(try size(single))
        #expect(ratio > 0.49 && ratio < 0.52, "float16 file is \(ratio) of float32's")
        let images = Self.images([1, 3, 256, 256], seed: 9)
        let (singleOutput, _) = try ONNXRuntime.run(single, on: images, scratch: scratch)
        let (halfOutput, report) = try ONNXRuntime.run(half, on: images, scratch: scratch)
        let metadata = try #require(report["metadata"] as? [String: String])
        #expect(metadata["args"]?.contains("'half': True") == true)
        let difference = Self.differences(halfOutput, singleOutput)
        print("export onnx --half: file \(ratio) of float32's; output moves by at most \(difference)")
        #expect(difference.pixels < 1 && difference.probabilities < 2e-3 && difference.pixels > 0)  // 0.52 px, 9.5e-4 measured
    }
}
