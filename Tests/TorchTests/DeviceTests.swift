import Testing
import Torch

@Suite struct `Devices and the runtime` {
    @Test func `device names parse as the reference writes them`() {
        #expect(Device("cpu") == .cpu)
        #expect(Device("cuda") == .cuda)
        #expect(Device("cuda:2") == .cuda(2))
        #expect(Device("cuda:2")?.description == "cuda:2")
        for wrong in ["gpu", "cuda:", "cuda:-1", "cuda:x", "CPU", "auto"] { #expect(Device(wrong) == nil, "\(wrong)") }
    }

    @Test func `auto picks the first GPU when one is usable, otherwise the CPU`() throws {
        let expected: Device = Device.cudaDeviceCount > 0 ? .cuda(0) : .cpu
        #expect(Device.automatic == expected)
        #expect(try Device.select("auto") == expected)
        #expect(try Device.select("cpu") == .cpu)
    }

    @Test func `a GPU that does not exist is a clear error`() {
        let count = Device.cudaDeviceCount
        let error = #expect(throws: TorchError.self) { try Device.select("cuda:\(count)") }
        #expect(error?.description.contains("device cuda:\(count)") == true)
        #expect(error?.message.contains("not available") == true)
        if count == 0 {
            // which of the two reasons depends on the libtorch: a CPU build, or a CUDA build without a GPU
            #expect(error?.message.contains("CPU build") == true || error?.message.contains("no GPU is visible") == true)
            #expect(throws: TorchError.self) { try Device.select("cuda") }
        }
        #expect(throws: TorchError.self) { try Device.select("tpu") }
    }

    @Test func `pinned memory and non-blocking copies degrade to plain ones without a GPU`() throws {
        let bytes: [UInt8] = [1, 2, 3, 250, 251, 252]
        let tensor = try bytes.withUnsafeBytes { try Tensor(bytes: $0, shape: [2, 3], dtype: .uint8, pinned: true) }
        #expect(tensor.isPinned == (Device.cudaDeviceCount > 0))
        #expect(tensor.toArray(of: UInt8.self) == bytes)
        #expect(tensor.pinnedMemory().toArray(of: UInt8.self) == bytes)
        let copied = tensor.to(.cpu, nonBlocking: true)
        Device.cpu.synchronize()
        #expect(copied.device == .cpu && copied.toArray(of: UInt8.self) == bytes)
        #expect(Device.cpu.peakMemory == 0)
    }

    @Test func `setData replaces a leaf's values and keeps it a leaf that learns`() {
        let weight = Tensor([1, 2] as [Float]).requiringGrad()
        let alias = weight
        weight.setData(Tensor([5, 6] as [Float]))
        #expect(alias.toArray(of: Float.self) == [5, 6])
        #expect(weight.requiresGrad)
        (weight * Tensor([3, 4] as [Float])).sum().backward()
        #expect(weight.grad?.toArray(of: Float.self) == [3, 4])
    }

    @Test func `the runtime describes this libtorch`() {
        let runtime = TorchRuntime.current()
        #expect(runtime.version.hasPrefix("2."))
        #expect(runtime.libraryPath.hasSuffix("libtorch_cpu.so"))
        #expect(runtime.gpus.count == Device.cudaDeviceCount)
        #expect(runtime.cudaAvailable == (Device.cudaDeviceCount > 0))
        #expect(!runtime.cudaBuild || runtime.cudaRuntime != nil)
        #expect(runtime.cudaBuild || (runtime.cudnn == nil && runtime.cudaRuntime == nil))
        #if arch(x86_64)
            #expect(["DEFAULT", "AVX2", "AVX512"].contains(runtime.cpuCapability), "\(runtime.cpuCapability)")
        #endif
        #expect(runtime.threads == Torch.threadCount && runtime.interopThreads >= 1)
    }
}
