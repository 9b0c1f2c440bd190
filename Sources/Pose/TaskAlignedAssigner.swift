import Torch

/// Assigns ground-truth objects to anchors by task alignment (reference §3.3): an anchor inside a
/// box is a candidate; the `topK` candidates with the best `score^alpha · CIoU^beta` become its
/// positives; an anchor claimed by several objects goes to the one it overlaps most; the soft class
/// target is the alignment scaled so that each object's best anchor gets that object's best IoU.
struct TaskAlignedAssigner {
    /// v8's settings: top 10, α 0.5, β 6.
    var topK = 10
    var alpha = 0.5
    var beta = 6.0
    var eps = 1e-9

    struct Assignment {
        /// `[B, A, 4]` xyxy pixels of the assigned object.
        let boxes: Tensor
        /// `[B, A, nc]` soft class targets (zero for background).
        let scores: Tensor
        /// `[B, A]` bool: positive anchors.
        let foreground: Tensor
        /// `[B, A]` int64: index of the assigned object within its image (0 for background).
        let objectIndices: Tensor
    }

    /// - Parameters:
    ///   - scores: `[B, A, nc]` predicted class probabilities.
    ///   - boxes: `[B, A, 4]` predicted xyxy boxes in pixels.
    ///   - anchors: `[A, 2]` anchor points in pixels.
    ///   - labels: `[B, M, 1]` int64 class of each object.
    ///   - objectBoxes: `[B, M, 4]` xyxy pixels.
    ///   - objectMask: `[B, M, 1]` 1 for real objects, 0 for padding.
    func callAsFunction(
        scores: Tensor, boxes: Tensor, anchors: Tensor, labels: Tensor, objectBoxes: Tensor, objectMask: Tensor
    ) -> Assignment {
        withNoGrad {
            let (batch, anchorCount, classCount) = scores.shape3
            let objects = objectBoxes.size(1)
            let device = scores.device
            guard objects > 0 else {
                return Assignment(
                    boxes: Tensor.zeros([batch, anchorCount, 4], device: device),
                    scores: Tensor.zeros([batch, anchorCount, classCount], device: device),
                    foreground: Tensor.zeros([batch, anchorCount], dtype: .bool, device: device),
                    objectIndices: Tensor.zeros([batch, anchorCount], dtype: .int64, device: device))
            }
            // 1. anchors strictly inside each object's box: [B, M, A]
            let points = anchors.unsqueezed(0).unsqueezed(0)  // [1, 1, A, 2]
            let corners = objectBoxes.unsqueezed(2)  // [B, M, 1, 4]
            let deltas = Tensor.cat(
                [
                    points - corners.narrow(dim: -1, start: 0, length: 2), corners.narrow(dim: -1, start: 2, length: 2) - points,
                ], dim: -1)  // [B, M, A, 4]
            let insideMask = (deltas.min(dim: -1).values .> Scalar(eps)).to(.float32)  // [B, M, A]
            let candidates = insideMask * objectMask  // [B, M, A]

            // 2. alignment metric on candidate pairs
            let classScores = scores.permuted([0, 2, 1])  // [B, nc, A]
                .gather(dim: 1, labels.expanded([-1, -1, anchorCount]))  // [B, M, A]
            let overlaps =
                BoxGeometry.completeIoU(
                    objectBoxes.unsqueezed(2).expanded([-1, -1, anchorCount, -1]),
                    boxes.unsqueezed(1).expanded([-1, objects, -1, -1])
                ).clamped(min: 0) * candidates  // [B, M, A]
            let alignment = (classScores * candidates).pow(Scalar(alpha)) * overlaps.pow(Scalar(beta))  // [B, M, A]

            // 3. top-k per object; padding objects point at anchor 0, and any anchor picked twice is dropped
            let top = alignment.topk(Swift.min(topK, anchorCount), dim: -1).indices  // [B, M, k]
            let picks = Tensor.where(objectMask .> 0, top, top.zerosLike())
            let counts = Tensor.zeros([batch, objects, anchorCount], device: device).scatterAdd(
                dim: -1, picks, Tensor.ones(picks.shape, device: device))
            let chosen = Tensor.where(counts .> 1, counts.zerosLike(), counts)
            var positives = chosen * insideMask * objectMask  // [B, M, A]

            // 4. anchors claimed by several objects go to the one they overlap most
            if (positives.sum(dim: 1) .> 1).any().item() != 0 {
                let claimed = (positives.sum(dim: 1, keepDim: true) .> 1).expanded([-1, objects, -1])  // [B, M, A]
                let best = overlaps.argmax(dim: 1, keepDim: true)  // [B, 1, A]
                let isBest = Tensor.zeros([batch, objects, anchorCount], device: device).scatter(
                    dim: 1, best, Tensor.ones(best.shape, device: device))
                positives = Tensor.where(claimed, isBest, positives)
            }
            let foreground = positives.sum(dim: 1) .> 0  // [B, A]
            let objectIndices = positives.argmax(dim: 1)  // [B, A]

            // 5. targets of the assigned objects
            let offsets = (Tensor.arange(0, Scalar(batch), device: device) * Scalar(objects)).unsqueezed(1)  // [B, 1]
            let flatIndices = (objectIndices + offsets).flattened()  // [B·A]
            let assignedLabels = labels.flattened().indexSelect(dim: 0, flatIndices).view([batch, anchorCount]).clamped(min: 0).to(.int64)
            let assignedBoxes = objectBoxes.reshaped([-1, 4]).indexSelect(dim: 0, flatIndices).view([batch, anchorCount, 4])
            let oneHot = Tensor.zeros([batch, anchorCount, classCount], device: device)
                .scatter(dim: 2, assignedLabels.unsqueezed(-1), Tensor.ones([batch, anchorCount, 1], device: device))
            let hard = oneHot * foreground.unsqueezed(-1).to(.float32)  // [B, A, nc]

            // 6. soft targets: alignment normalised per object to its best IoU among its positives
            let positiveAlignment = alignment * positives
            let bestAlignment = positiveAlignment.max(dim: -1, keepDim: true).values  // [B, M, 1]
            let bestOverlap = (overlaps * positives).max(dim: -1, keepDim: true).values  // [B, M, 1]
            let normalised = (positiveAlignment * bestOverlap / (bestAlignment + Scalar(eps)))
                .max(dim: 1).values.unsqueezed(-1)  // [B, A, 1]
            return Assignment(
                boxes: assignedBoxes, scores: hard * normalised, foreground: foreground, objectIndices: objectIndices)
        }
    }
}
