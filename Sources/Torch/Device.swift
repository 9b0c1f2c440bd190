import CTorch

/// Where a tensor lives: the CPU, or a CUDA device when the loaded libtorch was built with CUDA.
public struct Device: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case cpu, cuda }

    public let kind: Kind
    /// The device ordinal; `nil` means the current device of that kind.
    public let index: Int?

    public static let cpu = Device(kind: .cpu, index: nil)
    public static let cuda = Device(kind: .cuda, index: nil)
    public static func cuda(_ index: Int) -> Device { Device(kind: .cuda, index: index) }

    /// The GPUs this process can use (0 with a CPU-only libtorch).
    public static var cudaDeviceCount: Int { Int(ctorch_cuda_device_count()) }

    /// The device `--device auto` means, as the reference picks: the first GPU when one is usable,
    /// otherwise the CPU.
    public static var automatic: Device { cudaDeviceCount > 0 ? .cuda(0) : .cpu }

    /// Whether tensors can be placed on this device with the libtorch that is loaded.
    public var isAvailable: Bool {
        switch kind {
        case .cpu: true
        case .cuda: Self.cudaDeviceCount > (index ?? 0)
        }
    }

    /// Throws ``TorchError`` when the device cannot be used, with the reason.
    public func checkAvailable() throws(TorchError) {
        guard !isAvailable else { return }
        let count = Self.cudaDeviceCount
        let reason: String
        if count > 0 {
            reason = "CUDA device \(index ?? 0) is not available: \(count) device(s) visible (cuda:0 to cuda:\(count - 1))"
        } else if ctorch_has_cuda_build() {
            reason = "CUDA is not available: this libtorch has CUDA but no GPU is visible (driver, CUDA_VISIBLE_DEVICES)"
        } else {
            reason = "CUDA is not available: the loaded libtorch is a CPU build (make build TORCH=cuda, or LIBTORCH=<a CUDA torch>)"
        }
        throw TorchError(kind: .value, operation: "device \(self)", message: reason)
    }

    /// The device a `--device` value names, checked: `auto` (see ``automatic``), `cpu`, `cuda`
    /// (the first GPU) or `cuda:N`. Throws when the text names no device, or one this process
    /// cannot use.
    public static func select(_ text: String) throws(TorchError) -> Device {
        guard let parsed = text == "auto" ? automatic : Device(text) else {
            throw TorchError(kind: .value, operation: "device \(text)", message: "a device is auto, cpu, cuda or cuda:N")
        }
        let device = parsed == .cuda ? .cuda(0) : parsed
        try device.checkAvailable()
        return device
    }

    /// Waits until the work queued on this device is done (nothing to wait for on the CPU): the
    /// point where a GPU timing is true.
    public func synchronize() {
        check("synchronize", []) { ctorch_device_synchronize(c) }
    }

    /// The most memory the caching allocator has held on this GPU since ``resetPeakMemory()``
    /// (0 on the CPU), in bytes.
    public var peakMemory: Int {
        var bytes: UInt64 = 0
        check("peakMemory", []) { ctorch_device_peak_memory(&bytes, c) }
        return Int(bytes)
    }

    public func resetPeakMemory() { check("resetPeakMemory", []) { ctorch_device_reset_peak_memory(c) } }

    /// Parses `cpu`, `cuda` or `cuda:N`.
    public init?(_ text: String) {
        switch text {
        case "cpu": self = .cpu
        case "cuda": self = .cuda
        default:
            guard text.hasPrefix("cuda:"), let ordinal = Int(text.dropFirst(5)), ordinal >= 0 else { return nil }
            self = .cuda(ordinal)
        }
    }

    init(kind: Kind, index: Int?) {
        self.kind = kind
        self.index = index
    }

    init(_ value: ctorch_device) {
        self.init(kind: value.type == CTORCH_CUDA ? .cuda : .cpu, index: value.index < 0 ? nil : Int(value.index))
    }

    var c: ctorch_device {
        ctorch_device(type: kind == .cuda ? CTORCH_CUDA : CTORCH_CPU, index: Int32(index ?? -1))
    }

    public var description: String {
        switch kind {
        case .cpu: "cpu"
        case .cuda: index.map { "cuda:\($0)" } ?? "cuda"
        }
    }
}
