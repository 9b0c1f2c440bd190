/// Average precision, precision and recall per class, as the reference's `ap_per_class`,
/// `compute_ap` and `smooth` (`ultralytics/utils/metrics.py` 8.1.14; reference §6.6).
public enum AveragePrecision {
    /// The points of the confidence grid on which the P, R and F1 curves are sampled (1000).
    public static let confidenceGridCount = 1000
    /// The smoothing fraction applied to the mean F1 curve before its maximum is taken (0.1, i.e. a
    /// 101-tap box filter on the 1000-point grid).
    public static let f1SmoothingFraction = 0.1
    /// The epsilon of `ap_per_class` in recall's and F1's denominators (1e-16).
    public static let epsilon = 1e-16

    /// AP of one precision-recall curve, as `compute_ap` (reference §6.6):
    ///
    /// 1. prepend (recall 0, precision 1) and append (recall 1, precision 0);
    /// 2. make precision non-increasing: the running maximum from the right (the envelope);
    /// 3. sample the envelope with `np.interp` at the 101 recalls `linspace(0, 1, 101)`;
    /// 4. integrate those samples with the trapezoidal rule (`np.trapz`), not COCO's plain mean.
    ///
    /// Past the last recall the curve falls linearly to 0 at recall 1, adding a small triangle.
    ///
    /// ```swift
    /// AveragePrecision.compute(recall: [0.1, 0.4, 0.4, 0.7], precision: [1.0, 0.8, 0.6, 0.5])  // 0.6090
    /// ```
    /// - Parameters:
    ///   - recall: the cumulative recall after each detection, in confidence order.
    ///   - precision: the cumulative precision after each detection.
    public static func compute(recall: [Double], precision: [Double]) -> Double {
        precondition(recall.count == precision.count, "compute: \(recall.count) recalls, \(precision.count) precisions")
        let recalls = [0.0] + recall + [1.0]
        var envelope = [1.0] + precision + [0.0]
        for index in stride(from: envelope.count - 2, through: 0, by: -1) {
            envelope[index] = max(envelope[index], envelope[index + 1])
        }
        let grid = NumPy.linspace(0, 1, 101)
        return NumPy.trapezoid(NumPy.interp(grid, recalls, envelope), grid)
    }

    /// A box filter over `values`, as the reference's `smooth(y, f)`: `round(n · f · 2) // 2 + 1`
    /// taps (odd), each `1/taps`, the series padded at each end with `taps // 2` copies of its end
    /// value, and only the `n` fully overlapping positions kept (`np.convolve(mode="valid")`).
    ///
    /// Each window is summed in index order; NumPy sums it with BLAS's `ddot`, so values may differ
    /// in the last bits (windows over a constant stretch are equal either way).
    public static func smooth(_ values: [Double], fraction: Double = 0.05) -> [Double] {
        guard let first = values.first, let last = values.last else { return [] }
        let taps = Int((Double(values.count) * fraction * 2).rounded(.toNearestOrEven)) / 2 + 1
        let pad = taps / 2
        let padded = Array(repeating: first, count: pad) + values + Array(repeating: last, count: pad)
        let weight = 1.0 / Double(taps)
        return (0..<(padded.count - taps + 1)).map { start in
            var total = 0.0
            for offset in 0..<taps { total += padded[start + offset] * weight }
            return total
        }
    }

    /// Precision, recall and AP per class from the true-positive flags of every detection, as
    /// `ap_per_class` (reference §6.6).
    ///
    /// - Detections are taken by confidence, highest first. The reference uses
    ///   `np.argsort(-conf)`, which is not stable; here equal confidences keep their input order
    ///   (a stable sort), so results are deterministic. Only ties between detections of one class
    ///   with different flags can make the two differ.
    /// - The classes evaluated are those of the ground truth; detections of other classes are
    ///   ignored, and a class without detections keeps AP 0 and zero curves.
    /// - Per class: cumulative TP and FP counts, recall = TP / (labels + 1e-16), precision =
    ///   TP / (TP + FP), and AP per threshold by ``compute(recall:precision:)``.
    /// - P and R: on the confidence grid `linspace(0, 1, 1000)`, recall and precision of threshold
    ///   column 0 are interpolated against confidence (`np.interp`, left values 0 and 1); F1 =
    ///   2PR / (P + R + 1e-16) is averaged over classes, smoothed by ``smooth(_:fraction:)`` with
    ///   fraction 0.1, and P and R of every class are read where the smoothed mean F1 is highest
    ///   (its first maximum).
    ///
    /// - Parameters:
    ///   - truePositives: `[detections][thresholds]`, from
    ///     ``Matching/truePositives(similarity:truthClasses:detectionClasses:thresholds:)``.
    ///   - confidences: per detection.
    ///   - detectionClasses: per detection.
    ///   - truthClasses: the class of every ground-truth object.
    ///   - thresholdCount: the number of threshold columns (used when there are no detections).
    public static func evaluate(
        truePositives: [[Bool]], confidences: [Float], detectionClasses: [Int], truthClasses: [Int],
        thresholdCount: Int = Matching.iouThresholds.count
    ) -> DetectionMetrics {
        precondition(
            truePositives.count == confidences.count && confidences.count == detectionClasses.count,
            "evaluate: \(truePositives.count) flag rows, \(confidences.count) confidences, \(detectionClasses.count) classes"
        )
        precondition(
            truePositives.allSatisfy { $0.count == thresholdCount },
            "evaluate: every flag row needs \(thresholdCount) thresholds")
        let order = confidences.indices.sorted {
            confidences[$0] > confidences[$1] || (confidences[$0] == confidences[$1] && $0 < $1)
        }
        var truthCounts: [Int: Int] = [:]
        for c in truthClasses { truthCounts[c, default: 0] += 1 }
        let classes = truthCounts.keys.sorted()

        let grid = NumPy.linspace(0, 1, confidenceGridCount)
        let negatedGrid = grid.map { -$0 }
        var precisionCurves: [[Double]] = []
        var recallCurves: [[Double]] = []
        var classAP: [[Double]] = []
        for c in classes {
            let rows = order.filter { detectionClasses[$0] == c }
            let labels = truthCounts[c]!
            guard !rows.isEmpty else {
                precisionCurves.append(Array(repeating: 0, count: confidenceGridCount))
                recallCurves.append(Array(repeating: 0, count: confidenceGridCount))
                classAP.append(Array(repeating: 0, count: thresholdCount))
                continue
            }
            var recalls = Array(repeating: [Double](), count: thresholdCount)
            var precisions = Array(repeating: [Double](), count: thresholdCount)
            for column in 0..<thresholdCount {
                var truePositiveCount = 0
                for (seen, row) in rows.enumerated() {
                    if truePositives[row][column] { truePositiveCount += 1 }
                    recalls[column].append(Double(truePositiveCount) / (Double(labels) + epsilon))
                    precisions[column].append(Double(truePositiveCount) / Double(seen + 1))
                }
            }
            let negatedConfidences = rows.map { -Double(confidences[$0]) }
            recallCurves.append(NumPy.interp(negatedGrid, negatedConfidences, recalls[0], left: 0))
            precisionCurves.append(NumPy.interp(negatedGrid, negatedConfidences, precisions[0], left: 1))
            classAP.append((0..<thresholdCount).map { compute(recall: recalls[$0], precision: precisions[$0]) })
        }

        var best = 0
        if !classes.isEmpty {
            let f1Curves = zip(precisionCurves, recallCurves).map { p, r in
                zip(p, r).map { 2 * $0 * $1 / ($0 + $1 + epsilon) }
            }
            // Mean over classes, summed class by class (NumPy's axis-0 reduction).
            let meanF1 = (0..<confidenceGridCount).map { i in
                f1Curves.dropFirst().reduce(f1Curves[0][i]) { $0 + $1[i] } / Double(classes.count)
            }
            let smoothed = smooth(meanF1, fraction: f1SmoothingFraction)
            for i in smoothed.indices where smoothed[i] > smoothed[best] { best = i }
        }
        let precision = precisionCurves.map { $0[best] }
        let recall = recallCurves.map { $0[best] }
        return DetectionMetrics(
            classes: classes, truthCounts: classes.map { truthCounts[$0]! }, classPrecision: precision,
            classRecall: recall, classF1: zip(precision, recall).map { 2 * $0 * $1 / ($0 + $1 + epsilon) },
            classAP: classAP, bestConfidence: classes.isEmpty ? 0 : grid[best])
    }
}

/// Precision, recall and mAP of one similarity (box IoU or keypoint OKS) over a data set, with the
/// per-class figures they come from (the reference's `Metric`).
public struct DetectionMetrics: Sendable, Equatable {
    /// The classes evaluated (those of the ground truth), ascending.
    public var classes: [Int]
    /// Ground-truth objects per class.
    public var truthCounts: [Int]
    /// Per class: precision at the confidence of the highest smoothed mean F1.
    public var classPrecision: [Double]
    /// Per class: recall at that confidence.
    public var classRecall: [Double]
    /// Per class: F1 at that confidence.
    public var classF1: [Double]
    /// Per class and threshold: AP, `[classes][thresholds]`.
    public var classAP: [[Double]]
    /// The confidence (on the 1000-point grid) where P and R are read.
    public var bestConfidence: Double

    public init(
        classes: [Int], truthCounts: [Int], classPrecision: [Double], classRecall: [Double], classF1: [Double],
        classAP: [[Double]], bestConfidence: Double
    ) {
        self.classes = classes
        self.truthCounts = truthCounts
        self.classPrecision = classPrecision
        self.classRecall = classRecall
        self.classF1 = classF1
        self.classAP = classAP
        self.bestConfidence = bestConfidence
    }

    /// No classes: every figure 0 (the reference's metrics before `process` runs).
    public static let empty = DetectionMetrics(
        classes: [], truthCounts: [], classPrecision: [], classRecall: [], classF1: [], classAP: [],
        bestConfidence: 0)

    /// Mean precision over classes (`mp`), 0 without classes.
    public var precision: Double { classPrecision.isEmpty ? 0 : NumPy.mean(classPrecision) }
    /// Mean recall over classes (`mr`), 0 without classes.
    public var recall: Double { classRecall.isEmpty ? 0 : NumPy.mean(classRecall) }
    /// Mean AP at the first threshold (0.50) over classes.
    public var map50: Double { column(0) }
    /// Mean AP at the sixth threshold (0.75) over classes.
    public var map75: Double { column(5) }
    /// Mean AP over classes and all thresholds (0.50:0.95).
    public var map50to95: Double { classAP.isEmpty ? 0 : NumPy.mean(classAP.flatMap { $0 }) }
    /// Mean AP over classes at each threshold.
    public var apPerThreshold: [Double] {
        guard let width = classAP.first?.count else { return [] }
        return (0..<width).map(column)
    }
    private func column(_ index: Int) -> Double {
        guard !classAP.isEmpty, index < classAP[0].count else { return 0 }
        return NumPy.mean(classAP.map { $0[index] })
    }
}
