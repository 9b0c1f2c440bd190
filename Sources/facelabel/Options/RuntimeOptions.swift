import ArgumentParser
import Foundation
import Pose
import Torch

/// Where and with how many threads libtorch runs.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "libtorch intra-op threads (default: the machine's cores).")
    var threads: Int?

    @Option(help: "Device: auto (the first GPU when one is usable, else the CPU), cpu, cuda or cuda:N.")
    var device = "auto"

    @Flag(help: "Bit-reproducible GPU runs: deterministic algorithms, cuDNN's autotuning off (slower).")
    var deterministic = false

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    func validate() throws {
        guard device == "auto" || Device(device) != nil else {
            throw ValidationError("--device must be auto, cpu, cuda or cuda:N, not '\(device)'.")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
    }

    /// Applies the settings and returns the device to compute on; throws when it cannot be used.
    func apply() throws -> Device {
        if let threads { Torch.setThreadCount(threads) }
        if deterministic { setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0) }  // before CUDA starts
        let chosen: Device
        do {
            chosen = try Device.select(device)
        } catch {
            throw DeviceUnavailable(option: device, reason: error.message)
        }
        if chosen != .cpu {
            // cuDNN tries its algorithms once per new shape and keeps the fastest, unless runs must repeat bit for bit
            Torch.setDeterministic(deterministic)
            Torch.setCuDNNBenchmark(!deterministic)
            // float32 stays float32 (the CPU's and the reference's numbers); --amp and --half are the fast paths
            Torch.setCuDNNTensorFloat32(false)
        }
        return chosen
    }
}

/// `--device` names a device this process cannot use.
struct DeviceUnavailable: Error, CustomStringConvertible {
    let option: String
    let reason: String
    var description: String { "--device \(option): \(reason)" }
}

/// `--half` of `predict` and `val` (the reference's `half`).
struct PrecisionOption: ParsableArguments {
    @Flag(help: "Half precision: float16 on a GPU; on a CPU bfloat16 where it computes it natively (AVX512-BF16, AMX), 1.6-1.8x faster; results move by a fraction of a pixel.")
    var half = false

    /// Folds the model's BatchNorm for inference (on the model's device), in float16 on a GPU and
    /// in bfloat16 on a CPU that has it with `--half` (else float32, with a warning).
    func prepare(_ model: PoseModel) {
        guard half else { return model.foldBatchNorm(computeType: .float32) }
        if model.device != .cpu { return model.foldBatchNorm(computeType: .float16) }
        let native = DType.cpuHasNativeBFloat16
        if !native { note("warning: --half: this CPU has no native bfloat16, so inference stays in float32") }
        model.foldBatchNorm(computeType: native ? .bfloat16 : .float32)
    }
}
