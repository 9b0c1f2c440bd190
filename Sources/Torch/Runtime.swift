import CTorch

/// What the loaded libtorch is and what it can use: the facts a bug report starts with
/// (`facelabel env`).
public struct TorchRuntime: Sendable, Codable, Equatable {
    /// One GPU as the CUDA driver describes it.
    public struct GPU: Sendable, Codable, Equatable {
        public var index: Int
        public var name: String
        public var memoryBytes: Int
        /// `major.minor`, e.g. `9.0` for an H100 or H200.
        public var computeCapability: String

        enum CodingKeys: String, CodingKey {
            case index, name, memoryBytes = "memory_bytes", computeCapability = "compute_capability"
        }
    }

    /// The libtorch version CTorch was compiled against.
    public var version: String
    /// The loaded `libtorch_cpu` file.
    public var libraryPath: String
    /// Whether this libtorch was built with CUDA (its CUDA library is loaded).
    public var cudaBuild: Bool
    /// Whether a GPU is usable now.
    public var cudaAvailable: Bool
    /// The CUDA runtime version as libtorch reports it (e.g. 13000), nil without CUDA.
    public var cudaRuntime: Int?
    /// cuDNN's version as libtorch reports it (e.g. 92000), nil without cuDNN.
    public var cudnn: Int?
    public var gpus: [GPU]
    /// Intra-op and inter-op threads.
    public var threads: Int
    public var interopThreads: Int
    /// The SIMD level ATen's CPU kernels dispatch to (`AVX512`, `AVX2`, `DEFAULT`).
    public var cpuCapability: String
    /// Whether the CPU computes bfloat16 in hardware (`--amp` and `--half` on the CPU).
    public var cpuNativeBFloat16: Bool

    /// Reads the loaded libtorch. A GPU the driver cannot describe is listed with what is known.
    public static func current() -> TorchRuntime {
        let count = Device.cudaDeviceCount
        let gpus = (0..<count).map { index -> GPU in
            var name = [CChar](repeating: 0, count: 256)
            var memory: UInt64 = 0
            var (major, minor): (Int32, Int32) = (0, 0)
            if let error = ctorch_cuda_device_properties(Int32(index), &name, name.count, &memory, &major, &minor) {
                ctorch_error_free(error)
                return GPU(index: index, name: "unknown", memoryBytes: 0, computeCapability: "unknown")
            }
            let length = name.firstIndex(of: 0) ?? name.count
            let text = String(decoding: name[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return GPU(index: index, name: text, memoryBytes: Int(memory), computeCapability: "\(major).\(minor)")
        }
        let cudnn = Int(ctorch_cudnn_version())
        let runtime = Int(ctorch_cuda_runtime_version())
        return TorchRuntime(
            version: String(cString: ctorch_torch_version()), libraryPath: String(cString: ctorch_library_path()),
            cudaBuild: ctorch_has_cuda_build(), cudaAvailable: count > 0, cudaRuntime: runtime > 0 ? runtime : nil,
            cudnn: cudnn > 0 ? cudnn : nil, gpus: gpus, threads: Torch.threadCount,
            interopThreads: Int(ctorch_get_num_interop_threads()), cpuCapability: Tensor.cpuCapability,
            cpuNativeBFloat16: DType.cpuHasNativeBFloat16)
    }
}

extension Torch {
    /// cuDNN's algorithm search for each new convolution shape (`torch.backends.cudnn.benchmark`):
    /// faster convolutions once the shapes repeat, at the cost of bit-reproducibility.
    public static func setCuDNNBenchmark(_ enabled: Bool) { ctorch_set_cudnn_benchmark(enabled) }

    /// TensorFloat-32 in cuDNN's float32 convolutions (on by default in libtorch): faster, but with
    /// 10-bit mantissas, so float32 results no longer match the CPU's.
    public static func setCuDNNTensorFloat32(_ enabled: Bool) { ctorch_set_cudnn_tf32(enabled) }

    /// Deterministic algorithms (`torch.use_deterministic_algorithms(warn_only=True)` and
    /// `cudnn.deterministic`), for bit-reproducible runs on a GPU; an op that has none warns. cuBLAS
    /// also needs `CUBLAS_WORKSPACE_CONFIG=:4096:8` in the environment before CUDA starts.
    public static func setDeterministic(_ enabled: Bool) { ctorch_set_deterministic(enabled) }
}
