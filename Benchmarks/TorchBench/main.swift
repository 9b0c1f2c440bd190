// Speed of the binding, printed as JSON lines (a benchmark, not a test):
//   tiny_op_us        per-call cost of `a + b` on one-element tensors (µs)
//   conv_gflops       conv2d 3×3 forward + backward throughput on a YOLO-sized layer (GFLOP/s)
// Scripts/bench-torch.sh runs it beside the same measurements in Python torch.
import Foundation
import Torch

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let arguments = CommandLine.arguments
let threads = arguments.firstIndex(of: "--threads").map { Int(arguments[$0 + 1])! } ?? 2
Torch.setThreadCount(threads)

// Tiny op: the binding's overhead dominates.
let a = Tensor([1] as [Float])
let b = Tensor([2] as [Float])
let calls = 200_000
for _ in 0..<10_000 { _ = a + b }
let tinySeconds = seconds { for _ in 0..<calls { _ = a + b } }
print(#"{"bench": "tiny_op_us", "impl": "swift", "value": \#(tinySeconds / Double(calls) * 1e6)}"#)

// conv2d 3×3, 64→64 channels at 80×80, batch 8: a P3-sized layer of yolov8 at 640 (or P2 at 320).
func convThroughput() -> Double {
    let (batch, channels, size) = (8, 64, 80)
    let generator = Generator(seed: 0)
    let input = Tensor.randn([batch, channels, size, size], generator: generator).requiringGrad()
    let weight = (Tensor.randn([channels, channels, 3, 3], generator: generator) * 0.05).requiringGrad()
    let forwardFlops = 2.0 * Double(batch * channels * channels * 9 * size * size)
    func step() {
        input.conv2d(weight: weight, padding: (1, 1)).sum().backward()
        input.zeroGrad()
        weight.zeroGrad()
    }
    step()
    let repeats = 8
    let elapsed = seconds { for _ in 0..<repeats { step() } }
    // forward + backward (input and weight gradients) = 3 × the forward FLOPs
    return 3 * forwardFlops * Double(repeats) / elapsed / 1e9
}
print(#"{"bench": "conv_gflops", "impl": "swift", "value": \#(convThroughput())}"#)
