import ArgumentParser
import CBuildInfo
import Foundation
import Torch

/// `facelabel env`: what this binary is and what it can compute on; a bug report starts here.
struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the libtorch, CUDA, GPUs, cuDNN, threads and CPU this binary runs with.",
        discussion: """
            With --json, stdout carries one object with the keys facelabel, commit, libtorch, \
            libtorch_path, cuda_build, cuda_available, cuda_runtime, cudnn, devices, threads, \
            interop_threads, cpu_capability, cpu_bfloat16 and default_device.
            """)

    /// facelabel's version (the commit says exactly which sources).
    static let version = "0.5.0"

    @Flag(help: "Print the result as one JSON object on stdout.") var json = false

    struct Report: Encodable {
        var facelabel: String
        var commit: String
        var libtorch: String
        var libtorchPath: String
        var cudaBuild: Bool
        var cudaAvailable: Bool
        var cudaRuntime: Int?
        var cudnn: Int?
        var devices: [TorchRuntime.GPU]
        var threads: Int
        var interopThreads: Int
        var cpuCapability: String
        var cpuBFloat16: Bool
        var defaultDevice: String

        enum CodingKeys: String, CodingKey {
            case facelabel, commit, libtorch, libtorchPath = "libtorch_path", cudaBuild = "cuda_build"
            case cudaAvailable = "cuda_available", cudaRuntime = "cuda_runtime", cudnn, devices, threads
            case interopThreads = "interop_threads", cpuCapability = "cpu_capability", cpuBFloat16 = "cpu_bfloat16"
            case defaultDevice = "default_device"
        }

        // Absent versions are written as null, so that every key is always there.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(facelabel, forKey: .facelabel)
            try container.encode(commit, forKey: .commit)
            try container.encode(libtorch, forKey: .libtorch)
            try container.encode(libtorchPath, forKey: .libtorchPath)
            try container.encode(cudaBuild, forKey: .cudaBuild)
            try container.encode(cudaAvailable, forKey: .cudaAvailable)
            try container.encode(cudaRuntime, forKey: .cudaRuntime)
            try container.encode(cudnn, forKey: .cudnn)
            try container.encode(devices, forKey: .devices)
            try container.encode(threads, forKey: .threads)
            try container.encode(interopThreads, forKey: .interopThreads)
            try container.encode(cpuCapability, forKey: .cpuCapability)
            try container.encode(cpuBFloat16, forKey: .cpuBFloat16)
            try container.encode(defaultDevice, forKey: .defaultDevice)
        }
    }

    func run() throws {
        let runtime = TorchRuntime.current()
        let report = Report(
            facelabel: Self.version, commit: String(cString: facelabel_commit()), libtorch: runtime.version,
            libtorchPath: runtime.libraryPath, cudaBuild: runtime.cudaBuild, cudaAvailable: runtime.cudaAvailable,
            cudaRuntime: runtime.cudaRuntime, cudnn: runtime.cudnn, devices: runtime.gpus, threads: runtime.threads,
            interopThreads: runtime.interopThreads, cpuCapability: runtime.cpuCapability, cpuBFloat16: runtime.cpuNativeBFloat16,
            defaultDevice: Device.automatic.description)
        if json { return try printJSON(report) }
        func version(_ value: Int?) -> String { value.map(String.init) ?? "none" }
        var lines = [
            "facelabel       \(report.facelabel) (commit \(report.commit))",
            "libtorch        \(report.libtorch) at \(report.libtorchPath.isEmpty ? "unknown" : report.libtorchPath)",
            "CUDA            \(runtime.cudaBuild ? "built in" : "not built in"), \(runtime.cudaAvailable ? "available" : "not available"), "
                + "runtime \(version(runtime.cudaRuntime))",
            "cuDNN           \(version(runtime.cudnn))",
        ]
        lines += runtime.gpus.map { gpu in
            String(
                format: "cuda:%d          %@, %.1f GiB, compute capability %@", gpu.index, gpu.name,
                Double(gpu.memoryBytes) / 1_073_741_824, gpu.computeCapability)
        }
        lines += [
            "threads         \(runtime.threads) intra-op, \(runtime.interopThreads) inter-op "
                + "(\(ProcessInfo.processInfo.activeProcessorCount) cores)",
            "CPU             \(runtime.cpuCapability)\(runtime.cpuNativeBFloat16 ? ", native bfloat16" : "")",
            "--device auto   \(report.defaultDevice)",
        ]
        print(lines.joined(separator: "\n"))
    }
}
