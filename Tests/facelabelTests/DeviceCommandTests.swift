import Foundation
import Testing

/// `facelabel env`, `--device` and `--amp` as the built binary takes them.
@Suite(.serialized) struct `devices on the command line` {
    @Test func `env --json names libtorch, CUDA, the GPUs, cuDNN and the threads`() throws {
        let env = try runFaceLabel(["env", "--json"])
        #expect(env.status == 0, "\(env.errors)")
        let report = try jsonObject(env.output)
        #expect(Set(report.keys).isSuperset(of: ["libtorch", "cuda_available", "devices", "cudnn", "threads", "commit", "facelabel"]))
        #expect((report["libtorch"] as? String)?.hasPrefix("2.") == true)
        let devices = try #require(report["devices"] as? [[String: Any]])
        #expect(report["cuda_available"] as? Bool == !devices.isEmpty)
        #expect(report["default_device"] as? String == (devices.isEmpty ? "cpu" : "cuda:0"))
        #expect((report["threads"] as? Int ?? 0) >= 1)
        #expect(report["cudnn"] is NSNull || report["cudnn"] is Int)
        let text = try runFaceLabel(["env"])
        #expect(text.status == 0 && text.output.contains("libtorch") && text.output.contains("--device auto"))
    }

    /// The commonest bug of libtorch bindings: a linker that drops unused libraries leaves
    /// libtorch_cuda out, so CUDA is never registered. A binary built against a CUDA libtorch must
    /// list it as NEEDED (and so report a CUDA build); one built against a CPU libtorch cannot.
    @Test func `the binary links libtorch_cuda exactly when its libtorch has it`() throws {
        let report = try jsonObject(try runFaceLabel(["env", "--json"]).output)
        let library = URL(fileURLWithPath: try #require(report["libtorch_path"] as? String)).deletingLastPathComponent()
        let hasCUDA = FileManager.default.fileExists(atPath: library.appendingPathComponent("libtorch_cuda.so").path)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("facelabel")
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        readelf.arguments = ["--dynamic", binary.path]
        let pipe = Pipe()
        readelf.standardOutput = pipe
        try readelf.run()
        let dynamic = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        let needed = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.contains { $0.contains("[libtorch_cpu.so]") })
        #expect(needed.contains { $0.contains("[libtorch_cuda.so]") } == hasCUDA, "\(needed)")
        #expect(report["cuda_build"] as? Bool == hasCUDA)
    }

    @Test func `a GPU that does not exist is refused by name before any work`() throws {
        let scratch = try Scratch()
        for command in [
            ["val", "--data", "x.yaml", "--weights", "w.safetensors"], ["train", "--data", "x.yaml", "--out", scratch.path("run")],
        ] {
            let run = try runFaceLabel(command + ["--device", "cuda:7"])
            #expect(run.status != 0)
            #expect(run.errors.contains("--device cuda:7") && run.errors.contains("not available"), "\(run.errors)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path("run")))
        }
        let wrong = try runFaceLabel(["val", "--data", "x.yaml", "--weights", "w.safetensors", "--device", "gpu0"])
        #expect(wrong.status != 0 && wrong.errors.contains("--device must be auto, cpu, cuda or cuda:N"))
    }

    /// Weights files hold no device: the same training on `--device cpu` and `--device auto` (the
    /// CPU here, a GPU where there is one) writes byte-identical checkpoints here; `--amp false`
    /// and `--amp true` are read as the reference's users write them.
    @Test func `checkpoints are the same bytes under every device setting, and --amp takes true or false`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "8", "--imgsz", "64"])
        #expect(synth.status == 0)
        var files: [Data] = []
        for (name, device, amp) in [("cpu", "cpu", "false"), ("auto", "auto", "false")] {
            let train = try runFaceLabel([
                "train", "--data", scratch.path("data/data.yaml"), "--epochs", "1", "--imgsz", "64", "--batch", "4",
                "--out", scratch.path(name), "--device", device, "--amp", amp, "--workers", "1",
            ])
            #expect(train.status == 0, "\(train.errors)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: scratch.path("\(name)/weights/last.safetensors"))))
        }
        if (try jsonObject(try runFaceLabel(["env", "--json"]).output))["cuda_available"] as? Bool == false {
            #expect(files[0] == files[1])
        }
        let config = try jsonObject(String(contentsOfFile: scratch.path("cpu/config.json"), encoding: .utf8))
        let training = try #require(config["training"] as? [String: Any])
        #expect(training["mixedPrecision"] as? Bool == false)

        let help = try runFaceLabel(["train", "--help"])
        #expect(help.output.contains("--amp/--no-amp"))
        let on = try runFaceLabel([
            "train", "--data", scratch.path("data/data.yaml"), "--epochs", "1", "--imgsz", "64", "--batch", "4",
            "--out", scratch.path("amp"), "--amp", "true", "--no-val", "--device", "cpu",
        ])
        #expect(on.status == 0, "\(on.errors)")
        let amp = try jsonObject(String(contentsOfFile: scratch.path("amp/config.json"), encoding: .utf8))
        #expect((amp["training"] as? [String: Any])?["mixedPrecision"] as? Bool == true)
    }
}

/// Issue 20: a data yaml whose split resolves to a folder with no images is refused by the commands
/// that would train or label on it, with the path and the reason, before they write anything.
@Suite struct `splits with no images on the command line` {
    @Test func `check reports them, and train, autolabel and refine refuse them without writing`() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("empty"), withIntermediateDirectories: true)
        let yaml = scratch.path("data.yaml")
        try "path: \(scratch.url.path)\ntrain: ../../../etc\nval: empty\nkpt_shape: [51, 3]\nnames: {0: face}\n"
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        let check = try runFaceLabel(["check", yaml])
        #expect(check.status != 0 && check.output.contains("train: '/etc' holds no images"), "\(check.output)")
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").standardizedFileURL.path
        for (command, out) in [
            (["train", "--data", yaml, "--epochs", "1"], "train"), (["autolabel", "--data", yaml, "--weights", weights], "labelled"),
            (["refine", "--data", yaml, "--iterations", "1", "--epochs", "1"], "refined"),
        ] {
            let run = try runFaceLabel(command + ["--out", scratch.path(out)])
            #expect(run.status != 0, "\(command[0])")
            #expect(run.errors.contains("\(yaml): train: '/etc' holds no images"), "\(command[0]): \(run.errors)")
            #expect(!FileManager.default.fileExists(atPath: scratch.path(out)), "\(command[0]) wrote \(out)")
        }
    }
}

/// Issue 20: the pixel limit that refuses an image from its header is configurable for every
/// command (FACELABEL_MAX_PIXELS; default 100 megapixels).
@Suite struct `the pixel limit on the command line` {
    @Test func `an image over FACELABEL_MAX_PIXELS is refused by name and size before decoding`() throws {
        let scratch = try Scratch()
        #expect(try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "4", "--imgsz", "64"]).status == 0)
        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").standardizedFileURL.path
        let image = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path("data/images/train")).first)
        let arguments = ["predict", "--weights", weights, "--source", scratch.path("data/images/train/\(image)"), "--imgsz", "64"]
        let refused = try runFaceLabel(arguments, environment: ["FACELABEL_MAX_PIXELS": "4000"])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("image of 64x64 pixels exceeds the limit of 4000 pixels"), "\(refused.errors)")
        #expect(try runFaceLabel(arguments, environment: ["FACELABEL_MAX_PIXELS": "4096"]).status == 0)
    }
}
