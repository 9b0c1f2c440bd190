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

    /// Whether tensors can be placed on this device with the libtorch that is loaded.
    public var isAvailable: Bool {
        switch kind {
        case .cpu: true
        case .cuda: Int(ctorch_cuda_device_count()) > (index ?? 0)
        }
    }

    /// Throws ``TorchError`` when the device cannot be used, with the reason.
    public func checkAvailable() throws(TorchError) {
        guard !isAvailable else { return }
        let count = Int(ctorch_cuda_device_count())
        let reason =
            count == 0
            ? "CUDA is not available: the loaded libtorch has no CUDA support or no GPU is visible"
            : "CUDA device \(index ?? 0) is not available: \(count) device(s) visible"
        throw TorchError(kind: .value, operation: "device \(self)", message: reason)
    }

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
