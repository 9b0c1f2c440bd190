import ArgumentParser
import Pose
import Torch

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

    /// Folds the model's BatchNorm for inference (on the model's device), in float16 on a GPU and
    /// in bfloat16 on a CPU that has it with `--half` (else float32, with a warning).
    func prepare(_ model: PoseModel) {
        guard half else { return model.foldBatchNorm(computeType: .float32) }
        if model.device != .cpu { return model.foldBatchNorm(computeType: .float16) }
        let native = DType.cpuHasNativeBFloat16
        if !native { note("warning: --half: this CPU has no native bfloat16 (AVX512-BF16 or AMX), so inference stays in float32") }
        model.foldBatchNorm(computeType: native ? .bfloat16 : .float32)
    }
}

/// The model a command predicts with: `--weights`, `--imgsz`, `--batch`.
struct ModelOptions<Defaults: CommandDefaults>: ParsableArguments {
    @Option(help: "Weights (.safetensors, with the reference's state-dict names).") var weights: String
    @OptionGroup var size: ImageSizeOption<Defaults>
    @Option(help: "Images per forward pass (at most 1024).") var batch: Int = Defaults.batch

    var imgsz: Int { size.imgsz }

    func validate() throws { try OptionCheck.batch(batch) }
}
