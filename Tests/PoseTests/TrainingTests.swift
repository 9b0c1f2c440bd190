import Foundation
import PoseData
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
func fixtureImages(count: Int = 8, size: Int = 128, seed: UInt64 = 1, points: [Int] = Array(0..<51)) throws -> (folder: URL, images: [LabelledImage]) {
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
            let box = Box(
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
    /// a point is within a fraction of a cell) and 200 steps: BatchNorm's running statistics
    /// (momentum 0.03) need that long before evaluation mode matches training mode.
    @Test func `the loss halves on 8 images and the landmarks land within a few pixels`() async throws {
        let (folder, images) = try fixtureImages(size: 96, points: fivePoints)
        defer { try? FileManager.default.removeItem(at: folder) }
        let modelConfig = PoseModelConfig(scale: .n, keypointCount: 5)
        let model = PoseModel(modelConfig, seed: 0)
        let loader = BatchLoader(images: images, imageSize: 96, batchSize: 8, seed: 0, workers: 1, cacheImages: true)
        let trainer = Trainer(
            model: model, loss: PoseLoss(config: modelConfig), config: fastConfig(epochs: 200, imageSize: 96), loader: loader,
            flipIndex: fivePointFlip)
        let history = try await trainer.train()
        #expect(history.allSatisfy { $0.trainLoss.values.allSatisfy(\.isFinite) })
        #expect(history.last!.trainLoss.sum < history.first!.trainLoss.sum / 2)
        let batch = await loader.trainingBatches(epoch: 0, augmenter: Augmenter(settings: .none, imageSize: 96, flipIndex: nil)).next()!
        let (error, matched, faces) = landmarkError(trainer.average, on: batch)
        #expect(matched == faces && error < 3, "\(matched)/\(faces) faces, mean landmark error \(error) px")
    }
}
