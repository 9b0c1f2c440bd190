import Foundation
import Loader
import PoseData
import PoseMetrics
import Synth
import Testing
import Torch
import TorchNN

@testable import Pose

/// Five of the 51 points: outer eye corners, the nose's centre base, the mouth corners.
let fivePoints = [19, 28, 16, 31, 37]
/// Their flip_idx.
let fivePointFlip = [1, 0, 2, 4, 3]

/// Synthetic images with one or two clean faces each, written as PNGs to a temporary folder,
/// labelled with the landmarks `points` (all 51 by default).
func fixtureImages(
    count: Int = 8, size: Int = 128, seed: UInt64 = 1, points: [Int] = Array(0..<51)
) throws -> (folder: URL, images: [LabelledImage]) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pose-fixture-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var options = SynthDataset.Options()
    (options.imageSize, options.faces, options.seed, options.clean, options.unlabeledFraction) = (size, 1...2, seed, true, 0)
    let images = try (0..<count).map { index -> LabelledImage in
        let sample = try SynthDataset.sample(index, options: options)
        let url = folder.appendingPathComponent("\(index).png")
        try sample.file.write(to: url)
        let instances = sample.truth.map { face in
            PoseInstance(classIndex: face.classIndex, box: face.box, keypoints: points.map { face.keypoints[$0] })
        }
        return LabelledImage(url: url, instances: instances)
    }
    return (folder, images)
}

func fastConfig(epochs: Int, imageSize: Int = 128, batch: Int = 8) -> TrainingConfig {
    var config = TrainingConfig()
    (config.epochs, config.imageSize, config.batchSize, config.nominalBatchSize) = (epochs, imageSize, batch, batch)
    (config.warmupEpochs, config.closeMosaic, config.optimizer, config.initialLearningRate) = (0, 0, .adamw, 0.005)
    config.finalLearningRateFactor = 1
    config.augmentation = .none
    config.workers = 1
    return config
}

/// Mean pixel distance between each face's keypoints and those of the detection that matches it
/// (box IoU > 0.5), and how many faces were matched.
func landmarkError(_ network: PoseModel, on batch: Batch) -> (error: Double, matched: Int, faces: Int) {
    let decoded = withNoGrad { network.decode(network(batch.imageTensor(), mode: .eval)) }
    let detections = suppress(decoded, classCount: 1, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.25))
    let (w, h) = (Double(batch.width), Double(batch.height))
    var errors: [Double] = []
    var (matched, faces) = (0, 0)
    for (image, truths) in batch.instances.enumerated() {
        for truth in truths {
            faces += 1
            let box = PixelBox(
                x1: Float(truth.box.minX * w), y1: Float(truth.box.minY * h), x2: Float(truth.box.maxX * w), y2: Float(truth.box.maxY * h))
            guard let match = detections[image].first(where: { $0.box.iou(box) > 0.5 }) else { continue }
            matched += 1
            for (p, t) in zip(match.keypoints, truth.keypoints) {
                errors.append(hypot(Double(p.x) - t.x * w, Double(p.y) - t.y * h))
            }
        }
    }
    return (errors.reduce(0, +) / Double(max(errors.count, 1)), matched, faces)
}

@Suite(.serialized) struct `Training` {
    /// Five landmarks (their OKS σ of 1/5 gives gradients from afar; with 51 the loss is flat until
    /// a point is within a fraction of a cell) and 300 steps: BatchNorm's running statistics
    /// (momentum 0.03) need about 200 before evaluation mode matches training mode, and the
    /// smallest faces (about 15 px) were still missed after 200.
    @Test func `the loss halves on 8 images and the landmarks land within a few pixels`() async throws {
        let (folder, images) = try fixtureImages(size: 96, points: fivePoints)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelConfig = PoseModelConfig(scale: .n, keypointCount: 5)
        let model = PoseModel(modelConfig, seed: 0)
        let loader = BatchLoader(images: images, imageSize: 96, batchSize: 8, seed: 0, workers: 1, cacheImages: true)
        let trainer = Trainer(
            model: model, loss: PoseLoss(config: modelConfig), config: fastConfig(epochs: 300, imageSize: 96), loader: loader,
            flipIndex: fivePointFlip)
        let history = try await trainer.train()
        #expect(history.allSatisfy { $0.trainLoss.values.allSatisfy(\.isFinite) })
        #expect(history.last!.trainLoss.sum < history.first!.trainLoss.sum / 2)
        let batch = await loader.trainingBatches(epoch: 0, augmenter: Augmenter(settings: .none, imageSize: 96, flipIndex: nil)).next()!
        let (error, matched, faces) = landmarkError(trainer.average, on: batch)
        #expect(matched == faces && error < 3, "\(matched)/\(faces) faces, mean landmark error \(error) px")
    }

    /// Mixed precision (`--amp`, off by default) is used where the CPU has bfloat16 (this project's
    /// machines do); the loss always gets float32 outputs, and its value stays within 5% of a float32 pass (1.6% on this test).
    @Test func `mixed precision feeds the loss float32 outputs and gives the float32 loss within 5 percent`() async throws {
        let (folder, images) = try fixtureImages(count: 2, size: 64, points: fivePoints)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelConfig = PoseModelConfig(scale: .n, keypointCount: 5)
        let loader = BatchLoader(images: images, imageSize: 64, batchSize: 2, seed: 0, workers: 1)
        func trainer(mixed: Bool) -> Trainer {
            var config = fastConfig(epochs: 1, imageSize: 64, batch: 2)
            config.mixedPrecision = mixed
            return Trainer(
                model: PoseModel(modelConfig, seed: 0), loss: PoseLoss(config: modelConfig), config: config, loader: loader, flipIndex: nil)
        }
        let (mixed, plain) = (trainer(mixed: true), trainer(mixed: false))
        #expect(plain.autocastType == nil)
        #expect(mixed.autocastType == (DType.cpuHasNativeBFloat16 ? .bfloat16 : nil))
        let batch = await loader.trainingBatches(epoch: 0, augmenter: Augmenter(settings: .none, imageSize: 64, flipIndex: nil)).next()!
        let (a, b) = (mixed.forward(batch.imageTensor()), plain.forward(batch.imageTensor()))
        for (x, y) in [(a.boxDistributions, b.boxDistributions), (a.classLogits, b.classLogits), (a.keypoints, b.keypoints)] {
            #expect(x.dtype == .float32)
            // bfloat16 keeps 8 significant bits; through ~70 layers of batch statistics on two small
            // images the raw outputs move by up to ~20% of their (near-zero) magnitude at
            // initialisation, as torch.autocast does on the reference model, so the loss is compared
            #expect((x - y).abs().max().item() > 0 || mixed.autocastType == nil)
        }
        let targets = batch.targets(keypointDimensions: 3)
        let (mixedLoss, plainLoss) = (
            mixed.loss(a, targets: targets, imageSize: (64, 64), model: mixed.model).total.item(),
            plain.loss(b, targets: targets, imageSize: (64, 64), model: plain.model).total.item()
        )
        #expect(
            abs(mixedLoss - plainLoss) < 0.05 * plainLoss && (mixedLoss != plainLoss || mixed.autocastType == nil),
            "loss \(mixedLoss) in mixed precision, \(plainLoss) in float32")
    }
}

@Suite struct `Checkpoints and resume` {
    struct Interrupted: Error {}

    func trainer(_ images: [LabelledImage], run: RunDirectory, stopAfter: Int? = nil) -> Trainer {
        let modelConfig = PoseModelConfig(scale: .n, keypointCount: 5)
        var config = fastConfig(epochs: 4, imageSize: 64, batch: 2)
        (config.augmentation, config.warmupEpochs, config.optimizer, config.nominalBatchSize) = (AugmentationSettings(), 0.5, .sgd, 4)
        config.closeMosaic = 1
        let loader = BatchLoader(images: images, imageSize: 64, batchSize: 2, seed: 3, workers: 2)
        let trainer = Trainer(
            model: PoseModel(modelConfig, seed: 0), loss: PoseLoss(config: modelConfig), config: config, loader: loader,
            flipIndex: fivePointFlip)
        trainer.checkpoint = { trainer, isBest in
            try run.save(trainer, isBest: isBest)
            if let stopAfter, trainer.state.nextEpoch == stopAfter { throw Interrupted() }
        }
        return trainer
    }

    @Test func `a run stopped after epoch 2 and resumed ends with the same weights as an uninterrupted run`() async throws {
        let (folder, images) = try fixtureImages(count: 4, size: 64, points: fivePoints)
        defer { try? FileManager.default.removeItem(at: folder) }
        let straightRun = RunDirectory(folder.appendingPathComponent("straight"))
        let straight = trainer(images, run: straightRun)
        try straightRun.create(
            RunDirectory.RunConfig(
                data: "", model: straight.model.config, training: straight.config, startingWeights: nil, sigmas: [], flipIndex: nil))
        try await straight.train()

        let stoppedRun = RunDirectory(folder.appendingPathComponent("stopped"))
        try stoppedRun.create(
            RunDirectory.RunConfig(
                data: "", model: straight.model.config, training: straight.config, startingWeights: nil, sigmas: [], flipIndex: nil))
        await #expect(throws: Interrupted.self) { try await trainer(images, run: stoppedRun, stopAfter: 2).train() }
        let resumed = trainer(images, run: stoppedRun)
        try stoppedRun.resume(resumed)
        #expect(resumed.state.nextEpoch == 2 && resumed.state.history.count == 2)
        try await resumed.train()

        for (a, b) in zip(
            straight.model.store.stateDict + straight.average.store.stateDict,
            resumed.model.store.stateDict + resumed.average.store.stateDict)
        {
            let identical = a.tensor.bytes() == b.tensor.bytes()
            #expect(identical, "\(a.name) differs")
        }
        #expect(straight.state.history.map(\.trainLoss) == resumed.state.history.map(\.trainLoss))
        // results.csv has the reference's header and one row per epoch
        let csv = try String(contentsOf: stoppedRun.resultsURL, encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5)
        #expect(csv[0].hasPrefix("epoch,train/box_loss,train/pose_loss,train/kobj_loss,train/cls_loss,train/dfl_loss,metrics/precision(B)"))
        #expect(csv[0].hasSuffix("lr/pg0,lr/pg1,lr/pg2"))
        // the saved weights are the averaged model's, under the reference's keys
        let last = try Safetensors.read(from: stoppedRun.lastURL)
        #expect(last.tensors.count == resumed.average.store.stateDict.count && last.metadata["epoch"] == "4")
    }
}

@Suite struct `Validation metrics` {
    /// One class whose AP falls 0.8, 0.7, …, 0.1, 0, 0 over the ten IoU thresholds: mAP50 0.8, mAP50-95 0.36.
    let falling = DetectionMetrics(
        classes: [0], truthCounts: [3], classPrecision: [0.7], classRecall: [0.4], classF1: [0.5],
        classAP: [[0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0]], bestConfidence: 0.5)
    let flat = DetectionMetrics(
        classes: [0], truthCounts: [3], classPrecision: [1], classRecall: [1], classF1: [1],
        classAP: [Array(repeating: 0.5, count: 10)], bestConfidence: 0.5)

    @Test func `fitness is 0.1 mAP50 + 0.9 mAP50-95 of the boxes plus the same of the poses`() {
        let landmarks = LandmarkMetrics(faces: [], missed: 3, settings: FaceAlignmentSettings(keypointCount: 51))
        let metrics = ValidationMetrics(PoseValidationMetrics(box: falling, pose: flat, landmarks: landmarks, images: 1, instances: 3))
        #expect(abs(metrics.box.fitness - (0.08 + 0.9 * 0.36)) < 1e-12)
        #expect(abs(metrics.pose.fitness - 0.5) < 1e-12)
        #expect(abs(metrics.fitness - (0.404 + 0.5)) < 1e-12)
    }

    @Test func `the JSON has the val command's keys`() throws {
        let landmarks = LandmarkMetrics(faces: [], missed: 4, settings: FaceAlignmentSettings(keypointCount: 51))
        let metrics = ValidationMetrics(PoseValidationMetrics(box: .empty, pose: flat, landmarks: landmarks, images: 2, instances: 4))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(metrics), as: UTF8.self)
        #expect(
            text == #"{"box":{"map50":0,"map50_95":0,"precision":0,"recall":0},"images":2,"instances":4,"#
                + #""landmarks":{"auc_0_1":null,"fr_0_1":null,"matched":0,"missed":4,"mse_px2":null,"nme":null},"#
                + #""pose":{"map50":0.5,"map50_95":0.5,"precision":1,"recall":1}}"#)
    }
}

/// The AMP check's rule (the reference's check_amp): float16 is trusted only when its decoded
/// outputs match float32's within half a pixel and 0.05 of score.
@Suite struct `Mixed-precision check` {
    /// A decoded output `[1, 4 + 1 + 2·3, 2]` (one class, two keypoints) holding `value` everywhere.
    func decoded(_ value: Float) -> Tensor { Tensor.full([1, 11, 2], Scalar(value)) }

    func changed(_ channel: Int, by delta: Float) -> Tensor {
        var values = [Float](repeating: 10, count: 22)
        values[channel * 2 + 1] += delta
        return Tensor(values, shape: [1, 11, 2])
    }

    @Test func `outputs within half a pixel and 0.05 of score agree, beyond them they do not`() {
        let reference = decoded(10)
        #expect(Trainer.decodedOutputsAgree(reference, changed(0, by: 0.4), classCount: 1))  // a box side
        #expect(!Trainer.decodedOutputsAgree(reference, changed(0, by: 0.6), classCount: 1))
        #expect(Trainer.decodedOutputsAgree(reference, changed(4, by: 0.04), classCount: 1))  // the class score
        #expect(!Trainer.decodedOutputsAgree(reference, changed(4, by: 0.06), classCount: 1))
        #expect(Trainer.decodedOutputsAgree(reference, changed(9, by: -0.45), classCount: 1))  // a keypoint's y
        #expect(!Trainer.decodedOutputsAgree(reference, changed(9, by: -0.55), classCount: 1))
        #expect(!Trainer.decodedOutputsAgree(reference, changed(6, by: .nan), classCount: 1))
        #expect(!Trainer.decodedOutputsAgree(reference, changed(2, by: .infinity), classCount: 1))
    }
}
