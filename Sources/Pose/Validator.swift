import Foundation
import Loader
import PoseData
import PoseMetrics
import Torch

/// Measures a model on a split as the reference's pose validator does (reference §6): rectangular batches,
/// NMS at conf 0.001 / IoU 0.7 with multi-label, matching in original-image pixels, box and pose
/// P, R, mAP50 and mAP50-95; plus landmark MSE, NME, FR and AUC on matched faces and, when asked,
/// the validation loss.
public struct Validator {
    public var options: SuppressionOptions
    public var sigmas: [Float]
    public var faceAlignment: FaceAlignmentSettings

    public init(
        config: PoseModelConfig, sigmas: [Float]? = nil, eyeCorners: EyeCorners? = nil,
        options: SuppressionOptions = SuppressionOptions(confidence: 0.001, iou: 0.7, multiLabel: true)
    ) {
        self.options = options
        self.sigmas = sigmas ?? OKSSigmas.reference(keypointCount: config.keypointCount, dimensions: config.keypointDimensions)
        var alignment = FaceAlignmentSettings(keypointCount: config.keypointCount)
        if let eyeCorners { alignment.eyeCorners = eyeCorners }
        faceAlignment = alignment
    }

    /// Validates `model` on the loader's images; with `loss`, also the mean validation loss.
    public func callAsFunction(_ model: PoseModel, on loader: BatchLoader, loss: PoseLoss? = nil) async -> ValidationMetrics {
        var accumulator = self.accumulator(model.config)
        var lossSum = RunningLoss()
        await forEachBatch(of: model, on: loader.validationBatches()) { raw, batch, images in
            if let loss {
                let (_, terms) = withNoGrad {
                    loss(
                        raw, targets: batch.targets(keypointDimensions: model.config.keypointDimensions),
                        imageSize: (batch.height, batch.width), model: model)
                }
                lossSum.add(terms)
            }
            for image in images { accumulator.add(truths: image.truths, detections: image.detections) }
        }
        return ValidationMetrics(accumulator.result(), loss: lossSum.isEmpty ? nil : lossSum.means(exact: true))
    }

    /// What rank `rank` of `ranks` sees of the validation: one accumulator per batch of its share
    /// (``BatchLoader/validationBatches(rank:of:)``). Batch b of one process is rank b mod W's
    /// (b / W)-th: appended in that order (``PoseMetricsAccumulator/append(_:)``), the ranks'
    /// accumulators give one process's metrics.
    public func accumulators(_ model: PoseModel, on loader: BatchLoader, rank: Int, of ranks: Int) async -> [PoseMetricsAccumulator] {
        var parts: [PoseMetricsAccumulator] = []
        await forEachBatch(of: model, on: loader.validationBatches(rank: rank, of: ranks)) { _, _, images in
            var part = accumulator(model.config)
            for image in images { part.add(truths: image.truths, detections: image.detections) }
            parts.append(part)
        }
        return parts
    }

    /// An empty accumulator with this validator's settings.
    public func accumulator(_ config: PoseModelConfig) -> PoseMetricsAccumulator {
        PoseMetricsAccumulator(
            keypointCount: config.keypointCount, keypointDimensions: config.keypointDimensions, sigmas: sigmas,
            faceAlignment: faceAlignment)
    }

    /// Runs `model` on every batch of `queue` and hands `body` the raw output, the batch, and each
    /// image's labels and detections in original-image pixels.
    private func forEachBatch(
        of model: PoseModel, on queue: BatchQueue,
        _ body: (RawPredictions, Batch, [(truths: [TruthObject], detections: [DetectedObject])]) -> Void
    ) async {
        let config = model.config
        while let batch = await queue.next() {
            guard batch.count > 0 else { continue }
            let raw = withNoGrad { model(batch.imageTensor(on: model.device), mode: .eval) }
            let detections = suppress(
                withNoGrad { model.decode(raw) }, classCount: config.classCount, keypointDimensions: config.keypointDimensions,
                options: options)
            body(
                raw, batch,
                (0..<batch.count).map { image in
                    let frame = Frame(batch: batch, image: image)
                    return (batch.instances[image].map { frame.truth($0) }, detections[image].map { frame.detection($0) })
                })
        }
    }
}

/// Maps one batch image's coordinates back to its original pixels (the reference's `ratio_pad`
/// path, reference §2.7 and §6.3: subtract the integer padding, divide by the gain, clip).
private struct Frame {
    let gain: Float, left: Float, top: Float, width: Float, height: Float, batchWidth: Double, batchHeight: Double

    init(batch: Batch, image: Int) {
        let placement = batch.placements[image]
        (gain, left, top) = (Float(placement.gain), Float(placement.left), Float(placement.top))
        (width, height) = (Float(batch.originalSizes[image].width), Float(batch.originalSizes[image].height))
        (batchWidth, batchHeight) = (Double(batch.width), Double(batch.height))
    }

    func x(_ value: Float) -> Float { min(max((value - left) / gain, 0), width) }
    func y(_ value: Float) -> Float { min(max((value - top) / gain, 0), height) }

    func truth(_ instance: PoseInstance) -> TruthObject {
        let box = instance.box
        return TruthObject(
            classIndex: instance.classIndex,
            box: PixelBox(
                x1: x(Float(box.minX * batchWidth)), y1: y(Float(box.minY * batchHeight)), x2: x(Float(box.maxX * batchWidth)),
                y2: y(Float(box.maxY * batchHeight))),
            keypoints: instance.keypoints.map {
                PixelKeypoint(x: x(Float($0.x * batchWidth)), y: y(Float($0.y * batchHeight)), visibility: Float($0.visibility))
            })
    }

    func detection(_ detection: PoseDetection) -> DetectedObject {
        DetectedObject(
            classIndex: detection.classIndex, confidence: detection.score,
            box: PixelBox(x1: x(detection.box.x1), y1: y(detection.box.y1), x2: x(detection.box.x2), y2: y(detection.box.y2)),
            keypoints: detection.keypoints.map { PixelKeypoint(x: x($0.x), y: y($0.y), visibility: $0.confidence) })
    }
}

extension Dataset {
    /// The keypoint σ for the loss and OKS: the data set's `kpt_oks_sigmas`, else the reference's rule.
    public var oksSigmas: [Float] {
        let shape = config.keypointShape
        return config.keypointSigmas.map { $0.map(Float.init) }
            ?? OKSSigmas.reference(keypointCount: shape.count, dimensions: shape.dimensions)
    }
}
