import ArgumentParser
import Foundation
import Torch
import TorchNN

/// For now a smoke job of the tensor layer: a small Conv-BN-SiLU network learns to find the bright
/// squares in random images, then its weights go through a safetensors file and back. The
/// refinement issue turns this into the real demonstration (synthesis, refine, report).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the built-in demonstration (currently: a training smoke job of the tensor layer).")

    @Option(help: "Training steps.") var steps = 150
    @Option(help: "Seed for the weights and the images.") var seed: UInt64 = 0
    @Option(help: "libtorch intra-op threads.") var threads = 2
    @Flag(help: "Print the result as one JSON object on stdout.") var json = false

    func run() throws {
        Torch.setThreadCount(threads)
        let store = ParameterStore(seed: seed)
        let network = SquareFinder(store)
        let (images, targets) = SquareFinder.batch(count: 16, generator: Generator(seed: seed + 1))
        let optimizer = AdamW(groups: [
            ParameterGroup(name: "all", parameters: store.parameters, learningRate: 0.01, momentum: 0.9)
        ])
        var losses: [Double] = []
        let start = Date()
        for step in 1...steps {
            optimizer.zeroGrad()
            let loss = network(images, mode: .train).binaryCrossEntropyWithLogits(target: targets)
            loss.backward()
            clipGradientNorm(store.parameters, maxNorm: 10)
            optimizer.step()
            losses.append(loss.item())
            if step % 25 == 0 || step == 1 {
                FileHandle.standardError.write(Data("step \(step)/\(steps)  loss \(String(format: "%.4f", loss.item()))\n".utf8))
            }
        }
        let elapsed = Date().timeIntervalSince(start)

        let weights = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-demo-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: weights) }
        try store.save(to: weights, metadata: ["producer": "facelabel demo"])
        let reloaded = ParameterStore(seed: seed + 100)
        let copy = SquareFinder(reloaded)
        try reloaded.load(from: weights)
        let same = withNoGrad {
            (network(images, mode: .eval) - copy(images, mode: .eval)).abs().max().item() == 0
        }

        let summary: [String: Any] = [
            "steps": steps, "first_loss": losses.first!, "last_loss": losses.last!,
            "ms_per_step": elapsed / Double(steps) * 1000, "parameters": store.parameterCount,
            "reloaded_weights_identical": same,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("loss \(String(format: "%.4f", losses.first!)) → \(String(format: "%.4f", losses.last!)) in \(steps) steps "
                + "(\(String(format: "%.1f", elapsed / Double(steps) * 1000)) ms/step, \(store.parameterCount) parameters); "
                + "weights saved and reloaded \(same ? "identically" : "WITH DIFFERENCES")")
        }
        guard losses.last! < losses.first! / 2, same else { throw ExitCode.failure }
    }
}

/// Three Conv-BN-SiLU blocks and a 1×1 head that scores each position at stride 2.
private struct SquareFinder {
    private let blocks: [(Conv2d, BatchNorm2d)]
    private let head: Conv2d

    init(_ store: ParameterStore) {
        let widths = [(3, 16, 2), (16, 16, 1), (16, 16, 1)]  // (input, output, stride)
        blocks = widths.enumerated().map { index, spec in
            let scope = store.root / "model" / index
            return (
                Conv2d(scope / "conv", input: spec.0, output: spec.1, kernel: 3, stride: spec.2, bias: false),
                BatchNorm2d(scope / "bn", features: spec.1, eps: 0.001, momentum: 0.03)
            )
        }
        head = Conv2d(store.root / "model" / widths.count, input: 16, output: 1, kernel: 1)
    }

    /// `[N, 3, H, W]` → `[N, 1, H/2, W/2]` logits.
    func callAsFunction(_ images: Tensor, mode: Mode) -> Tensor {
        head(blocks.reduce(images) { x, block in block.1(block.0(x), mode: mode).silu() })
    }

    /// Noise images `[N, 3, 32, 32]` with one bright 8×8 square each, and the square's mask at stride 2.
    static func batch(count: Int, generator: Generator) -> (images: Tensor, targets: Tensor) {
        let images = Tensor.randn([count, 3, 32, 32], generator: generator) * 0.3
        let targets = Tensor.zeros([count, 1, 16, 16])
        let corners = Tensor.randint(0..<12, [count, 2], generator: generator).toArray(of: Int64.self)
        for item in 0..<count {
            let (row, column) = (Int(corners[2 * item]), Int(corners[2 * item + 1]))
            images[.at(item), .all, .range(2 * row, 2 * row + 8), .range(2 * column, 2 * column + 8)].addInPlace(2)
            targets[.at(item), .all, .range(row, row + 4), .range(column, column + 4)].fillInPlace(1)
        }
        return (images, targets)
    }
}
