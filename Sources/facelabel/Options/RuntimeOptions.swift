import ArgumentParser
import Foundation
import Pose
import Torch

/// Where and with how many threads libtorch runs.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "libtorch intra-op threads (default: the machine's cores).")
    var threads: Int?

    @Option(help: "Device: cpu, cuda or cuda:N.")
    var device = "cpu"

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard let parsed = Device(device) else { throw ValidationError("--device must be cpu, cuda or cuda:N, not '\(device)'.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
        _ = parsed
    }

    /// Applies the settings; throws when the device cannot be used.
    func apply() throws {
        if let threads { Torch.setThreadCount(threads) }
        let chosen = Device(device)!
        try chosen.checkAvailable()
        guard chosen == .cpu else {
            throw ValidationError("--device \(device): this build runs on the CPU only (the model is not moved to CUDA yet).")
        }
    }
}

/// `--half` of `predict` and `val` (the reference's `half`, which it applies on CUDA only).
struct PrecisionOption: ParsableArguments {
    @Flag(help: "Half precision: bfloat16 inference where the CPU computes it natively (AVX512-BF16, AMX), 1.6-1.8x faster; results move by a fraction of a pixel.")
    var half = false

    /// Folds the model's BatchNorm for inference, in bfloat16 with `--half` where the CPU has it
    /// (else float32, with a warning).
    func prepare(_ model: PoseModel) {
        let native = DType.cpuHasNativeBFloat16
        if half && !native { note("warning: --half: this CPU has no native bfloat16, so inference stays in float32") }
        model.foldBatchNorm(computeType: half && native ? .bfloat16 : .float32)
    }
}
