import Foundation
import Testing
import Torch
import TorchNN
import TorchTestSupport

@testable import Pose

@Suite struct `Box geometry` {
    @Test func `CIoU of the reference's two boxes`() {
        // reference §3.5: (10, 20, 50, 80) and (15, 25, 60, 70) → CIoU 0.541847
        let ciou = BoxGeometry.completeIoU(Tensor([10, 20, 50, 80] as [Float]), Tensor([15, 25, 60, 70] as [Float]))
        #expect(Swift.abs(ciou.item() - 0.541847) < 1e-6)
    }

    @Test func `DFL of the reference's values`() {
        // reference §3.6: zero logits give ln 16; logits 0.5·j with targets (3.3, 0, 7.5, 14.99) give a mean of 5.208666
        let zero = PoseLoss.distributionFocalLoss(Tensor.zeros([1, 16]), Tensor([6.4] as [Float]))
        #expect(Swift.abs(zero.item() - Foundation.log(16)) < 1e-6)
        let logits = (Tensor.arange(0, 16, dtype: .float32) * 0.5).unsqueezed(0).expanded([4, 16])
        let sides = PoseLoss.distributionFocalLoss(logits, Tensor([3.3, 0, 7.5, 14.99] as [Float]))
        #expect(Swift.abs(sides.mean().item() - 5.208666) < 1e-5)
    }

    @Test func `keypoint loss of the reference's example`() {
        // reference §3.7: K = 3, σ = 1/3, area 4 → 0.0678975
        let loss = PoseLoss(config: PoseModelConfig(keypointCount: 3))
        let value = loss.keypointLoss(
            Tensor([1, 1, 2, 2, 3, 3] as [Float], shape: [1, 3, 2]), Tensor([1.5, 1, 2, 2.5, 0, 0] as [Float], shape: [1, 3, 2]),
            visible: Tensor([1, 1, 0] as [Float], shape: [1, 3]), area: Tensor([4] as [Float]))
        #expect(Swift.abs(value.item() - 0.0678975) < 1e-6)
    }
}

func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
}

/// The golden test of reference §3.10 (checked by running 8.1.14's v8PoseLoss).
@Suite struct `Pose loss golden` {
    static func inputs(keypoints: Int) -> (RawPredictions, PoseTargets) {
        let sizes: [(height: Int, width: Int)] = [(8, 8), (4, 4), (2, 2)]
        var j = 0
        var boxes: [Tensor] = []
        var classes: [Tensor] = []
        for (h, w) in sizes {
            let count = 2 * 65 * h * w
            let values = (0..<count).map { Float(0.5 * Foundation.sin(0.37 * Double(j + $0))) }
            j += count
            let feature = Tensor(values, shape: [2, 65, h * w])
            boxes.append(feature.narrow(dim: 1, start: 0, length: 64))
            classes.append(feature.narrow(dim: 1, start: 64, length: 1))
        }
        let channels = 3 * keypoints
        let keypointValues = (0..<(2 * channels * 84)).map { Float(0.3 * Foundation.cos(0.11 * Double($0))) }
        let raw = RawPredictions(
            boxDistributions: Tensor.cat(boxes, dim: 2), classLogits: Tensor.cat(classes, dim: 2),
            keypoints: Tensor(keypointValues, shape: [2, channels, 84]), levelSizes: sizes)
        var targets = PoseTargets()
        let objects: [(Int, [Float])] = [(0, [0.5, 0.5, 0.6, 0.5]), (1, [0.3, 0.35, 0.4, 0.5]), (1, [0.7, 0.65, 0.5, 0.6])]
        for (i, (image, box)) in objects.enumerated() {
            let (cx, cy, w, h) = (box[0], box[1], box[2], box[3])
            var values: [Float] = []
            for k in 0..<keypoints {
                values.append(cx - w / 2 + w * Float(k + 1) / Float(keypoints + 1))
                values.append(cy - h / 2 + h * (Float((7 * k) % (keypoints + 1)) + 0.5) / Float(keypoints + 1))
                values.append((i + k) % 5 == 0 ? 0 : 2)
            }
            targets.append(image: image, classIndex: 0, box: box, keypoints: values)
        }
        return (raw, targets)
    }

    @Test(arguments: [
        (17, 118.315094, [6.930822, 10.708519, 0.705856, 36.541222, 4.271129]),
        (4, 106.213120, [6.930822, 4.688047, 0.675338, 36.541222, 4.271129]),
    ])
    func `total and items equal the reference's`(keypoints: Int, total: Double, items: [Double]) {
        let config = PoseModelConfig(scale: .n, classCount: 1, keypointCount: keypoints)
        let model = PoseModel(config)
        let (raw, targets) = Self.inputs(keypoints: keypoints)
        let (loss, terms) = PoseLoss(config: config)(raw, targets: targets, imageSize: (64, 64), model: model)
        // The soft class targets divide alignments of order 1e-8 by (max + 1e-9), so float32 rounding
        // in CIoU^6 moves Σ target scores (and so cls) by ~2e-5 relative between CPUs; the other
        // terms agree to 1e-6.
        #expect(Swift.abs(loss.item() - total) < 5e-5 * total, "total \(loss.item())")
        let values = LossItems(terms).values
        for (mine, theirs, tolerance) in zip3(values, items, [1e-6, 1e-6, 1e-6, 5e-5, 1e-6]) {
            #expect(Swift.abs(mine - theirs) < tolerance * Swift.max(1, theirs), "items \(values)")
        }
    }

    @Test func `the assigner picks the reference's positive anchors`() {
        let config = PoseModelConfig(scale: .n, classCount: 1, keypointCount: 17)
        let model = PoseModel(config)
        let (raw, _) = Self.inputs(keypoints: 17)
        let anchors = Anchors(levelSizes: raw.levelSizes)
        let boxes =
            BoxGeometry.corners(
                distances: model.sideDistances(raw.boxDistributions).permuted([0, 2, 1]), anchors: anchors.points) * anchors.strides
        var labels = [Int64](), corners = [Float](), mask = [Float]()
        // image 0 has one object and a padding slot; image 1 has two
        let padded: [[Float]?] = [[0.5, 0.5, 0.6, 0.5], nil, [0.3, 0.35, 0.4, 0.5], [0.7, 0.65, 0.5, 0.6]]
        for box in padded {
            labels.append(0)
            mask.append(box == nil ? 0 : 1)
            let b = box ?? [0, 0, 0, 0]
            corners +=
                box == nil
                ? [0, 0, 0, 0] : [(b[0] - b[2] / 2) * 64, (b[1] - b[3] / 2) * 64, (b[0] + b[2] / 2) * 64, (b[1] + b[3] / 2) * 64]
        }
        let assignment = TaskAlignedAssigner()(
            scores: raw.classLogits.permuted([0, 2, 1]).sigmoid(), boxes: boxes, anchors: anchors.points * anchors.strides,
            labels: Tensor(labels, shape: [2, 2, 1]), objectBoxes: Tensor(corners, shape: [2, 2, 4]),
            objectMask: Tensor(mask, shape: [2, 2, 1]))
        let positives = (0..<2).map { assignment.foreground[.at($0)].nonzero().flattened().toArray(of: Int64.self) }
        #expect(positives[0] == [18, 19, 20, 27, 28, 29, 34, 35, 36, 37])
        #expect(positives[1] == [9, 10, 11, 17, 18, 19, 25, 26, 27, 30, 34, 36, 37, 38, 44, 45, 46, 52, 53, 54])
        #expect(Swift.abs(assignment.scores.sum().item() - 1.601578) < 5e-5 * 1.601578)
    }
}

@Suite struct `Task-aligned assigner` {
    /// Anchors at the given pixel points, one class, predictions equal to `predicted` boxes.
    func assign(
        anchors: [(Float, Float)], predicted: [[Float]], scores: [Float], objects: [[Float]], topK: Int = 10
    ) -> TaskAlignedAssigner.Assignment {
        var assigner = TaskAlignedAssigner()
        assigner.topK = topK
        let count = anchors.count
        return assigner(
            scores: Tensor(scores, shape: [1, count, 1]), boxes: Tensor(predicted.flatMap { $0 }, shape: [1, count, 4]),
            anchors: Tensor(anchors.flatMap { [$0.0, $0.1] }, shape: [count, 2]),
            labels: Tensor([Int64](repeating: 0, count: objects.count), shape: [1, objects.count, 1]),
            objectBoxes: Tensor(objects.flatMap { $0 }, shape: [1, objects.count, 4]),
            objectMask: Tensor.ones([1, objects.count, 1]))
    }

    @Test func `only anchors strictly inside a box can be positive`() {
        let box: [Float] = [0, 0, 16, 16]
        let result = assign(
            anchors: [(8, 8), (16, 8), (24, 8)], predicted: [box, box, box], scores: [0.9, 0.9, 0.9], objects: [box])
        #expect(result.foreground.toArray(of: Bool.self) == [true, false, false])
        // a perfect prediction: the best anchor's soft target is the object's best IoU (1)
        expectClose(result.scores.flattened(), Tensor([1, 0, 0] as [Float]), atol: 1e-5)
    }

    @Test func `top-k keeps the best aligned anchors and scales the others' targets`() {
        let object: [Float] = [0, 0, 32, 32]
        let predicted: [[Float]] = [[0, 0, 32, 32], [2, 2, 30, 30], [8, 8, 24, 24]]
        let anchors: [(Float, Float)] = [(8, 8), (16, 16), (24, 24)]
        let one = assign(anchors: anchors, predicted: predicted, scores: [0.5, 0.9, 0.9], objects: [object], topK: 1)
        #expect(one.foreground.toArray(of: Bool.self) == [true, false, false])
        let two = assign(anchors: anchors, predicted: predicted, scores: [0.5, 0.9, 0.9], objects: [object], topK: 2)
        #expect(two.foreground.toArray(of: Bool.self) == [true, true, false])
        let targets = two.scores.flattened().toArray(of: Float.self)
        #expect(Swift.abs(targets[0] - 1) < 1e-5 && targets[1] > 0 && targets[1] < targets[0])
    }

    @Test func `an anchor claimed by two objects goes to the one it overlaps most`() {
        let left: [Float] = [0, 0, 20, 20]
        let right: [Float] = [8, 0, 28, 20]
        // one anchor inside both; its prediction matches the right box
        let result = assign(anchors: [(14, 10)], predicted: [right], scores: [0.8], objects: [left, right])
        #expect(result.foreground.toArray(of: Bool.self) == [true])
        #expect(result.objectIndices.toArray(of: Int64.self) == [1])
        #expect(result.boxes.flattened().toArray(of: Float.self) == right)
    }
}
