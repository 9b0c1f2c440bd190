import CTorch

/// A group of processes that reduce and broadcast tensors over PyTorch's c10d: a TCPStore for the
/// rendezvous and Gloo (CPU tensors) or NCCL (CUDA tensors) for the collectives, as
/// `torch.distributed.init_process_group` sets them up. Every member must issue the same
/// collectives in the same order; one that does not complete within the timeout, or whose peer
/// has gone, throws.
public final class ProcessGroup: @unchecked Sendable {
    public enum Backend: String, Sendable, CustomStringConvertible {
        case gloo, nccl

        /// The backend that reduces tensors on `device`: Gloo on the CPU, NCCL on GPUs.
        public init(for device: Device) { self = device.kind == .cpu ? .gloo : .nccl }

        /// Whether this build of facelabel has the backend.
        public var isAvailable: Bool { ctorch_process_group_available(c) }

        public var description: String { rawValue }

        var c: ctorch_backend { self == .gloo ? CTORCH_BACKEND_GLOO : CTORCH_BACKEND_NCCL }
    }

    public enum Reduction: Sendable {
        case sum, average, max

        var c: ctorch_reduce_op {
            switch self {
            case .sum: CTORCH_REDUCE_SUM
            case .average: CTORCH_REDUCE_AVERAGE
            case .max: CTORCH_REDUCE_MAX
            }
        }
    }

    /// Where the group meets and how it talks.
    public struct Options: Sendable, Equatable {
        public var storeHost: String
        public var storePort: Int
        /// Whether this process hosts the TCPStore (otherwise it joins one hosted elsewhere).
        public var hostsStore: Bool
        /// Prepended to every key of the store (a launcher's restart count keeps attempts apart).
        public var keyPrefix: String
        public var rank: Int
        public var worldSize: Int
        public var backend: Backend
        public var timeoutSeconds: Double
        /// Gloo's network interface (`GLOO_SOCKET_IFNAME`); nil: the address of `hostname`.
        public var interface: String?
        /// Gloo's address by name; nil with no interface: this machine's host name.
        public var hostname: String?

        public init(
            storeHost: String, storePort: Int, hostsStore: Bool, keyPrefix: String = "", rank: Int, worldSize: Int,
            backend: Backend, timeoutSeconds: Double, interface: String? = nil, hostname: String? = nil
        ) {
            (self.storeHost, self.storePort, self.hostsStore, self.keyPrefix) = (storeHost, storePort, hostsStore, keyPrefix)
            (self.rank, self.worldSize, self.backend, self.timeoutSeconds) = (rank, worldSize, backend, timeoutSeconds)
            (self.interface, self.hostname) = (interface, hostname)
        }
    }

    /// The size of the flat tensors that collectives send (DDP's default bucket size).
    public static let defaultBucketBytes = 25 << 20

    private let handle: ctorch_process_group
    public let options: Options
    /// How many times ``checkAgreement(on:what:)`` was called.
    private var agreements = 0
    /// How many times the members gathered through the store (each gathering has keys of its own).
    private var gatherings = 0
    public var rank: Int { options.rank }
    public var worldSize: Int { options.worldSize }

    /// Joins (or hosts) the store and forms the group; returns once every member has joined, or
    /// throws when that does not happen within the timeout.
    public init(_ options: Options) throws(TorchError) {
        var out = ctorch_process_group(ptr: nil)
        let address = "\(options.storeHost):\(options.storePort)"
        try attempt("join the \(options.backend) process group at \(address) as rank \(options.rank) of \(options.worldSize)") {
            options.storeHost.withCString { host in
                options.keyPrefix.withCString { prefix in
                    withOptionalCString(options.interface) { interface in
                        withOptionalCString(options.hostname) { hostname in
                            var c = ctorch_process_group_options(
                                store_host: host, store_port: UInt16(options.storePort), host_store: options.hostsStore,
                                key_prefix: prefix, rank: Int32(options.rank), world_size: Int32(options.worldSize),
                                backend: options.backend.c, timeout_ms: Int64(options.timeoutSeconds * 1000),
                                interface: interface, hostname: hostname)
                            return ctorch_process_group_create(&out, &c)
                        }
                    }
                }
            }
        }
        handle = out
        self.options = options
    }

    deinit { ctorch_process_group_free(handle) }

    /// Replaces each tensor, in place and on every member, by its reduction over the group.
    public func allReduce(
        _ tensors: [Tensor], _ reduction: Reduction = .sum, bucketBytes: Int = defaultBucketBytes
    ) throws(TorchError) {
        try attempt("allreduce (\(reduction)) of \(tensors.count) tensors over \(worldSize) processes") {
            withHandles(tensors) { ctorch_process_group_allreduce(handle, $0, $1, reduction.c, Int64(bucketBytes)) }
        }
    }

    /// Replaces each tensor, in place on every member, by member `root`'s.
    public func broadcast(_ tensors: [Tensor], from root: Int = 0, bucketBytes: Int = defaultBucketBytes) throws(TorchError) {
        try attempt("broadcast of \(tensors.count) tensors from rank \(root) over \(worldSize) processes") {
            withHandles(tensors) { ctorch_process_group_broadcast(handle, $0, $1, Int32(root), Int64(bucketBytes)) }
        }
    }

    /// Returns once every member has reached it.
    public func barrier() throws(TorchError) {
        try attempt("barrier of \(worldSize) processes") { ctorch_process_group_barrier(handle) }
    }

    /// Stores a small blob under `key` for the other members to read.
    public func set(_ key: String, _ bytes: [UInt8]) throws(TorchError) {
        try attempt("store set \(key)") {
            bytes.withUnsafeBytes { ctorch_store_set(handle, key, $0.baseAddress, $0.count) }
        }
    }

    /// The blob under `key`, waiting for a member to set it (up to the timeout).
    public func get(_ key: String) throws(TorchError) -> [UInt8] {
        try mallocedBytes("store get \(key)") { data, size in ctorch_store_get(data, size, handle, key) }
    }
}

extension ProcessGroup {
    /// `values` reduced over the group: counters, flags, sums of losses.
    public func allReduce(_ values: [Double], _ reduction: Reduction = .sum) throws(TorchError) -> [Double] {
        let tensor = Tensor(values, shape: [values.count]).to(collectiveDevice)
        try allReduce([tensor], reduction)
        return tensor.toArray(of: Double.self)
    }

    /// Member `root`'s `values`, on every member: a decision one member takes for all.
    public func broadcast(_ values: [Double], from root: Int = 0) throws(TorchError) -> [Double] {
        let tensor = Tensor(values, shape: [values.count]).to(collectiveDevice)
        try broadcast([tensor], from: root)
        return tensor.toArray(of: Double.self)
    }

    /// Throws on every member unless every member passed the same `value` (its settings, say),
    /// naming the lowest rank whose `what` differs from rank 0's.
    public func checkAgreement(on value: [UInt8], what: String) throws(TorchError) {
        // every member counts its comparisons alike, so each has keys of its own
        agreements += 1
        let key = "agree/\(agreements)/\(what)"
        try set("\(key)/\(rank)", value)
        let reference = rank == 0 ? value : try get("\(key)/0")
        for other in 1..<worldSize {
            let theirs = other == rank ? value : try get("\(key)/\(other)")
            guard theirs == reference else {
                throw TorchError(
                    kind: .value, operation: "compare the \(what) of \(worldSize) ranks",
                    message: "rank \(other)'s \(what) differ from rank 0's")
            }
        }
    }

    /// On member 0, every member's `bytes` (its results, say), in rank order; nil on the others,
    /// once theirs are in the store. `what` names the keys, for a reader of the store.
    public func gather(_ bytes: [UInt8], what: String) throws(TorchError) -> [[UInt8]]? {
        gatherings += 1
        let key = "gather/\(gatherings)/\(what)"
        if rank != 0 {
            try set("\(key)/\(rank)", bytes)
            try barrier()  // member 0 has read them before any member leaves
            return nil
        }
        var all = [bytes]
        for other in 1..<worldSize { all.append(try get("\(key)/\(other)")) }
        try barrier()
        return all
    }

    /// Where the small tensors of these conveniences live: NCCL reduces only GPU tensors.
    private var collectiveDevice: Device { options.backend == .nccl ? .cuda : .cpu }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
