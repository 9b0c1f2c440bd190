import Testing

@testable import PoseMetrics

@Suite struct AveragePrecisionTests {
    /// The reference's 6-detection example (§6.6): one class, 5 labels, each detection's IoU with
    /// its own label.
    let ious: [Float] = [0.92, 0.75, 0.0, 0.55, 0.81, 0.66]
    let confidences: [Float] = [0.9, 0.8, 0.7, 0.6, 0.5, 0.3]

    var exampleFlags: [[Bool]] { ious.map { iou in Matching.iouThresholds.map { iou >= $0 } } }

    @Test func `AP of the reference's precision-recall example is 0.6090`() {
        let ap = AveragePrecision.compute(recall: [0.1, 0.4, 0.4, 0.7], precision: [1.0, 0.8, 0.6, 0.5])
        expectClose(ap, 0.6089999999999999, atol: 1e-15)  // NumPy's value
    }

    @Test func `a perfect detection has AP 0.995, the 101-point trapezoid's`() {
        #expect(AveragePrecision.compute(recall: [1], precision: [1]) == 0.995)
        expectClose(AveragePrecision.compute(recall: [0, 1], precision: [0, 0.5]), 0.4975, atol: 1e-15)
    }

    @Test func `the six-detection example gives the reference's P, R and APs`() {
        let metrics = AveragePrecision.evaluate(
            truePositives: exampleFlags, confidences: confidences, detectionClasses: Array(repeating: 0, count: 6),
            truthClasses: Array(repeating: 0, count: 5))
        expectClose(metrics.precision, 0.83333, atol: 5e-6)
        #expect(metrics.recall == 1.0)
        expectClose(metrics.map50, 0.895, atol: 1e-12)
        expectClose(metrics.map50to95, 0.539, atol: 1e-12)
        expectClose(
            metrics.apPerThreshold, [0.895, 0.895, 0.731667, 0.731667, 0.6175, 0.6175, 0.376667, 0.2625, 0.2625, 0.0],
            atol: 5e-7)
        expectClose(metrics.map75, 0.6175, atol: 1e-12)
        #expect(metrics.classes == [0] && metrics.truthCounts == [5])
    }

    @Test func `input order does not matter, detections are sorted by confidence`() {
        let order = [3, 0, 5, 1, 4, 2]
        let shuffled = AveragePrecision.evaluate(
            truePositives: order.map { exampleFlags[$0] }, confidences: order.map { confidences[$0] },
            detectionClasses: Array(repeating: 0, count: 6), truthClasses: Array(repeating: 0, count: 5))
        let sorted = AveragePrecision.evaluate(
            truePositives: exampleFlags, confidences: confidences, detectionClasses: Array(repeating: 0, count: 6),
            truthClasses: Array(repeating: 0, count: 5))
        #expect(shuffled == sorted)
    }

    @Test func `classes come from the ground truth only`() {
        // A detection of class 7, which no label has, changes nothing.
        let base = AveragePrecision.evaluate(
            truePositives: exampleFlags, confidences: confidences, detectionClasses: Array(repeating: 0, count: 6),
            truthClasses: Array(repeating: 0, count: 5))
        let extra = AveragePrecision.evaluate(
            truePositives: exampleFlags + [Array(repeating: false, count: 10)], confidences: confidences + [0.95],
            detectionClasses: Array(repeating: 0, count: 6) + [7], truthClasses: Array(repeating: 0, count: 5))
        #expect(extra == base)
    }

    @Test func `a labelled class without detections counts as 0 in the means`() {
        let metrics = AveragePrecision.evaluate(
            truePositives: [Array(repeating: true, count: 10)], confidences: [0.9], detectionClasses: [0],
            truthClasses: [0, 1])
        #expect(metrics.classes == [0, 1])
        #expect(metrics.classAP[1] == Array(repeating: 0, count: 10))
        #expect(metrics.classPrecision[1] == 0 && metrics.classRecall[1] == 0)
        expectClose(metrics.map50, 0.995 / 2)
        expectClose(metrics.map50to95, 0.995 / 2)
        #expect(metrics.classRecall[0] == 1)
    }

    @Test func `no detections give zeros`() {
        let metrics = AveragePrecision.evaluate(
            truePositives: [], confidences: [], detectionClasses: [], truthClasses: [0, 0])
        #expect(metrics.precision == 0 && metrics.recall == 0 && metrics.map50 == 0 && metrics.map50to95 == 0)
        #expect(metrics.apPerThreshold == Array(repeating: 0, count: 10))
    }

    @Test func `P and R are read where the smoothed mean F1 peaks`() {
        // Two TPs at 0.9 and 0.8, then four FPs, 2 labels. Against confidence, recall is 1 from
        // 0.8 down, and precision falls linearly from 1 at 0.8 to 2/3 at 0.2 (np.interp between
        // detections), so the smoothed F1 peaks a little under 0.8. NumPy (make_goldens.py's
        // per_class) gives the same three numbers.
        let flags = [true, true, false, false, false, false].map { Array(repeating: $0, count: 10) }
        let metrics = AveragePrecision.evaluate(
            truePositives: flags, confidences: [0.9, 0.8, 0.2, 0.15, 0.1, 0.05],
            detectionClasses: Array(repeating: 0, count: 6), truthClasses: [0, 0])
        #expect(metrics.bestConfidence == 759.0 / 999.0)
        expectClose(metrics.precision, 0.9776443046880318, atol: 1e-15)
        #expect(metrics.recall == 1)
    }

    @Test func `smoothing is a box filter padded with the end values`() {
        // 7 values, fraction 0.3: round(4.2) // 2 + 1 = 3 taps, 1 value of padding each side.
        expectClose(
            AveragePrecision.smooth([0, 0, 0, 3, 0, 0, 6], fraction: 0.3), [0, 0, 1, 1, 1, 2, 4], atol: 1e-15)
        let constant = Array(repeating: 0.25, count: 1000)
        let smoothed = AveragePrecision.smooth(constant, fraction: 0.1)
        expectClose(smoothed, constant, atol: 1e-15)
        #expect(Set(smoothed).count == 1)  // every window sums the same way
        #expect(AveragePrecision.smooth([], fraction: 0.1) == [])
    }

    @Test func `the 1000-point smoothing uses 101 taps`() {
        // A unit impulse spreads over 101 samples of 1/101.
        var impulse = Array(repeating: 0.0, count: 1000)
        impulse[500] = 1
        let smoothed = AveragePrecision.smooth(impulse, fraction: 0.1)
        #expect(smoothed.count == 1000)
        #expect(smoothed.filter { $0 > 0 }.count == 101)
        #expect(smoothed[450] == 1.0 / 101 && smoothed[449] == 0 && smoothed[551] == 0)
    }
}

@Suite struct DetectionMetricsTests {
    @Test func `empty metrics are all zero`() {
        let empty = DetectionMetrics.empty
        #expect(empty.precision == 0 && empty.recall == 0 && empty.map50 == 0 && empty.map75 == 0)
        #expect(empty.map50to95 == 0 && empty.apPerThreshold.isEmpty)
    }

    @Test func `mAP50 is the first threshold's AP and mAP50-95 the mean of all ten`() {
        let metrics = DetectionMetrics(
            classes: [0], truthCounts: [3], classPrecision: [0.7], classRecall: [0.4], classF1: [0.5],
            classAP: [[0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0]], bestConfidence: 0.5)
        expectClose(metrics.map50, 0.8)
        expectClose(metrics.map50to95, 0.36)
    }
}
