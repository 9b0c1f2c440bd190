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
            interop_threads, cpu_capability, cpu_bfloat16, default_device, process_groups (the backends \
            built in) and launch (launcher, rank, world_size, local_rank, backend, store: what a command \
            started here by torchrun or srun would join). --check-group forms that group (one rank alone \
            without a launcher) and checks an allreduce on each rank; with --json its result is \
            group_check.
            """)

    /// facelabel's version (the commit says exactly which sources).
    static let version = "0.5.0"
    /// The commit the binary was built from.
    static var commit: String { String(cString: facelabel_commit()) }

    @Flag(help: "Print the result as one JSON object on stdout.") var json = false
    @Flag(help: "Form the process group of this launch (or of one rank) and check an allreduce on each rank.")
    var checkGroup = false
    @OptionGroup var launchOptions: LaunchOptions

    /// The group a command started like this one would form.
    struct LaunchReport: Encodable {
        var launcher: String
        var rank: Int
        var worldSize: Int
        var localRank: Int
        var backend: String
        /// `host:port`, and who hosts it; nil for one process.
        var store: String?

        enum CodingKeys: String, CodingKey {
            case launcher, rank, worldSize = "world_size", localRank = "local_rank", backend, store
        }
    }

    /// What `--check-group` found.
    struct GroupCheck: Encodable {
        var backend: String
        var worldSize: Int
        var device: String
        var milliseconds: Double
        var ok: Bool

        enum CodingKeys: String, CodingKey { case backend, worldSize = "world_size", device, milliseconds, ok }
    }

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
        var processGroups: [String]
        var launch: LaunchReport
        var groupCheck: GroupCheck?

        enum CodingKeys: String, CodingKey {
            case facelabel, commit, libtorch, libtorchPath = "libtorch_path", cudaBuild = "cuda_build"
            case cudaAvailable = "cuda_available", cudaRuntime = "cuda_runtime", cudnn, devices, threads
            case interopThreads = "interop_threads", cpuCapability = "cpu_capability", cpuBFloat16 = "cpu_bfloat16"
            case defaultDevice = "default_device", processGroups = "process_groups", launch, groupCheck = "group_check"
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
            try container.encode(processGroups, forKey: .processGroups)
            try container.encode(launch, forKey: .launch)
            try container.encodeIfPresent(groupCheck, forKey: .groupCheck)
        }
    }

    func run() throws {
        let launch = try RuntimeOptions.launch()
        let runtime = TorchRuntime.current()
        let device = launch.isDistributed && Device.cudaDeviceCount > launch.localRank ? .cuda(launch.localRank) : Device.automatic
        let backend = ProcessGroup.Backend(for: device)
        let hosts = launch.agentHostsStore ? "the launcher" : "rank 0"
        let launchReport = LaunchReport(
            launcher: launch.launcher.rawValue, rank: launch.rank, worldSize: launch.worldSize, localRank: launch.localRank,
            backend: backend.rawValue, store: launch.isDistributed ? "\(launch.storeAddress), hosted by \(hosts)" : nil)
        let groupCheck = try checkGroup ? check(launch, device: device) : nil
        let report = Report(
            facelabel: Self.version, commit: Self.commit, libtorch: runtime.version,
            libtorchPath: runtime.libraryPath, cudaBuild: runtime.cudaBuild, cudaAvailable: runtime.cudaAvailable,
            cudaRuntime: runtime.cudaRuntime, cudnn: runtime.cudnn, devices: runtime.gpus, threads: runtime.threads,
            interopThreads: runtime.interopThreads, cpuCapability: runtime.cpuCapability, cpuBFloat16: runtime.cpuNativeBFloat16,
            defaultDevice: Device.automatic.description,
            processGroups: [ProcessGroup.Backend.gloo, .nccl].filter(\.isAvailable).map(\.rawValue), launch: launchReport,
            groupCheck: groupCheck)
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
            "process groups  \(report.processGroups.isEmpty ? "none built in" : report.processGroups.joined(separator: ", "))",
            launch.isDistributed
                ? "launch          \(launch.launcher): rank \(launch.rank) of \(launch.worldSize) (local \(launch.localRank) "
                    + "of \(launch.localWorldSize)), \(backend) on \(device), store \(launchReport.store!)"
                : "launch          one process (no torchrun or Slurm variables)",
        ]
        if let groupCheck {
            lines.append(
                String(
                    format: "group check     %@, %d rank(s) on %@: allreduce %@ in %.1f ms", groupCheck.backend, groupCheck.worldSize,
                    groupCheck.device, groupCheck.ok ? "correct" : "WRONG", groupCheck.milliseconds))
        }
        print(lines.joined(separator: "\n"))
        if groupCheck?.ok == false { throw ExitCode.failure }
    }

    /// Forms the group (one rank alone, its store on a port the system picks, without a launcher)
    /// and allreduces each rank's number plus one: every rank must find 1 + 2 + … + W.
    func check(_ launch: Launch, device: Device) throws -> GroupCheck {
        let backend = ProcessGroup.Backend(for: device)
        let group: ProcessGroup
        if launch.isDistributed {
            group = try launchOptions.join(launch, device: device)!
        } else {
            guard backend.isAvailable else { throw ValidationError("this build of facelabel has no \(backend) process group") }
            group = try ProcessGroup(
                .init(
                    storeHost: "127.0.0.1", storePort: 0, hostsStore: true, rank: 0, worldSize: 1, backend: backend,
                    timeoutSeconds: launchOptions.distTimeout, hostname: "127.0.0.1"))
        }
        let tensor = Tensor([Float(launch.rank + 1)], shape: [1]).to(device)
        let started = Date()
        try group.allReduce([tensor])
        device.synchronize()
        let milliseconds = Date().timeIntervalSince(started) * 1000
        let expected = Float(launch.worldSize * (launch.worldSize + 1) / 2)
        return GroupCheck(
            backend: backend.rawValue, worldSize: launch.worldSize, device: device.description, milliseconds: milliseconds,
            ok: tensor.to(.cpu).toArray(of: Float.self) == [expected])
    }
}
