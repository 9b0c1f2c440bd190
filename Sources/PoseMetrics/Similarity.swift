#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two similarities the reference matches detections with: box IoU and keypoint OKS
/// (reference §6.4, `box_iou` and `kpt_iou` in `ultralytics/utils/metrics.py` 8.1.14).
///
/// Both are computed in `Float` in the reference's order of operations. The one known source of
/// last-bit differences is OKS: the reference sums the K terms with torch's vectorised reduction
/// and `exp` is torch's; here the sum runs in index order with the C library's `expf`.
public enum Similarity {
    /// The epsilon added to the union by `box_iou` (1e-7).
    public static let boxEpsilon: Float = 1e-7
    /// The epsilon of `kpt_iou`, added to the area and to the number of labelled points (1e-7).
    public static let oksEpsilon: Float = 1e-7
    /// The factor from a ground-truth box area to the OKS scale, 0.53: the xtcocotools COCOeval
    /// convention the reference's `PoseValidator._process_batch` follows.
    public static let oksAreaFactor: Float = 0.53

    /// IoU of every ground-truth box with every detection box.
    ///
    /// - Returns: `[truths.count][detections.count]` (labels × detections, the reference's layout).
    public static func boxIoU(truths: [PixelBox], detections: [PixelBox]) -> [[Float]] {
        truths.map { truth in detections.map { truth.iou($0) } }
    }

    /// The OKS area of a ground-truth box: `width · height · 0.53`, in pixels², in the reference's
    /// `Float` order (`(w · h) · 0.53`).
    public static func oksArea(of box: PixelBox) -> Float { box.width * box.height * oksAreaFactor }

    /// Object keypoint similarity of one prediction with one ground truth, as `kpt_iou`:
    ///
    /// - `d_k = (x_gt − x_pred)² + (y_gt − y_pred)²`;
    /// - `e_k = d_k / (2σ_k)² / (area + 1e-7) / 2` (the COCOeval form);
    /// - `OKS = Σ_k exp(−e_k)·[v_k ≠ 0] / (Σ_k [v_k ≠ 0] + 1e-7)`, `v` the ground truth's flags.
    ///
    /// ```swift
    /// // The reference's §3.7 example (docs/reference/yolov8-pose.md): K = 3, σ = 1/3, area 4 · 0.53.
    /// let truth = [PixelKeypoint(x: 1.5, y: 1), PixelKeypoint(x: 2, y: 2.5), PixelKeypoint(x: 0, y: 0, visibility: 0)]
    /// let prediction = [PixelKeypoint(x: 1, y: 1), PixelKeypoint(x: 2, y: 2), PixelKeypoint(x: 3, y: 3)]
    /// Similarity.oks(truth: truth, prediction: prediction, area: 4 * 0.53, sigmas: OKSSigmas.uniform(keypointCount: 3))
    /// // 0.875758
    /// ```
    /// - Parameters:
    ///   - truth: K ground-truth points with their visibility flags.
    ///   - prediction: K predicted points (only x and y are read).
    ///   - area: the OKS area, normally ``oksArea(of:)`` of the ground-truth box.
    ///   - sigmas: K per-point σ (``OKSSigmas``).
    public static func oks(
        truth: [PixelKeypoint], prediction: [PixelKeypoint], area: Float, sigmas: [Float]
    )
        -> Float
    {
        precondition(
            truth.count == sigmas.count && prediction.count == sigmas.count,
            "oks: \(truth.count) ground-truth points, \(prediction.count) predicted, \(sigmas.count) sigmas")
        let scale = area + oksEpsilon
        var total: Float = 0
        var labelled = 0
        for k in truth.indices where truth[k].isLabelled {
            let dx = truth[k].x - prediction[k].x
            let dy = truth[k].y - prediction[k].y
            let twoSigma = 2 * sigmas[k]
            let e = (dx * dx + dy * dy) / (twoSigma * twoSigma) / scale / 2
            total += expf(-e)
            labelled += 1
        }
        return total / (Float(labelled) + oksEpsilon)
    }

    /// OKS of every ground truth with every prediction.
    ///
    /// - Parameters:
    ///   - truths: per ground truth, its K points and its OKS area (``oksArea(of:)``).
    ///   - predictions: per detection, its K points.
    /// - Returns: `[truths.count][predictions.count]`.
    public static func keypointOKS(
        truths: [(keypoints: [PixelKeypoint], area: Float)], predictions: [[PixelKeypoint]], sigmas: [Float]
    ) -> [[Float]] {
        truths.map { truth in
            predictions.map { oks(truth: truth.keypoints, prediction: $0, area: truth.area, sigmas: sigmas) }
        }
    }
}

/// Per-keypoint σ of OKS.
public enum OKSSigmas {
    /// COCO's 17 person-keypoint σ, the reference's `OKS_SIGMA` (COCO's values divided by 10, held
    /// as float64 and used as float32).
    public static let coco: [Float] = [
        0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89,
    ].map { (value: Double) in Float(value / 10.0) }

    /// σ = 1/K for every point (the reference's `np.ones(K) / K`, as float32).
    public static func uniform(keypointCount: Int) -> [Float] {
        precondition(keypointCount > 0, "OKSSigmas.uniform: keypoint count \(keypointCount)")
        return Array(repeating: Float(1.0 / Double(keypointCount)), count: keypointCount)
    }

    /// The σ the reference's pose validator uses: ``coco`` when `kpt_shape` is exactly `[17, 3]`,
    /// otherwise ``uniform(keypointCount:)`` (reference §6.4). Later releases also accept a
    /// `kpt_oks_sigmas` list from the data yaml; pass such a list to the accumulator directly.
    public static func reference(keypointCount: Int, dimensions: Int) -> [Float] {
        keypointCount == 17 && dimensions == 3 ? coco : uniform(keypointCount: keypointCount)
    }
}
