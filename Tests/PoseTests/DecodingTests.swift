import PoseMetrics
import Testing
import Torch
import TorchNN
import TorchTestSupport

@testable import Pose

@Suite struct `Anchors and decoding` {
    @Test func `anchors are cell centres in grid units, row-major, level by level`() {
        let anchors = Anchors(levelSizes: [(2, 3), (1, 2)], strides: [8, 16])
        #expect(anchors.points.toArray(of: Float.self) == [0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 1.5, 0.5, 0.5, 1.5, 0.5])
        #expect(anchors.strides.toArray(of: Float.self) == [8, 8, 8, 8, 8, 8, 16, 16])
    }

    /// With all-zero head outputs the DFL is uniform (expected distance 7.5 cells on every side) and
    /// each keypoint lands on its cell's top-left corner (reference §2.4).
    @Test func `zero outputs decode to 15-cell boxes around each anchor and keypoints at cell corners`() {
        let model = PoseModel(PoseModelConfig(scale: .n, classCount: 1, keypointCount: 2))
        let sizes: [(height: Int, width: Int)] = [(2, 2), (1, 1), (1, 1)]
        let raw = RawPredictions(
            boxDistributions: Tensor.zeros([1, 64, 6]), classLogits: Tensor.zeros([1, 1, 6]),
            keypoints: Tensor.zeros([1, 6, 6]), levelSizes: sizes)
        let decoded = model.decode(raw)  // [1, 4 + 1 + 6, 6]
        #expect(decoded.shape == [1, 11, 6])
        // anchor 3: level P3 cell (x 1, y 1), stride 8 → centre (12, 12), size 15 · 8 = 120
        expectClose(decoded[0, .all, 3], Tensor([12, 12, 120, 120, 0.5, 8, 8, 0.5, 8, 8, 0.5] as [Float]), atol: 1e-4)
        // anchor 5: level P5 cell (0, 0), stride 32 → centre (16, 16), size 480, keypoints at (0, 0)
        expectClose(decoded[0, .all, 5], Tensor([16, 16, 480, 480, 0.5, 0, 0, 0.5, 0, 0, 0.5] as [Float]), atol: 1e-4)
    }

    @Test func `a confident DFL bin sets the side distance and keypoint offsets move by twice the raw value`() {
        let model = PoseModel(PoseModelConfig(scale: .n, classCount: 1, keypointCount: 1, keypointDimensions: 2))
        let boxes = Tensor.zeros([1, 64, 1])
        for (side, bin) in [(0, 2), (1, 3), (2, 4), (3, 5)] { boxes[0, .at(side * 16 + bin), 0].fillInPlace(50) }
        let keypoints = Tensor([0.25, -1] as [Float], shape: [1, 2, 1])
        let raw = RawPredictions(
            boxDistributions: boxes, classLogits: Tensor.full([1, 1, 1], 2), keypoints: keypoints,
            levelSizes: [(1, 1), (0, 0), (0, 0)])
        let decoded = model.decode(raw)
        // l, t, r, b = 2, 3, 4, 5 around (0.5, 0.5): x1 = -1.5, y1 = -2.5, x2 = 4.5, y2 = 5.5 (× 8)
        expectClose(
            decoded.flattened(),
            Tensor([1.5 * 8, 1.5 * 8, 6 * 8, 8 * 8, 0.8807971, 0.5 * 8, -2 * 8] as [Float]), atol: 1e-3)
    }
}

@Suite struct `Non-maximum suppression` {
    /// Builds a decoded tensor `[1, 4 + nc + 3, N]` from (cx, cy, w, h, class scores...) columns with one keypoint.
    func decoded(_ columns: [[Float]], classes: Int) -> Tensor {
        let rows = 4 + classes + 3
        var values = [Float](repeating: 0, count: rows * columns.count)
        for (n, column) in columns.enumerated() {
            for (r, value) in (column + [1, 2, 0.9]).enumerated() { values[r * columns.count + n] = value }
        }
        return Tensor(values, shape: [1, rows, columns.count])
    }

    @Test func `overlapping boxes above the IoU threshold keep only the best, in score order`() {
        // box 2 (best) overlaps box 0 with IoU 95/105 ≈ 0.90 and box 1 with IoU 76.5/123.5 ≈ 0.62
        let input = decoded(
            [
                [10, 10, 10, 10, 0.9], [12, 11, 10, 10, 0.8], [10.5, 10, 10, 10, 0.95], [50, 50, 4, 4, 0.3], [80, 80, 4, 4, 0.2],
            ], classes: 1)
        let kept = suppress(input, classCount: 1, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.25, iou: 0.7))[0]
        #expect(kept.map(\.score) == [0.95, 0.8, 0.3])
        #expect(kept[0].box == PixelBox(x1: 5.5, y1: 5, x2: 15.5, y2: 15))
        #expect(kept[0].keypoints == [PredictedKeypoint(x: 1, y: 2, confidence: 0.9)])
        let strict = suppress(input, classCount: 1, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.25, iou: 0.5))[0]
        #expect(strict.map(\.score) == [0.95, 0.3])
    }

    @Test func `classes are suppressed separately unless agnostic, and multi-label gives one row per class`() {
        let input = decoded([[10, 10, 10, 10, 0.9, 0.1], [10, 10, 10, 10, 0.2, 0.8]], classes: 2)
        let perClass = suppress(input, classCount: 2, keypointDimensions: 3)[0]
        #expect(perClass.map(\.classIndex) == [0, 1])
        let agnostic = suppress(input, classCount: 2, keypointDimensions: 3, options: SuppressionOptions(classAgnostic: true))[0]
        #expect(agnostic.map(\.classIndex) == [0])
        let multi = suppress(input, classCount: 2, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.05, multiLabel: true))[
            0]
        // per class: (0.9, class 0) suppresses (0.2, class 0); (0.8, class 1) suppresses (0.1, class 1)
        #expect(multi.map(\.score) == [0.9, 0.8] && multi.map(\.classIndex) == [0, 1])
        let loose = suppress(
            input, classCount: 2, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.05, iou: 1, multiLabel: true))[0]
        #expect(loose.map(\.score) == [0.9, 0.8, 0.2, 0.1])
    }

    @Test func `max detections caps the output and nothing above the threshold gives nothing`() {
        let input = decoded((0..<10).map { [Float($0) * 20, 0, 5, 5, 0.5 + Float($0) / 100] }, classes: 1)
        #expect(suppress(input, classCount: 1, keypointDimensions: 3, options: SuppressionOptions(maxDetections: 3))[0].count == 3)
        #expect(suppress(input, classCount: 1, keypointDimensions: 3, options: SuppressionOptions(confidence: 0.9))[0].isEmpty)
    }
}
