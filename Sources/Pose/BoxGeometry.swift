import Foundation
import Torch

/// Box formulas on tensors whose last dimension holds corners x1, y1, x2, y2.
enum BoxGeometry {
    /// Complete IoU (reference §3.5, eps 1e-7 as in `bbox_iou(..., CIoU=True)`); the aspect term's
    /// weight α carries no gradient. `[..., 4]` × `[..., 4]` → `[...]`.
    static func completeIoU(_ a: Tensor, _ b: Tensor, eps: Double = 1e-7) -> Tensor {
        let (ax1, ay1, ax2, ay2) = corners(a)
        let (bx1, by1, bx2, by2) = corners(b)
        let (aw, ah) = (ax2 - ax1, ay2 - ay1 + Scalar(eps))
        let (bw, bh) = (bx2 - bx1, by2 - by1 + Scalar(eps))
        let intersection =
            (Tensor.minimum(ax2, bx2) - Tensor.maximum(ax1, bx1)).clamped(min: 0)
            * (Tensor.minimum(ay2, by2) - Tensor.maximum(ay1, by1)).clamped(min: 0)
        let union = aw * ah + bw * bh - intersection + Scalar(eps)
        let iou = intersection / union
        let enclosingWidth = Tensor.maximum(ax2, bx2) - Tensor.minimum(ax1, bx1)
        let enclosingHeight = Tensor.maximum(ay2, by2) - Tensor.minimum(ay1, by1)
        let diagonal = enclosingWidth.pow(2) + enclosingHeight.pow(2) + Scalar(eps)
        let centreDistance = ((bx1 + bx2 - ax1 - ax2).pow(2) + (by1 + by2 - ay1 - ay2).pow(2)) / 4
        let aspect = ((bw / bh).atan() - (aw / ah).atan()).pow(2) * Scalar(4 / (Double.pi * Double.pi))
        let alpha = withNoGrad { aspect / (aspect - iou + Scalar(1 + eps)) }.detached()
        return iou - (centreDistance / diagonal + aspect * alpha)
    }

    /// The four corner coordinates, each `[...]`.
    static func corners(_ boxes: Tensor) -> (Tensor, Tensor, Tensor, Tensor) {
        let parts = boxes.split([1, 1, 1, 1], dim: -1).map { $0.squeezed(dim: -1) }
        return (parts[0], parts[1], parts[2], parts[3])
    }

    /// Corners from side distances around anchor points: `[..., 4]` (l, t, r, b) → `[..., 4]` xyxy.
    static func corners(distances: Tensor, anchors: Tensor) -> Tensor {
        let lt = distances.narrow(dim: -1, start: 0, length: 2)
        let rb = distances.narrow(dim: -1, start: 2, length: 2)
        return Tensor.cat([anchors - lt, anchors + rb], dim: -1)
    }

    /// Side distances from anchor points to box corners, clamped to `[0, limit]`: the DFL targets.
    static func distances(anchors: Tensor, boxes: Tensor, limit: Double) -> Tensor {
        let topLeft = boxes.narrow(dim: -1, start: 0, length: 2)
        let bottomRight = boxes.narrow(dim: -1, start: 2, length: 2)
        return Tensor.cat([anchors - topLeft, bottomRight - anchors], dim: -1).clamped(min: 0, max: limit)
    }
}
