import ArgumentParser
import Foundation
import Loader
import Pose
import PoseData
import Torch

/// Every training hyperparameter of the reference, under its `default.yaml` name and default.
struct Hyperparameters: ParsableArguments {
    @Option(help: "Epochs.") var epochs = 100
    @Option(help: "Training image size (square).") var imgsz = 640
    @Option(help: "Images per batch.") var batch = 16
    @Option(help: "Nominal batch size (gradients accumulate to about this many images).") var nbs = 64
    @Option(help: "Optimizer: auto, SGD or AdamW.") var optimizer = OptimizerChoice.auto
    @Option(help: "Initial learning rate (ignored by --optimizer auto).") var lr0 = 0.01
    @Option(help: "Final learning rate as a fraction of lr0.") var lrf = 0.01
    @Option(help: "SGD momentum / Adam β1.") var momentum = 0.937
    @Option(help: "Weight decay.") var weightDecay = 0.0005
    @Option(help: "Warmup epochs.") var warmupEpochs = 3.0
    @Option(help: "Warmup start momentum.") var warmupMomentum = 0.8
    @Option(help: "Warmup start learning rate of biases.") var warmupBiasLr = 0.1
    @Flag(help: "Cosine learning-rate schedule instead of linear.") var cosLr = false
    @Option(help: "Epochs at the end without mosaic.") var closeMosaic = 10
    @Option(help: "Epochs without improvement before stopping (0: never).") var patience = 50
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Data-loading tasks (default: 2 on a CPU, which shares its cores with training; on a GPU min(8, cores), the reference's rule).")
    var workers: Int?
    @Flag(help: "Keep every image in memory, decoded and resized to --imgsz.") var cache = false
    @Flag(help: "Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at least --imgsz: several times faster on camera photos, but the pixels then differ a little from the reference's full-size decode (off by default, so that metrics equal the reference's).") var fastDecode = false
    @Option(help: "Box loss gain.") var box = 7.5
    @Option(help: "Class loss gain.") var cls = 0.5
    @Option(help: "DFL loss gain.") var dfl = 1.5
    @Option(help: "Keypoint loss gain.") var pose = 12.0
    @Option(help: "Keypoint visibility loss gain.") var kobj = 1.0
    @Option(help: "HSV hue gain.") var hsvH = 0.015
    @Option(help: "HSV saturation gain.") var hsvS = 0.7
    @Option(help: "HSV value gain.") var hsvV = 0.4
    @Option(help: "Rotation, ± degrees.") var degrees = 0.0
    @Option(help: "Translation, ± fraction.") var translate = 0.1
    @Option(help: "Scale gain, ±.") var scale = 0.5
    @Option(help: "Shear, ± degrees.") var shear = 0.0
    @Option(help: "Perspective.") var perspective = 0.0
    @Option(help: "Up-down flip probability.") var flipud = 0.0
    @Option(help: "Left-right flip probability (needs flip_idx).") var fliplr = 0.5
    @Option(help: "Mosaic probability.") var mosaic = 1.0
    @Flag(
        inversion: .prefixedNo,
        help: "Mixed precision (default: on a GPU, off on a CPU). GPU: float16 with loss scaling, as the reference's amp. CPU: bfloat16 convolutions where it computes them natively (AVX512-BF16, AMX); faster, landmarks less precise.")
    var amp: Bool?
    @Flag(help: "Validate only after the last epoch.") var noVal = false

    /// Loader tasks when `--workers` is not given: on a CPU the loader and the network share the
    /// cores, so 2; a GPU leaves the cores to the loader, which then must keep up with it.
    static func defaultWorkers(device: Device) -> Int {
        device == .cpu ? 2 : min(8, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The training configuration for a run on `device` (mixed precision defaults to on for a GPU).
    func config(device: Device) -> TrainingConfig {
        var c = TrainingConfig()
        (c.epochs, c.imageSize, c.batchSize, c.nominalBatchSize, c.optimizer) = (epochs, imgsz, batch, nbs, optimizer)
        (c.initialLearningRate, c.finalLearningRateFactor, c.momentum, c.weightDecay) = (lr0, lrf, momentum, weightDecay)
        (c.warmupEpochs, c.warmupMomentum, c.warmupBiasLearningRate, c.cosineSchedule) = (warmupEpochs, warmupMomentum, warmupBiasLr, cosLr)
        (c.closeMosaic, c.patience, c.seed, c.workers, c.cacheImages) = (closeMosaic, patience, seed, workers ?? Self.defaultWorkers(device: device), cache)
        c.fastDecode = fastDecode
        (c.gains.box, c.gains.classification, c.gains.distribution, c.gains.pose, c.gains.keypointObjectness) = (box, cls, dfl, pose, kobj)
        var a = AugmentationSettings()
        (a.hsvHue, a.hsvSaturation, a.hsvValue, a.degrees, a.translate, a.scale) = (hsvH, hsvS, hsvV, degrees, translate, scale)
        (a.shear, a.perspective, a.flipUpDown, a.flipLeftRight, a.mosaic) = (shear, perspective, flipud, fliplr, mosaic)
        c.augmentation = a
        (c.mixedPrecision, c.validateEachEpoch) = (amp ?? (device != .cpu), !noVal)
        return c
    }
}

extension OptimizerChoice: ExpressibleByArgument {}
