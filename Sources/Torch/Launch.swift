/// How a launcher started this process: as one of several ranks (torchrun, or Slurm's `srun`), or
/// alone. Read from the variables those launchers set, as `torch.distributed`'s `env://` does.
public struct Launch: Sendable, Equatable {
    public enum Launcher: String, Sendable {
        /// No launcher variables: one process.
        case none
        /// `RANK` and `WORLD_SIZE` (torchrun, or set by hand).
        case torchrun
        /// `SLURM_PROCID` and `SLURM_STEP_NUM_TASKS` (the tasks of an `srun` step), with
        /// `MASTER_ADDR` and `MASTER_PORT`.
        case slurm
    }

    public var launcher: Launcher
    public var rank: Int
    public var worldSize: Int
    /// The rank among the processes of this machine: the GPU it uses.
    public var localRank: Int
    public var localWorldSize: Int
    public var storeHost: String
    public var storePort: Int
    /// torchrun's restart count: a restarted group keys its store apart from the failed attempt.
    public var restartCount: Int
    /// Whether the launcher hosts the store (torchrun's agent); otherwise rank 0 hosts it.
    public var agentHostsStore: Bool
    /// `GLOO_SOCKET_IFNAME`: the interface Gloo talks over.
    public var socketInterface: String?

    /// One process, no launcher.
    public static let single = Launch(
        launcher: .none, rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, storeHost: "", storePort: 0, restartCount: 0,
        agentHostsStore: false, socketInterface: nil)

    /// Whether this process is one of several that train or label together.
    public var isDistributed: Bool { worldSize > 1 }

    /// The store's host and port as `host:port`.
    public var storeAddress: String { "\(storeHost):\(storePort)" }

    /// Reads the launch from `environment`: torchrun's variables first, then Slurm's.
    public static func read(_ environment: [String: String]) throws(LaunchError) -> Launch {
        let reader = Reader(environment: environment)
        var launch = Launch.single
        if environment["WORLD_SIZE"] != nil || environment["RANK"] != nil {
            launch.launcher = .torchrun
            launch.worldSize = try reader.count("WORLD_SIZE")
            launch.rank = try reader.index("RANK", below: launch.worldSize)
            launch.localWorldSize = try reader.count("LOCAL_WORLD_SIZE", default: launch.worldSize)
            launch.localRank = try reader.index("LOCAL_RANK", below: launch.localWorldSize, default: launch.rank)
        } else if environment["SLURM_PROCID"] != nil, environment["SLURM_STEP_NUM_TASKS"] != nil {
            // a task of an srun step; a batch script's own shell has SLURM_PROCID=0 and the job's
            // SLURM_NTASKS but no step, and runs facelabel as one process
            launch.launcher = .slurm
            launch.worldSize = try reader.count("SLURM_STEP_NUM_TASKS")
            launch.rank = try reader.index("SLURM_PROCID", below: launch.worldSize)
            // "2" or "2(x3)" (two tasks on each of three nodes): the count before the parenthesis
            let perNode = (environment["SLURM_STEP_TASKS_PER_NODE"] ?? environment["SLURM_NTASKS_PER_NODE"])
                .flatMap { Int($0.prefix { $0.isNumber }) }
            launch.localWorldSize = max(perNode ?? 1, 1)
            launch.localRank = try reader.index("SLURM_LOCALID", below: launch.worldSize, default: 0)
        }
        guard launch.isDistributed else { return launch }
        let source = launch.launcher == .slurm ? "SLURM_STEP_NUM_TASKS" : "WORLD_SIZE"
        guard let host = environment["MASTER_ADDR"], !host.isEmpty else {
            throw LaunchError(
                "\(source) is \(launch.worldSize) but MASTER_ADDR is not set: give every rank MASTER_ADDR and MASTER_PORT "
                    + "(the address and a free port of rank 0's machine; torchrun sets both)")
        }
        launch.storeHost = host
        launch.storePort = try reader.port("MASTER_PORT", for: source, worldSize: launch.worldSize)
        launch.restartCount = try reader.count("TORCHELASTIC_RESTART_COUNT", default: 0, minimum: 0)
        launch.agentHostsStore = environment["TORCHELASTIC_USE_AGENT_STORE"]?.lowercased() == "true"
        launch.socketInterface = environment["GLOO_SOCKET_IFNAME"].flatMap { $0.isEmpty ? nil : $0 }
        return launch
    }

    /// Intra-op threads per rank when `--threads` is not given: the machine's cores shared among
    /// the ranks on it (torchrun's `OMP_NUM_THREADS=1` would leave a CPU run one core per rank).
    public func defaultThreads(cores: Int) -> Int { max(1, cores / localWorldSize) }

    /// The process group these ranks form, with `backend` and a collective timeout.
    public func groupOptions(backend: ProcessGroup.Backend, timeoutSeconds: Double) -> ProcessGroup.Options {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(storeHost)
        return ProcessGroup.Options(
            storeHost: storeHost, storePort: storePort, hostsStore: !agentHostsStore && rank == 0,
            keyPrefix: "facelabel/attempt_\(restartCount)", rank: rank, worldSize: worldSize, backend: backend,
            timeoutSeconds: timeoutSeconds, interface: socketInterface,
            // on one machine Gloo talks over loopback, whatever the host name resolves to
            hostname: socketInterface == nil && loopback ? "127.0.0.1" : nil)
    }

    /// Reads typed values, with errors that name the variable.
    private struct Reader {
        let environment: [String: String]

        func count(_ name: String, default fallback: Int? = nil, minimum: Int = 1) throws(LaunchError) -> Int {
            guard let text = environment[name] else {
                if let fallback { return fallback }
                throw LaunchError("\(name) is not set (a launcher sets RANK and WORLD_SIZE together)")
            }
            guard let value = Int(text), value >= minimum else {
                throw LaunchError("\(name) is '\(text)': it must be a whole number of at least \(minimum)")
            }
            return value
        }

        func index(_ name: String, below limit: Int, default fallback: Int? = nil) throws(LaunchError) -> Int {
            guard let text = environment[name] else {
                if let fallback { return fallback }
                throw LaunchError("\(name) is not set (a launcher sets RANK and WORLD_SIZE together)")
            }
            guard let value = Int(text), (0..<limit).contains(value) else {
                throw LaunchError("\(name) is '\(text)': it must be a whole number from 0 to \(limit - 1)")
            }
            return value
        }

        func port(_ name: String, for source: String, worldSize: Int) throws(LaunchError) -> Int {
            guard let text = environment[name] else {
                throw LaunchError(
                    "\(source) is \(worldSize) but \(name) is not set: give every rank MASTER_ADDR and MASTER_PORT "
                        + "(torchrun sets both)")
            }
            guard let value = Int(text), (1...65535).contains(value) else {
                throw LaunchError("\(name) is '\(text)': it must be a port from 1 to 65535")
            }
            return value
        }
    }
}

/// The launcher's variables do not describe a group this process can join.
public struct LaunchError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
