import Foundation
import Testing
import Torch
import TorchTestSupport

@Suite struct `Op errors` {
    @Test func `a shape error traps with the op, the shapes and libtorch's message`() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor.zeros([2, 3])
            let b = Tensor.zeros([4, 5])
            _ = a.matmul(b)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("matmul([2, 3] float32, [4, 5] float32) failed"))
        #expect(text.contains("cannot be multiplied"))
    }

    @Test func `a conv2d with mismatched channels names conv2d and its inputs`() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([1, 3, 8, 8]).conv2d(weight: Tensor.zeros([4, 2, 3, 3]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("conv2d([1, 3, 8, 8] float32, [4, 2, 3, 3] float32) failed"))
        #expect(text.contains("expected input[1, 3, 8, 8] to have 2 channels"))
    }
}

/// Leak checks run in a child process each, so no other test's tensors disturb the counts.
@Suite struct `No leaks` {
    @Test func `live tensors and memory return to their baseline after 100,000 small ops`() async {
        await #expect(processExitsWith: .success) {
            let x = Tensor.randn([16], generator: Generator(seed: 0))
            let baseline = Tensor.liveCount
            func churn(_ rounds: Int) {
                for _ in 0..<rounds {
                    let y = (x * 2 + 1).relu().sum()
                    let (values, _) = x.reshaped([4, 4]).max(dim: 1)
                    _ = y.item() + values.sum().item() + Double(x.split([8, 8]).count)
                }
            }
            churn(2_000)  // warm the allocator's caches
            let residentBefore = residentBytes()
            churn(18_000)  // 18,000 rounds × 11 ops ≈ 200,000 ops
            precondition(Tensor.liveCount == baseline, "live tensors \(Tensor.liveCount) != baseline \(baseline)")
            let growth = residentBytes() - residentBefore
            precondition(growth < 16 << 20, "resident memory grew by \(growth) bytes")
        }
    }
}

/// Runs in a child process, so the page-fault count is this test's alone.
@Suite struct `Memory reuse` {
    /// glibc's malloc maps every block over 32 MB afresh and unmaps it on free, so each new tensor
    /// of that size is faulted in, zeroed, page by page (16,384 faults per 64 MB): in training that
    /// was about 15% of a step. The tcmalloc that every binary links keeps the freed block for reuse.
    @Test func `a freed 64 MB tensor's memory is reused without fresh page faults`() async {
        await #expect(processExitsWith: .success) {
            let bytes = [UInt8](repeating: 1, count: 64 << 20)
            func make() { _ = try! bytes.withUnsafeBytes { try Tensor(bytes: $0, shape: [bytes.count], dtype: .uint8) } }
            func pageFaults() -> Int {
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                return usage.ru_minflt
            }
            make()  // the first one is faulted in
            let before = pageFaults()
            for _ in 0..<4 { make() }
            let faults = pageFaults() - before
            precondition(faults < 2_000, "\(faults) page faults for 4 new 64 MB tensors (65,536 if none is reused)")
        }
    }
}
