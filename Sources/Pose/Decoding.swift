import Torch

/// Anchor points of all levels (reference §2.2): the centre of every feature cell in grid units,
/// `(x + 0.5, y + 0.5)`, row-major per level, levels in order P3, P4, P5.
public struct Anchors {
    /// `[A, 2]` (x, y) in grid units.
    public let points: Tensor
    /// `[A, 1]` the stride of each anchor's level.
    public let strides: Tensor

    public init(
        levelSizes: [(height: Int, width: Int)], strides levelStrides: [Int] = PoseModelConfig.strides, device: Device = .cpu
    ) {
        var points: [Float] = []
        var strides: [Float] = []
        for ((height, width), stride) in zip(levelSizes, levelStrides) {
            for y in 0..<height {
                for x in 0..<width {
                    points += [Float(x) + 0.5, Float(y) + 0.5]
                    strides.append(Float(stride))
                }
            }
        }
        self.points = Tensor.from(points, shape: [strides.count, 2], device: device)
        self.strides = Tensor.from(strides, shape: [strides.count, 1], device: device)
    }

    public var count: Int { strides.count }
}

extension PoseModel {
    /// Expected distances to the four box sides from the DFL logits (reference §1.4, reference §2.3):
    /// `[B, 64, A]` → `[B, 4, A]` (l, t, r, b) in grid units.
    public func sideDistances(_ boxDistributions: Tensor) -> Tensor {
        let (batch, _, anchors) = boxDistributions.shape3
        let bins = PoseModelConfig.regressionBins
        let probabilities = boxDistributions.view([batch, 4, bins, anchors]).softmax(dim: 2)  // [B, 4, 16, A]
        return (probabilities * binValues).sum(dim: 2)  // [B, 4, A]
    }

    /// The reference's eval-mode output (reference §1.5, reference §2.3, reference §2.4): `[B, 4 + nc + K·D, A]` with
    /// boxes as centre x, y, width, height in input pixels, class probabilities, and keypoints as
    /// x, y in input pixels and (for D = 3) visibility probability.
    public func decode(_ raw: RawPredictions) -> Tensor {
        let device = raw.keypoints.device
        let anchors = Anchors(levelSizes: raw.levelSizes, device: device)
        let (batch, _, count) = raw.keypoints.shape3
        let points = anchors.points.transposed(0, 1).contiguous().unsqueezed(0)  // [1, 2, A]
        let strides = anchors.strides.view([1, 1, count])  // [1, 1, A]
        let distances = sideDistances(raw.boxDistributions)  // [B, 4, A]
        let topLeft = points - distances.narrow(dim: 1, start: 0, length: 2)  // [B, 2, A]
        let bottomRight = points + distances.narrow(dim: 1, start: 2, length: 2)  // [B, 2, A]
        let boxes = Tensor.cat([(topLeft + bottomRight) / 2, bottomRight - topLeft], dim: 1) * strides  // [B, 4, A]

        // keypoint x, y: (raw · 2 + cell) · stride, computed as raw · 2·stride + cell · stride in one
        // pass (the same floats: strides are powers of two); visibility: sigmoid(raw), in place
        let dimensions = config.keypointDimensions
        var scales = [(strides * 2).expanded([1, 2, count])]
        var offsets = [(points - 0.5) * strides]  // the integer cell index, scaled
        if dimensions == 3 {
            scales.append(.ones([1, 1, count], device: device))
            offsets.append(.zeros([1, 1, count], device: device))
        }
        let keypoints = Tensor.cat(offsets, dim: 1).unsqueezed(1).addcmul(  // [B, K, D, A]
            raw.keypoints.view([batch, config.keypointCount, dimensions, count]), Tensor.cat(scales, dim: 1).unsqueezed(1))
        if dimensions == 3 { keypoints.narrow(dim: 2, start: 2, length: 1).sigmoidInPlace() }
        return Tensor.cat([boxes, raw.classLogits.sigmoid(), keypoints.view([batch, config.keypointChannels, count])], dim: 1)
    }
}
