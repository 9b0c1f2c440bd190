import Foundation
import PoseMetrics
import Torch

/// The labelled objects of one batch, in the reference's collated form (reference §3.1): one entry
/// per object, coordinates normalised to the image (0…1).
public struct PoseTargets: Sendable {
    /// The image of each object within the batch.
    public var imageIndices: [Int] = []
    public var classes: [Int] = []
    /// Centre x, centre y, width, height per object (4 values each).
    public var boxes: [Float] = []
    /// K·D values per object: x, y (and visibility 0/1/2 when D = 3).
    public var keypoints: [Float] = []

    public init() {}

    public var count: Int { classes.count }

    /// Appends one object.
    public mutating func append(image: Int, classIndex: Int, box: [Float], keypoints values: [Float]) {
        precondition(box.count == 4, "a box has 4 values (cx, cy, w, h)")
        imageIndices.append(image)
        classes.append(classIndex)
        boxes += box
        keypoints += values
    }
}

/// Loss gains (reference §3.9, `default.yaml`).
public struct LossGains: Sendable, Codable, Equatable {
    public var box: Double
    public var classification: Double
    public var distribution: Double
    public var pose: Double
    public var keypointObjectness: Double

    public init(
        box: Double = 7.5, classification: Double = 0.5, distribution: Double = 1.5, pose: Double = 12.0,
        keypointObjectness: Double = 1.0
    ) {
        (self.box, self.classification, self.distribution, self.pose) = (box, classification, distribution, pose)
        self.keypointObjectness = keypointObjectness
    }
}

/// The five gained loss terms, in the reference's order and names
/// (`box_loss, pose_loss, kobj_loss, cls_loss, dfl_loss`).
public struct LossItems: Sendable, Codable, Equatable {
    public var box: Double
    public var pose: Double
    public var keypointObjectness: Double
    public var classification: Double
    public var distribution: Double

    public static let names = ["box_loss", "pose_loss", "kobj_loss", "cls_loss", "dfl_loss"]

    enum CodingKeys: String, CodingKey {
        case box, pose, keypointObjectness = "kobj", classification = "cls", distribution = "dfl"
    }
    public var values: [Double] { [box, pose, keypointObjectness, classification, distribution] }

    public init(box: Double, pose: Double, keypointObjectness: Double, classification: Double, distribution: Double) {
        (self.box, self.pose, self.keypointObjectness, self.classification, self.distribution) =
            (box, pose, keypointObjectness, classification, distribution)
    }

    /// The five terms in the reference's order, from a list (running sums divided by their count).
    public init(_ values: [Double]) {
        precondition(values.count == 5, "LossItems needs the five terms, got \(values.count)")
        self.init(box: values[0], pose: values[1], keypointObjectness: values[2], classification: values[3], distribution: values[4])
    }

    /// The terms of a `[5]` tensor the loss returned (reads it on the host: one wait on a GPU).
    public init(_ terms: Tensor) { self.init(terms.toArray(of: Double.self)) }
    public var sum: Double { values.reduce(0, +) }
}

/// YOLOv8-pose's training loss (reference §3): task-aligned assignment, BCE classification, CIoU
/// and DFL box terms, OKS-style keypoint term and keypoint-visibility BCE.
public struct PoseLoss {
    public let config: PoseModelConfig
    public var gains: LossGains
    public let sigmas: [Float]
    var assigner = TaskAlignedAssigner()

    public init(config: PoseModelConfig, gains: LossGains = LossGains(), sigmas: [Float]? = nil) {
        let sigmas = sigmas ?? OKSSigmas.reference(keypointCount: config.keypointCount, dimensions: config.keypointDimensions)
        precondition(sigmas.count == config.keypointCount, "need one σ per keypoint, got \(sigmas.count) for K = \(config.keypointCount)")
        (self.config, self.gains, self.sigmas) = (config, gains, sigmas)
    }

    /// - Parameters:
    ///   - raw: the head's outputs for a batch of `B` images of `imageSize` (height, width) pixels.
    ///   - model: the model, whose DFL bins turn the box distributions into distances.
    /// - Returns: the total to back-propagate (Σ gained terms · B) and the gained terms as a `[5]`
    ///   tensor on the device, in ``LossItems``' order (detached: summing them across batches never
    ///   waits for the GPU; ``LossItems/init(_:)-(Tensor)`` reads them).
    public func callAsFunction(
        _ raw: RawPredictions, targets: PoseTargets, imageSize: (height: Int, width: Int), model: PoseModel
    ) -> (total: Tensor, terms: Tensor) {
        let bins = PoseModelConfig.regressionBins
        let (batch, _, anchorCount) = raw.keypoints.shape3
        let (keypointCount, dimensions) = (config.keypointCount, config.keypointDimensions)
        let device = raw.keypoints.device
        let anchors = Anchors(levelSizes: raw.levelSizes, device: device)
        let strides = anchors.strides  // [A, 1]

        let distributions = raw.boxDistributions.permuted([0, 2, 1])  // [B, A, 64]
        let classLogits = raw.classLogits.permuted([0, 2, 1])  // [B, A, nc]
        let predictedBoxes = BoxGeometry.corners(
            distances: model.sideDistances(raw.boxDistributions).permuted([0, 2, 1]), anchors: anchors.points)  // [B, A, 4] grid
        let rawKeypoints = raw.keypoints.permuted([0, 2, 1]).reshaped([batch, anchorCount, keypointCount, dimensions])
        let cells = (anchors.points - 0.5).unsqueezed(1)  // [A, 1, 2]
        let keypointXY = rawKeypoints.narrow(dim: 3, start: 0, length: 2) * 2 + cells  // [B, A, K, 2] grid

        let objects = Objects(
            targets, batch: batch, imageSize: imageSize, keypointShape: (keypointCount, dimensions), device: device)
        let assignment = assigner(
            scores: classLogits.sigmoid().detached(), boxes: (predictedBoxes.detached() * strides),
            anchors: anchors.points * strides, labels: objects.labels, objectBoxes: objects.boxes, objectMask: objects.mask)
        let scoreSum = assignment.scores.sum().clamped(min: 1)  // the reference's max(sum, 1), left on the device

        let classification = classLogits.binaryCrossEntropyWithLogits(target: assignment.scores, reduction: .sum) / scoreSum
        var box = Tensor.zeros([], device: device)
        var distribution = Tensor.zeros([], device: device)
        var pose = Tensor.zeros([], device: device)
        var objectness = Tensor.zeros([], device: device)
        let foreground = assignment.foreground
        if foreground.any().item() != 0 {
            let targetBoxes = assignment.boxes / strides  // [B, A, 4] grid
            let weight = assignment.scores.sum(dim: -1)[mask: foreground]  // [P]
            let positiveBoxes = targetBoxes[mask: foreground]  // [P, 4]
            let iou = BoxGeometry.completeIoU(predictedBoxes[mask: foreground], positiveBoxes)  // [P]
            box = ((1 - iou) * weight).sum() / scoreSum

            let sides = BoxGeometry.distances(anchors: anchors.points, boxes: targetBoxes, limit: Double(bins - 1) - 0.01)
            let sideLoss = Self.distributionFocalLoss(
                distributions[mask: foreground].reshaped([-1, bins]), sides[mask: foreground].reshaped([-1]))
            distribution = (sideLoss.view([-1, 4]).mean(dim: -1) * weight).sum() / scoreSum

            // keypoints of each positive anchor's object, in grid units: [P, K, D]
            let assigned = objects.keypoints.gather(
                dim: 1,
                assignment.objectIndices.unsqueezed(-1).unsqueezed(-1).expanded([-1, -1, keypointCount, dimensions]))
            let truth = (assigned / strides.view([1, -1, 1, 1]))[mask: foreground]
            let positiveSize = positiveBoxes.narrow(dim: 1, start: 2, length: 2) - positiveBoxes.narrow(dim: 1, start: 0, length: 2)
            let area = positiveSize.select(dim: 1, 0) * positiveSize.select(dim: 1, 1)  // [P]
            let visible =
                dimensions == 3
                ? (truth.select(dim: 2, 2) .!= 0).to(.float32) : Tensor.ones([truth.size(0), keypointCount], device: device)  // [P, K]
            let predictedXY = keypointXY[mask: foreground]  // [P, K, 2]
            pose = keypointLoss(predictedXY, truth.narrow(dim: 2, start: 0, length: 2), visible: visible, area: area)
            if dimensions == 3 {
                let logits = rawKeypoints[mask: foreground].select(dim: 2, 2)  // [P, K]
                objectness = logits.binaryCrossEntropyWithLogits(target: visible)
            }
        }
        let terms = [
            box * Scalar(gains.box), pose * Scalar(gains.pose), objectness * Scalar(gains.keypointObjectness),
            classification * Scalar(gains.classification), distribution * Scalar(gains.distribution),
        ]
        let stacked = Tensor.stack(terms)  // [5]
        return (stacked.sum() * Scalar(batch), stacked.detached())
    }

    /// DFL (reference §3.6): cross-entropy against the two bins around each target, weighted by
    /// closeness. `[N, 16]` logits and `[N]` targets in `[0, 15)` → `[N]`.
    static func distributionFocalLoss(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        let left = targets.floor()
        let leftWeight = left + 1 - targets
        let leftLoss = logits.crossEntropy(target: left.to(.int64), reduction: .none)
        let rightLoss = logits.crossEntropy(target: left.to(.int64) + 1, reduction: .none)
        return leftLoss * leftWeight + rightLoss * (1 - leftWeight)
    }

    /// OKS-style keypoint loss (reference §3.7): `[P, K, 2]` predicted and true positions, `[P, K]`
    /// visibility mask and `[P]` box areas, all in grid units → the mean of
    /// `K / visible_p · (1 − exp(−d / (8σ²·area))) · mask` over P × K.
    func keypointLoss(_ predicted: Tensor, _ truth: Tensor, visible: Tensor, area: Tensor) -> Tensor {
        let squaredDistance = (predicted - truth).pow(2).sum(dim: -1)  // [P, K]
        let sigma = Tensor.from(sigmas, shape: [sigmas.count], device: predicted.device)
        let error = squaredDistance / (sigma * 2).pow(2) / (area.unsqueezed(1) + 1e-9) / 2  // [P, K]
        let factor = Scalar(Double(config.keypointCount)) / (visible.sum(dim: 1, keepDim: true) + 1e-9)  // [P, 1]
        return (factor * ((1 - (-error).exp()) * visible)).mean()
    }
}

/// A batch's objects padded to the largest count per image (reference §3.1).
private struct Objects {
    /// `[B, M, 1]` int64
    let labels: Tensor
    /// `[B, M, 4]` xyxy pixels
    let boxes: Tensor
    /// `[B, M, 1]` 1 for real objects
    let mask: Tensor
    /// `[B, M, K, D]` x, y in pixels (and visibility)
    let keypoints: Tensor

    init(_ targets: PoseTargets, batch: Int, imageSize: (height: Int, width: Int), keypointShape: (Int, Int), device: Device) {
        let (keypointCount, dimensions) = keypointShape
        let perImage = (0..<batch).map { image in targets.imageIndices.filter { $0 == image }.count }
        let slots = perImage.max() ?? 0
        var labels = [Int64](repeating: 0, count: batch * slots)
        var boxes = [Float](repeating: 0, count: batch * slots * 4)
        var keypoints = [Float](repeating: 0, count: batch * slots * keypointCount * dimensions)
        var filled = [Int](repeating: 0, count: batch)
        let (width, height) = (Float(imageSize.width), Float(imageSize.height))
        let stride = keypointCount * dimensions
        for object in 0..<targets.count {
            let image = targets.imageIndices[object]
            let slot = image * slots + filled[image]
            filled[image] += 1
            labels[slot] = Int64(targets.classes[object])
            let b = Array(targets.boxes[(4 * object)..<(4 * object + 4)])
            boxes.replaceSubrange(
                (4 * slot)..<(4 * slot + 4),
                with: [
                    (b[0] - b[2] / 2) * width, (b[1] - b[3] / 2) * height, (b[0] + b[2] / 2) * width, (b[1] + b[3] / 2) * height,
                ])
            for k in 0..<keypointCount {
                let source = object * stride + k * dimensions
                let target = slot * stride + k * dimensions
                keypoints[target] = targets.keypoints[source] * width
                keypoints[target + 1] = targets.keypoints[source + 1] * height
                if dimensions == 3 { keypoints[target + 2] = targets.keypoints[source + 2] }
            }
        }
        self.labels = Tensor.from(labels, shape: [batch, slots, 1], device: device)
        self.boxes = Tensor.from(boxes, shape: [batch, slots, 4], device: device)
        self.mask = (self.boxes.sum(dim: -1, keepDim: true) .> 0).to(.float32)
        self.keypoints = Tensor.from(keypoints, shape: [batch, slots, keypointCount, dimensions], device: device)
    }
}
