import ArgumentParser
import Torch

/// How a command that runs on several ranks (torchrun, srun: docs/clusters.md) joins the others.
struct LaunchOptions: ParsableArguments {
    @Option(
        help: """
            Seconds a rank waits for the others (to join, or in a collective) before it stops with an \
            error, when a launcher started several; rank 0's validation must fit within it.
            """)
    var distTimeout: Double = 1800

    func validate() throws { try OptionCheck.range(distTimeout, 1...86_400, "--dist-timeout") }

    /// The group of `launch`'s ranks computing on `device` (Gloo on the CPU, NCCL on GPUs), or nil
    /// for one process; throws when the group cannot be formed within the timeout.
    func join(_ launch: Launch, device: Device) throws -> ProcessGroup? {
        guard launch.isDistributed else { return nil }
        let backend: ProcessGroup.Backend = device.kind == .cpu ? .gloo : .nccl
        guard backend.isAvailable else {
            throw ValidationError(
                "\(launch.launcher) started \(launch.worldSize) ranks, but this build of facelabel has no \(backend) process group "
                    + (backend == .gloo
                        ? "(build it where the gloo headers are: make build installs libgloo-dev)" : "(make build TORCH=cuda)"))
        }
        do {
            return try ProcessGroup(launch.groupOptions(backend: backend, timeoutSeconds: distTimeout))
        } catch {
            throw LaunchFailure(
                "rank \(launch.rank) of \(launch.worldSize) could not join the \(backend) group at \(launch.storeAddress): "
                    + "\(error.message) (is every rank started with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT?)")
        }
    }
}

/// The ranks could not start or go on together.
struct LaunchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
