import CTorch

/// A number given to an op. Integer literals stay integral, so integer tensors stay integer.
public struct Scalar: Sendable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    let c: ctorch_scalar

    public init(_ value: Int) { c = ctorch_scalar(is_integral: true, integer: Int64(value), real: Double(value)) }
    public init(_ value: Double) { c = ctorch_scalar(is_integral: false, integer: 0, real: value) }
    public init(_ value: Float) { self.init(Double(value)) }
    public init(integerLiteral value: Int) { self.init(value) }
    public init(floatLiteral value: Double) { self.init(value) }
}

@inline(__always)
func withSizes<R, E: Error>(_ sizes: [Int], _ body: (UnsafePointer<Int64>?, Int64) throws(E) -> R) throws(E) -> R {
    try sizes.withUnsafeBufferPointer { buffer throws(E) in
        try buffer.withMemoryRebound(to: Int64.self) { buffer throws(E) in
            try body(buffer.baseAddress, Int64(buffer.count))
        }
    }
}

@inline(__always)
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<ctorch_tensor>?, Int64) -> R) -> R {
    let handles = tensors.map(\.handle)
    return withExtendedLifetime(tensors) {
        handles.withUnsafeBufferPointer { body($0.baseAddress, Int64($0.count)) }
    }
}

extension Tensor {
    // MARK: From and to Swift arrays

    /// A tensor holding a copy of `values`, laid out row-major in `shape`.
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]) {
        precondition(
            shape.reduce(1, *) == values.count, "Tensor(_:shape:) got \(values.count) values for shape \(shape)")
        var out = ctorch_tensor(ptr: nil)
        values.withUnsafeBytes { bytes in
            withSizes(shape) { sizes, rank in
                check("Tensor(_:shape:)", []) {
                    ctorch_from_data(&out, bytes.baseAddress, bytes.count, sizes, rank, T.dtype.c, false)
                }
            }
        }
        self.init(handle: out)
    }

    /// A 1-d tensor holding a copy of `values`.
    public convenience init<T: TensorElement>(_ values: [T]) { self.init(values, shape: [values.count]) }

    /// A tensor holding a copy of `values` on `device` (copied from the host).
    public static func from<T: TensorElement>(_ values: [T], shape: [Int], device: Device) -> Tensor {
        let host = Tensor(values, shape: shape)
        return device == .cpu ? host : host.to(device)
    }

    /// A 0-d tensor holding `value`.
    public convenience init<T: TensorElement>(scalar value: T) { self.init([value], shape: []) }

    /// A tensor from packed row-major bytes of `dtype` (safetensors payloads, images), in
    /// page-locked host memory when `pinned` and a GPU is usable, so that a copy to the GPU
    /// (`to(device, nonBlocking: true)`) does not block; an ordinary CPU tensor otherwise.
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType, pinned: Bool = false) throws(TorchError) {
        var out = ctorch_tensor(ptr: nil)
        try withSizes(shape) { sizes, rank throws(TorchError) in
            try attempt("Tensor(bytes:shape: \(shape), dtype: \(dtype))") {
                ctorch_from_data(&out, bytes.baseAddress, bytes.count, sizes, rank, dtype.c, pinned)
            }
        }
        self.init(handle: out)
    }

    /// The values, converted to `T`, in row-major order.
    public func toArray<T: TensorElement>(of type: T.Type = T.self) -> [T] {
        let source = dtype == T.dtype ? self : to(T.dtype)
        let n = source.count
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            check("toArray", [source]) {
                ctorch_copy_to_data(source.handle, UnsafeMutableRawPointer(buffer.baseAddress), n * MemoryLayout<T>.stride)
            }
            initialized = n
        }
    }

    /// The packed row-major bytes of the tensor in its own dtype.
    public func bytes() -> [UInt8] {
        let n = count * dtype.byteSize
        return [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            check("bytes", [self]) { ctorch_copy_to_data(handle, UnsafeMutableRawPointer(buffer.baseAddress), n) }
            initialized = n
        }
    }

    /// The value of a one-element tensor.
    public func item() -> Double {
        var value = 0.0
        check("item", [self]) { ctorch_item(&value, handle) }
        return value
    }

    /// The value of a one-element tensor as an integer.
    public func itemInt() -> Int {
        var value: Int64 = 0
        check("itemInt", [self]) { ctorch_item_int(&value, handle) }
        return Int(value)
    }

    // MARK: Factories

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        withSizes(shape) { sizes, rank in make("zeros", []) { ctorch_zeros($0, sizes, rank, dtype.c, device.c) } }
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        withSizes(shape) { sizes, rank in make("ones", []) { ctorch_ones($0, sizes, rank, dtype.c, device.c) } }
    }

    public static func full(_ shape: [Int], _ value: Scalar, dtype: DType = .float32, device: Device = .cpu) -> Tensor {
        withSizes(shape) { sizes, rank in
            make("full", []) { ctorch_full($0, sizes, rank, value.c, dtype.c, device.c) }
        }
    }

    /// Values from `start` up to (not including) `end`, `step` apart.
    public static func arange(
        _ start: Scalar = 0, _ end: Scalar, step: Scalar = 1, dtype: DType = .int64, device: Device = .cpu
    ) -> Tensor {
        make("arange", []) { ctorch_arange($0, start.c, end.c, step.c, dtype.c, device.c) }
    }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(
        _ start: Double, _ end: Double, count: Int, dtype: DType = .float32, device: Device = .cpu
    ) -> Tensor {
        make("linspace", []) { ctorch_linspace($0, start, end, Int64(count), dtype.c, device.c) }
    }

    /// Uniform values in [0, 1).
    public static func rand(
        _ shape: [Int], generator: Generator? = nil, dtype: DType = .float32, device: Device = .cpu
    ) -> Tensor {
        withExtendedLifetime(generator) {
            withSizes(shape) { sizes, rank in
                make("rand", []) { ctorch_rand($0, sizes, rank, generator.c, dtype.c, device.c) }
            }
        }
    }

    /// Standard normal values.
    public static func randn(
        _ shape: [Int], generator: Generator? = nil, dtype: DType = .float32, device: Device = .cpu
    ) -> Tensor {
        withExtendedLifetime(generator) {
            withSizes(shape) { sizes, rank in
                make("randn", []) { ctorch_randn($0, sizes, rank, generator.c, dtype.c, device.c) }
            }
        }
    }

    /// Uniform integers in `range`.
    public static func randint(
        _ range: Range<Int>, _ shape: [Int], generator: Generator? = nil, dtype: DType = .int64, device: Device = .cpu
    ) -> Tensor {
        withExtendedLifetime(generator) {
            withSizes(shape) { sizes, rank in
                make("randint", []) {
                    ctorch_randint(
                        $0, Int64(range.lowerBound), Int64(range.upperBound), sizes, rank, generator.c, dtype.c,
                        device.c)
                }
            }
        }
    }

    /// A random permutation of 0..<n (int64).
    public static func randperm(_ n: Int, generator: Generator? = nil, device: Device = .cpu) -> Tensor {
        withExtendedLifetime(generator) { make("randperm", []) { ctorch_randperm($0, Int64(n), generator.c, device.c) } }
    }

    public func zerosLike() -> Tensor { Tensor.make("zerosLike", [self]) { ctorch_zeros_like($0, handle) } }
    public func onesLike() -> Tensor { Tensor.make("onesLike", [self]) { ctorch_ones_like($0, handle) } }
    public func fullLike(_ value: Scalar) -> Tensor {
        Tensor.make("fullLike", [self]) { ctorch_full_like($0, handle, value.c) }
    }

    // MARK: Conversion

    /// A copy converted to `dtype` (or `self` when it already has it).
    public func to(_ dtype: DType) -> Tensor {
        Tensor.make("to(dtype:)", [self]) { ctorch_to_dtype($0, handle, dtype.c) }
    }

    /// A copy on `device` (or `self` when it is already there). Check the device first with
    /// ``Device/checkAvailable()``: an unavailable device traps here. With `nonBlocking`, a copy
    /// between pinned host memory (``pinnedMemory()``) and a GPU is queued on the device's stream
    /// and returns at once; anywhere else it is an ordinary copy.
    public func to(_ device: Device, nonBlocking: Bool = false) -> Tensor {
        Tensor.make("to(device:)", [self]) { ctorch_to_device($0, handle, device.c, nonBlocking) }
    }

    /// A copy in page-locked host memory, which a GPU reads without blocking the host; `self` when
    /// no GPU is usable (pinning would buy nothing, and a CPU-only libtorch cannot pin).
    public func pinnedMemory() -> Tensor { Tensor.make("pinnedMemory", [self]) { ctorch_pin_memory($0, handle) } }

    /// Whether the values are in page-locked host memory.
    public var isPinned: Bool { ctorch_tensor_is_pinned(handle) }

    /// Points this tensor at `source`'s values, which may live on another device, keeping its
    /// identity: every handle to it follows, and it stays the same autograd leaf (PyTorch's
    /// `param.data = source`). How a model moves to a device in place.
    public func setData(_ source: Tensor) { check("setData", [self, source]) { ctorch_set_data(handle, source.handle) } }

    /// A copy with its own storage.
    public func clone() -> Tensor { Tensor.make("clone", [self]) { ctorch_clone($0, handle) } }

    /// `self` if it is contiguous, otherwise a contiguous copy.
    public func contiguous() -> Tensor { Tensor.make("contiguous", [self]) { ctorch_contiguous($0, handle) } }

    /// A 4-d tensor in channels-last (NHWC) memory order, same logical shape.
    public func channelsLast() -> Tensor { Tensor.make("channelsLast", [self]) { ctorch_channels_last($0, handle) } }
}

extension Optional where Wrapped == Generator {
    var c: ctorch_generator { self?.handle ?? ctorch_generator(ptr: nil) }
}
