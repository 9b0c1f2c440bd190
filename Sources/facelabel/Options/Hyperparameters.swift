import ArgumentParser
import Foundation
import Loader
import Pose
import PoseData
import Torch

/// Every training hyperparameter of the reference, under its `default.yaml` name and default, with
/// the reference's ranges: its fractions (learning rates, momentum, weight decay, the augmentation
/// probabilities and gains) lie in [0, 1], its counts are whole numbers.
struct Hyperparameters: ParsableArguments {
    @Option(help: "Epochs (at least 1).") var epochs = 100
    @OptionGroup var size: ImageSizeOption<TrainDefaults>
    @Option(help: "Images per batch (at most 1024).") var batch = TrainDefaults.batch
    @Option(help: "Nominal batch size: gradients accumulate to about this many images.") var nbs = 64
    @Option(help: "Optimizer: auto, SGD or AdamW.") var optimizer = OptimizerChoice.auto
    @Option(help: "Initial learning rate, in (0, 1] (ignored by --optimizer auto).") var lr0 = 0.01
    @Option(help: "Final learning rate as a fraction of lr0, in (0, 1].") var lrf = 0.01
    @Option(help: "SGD momentum / Adam β1, in [0, 1].") var momentum = 0.937
    @Option(help: "Weight decay, in [0, 1].") var weightDecay = 0.0005
    @Option(help: "Warmup epochs (at least 0).") var warmupEpochs = 3.0
    @Option(help: "Warmup start momentum, in [0, 1].") var warmupMomentum = 0.8
    @Option(help: "Warmup start learning rate of biases, in [0, 1].") var warmupBiasLr = 0.1
    @Flag(help: "Cosine learning-rate schedule instead of linear.") var cosLr = false
    @Option(help: "Epochs at the end without mosaic (at least 0).") var closeMosaic = 10
    @Option(help: "Epochs without improvement before stopping (0: never).") var patience = 50
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var loader: LoaderOptions<TrainDefaults>
    @Flag(help: "Keep every image in memory, decoded and resized to --imgsz.") var cache = false
    @Option(help: "Box loss gain (at least 0).") var box = 7.5
    @Option(help: "Class loss gain (at least 0).") var cls = 0.5
    @Option(help: "DFL loss gain (at least 0).") var dfl = 1.5
    @Option(help: "Keypoint loss gain (at least 0).") var pose = 12.0
    @Option(help: "Keypoint visibility loss gain (at least 0).") var kobj = 1.0
    @Option(help: "HSV hue gain, in [0, 1].") var hsvH = 0.015
    @Option(help: "HSV saturation gain, in [0, 1].") var hsvS = 0.7
    @Option(help: "HSV value gain, in [0, 1].") var hsvV = 0.4
    @Option(help: "Rotation, ± degrees, in [0, 180].") var degrees = 0.0
    @Option(help: "Translation, ± fraction, in [0, 1].") var translate = 0.1
    @Option(help: "Scale gain, ±, in [0, 1].") var scale = 0.5
    @Option(help: "Shear, ± degrees, in [0, 89].") var shear = 0.0
    @Option(help: "Perspective, in [0, 1] (0.001 is already strong).") var perspective = 0.0
    @Option(help: "Up-down flip probability, in [0, 1].") var flipud = 0.0
    @Option(help: "Left-right flip probability, in [0, 1] (needs flip_idx).") var fliplr = 0.5
    @Option(help: "Mosaic probability, in [0, 1].") var mosaic = 1.0
    @Flag(
        inversion: .prefixedNo,
        help: """
            Mixed precision (default: on a GPU, off on a CPU). GPU: float16 with loss scaling, as the \
            reference's amp. CPU: bfloat16 convolutions where the CPU computes them natively \
            (AVX512-BF16, AMX); faster, landmarks less precise.
            """)
    var amp: Bool?
    @Flag(help: "Validate only after the last epoch.") var noVal = false

    var imgsz: Int { size.imgsz }
    var fastDecode: Bool { loader.fastDecode }

    func validate() throws {
        try OptionCheck.atLeast(epochs, 1, "--epochs")
        try OptionCheck.batch(batch)
        try OptionCheck.atLeast(nbs, 1, "--nbs")
        try OptionCheck.atLeast(closeMosaic, 0, "--close-mosaic")
        try OptionCheck.atLeast(patience, 0, "--patience")
        try OptionCheck.positiveFraction(lr0, "--lr0")
        try OptionCheck.positiveFraction(lrf, "--lrf")
        let fractions = [
            (momentum, "--momentum"), (weightDecay, "--weight-decay"), (warmupMomentum, "--warmup-momentum"),
            (warmupBiasLr, "--warmup-bias-lr"),
            (hsvH, "--hsv-h"), (hsvS, "--hsv-s"), (hsvV, "--hsv-v"), (translate, "--translate"), (scale, "--scale"),
            (perspective, "--perspective"), (flipud, "--flipud"), (fliplr, "--fliplr"), (mosaic, "--mosaic"),
        ]
        for (value, option) in fractions { try OptionCheck.fraction(value, option) }
        for (value, option) in [
            (warmupEpochs, "--warmup-epochs"), (box, "--box"), (cls, "--cls"), (dfl, "--dfl"), (pose, "--pose"), (kobj, "--kobj"),
        ] {
            try OptionCheck.nonNegative(value, option)
        }
        try OptionCheck.range(degrees, 0...180, "--degrees")
        try OptionCheck.range(shear, 0...89, "--shear")
    }

    /// The training configuration for a run on `device` (mixed precision defaults to on for a GPU).
    func config(device: Device) -> TrainingConfig {
        TrainingConfig(
            epochs: epochs, imageSize: imgsz, batchSize: batch, nominalBatchSize: nbs, optimizer: optimizer, initialLearningRate: lr0,
            finalLearningRateFactor: lrf, momentum: momentum, weightDecay: weightDecay, warmupEpochs: warmupEpochs,
            warmupMomentum: warmupMomentum, warmupBiasLearningRate: warmupBiasLr, cosineSchedule: cosLr, closeMosaic: closeMosaic,
            patience: patience, seed: seed, workers: loader.workers(on: device), cacheImages: cache, fastDecode: fastDecode,
            gains: LossGains(box: box, classification: cls, distribution: dfl, pose: pose, keypointObjectness: kobj),
            augmentation: AugmentationSettings(
                hsvHue: hsvH, hsvSaturation: hsvS, hsvValue: hsvV, degrees: degrees, translate: translate, scale: scale, shear: shear,
                perspective: perspective, flipUpDown: flipud, flipLeftRight: fliplr, mosaic: mosaic),
            mixedPrecision: amp ?? (device != .cpu), validateEachEpoch: !noVal)
    }
}

extension OptimizerChoice: ExpressibleByArgument {}
