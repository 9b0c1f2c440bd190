import Foundation
import Testing
import Torch
import TorchTestSupport

/// Outputs and gradients against torch 2.13 (`Scripts/goldens/goldens.py`).
@Suite struct `Goldens against PyTorch` {
    let golden: Safetensors.Contents

    init() throws { golden = try Goldens.load() }

    /// Runs `function` on the fixture's inputs and compares its output and the inputs' gradients.
    func check(_ prefix: String, inputs names: [String], _ function: ([Tensor]) -> Tensor) throws {
        let inputs = try names.map { try golden.required("\(prefix).\($0)").clone() }
        for input in inputs where input.dtype.isFloatingPoint { input.requiresGrad = true }
        let output = function(inputs)
        expectClose(output, try golden.required("\(prefix).output"), rtol: 1e-5, atol: 1e-5, "\(prefix) output")
        output.backward(gradient: try golden.required("\(prefix).upstream"))
        for (name, input) in zip(names, inputs) {
            guard let expected = golden["\(prefix).grad_\(name)"] else { continue }
            expectClose(try #require(input.grad), expected, rtol: 1e-4, atol: 1e-5, "\(prefix) gradient of \(name)")
        }
    }

    @Test func `conv2d with stride, padding, bias and groups`() throws {
        try check("conv2d_s2", inputs: ["x", "w", "b"]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1))
        }
        try check("conv2d_groups", inputs: ["x", "w"]) { $0[0].conv2d(weight: $0[1], padding: (0, 1), groups: 2) }
    }

    @Test func `oneDNN's fused convolution equals conv2d, and conv2d then SiLU, on packed weights`() throws {
        #expect(Tensor.hasOneDNN)
        let (x, weight, bias) = try (golden.required("conv2d_s2.x"), golden.required("conv2d_s2.w"), golden.required("conv2d_s2.b"))
        let expected = try golden.required("conv2d_s2.output")
        let packed = weight.packedConvolutionWeight(stride: (2, 2), padding: (1, 1), inputShape: x.shape)
        let plain = x.fusedConv2d(packedWeight: packed, bias: bias, stride: (2, 2), padding: (1, 1), activation: .none)
        expectClose(plain, expected, rtol: 1e-5, atol: 1e-5)
        let activated = x.channelsLast().fusedConv2d(packedWeight: packed, bias: nil, stride: (2, 2), padding: (1, 1), activation: .silu)
        #expect(activated.isChannelsLast)
        expectClose(activated, x.conv2d(weight: weight, stride: (2, 2), padding: (1, 1)).silu(), rtol: 1e-5, atol: 1e-5)
        // packed for another input shape, the weight still gives the same result (oneDNN reorders it)
        let other = weight.packedConvolutionWeight(stride: (2, 2), padding: (1, 1), inputShape: [4, x.size(1), 64, 64])
        expectClose(
            x.fusedConv2d(packedWeight: other, bias: bias, stride: (2, 2), padding: (1, 1), activation: .none), expected, rtol: 1e-5,
            atol: 1e-5)
    }

    @Test(.enabled(if: Tensor.hasNNPACK))
    func `NNPACK's convolution equals conv2d, then SiLU, and gives an image the same result in any batch`() {
        let generator = Generator(seed: 5)
        let x = Tensor.randn([3, 64, 40, 40], generator: generator)
        let (weight, bias) = (Tensor.randn([128, 64, 3, 3], generator: generator) * 0.1, Tensor.randn([128], generator: generator))
        let plain = x.nnpackConv2d(weight: weight, bias: bias, padding: (1, 1), activation: .none)
        let expected = x.conv2d(weight: weight, bias: bias, padding: (1, 1))
        // Winograd's transforms round otherwise than a direct convolution: close, not equal
        expectClose(plain, expected, rtol: 1e-4, atol: 1e-4)
        #expect(plain.toArray(of: Float.self) != expected.toArray(of: Float.self))
        let activated = x.channelsLast().nnpackConv2d(weight: weight, bias: bias, padding: (1, 1), activation: .silu)
        #expect(!activated.isChannelsLast)
        expectClose(activated, expected.silu(), rtol: 1e-4, atol: 1e-4)
        // NNPACK would pick another algorithm for the batch of 3: each image is convolved alone
        for image in 0..<3 {
            let alone = x.narrow(dim: 0, start: image, length: 1).nnpackConv2d(
                weight: weight, bias: bias, padding: (1, 1), activation: .none)
            let same = alone.toArray(of: Float.self) == plain.narrow(dim: 0, start: image, length: 1).toArray(of: Float.self)
            #expect(same, "image \(image) differs from its row of the batch")
        }
    }

    @Test func `batch norm in training updates the running statistics as torch does`() throws {
        let mean = try golden.required("batchnorm_train.running_mean_before").clone()
        let variance = try golden.required("batchnorm_train.running_var_before").clone()
        try check("batchnorm_train", inputs: ["x", "weight", "bias"]) {
            $0[0].batchNorm(
                weight: $0[1], bias: $0[2], runningMean: mean, runningVar: variance, training: true, momentum: 0.03,
                eps: 0.001)
        }
        expectClose(mean, try golden.required("batchnorm_train.running_mean_after"))
        expectClose(variance, try golden.required("batchnorm_train.running_var_after"))
    }

    @Test func `batch norm in evaluation uses the running statistics`() throws {
        let mean = try golden.required("batchnorm_eval.running_mean")
        let variance = try golden.required("batchnorm_eval.running_var")
        try check("batchnorm_eval", inputs: ["x", "weight", "bias"]) {
            $0[0].batchNorm(
                weight: $0[1], bias: $0[2], runningMean: mean, runningVar: variance, training: false, momentum: 0.03,
                eps: 0.001)
        }
    }

    @Test func `max pool and nearest upsampling`() throws {
        try check("maxpool_k5", inputs: ["x"]) { $0[0].maxPool2d(kernel: (5, 5), stride: (1, 1), padding: (2, 2)) }
        try check("maxpool_k2", inputs: ["x"]) { $0[0].maxPool2d(kernel: (2, 2)) }
        try check("upsample", inputs: ["x"]) { $0[0].upsampleNearest2d(scale: 2) }
    }

    @Test func `softmax, log-softmax and the losses`() throws {
        try check("softmax", inputs: ["x"]) { $0[0].softmax(dim: 1) }
        try check("log_softmax", inputs: ["x"]) { $0[0].logSoftmax(dim: 1) }
        try check("bce_none", inputs: ["x", "y"]) { $0[0].binaryCrossEntropyWithLogits(target: $0[1], reduction: .none) }
        try check("bce_mean", inputs: ["x", "y"]) { $0[0].binaryCrossEntropyWithLogits(target: $0[1]) }
        try check("cross_entropy", inputs: ["x", "y"]) { $0[0].crossEntropy(target: $0[1]) }
    }
}
