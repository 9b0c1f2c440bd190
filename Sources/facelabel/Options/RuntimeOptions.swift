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
        if let threads { try OptionCheck.workers(threads, "--threads") }
    }

    /// Applies the settings and returns the device to compute on; throws when it cannot be used,
    /// or when a launcher started this process as one of several ranks (this command runs alone).
    func apply() throws -> Device {
        let launch = try Self.launch()
        if launch.isDistributed {
            throw ValidationError(
                "\(launch.launcher) started this process as rank \(launch.rank) of \(launch.worldSize), but this command runs "
                    + "as one process: run it once (docs/clusters.md shows what runs on several)")
        }
        return try apply(launch)
    }

    /// Applies the settings for one rank of `launch` and returns the device to compute on: unless
    /// given, threads are the cores shared among the machine's ranks, and `auto` or `cuda` is the
    /// GPU of the rank's local index.
    func apply(_ launch: Launch) throws -> Device {
        if let threads {
            Torch.setThreadCount(threads)
        } else if launch.isDistributed {
            Torch.setThreadCount(launch.defaultThreads(cores: ProcessInfo.processInfo.activeProcessorCount))
        }
        if deterministic { setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0) }  // before CUDA starts
        var chosen: Device
        do {
            chosen = try Device.select(device)
            if launch.isDistributed, chosen.kind == .cuda, device == "auto" || device == "cuda" {
                chosen = .cuda(launch.localRank)
                try chosen.checkAvailable()
            }
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

extension RuntimeOptions {
    /// This process's launch, from the launcher's variables.
    static func launch() throws -> Launch {
        do {
            return try Launch.read(ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// `--device` names a device this process cannot use.
struct DeviceUnavailable: Error, CustomStringConvertible {
    let option: String
    let reason: String
    var description: String { "--device \(option): \(reason)" }
}
