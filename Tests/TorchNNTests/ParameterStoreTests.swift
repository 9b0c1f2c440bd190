import Foundation
import Testing
import Torch
import TorchNN
import TorchTestSupport

/// A Conv-BN pair registered as the reference names it (`model.0.conv`, `model.0.bn`).
func convBlock(_ store: ParameterStore, channels: Int = 4) -> (Conv2d, BatchNorm2d) {
    let scope = store.root / "model" / 0
    return (
        Conv2d(scope / "conv", input: 3, output: channels, kernel: 3, bias: false),
        BatchNorm2d(scope / "bn", features: channels, eps: 0.001, momentum: 0.03)
    )
}

func temporaryFile(_ name: String = "weights") -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID()).safetensors")
}

@Suite struct `Parameter store` {
    @Test func `keys follow the scopes in registration order, as the reference's state dict`() {
        let store = ParameterStore()
        _ = convBlock(store)
        #expect(
            store.stateDict.map(\.name) == [
                "model.0.conv.weight", "model.0.bn.weight", "model.0.bn.bias", "model.0.bn.running_mean",
                "model.0.bn.running_var", "model.0.bn.num_batches_tracked",
            ])
        #expect(store.parameters.count == 3 && store.buffers.count == 3)
        #expect(store.parameterCount == 4 * 3 * 3 * 3 + 4 + 4)
        #expect(store.parameters.allSatisfy { $0.value.requiresGrad })
    }

    @Test func `the same seed initialises the same weights`() {
        let a = ParameterStore(seed: 3)
        let b = ParameterStore(seed: 3)
        let (convA, _) = convBlock(a)
        let (convB, _) = convBlock(b)
        #expect(convA.weight.value.toArray(of: Float.self) == convB.weight.value.toArray(of: Float.self))
        // torch.nn.Conv2d's bound 1/sqrt(fan_in), fan_in = 3·3·3
        #expect(convA.weight.value.abs().max().item() <= 1 / 27.0.squareRoot())
    }

    @Test func `save then load restores every value, in float32 and in float16`() throws {
        let source = ParameterStore(seed: 1)
        let (conv, bn) = convBlock(source)
        _ = bn(conv(Tensor.randn([2, 3, 8, 8], generator: Generator(seed: 2))), mode: .train)
        for floatType in [nil, DType.float16] {
            let url = temporaryFile()
            defer { try? FileManager.default.removeItem(at: url) }
            try source.save(to: url, metadata: ["epoch": "3"], floatType: floatType)
            let target = ParameterStore(seed: 99)
            _ = convBlock(target)
            let report = try target.load(from: url)
            #expect(report.loaded.count == 6 && report.missing.isEmpty && report.unexpected.isEmpty)
            for (a, b) in zip(source.stateDict, target.stateDict) {
                expectClose(b.tensor, a.tensor, rtol: floatType == nil ? 0 : 1e-3, atol: floatType == nil ? 0 : 1e-3, "\(a.name)")
                #expect(a.tensor.dtype == b.tensor.dtype)
            }
            #expect(try Safetensors.read(from: url).metadata == ["epoch": "3"])
        }
    }

    @Test func `strict loading names a missing key, a wrong shape and an unexpected key`() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let small = ParameterStore()
        _ = convBlock(small, channels: 4)
        try small.save(to: url)

        let wide = ParameterStore()
        _ = convBlock(wide, channels: 8)
        #expect {
            try wide.load(from: url)
        } throws: { "\($0)" == "\(url.path): model.0.conv.weight: shape [4, 3, 3, 3] in the file, the model expects [8, 3, 3, 3]" }

        let more = ParameterStore()
        _ = convBlock(more)
        _ = Conv2d(more.root / "model" / 1, input: 4, output: 4, kernel: 1)
        #expect { try more.load(from: url) } throws: { "\($0)".hasSuffix("missing key model.1.weight") }

        let fewer = ParameterStore()
        _ = Conv2d(fewer.root / "model" / 0 / "conv", input: 3, output: 4, kernel: 3, bias: false)
        #expect { try fewer.load(from: url) } throws: { "\($0)".contains("unexpected key model.0.bn.weight") }
    }

    @Test func `non-strict loading copies what matches by name and shape and reports the rest`() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let source = ParameterStore(seed: 5)
        _ = convBlock(source, channels: 4)
        try source.save(to: url)
        let target = ParameterStore(seed: 6)
        let (conv, bn) = convBlock(target, channels: 8)
        let before = conv.weight.value.clone()
        let report = try target.load(from: url, strict: false)
        #expect(report.loaded == ["model.0.bn.num_batches_tracked"])
        #expect(report.missing.count == 5 && report.unexpected.isEmpty)
        #expect(conv.weight.value.toArray(of: Float.self) == before.toArray(of: Float.self))
        #expect(bn.batchesTracked.value.itemInt() == 0)
        #expect(
            report.summary(from: "small.pt", of: target.entries.count)
                == "transferred 1/6 tensors from small.pt; left as initialised: model.0.conv.weight, model.0.bn.weight, "
                + "model.0.bn.bias, model.0.bn.running_mean, model.0.bn.running_var")
        let many = ParameterStore.LoadReport(loaded: [], missing: (0..<12).map { "t\($0)" }, unexpected: [])
        #expect(many.summary(from: "x.pt", of: 12).hasSuffix("left as initialised: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 2 more"))
    }

    @Test func `a truncated weights file is an error naming the file`() throws {
        let url = temporaryFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let store = ParameterStore()
        _ = convBlock(store)
        try store.save(to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
        #expect { try store.load(from: url) } throws: { "\($0)".hasPrefix("\(url.path): truncated") }
    }
}

@Suite struct `Layers` {
    @Test func `BatchNorm2d trains with batch statistics and evaluates with running ones`() throws {
        let golden = try Goldens.load()
        let store = ParameterStore()
        let bn = BatchNorm2d(store.root / "bn", features: 3, eps: 0.001, momentum: 0.03)
        withNoGrad {
            bn.weight.value.copyInPlace(try! golden.required("batchnorm_train.weight"))
            bn.bias.value.copyInPlace(try! golden.required("batchnorm_train.bias"))
            bn.runningMean.value.copyInPlace(try! golden.required("batchnorm_train.running_mean_before"))
            bn.runningVar.value.copyInPlace(try! golden.required("batchnorm_train.running_var_before"))
        }
        let x = try golden.required("batchnorm_train.x")
        expectClose(bn(x, mode: .train), try golden.required("batchnorm_train.output"), atol: 1e-5)
        expectClose(bn.runningMean.value, try golden.required("batchnorm_train.running_mean_after"))
        expectClose(bn.runningVar.value, try golden.required("batchnorm_train.running_var_after"))
        #expect(bn.batchesTracked.value.itemInt() == 1)
        withNoGrad {
            bn.runningMean.value.copyInPlace(try! golden.required("batchnorm_eval.running_mean"))
            bn.runningVar.value.copyInPlace(try! golden.required("batchnorm_eval.running_var"))
        }
        expectClose(bn(x, mode: .eval), try golden.required("batchnorm_eval.output"), atol: 1e-5)
        #expect(bn.batchesTracked.value.itemInt() == 1)
    }

    @Test func `Conv2d pads to keep the size at stride 1 and halves it at stride 2`() {
        let store = ParameterStore()
        let same = Conv2d(store.root / "a", input: 3, output: 5, kernel: 3)
        let down = Conv2d(store.root / "b", input: 3, output: 5, kernel: 3, stride: 2)
        let x = Tensor.zeros([1, 3, 8, 8])
        #expect(same(x).shape == [1, 5, 8, 8] && down(x).shape == [1, 5, 4, 4])
        // zero input: the output is the bias at every position
        expectClose(same(x).mean(dims: [0, 2, 3]), same.bias!.value.detached())
    }
}
