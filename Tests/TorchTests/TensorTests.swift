import Testing
import Torch
import TorchTestSupport

@Suite struct `Tensor creation and conversion` {
    @Test func `values round-trip through Swift arrays in every dtype`() {
        #expect(Tensor([1.5, -2] as [Float]).toArray(of: Float.self) == [1.5, -2])
        #expect(Tensor([1.0 / 3] as [Double]).toArray(of: Double.self) == [1.0 / 3])
        #expect(Tensor([-(1 << 40), 7] as [Int64]).toArray(of: Int64.self) == [-(1 << 40), 7])
        #expect(Tensor([-3, 1 << 30] as [Int32]).toArray(of: Int32.self) == [-3, 1 << 30])
        #expect(Tensor([0, 255] as [UInt8]).toArray(of: UInt8.self) == [0, 255])
        #expect(Tensor([true, false]).toArray(of: Bool.self) == [true, false])
        #expect(Tensor([0.75] as [Float]).to(.float16).to(.float32).item() == 0.75)
    }

    @Test func `shape, rank, count and dtype describe the tensor`() {
        let x = Tensor.zeros([2, 3, 4], dtype: .float64)
        #expect(x.shape == [2, 3, 4])
        #expect(x.rank == 3 && x.count == 24 && x.dtype == .float64)
        #expect(Tensor(scalar: Float(2)).shape == [])
        let (n, c, h, w) = Tensor.ones([1, 2, 3, 4]).shape4
        #expect([n, c, h, w] == [1, 2, 3, 4])
    }

    @Test func `factories fill as PyTorch does`() {
        #expect(Tensor.full([2], 7, dtype: .int64).toArray(of: Int64.self) == [7, 7])
        #expect(Tensor.arange(0, 5).toArray(of: Int64.self) == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25, dtype: .float32).toArray(of: Float.self) == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.linspace(0, 1, count: 5).toArray(of: Float.self) == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.ones([3]).sum().item() == 3)
    }

    @Test func `seeded generators repeat their sequence and match torch's CPU generator`() {
        let a = Tensor.randn([5], generator: Generator(seed: 42)).toArray(of: Float.self)
        let b = Tensor.randn([5], generator: Generator(seed: 42)).toArray(of: Float.self)
        #expect(a == b)
        // torch.randn(3, generator=torch.Generator().manual_seed(0)) with torch 2.13
        expectClose(
            Tensor.randn([3], generator: Generator(seed: 0)), Tensor([1.5409961, -0.2934289, -2.1787894] as [Float]),
            atol: 1e-6)
        let ints = Tensor.randint(3..<6, [1000], generator: Generator(seed: 1))
        #expect(ints.min().item() == 3 && ints.max().item() == 5)
        let uniform = Tensor.rand([1000], generator: Generator(seed: 1))
        #expect(uniform.min().item() >= 0 && uniform.max().item() < 1)
        #expect(Tensor.randperm(6, generator: Generator(seed: 3)).sorted().values.toArray(of: Int64.self) == [0, 1, 2, 3, 4, 5])
    }

    @Test func `CUDA is reported unavailable here instead of crashing`() throws {
        #expect(Device.cpu.isAvailable)
        if !Device.cuda.isAvailable {
            #expect(throws: TorchError.self) { try Device.cuda.checkAvailable() }
            do {
                try Device.cuda.checkAvailable()
            } catch {
                #expect(error.message.contains("CUDA is not available"))
            }
        }
        #expect(Device("cuda:1") == .cuda(1) && Device("cpu") == .cpu && Device("gpu") == nil)
    }
}

@Suite struct `Tensor shape ops` {
    let x = Tensor.arange(0, 6, dtype: .float32).reshaped([2, 3])  // [[0,1,2],[3,4,5]]

    @Test func `reshape, view, transpose and permute move values as PyTorch`() {
        #expect(x.transposed(0, 1).contiguous().toArray(of: Float.self) == [0, 3, 1, 4, 2, 5])
        #expect(x.permuted([1, 0]).shape == [3, 2])
        #expect(x.view([3, 2]).toArray(of: Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(x.reshaped([-1]).shape == [6])
        #expect(x.unsqueezed(0).shape == [1, 2, 3] && x.unsqueezed(0).squeezed().shape == [2, 3])
        #expect(x.unsqueezed(2).squeezed(dim: 2).shape == [2, 3])
        #expect(x.reshaped([1, 2, 3]).flattened().shape == [6])
        #expect(x.reshaped([2, 3, 1]).flattened(from: 1).shape == [2, 3])
    }

    @Test func `expand, repeat, flip, cat, stack, split and chunk`() {
        #expect(Tensor([1, 2] as [Float]).expanded([3, 2]).toArray(of: Float.self) == [1, 2, 1, 2, 1, 2])
        #expect(Tensor([1, 2] as [Float]).repeated([2]).toArray(of: Float.self) == [1, 2, 1, 2])
        #expect(x.flipped([1]).toArray(of: Float.self) == [2, 1, 0, 5, 4, 3])
        #expect(Tensor.cat([x, x], dim: 1).shape == [2, 6])
        #expect(Tensor.stack([x, x]).shape == [2, 2, 3])
        let parts = x.split([1, 2], dim: 1)
        #expect(parts.map(\.shape) == [[2, 1], [2, 2]])
        #expect(parts[1].contiguous().toArray(of: Float.self) == [1, 2, 4, 5])
        #expect(Tensor.arange(0, 5).chunk(2).map(\.count) == [3, 2])
    }

    @Test func `channels-last keeps the logical values`() {
        let image = Tensor.randn([1, 3, 4, 5], generator: Generator(seed: 1))
        let nhwc = image.channelsLast()
        #expect(nhwc.isChannelsLast && !image.isChannelsLast)
        #expect(nhwc.toArray(of: Float.self) == image.toArray(of: Float.self))
    }
}

@Suite struct `Tensor indexing` {
    let x = Tensor.arange(0, 12, dtype: .float32).reshaped([3, 4])

    @Test func `select, narrow, slice and subscripts give the right elements`() {
        #expect(x.select(dim: 0, 1).toArray(of: Float.self) == [4, 5, 6, 7])
        #expect(x[1, 2].item() == 6)
        #expect(x[.all, 1].toArray(of: Float.self) == [1, 5, 9])
        #expect(x.narrow(dim: 1, start: 1, length: 2).contiguous().toArray(of: Float.self) == [1, 2, 5, 6, 9, 10])
        #expect(x[.range(0, nil, step: 2), .range(3, 4)].toArray(of: Float.self) == [3, 11])
        #expect(x.slice(dim: 1, start: 2).shape == [3, 2])
    }

    @Test func `gather, scatter, indexSelect and advanced indexing`() {
        let index = Tensor([0, 3, 1] as [Int64]).reshaped([3, 1])
        #expect(x.gather(dim: 1, index).toArray(of: Float.self) == [0, 7, 9])
        #expect(x.indexSelect(dim: 0, Tensor([2, 0] as [Int64])).toArray(of: Float.self) == [8, 9, 10, 11, 0, 1, 2, 3])
        let scattered = Tensor.zeros([2, 3]).scatter(dim: 1, Tensor([2, 0] as [Int64]).reshaped([2, 1]), Tensor.ones([2, 1]))
        #expect(scattered.toArray(of: Float.self) == [0, 0, 1, 1, 0, 0])
        let added = Tensor.zeros([3]).scatterAdd(dim: 0, Tensor([1, 1, 2] as [Int64]), Tensor([1, 2, 3] as [Float]))
        #expect(added.toArray(of: Float.self) == [0, 3, 3])
        #expect(x[.all, .tensor(Tensor([3, 0] as [Int64]))].toArray(of: Float.self) == [3, 0, 7, 4, 11, 8])
    }

    @Test func `boolean masks select, fill and locate`() {
        let mask = x .> 8
        #expect(x[mask: mask].toArray(of: Float.self) == [9, 10, 11])
        #expect(x.maskedSelect(mask).count == 3)
        #expect(x.maskedFill(x .< 10, 0).sum().item() == 21)
        let rows = Tensor([true, false, true])
        #expect(x[mask: rows].shape == [2, 4])
        #expect(mask.nonzero().toArray(of: Int64.self) == [2, 1, 2, 2, 2, 3])
        #expect(Tensor.where(mask, x, x * 0).sum().item() == 30)
        #expect(mask.any().item() == 1 && mask.all().item() == 0)
    }

    @Test func `indexPutInPlace writes and accumulates`() {
        let target = Tensor.zeros([4])
        target.indexPutInPlace([Tensor([1, 1, 3] as [Int64])], Tensor([2, 3, 4] as [Float]), accumulate: true)
        #expect(target.toArray(of: Float.self) == [0, 5, 0, 4])
    }
}

@Suite struct `Tensor arithmetic and reductions` {
    @Test func `broadcasting arithmetic with tensors and scalars`() {
        let a = Tensor([1, 2, 3] as [Float])
        let b = Tensor([10] as [Float])
        #expect((a + b).toArray(of: Float.self) == [11, 12, 13])
        #expect((a - 1).toArray(of: Float.self) == [0, 1, 2])
        #expect((10 - a).toArray(of: Float.self) == [9, 8, 7])
        #expect((2 * a / 4).toArray(of: Float.self) == [0.5, 1, 1.5])
        #expect((6 / a).toArray(of: Float.self) == [6, 3, 2])
        #expect((-a).toArray(of: Float.self) == [-1, -2, -3])
        #expect(a.pow(2).toArray(of: Float.self) == [1, 4, 9])
        #expect((Tensor([7] as [Int64]) + 1).dtype == .int64)
        #expect(Tensor.maximum(a, Tensor([2] as [Float])).toArray(of: Float.self) == [2, 2, 3])
        #expect(Tensor.minimum(a, Tensor([2] as [Float])).toArray(of: Float.self) == [1, 2, 2])
    }

    @Test func `math functions agree with Foundation`() {
        let a = Tensor([0.25, 1, 4] as [Double])
        expectClose(a.sqrt(), Tensor([0.5, 1, 2] as [Double]))
        expectClose(a.log().exp(), a)
        expectClose(a.atan(), Tensor([0.24497866312686414, 0.7853981633974483, 1.3258176636680326] as [Double]))
        #expect(Tensor([-1.5, 2.5, 0.5] as [Double]).round().toArray(of: Double.self) == [-2, 2, 0])
        #expect(Tensor([-1.5, 2.5] as [Double]).floor().toArray(of: Double.self) == [-2, 2])
        #expect(Tensor([-1.5, 2.5] as [Double]).abs().toArray(of: Double.self) == [1.5, 2.5])
        #expect(Tensor([-2, 0.5, 3] as [Double]).clamped(min: 0, max: 1).toArray(of: Double.self) == [0, 0.5, 1])
        #expect(Tensor([-2, 3] as [Double]).clamped(min: 0).toArray(of: Double.self) == [0, 3])
        expectClose(Tensor([0] as [Double]).sigmoid(), Tensor([0.5] as [Double]))
        expectClose(Tensor([1] as [Double]).silu(), Tensor([0.7310585786300049] as [Double]))
    }

    @Test func `comparisons and logic give boolean tensors`() {
        let a = Tensor([1, 2, 3] as [Float])
        #expect((a .== 2).toArray(of: Bool.self) == [false, true, false])
        #expect((a .>= Tensor([2, 2, 2] as [Float])).toArray(of: Bool.self) == [false, true, true])
        #expect(((a .> 1) .& (a .< 3)).toArray(of: Bool.self) == [false, true, false])
        #expect(((a .< 2) .| (a .> 2)).toArray(of: Bool.self) == [true, false, true])
        #expect((.!(a .!= 1)).toArray(of: Bool.self) == [true, false, false])
    }

    @Test func `reductions over all elements and along dimensions`() {
        let x = Tensor([3, 1, 2, 6, 5, 4] as [Float], shape: [2, 3])
        #expect(x.sum().item() == 21 && x.mean().item() == 3.5 && x.prod().item() == 720)
        #expect(x.sum(dim: 1).toArray(of: Float.self) == [6, 15])
        #expect(x.mean(dim: 0, keepDim: true).shape == [1, 3])
        let (values, indices) = x.max(dim: 1)
        #expect(values.toArray(of: Float.self) == [3, 6] && indices.toArray(of: Int64.self) == [0, 0])
        #expect(x.min(dim: 1).indices.toArray(of: Int64.self) == [1, 2])
        #expect(x.argmax(dim: 0).toArray(of: Int64.self) == [1, 1, 1])
        let top = x.flattened().topk(2)
        #expect(top.values.toArray(of: Float.self) == [6, 5] && top.indices.toArray(of: Int64.self) == [3, 4])
        #expect(x.flattened().sorted(descending: true).values.toArray(of: Float.self) == [6, 5, 4, 3, 2, 1])
        #expect(x.cumsum(dim: 1).toArray(of: Float.self) == [3, 4, 6, 6, 11, 15])
        expectClose(Tensor([3, 4] as [Float]).norm(), Tensor(scalar: Float(5)))
        #expect((x .> 4).any(dim: 1).toArray(of: Bool.self) == [false, true])
        #expect((x .> 0).all(dim: 0).toArray(of: Bool.self) == [true, true, true])
    }

    @Test func `in-place updates and their multi-tensor forms`() {
        let p = Tensor([1, 2] as [Float])
        p.addInPlace(Tensor([1, 1] as [Float]), alpha: -0.5)
        #expect(p.toArray(of: Float.self) == [0.5, 1.5])
        p.mulInPlace(2)
        p.addcmulInPlace(Tensor([1, 2] as [Float]), Tensor([3, 4] as [Float]), value: 0.5)
        #expect(p.toArray(of: Float.self) == [2.5, 7])
        p.lerpInPlace(Tensor([4.5, 7] as [Float]), weight: 0.5)
        #expect(p.toArray(of: Float.self) == [3.5, 7])
        p.addcdivInPlace(Tensor([1, 1] as [Float]), Tensor([2, 4] as [Float]), value: 1)
        #expect(p.toArray(of: Float.self) == [4, 7.25])
        #expect(
            Tensor([1, 2] as [Float]).addcmul(Tensor([3, 4] as [Float]), Tensor([2] as [Float]), value: 0.5).toArray(of: Float.self) == [
                4, 6,
            ])
        let logits = Tensor([0, 2] as [Float])
        logits.narrow(dim: 0, start: 0, length: 1).sigmoidInPlace()  // through a view: only the first changes
        #expect(logits.toArray(of: Float.self) == [0.5, 2])
        let list = [Tensor([1] as [Float]), Tensor([2, 2] as [Float])]
        Tensor.mulInPlace(list, 3)
        Tensor.addInPlace(list, [Tensor([1] as [Float]), Tensor([1, 1] as [Float])], alpha: 2)
        #expect(list[0].toArray(of: Float.self) == [5] && list[1].toArray(of: Float.self) == [8, 8])
        Tensor.lerpInPlace(list, [Tensor([7] as [Float]), Tensor([0, 0] as [Float])], weight: 0.5)
        #expect(list[0].toArray(of: Float.self) == [6] && list[1].toArray(of: Float.self) == [4, 4])
        expectClose(Tensor.stack(Tensor.norms(list)), Tensor([6, Float(32).squareRoot()]))
    }
}
