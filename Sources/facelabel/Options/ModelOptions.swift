import ArgumentParser
import Pose

/// `--imgsz`, with a command's default.
struct ImageSizeOption<Defaults: CommandDefaults>: ParsableArguments {
    @Option(help: "Network input size in pixels (a multiple of 32, at most 4096).")
    var imgsz: Int = Defaults.imageSize

    func validate() throws { try OptionCheck.imageSize(imgsz) }
}

/// `--half` (the reference's `half`).
struct PrecisionOption: ParsableArguments {
    @Flag(
        help: """
            Half precision: float16 on a GPU; on a CPU bfloat16 where the CPU computes it natively \
            (AVX512-BF16, AMX), else float32 with a warning. Results move by a fraction of a pixel.
            """)
    var half = false

    /// Folds the model's BatchNorm for inference, in half precision with `--half` where the
    /// hardware computes it (``PoseModel/prepareForInference(half:)``); says so when it does not.
    func prepare(_ model: PoseModel) {
        if let fallback = model.prepareForInference(half: half) { note("warning: --half: \(fallback)") }
    }
}

/// The model a command predicts with: `--weights`, `--imgsz`, `--batch`.
struct ModelOptions<Defaults: CommandDefaults>: ParsableArguments {
    @Option(help: "Weights (.safetensors or a PyTorch .pt).") var weights: String
    @OptionGroup var size: ImageSizeOption<Defaults>
    @Option(help: "Images per forward pass (at most 1024).") var batch: Int = Defaults.batch

    var imgsz: Int { size.imgsz }

    func validate() throws { try OptionCheck.batch(batch) }
}
