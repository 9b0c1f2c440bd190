import Foundation
import Torch
import TorchNN

/// YOLOv8-pose (reference §1): backbone, PAN neck and Pose head, with the reference's state-dict
/// keys (`model.<layer>.…`), so weights move between the two implementations without a mapping.
public final class PoseModel {
    public let config: PoseModelConfig
    public let store: ParameterStore

    let stem: ConvBlock  // 0: P1/2
    let down1: ConvBlock  // 1: P2/4
    let stage1: C2f  // 2
    let down2: ConvBlock  // 3: P3/8
    let stage2: C2f  // 4
    let down3: ConvBlock  // 5: P4/16
    let stage3: C2f  // 6
    let down4: ConvBlock  // 7: P5/32
    let stage4: C2f  // 8
    let pooling: SPPF  // 9
    let topDown1: C2f  // 12 (after upsample 10 and concat 11)
    let topDown2: C2f  // 15: P3 output
    let bottomUp1Down: ConvBlock  // 16
    let bottomUp1: C2f  // 18: P4 output
    let bottomUp2Down: ConvBlock  // 19
    let bottomUp2: C2f  // 21: P5 output
    let head: PoseHead  // 22
    /// The type evaluation computes in: float32, or bfloat16 after ``foldBatchNorm(computeType:)``
    /// with it (half-precision inference).
    public private(set) var evaluationType = DType.float32

    /// Builds the network with freshly initialised weights drawn from `seed`.
    public init(_ config: PoseModelConfig, seed: UInt64 = 0) {
        self.config = config
        store = ParameterStore(seed: seed)
        let scale = config.scale
        let model = store.root / "model"
        func c(_ yaml: Int) -> Int { scale.channels(yaml) }
        func n(_ yaml: Int) -> Int { scale.repeats(yaml) }

        stem = ConvBlock(model / 0, input: 3, output: c(64), kernel: 3, stride: 2)
        down1 = ConvBlock(model / 1, input: c(64), output: c(128), kernel: 3, stride: 2)
        stage1 = C2f(model / 2, input: c(128), output: c(128), repeats: n(3), shortcut: true)
        down2 = ConvBlock(model / 3, input: c(128), output: c(256), kernel: 3, stride: 2)
        stage2 = C2f(model / 4, input: c(256), output: c(256), repeats: n(6), shortcut: true)
        down3 = ConvBlock(model / 5, input: c(256), output: c(512), kernel: 3, stride: 2)
        stage3 = C2f(model / 6, input: c(512), output: c(512), repeats: n(6), shortcut: true)
        down4 = ConvBlock(model / 7, input: c(512), output: c(1024), kernel: 3, stride: 2)
        stage4 = C2f(model / 8, input: c(1024), output: c(1024), repeats: n(3), shortcut: true)
        pooling = SPPF(model / 9, input: c(1024), output: c(1024))
        topDown1 = C2f(model / 12, input: c(1024) + c(512), output: c(512), repeats: n(3), shortcut: false)
        topDown2 = C2f(model / 15, input: c(512) + c(256), output: c(256), repeats: n(3), shortcut: false)
        bottomUp1Down = ConvBlock(model / 16, input: c(256), output: c(256), kernel: 3, stride: 2)
        bottomUp1 = C2f(model / 18, input: c(256) + c(512), output: c(512), repeats: n(3), shortcut: false)
        bottomUp2Down = ConvBlock(model / 19, input: c(512), output: c(512), kernel: 3, stride: 2)
        bottomUp2 = C2f(model / 21, input: c(512) + c(1024), output: c(1024), repeats: n(3), shortcut: false)
        head = PoseHead(model / 22, inputs: [c(256), c(512), c(1024)], config: config)
    }

    /// Where the weights live.
    public var device: Device { store.device }

    /// Moves the weights to `device` in place (check it first with ``Device/checkAvailable()``).
    /// A folded model is folded again there.
    public func move(to device: Device) {
        guard device != self.device else { return }
        store.move(to: device)
        if convBlocks.first?.isFolded == true { foldBatchNorm(computeType: evaluationType) }
    }

    /// Images `[B, 3, H, W]` (RGB in 0…1, H and W multiples of 32, on the model's device) → the
    /// head's raw outputs, as float32. They are computed under autocast to `autocast`
    /// (mixed-precision training), or in evaluation after a half-precision fold, in that type from
    /// the input on.
    public func callAsFunction(_ images: Tensor, mode: Mode, autocast: DType? = nil) -> RawPredictions {
        if mode == .eval && evaluationType != .float32 {
            return withAutocast(evaluationType, device: images.device) { network(images.to(evaluationType), mode: mode) }.float32()
        }
        guard let autocast else { return network(images, mode: mode) }
        return withAutocast(autocast, device: images.device) { network(images, mode: mode) }.float32()
    }

    private func network(_ images: Tensor, mode: Mode) -> RawPredictions {
        let p2 = stage1(down1(stem(images, mode: mode), mode: mode), mode: mode)  // [B, c128, H/4, W/4]
        let p3 = stage2(down2(p2, mode: mode), mode: mode)  // [B, c256, H/8, W/8]
        let p4 = stage3(down3(p3, mode: mode), mode: mode)  // [B, c512, H/16, W/16]
        let p5 = pooling(stage4(down4(p4, mode: mode), mode: mode), mode: mode)  // [B, c1024, H/32, W/32]
        let n4 = topDown1(Tensor.cat([p5.upsampleNearest2d(scale: 2), p4], dim: 1), mode: mode)  // [B, c512, H/16, W/16]
        let out3 = topDown2(Tensor.cat([n4.upsampleNearest2d(scale: 2), p3], dim: 1), mode: mode)  // [B, c256, H/8, W/8]
        let out4 = bottomUp1(Tensor.cat([bottomUp1Down(out3, mode: mode), n4], dim: 1), mode: mode)  // [B, c512, H/16, W/16]
        let out5 = bottomUp2(Tensor.cat([bottomUp2Down(out4, mode: mode), p5], dim: 1), mode: mode)  // [B, c1024, H/32, W/32]
        return head([out3, out4, out5], mode: mode)
    }

    /// Every Conv-BN-SiLU block of the network.
    private var convBlocks: [ConvBlock] {
        [stem, down1, down2, down3, down4, bottomUp1Down, bottomUp2Down]
            + ([stage1, stage2, stage3, stage4, pooling, topDown1, topDown2, bottomUp1, bottomUp2, head] as [any ConvBlockContainer])
            .flatMap(\.convBlocks)
    }

    /// Folds every BatchNorm into its convolution for faster evaluation in `computeType` (float32,
    /// or bfloat16 or float16 for half-precision inference; training mode is unaffected). Fold again after the
    /// weights change; ``unfoldBatchNorm()`` undoes it.
    public func foldBatchNorm(computeType: DType = .float32) {
        for block in convBlocks { block.fold(computeType: computeType) }
        evaluationType = computeType
    }

    /// Folds BatchNorm for inference in half precision where the hardware has it, when `half`:
    /// float16 on a GPU, bfloat16 on a CPU that computes it natively; in float32 otherwise (on a
    /// CPU that would emulate bfloat16, about five times slower than float32). Returns why half
    /// precision was asked for and not used, for a warning.
    @discardableResult
    public func prepareForInference(half: Bool) -> String? {
        let fallback = half && device == .cpu ? DType.cpuBFloat16Fallback : nil
        foldBatchNorm(computeType: !half || fallback != nil ? .float32 : device == .cpu ? .bfloat16 : .float16)
        return fallback
    }

    public func unfoldBatchNorm() {
        for block in convBlocks { block.unfold() }
        evaluationType = .float32
    }

    /// The number of BatchNorm channels: folding removes two parameters and adds one bias per channel.
    var batchNormChannels: Int { convBlocks.reduce(0) { $0 + $1.norm.weight.value.count } }

    /// The DFL's bin values 0…15 as `[1, 1, 16, 1]`, for decoding.
    var binValues: Tensor { head.binWeights.value.reshaped([1, 1, PoseModelConfig.regressionBins, 1]) }
}
