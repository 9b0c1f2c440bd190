import Foundation
import Testing

@testable import PoseMetrics

/// The scene and results written by `Scripts/metrics-goldens/make_goldens.py`.
struct Golden: Decodable {
    struct Object: Decodable {
        var cls: Int
        var conf: Float?
        var box: [Float]
        var kpts: [[Float]]
    }
    struct Image: Decodable {
        var truths: [Object]
        var detections: [Object]
    }
    struct Flags: Decodable {
        var box: [[Int]]
        var pose: [[Int]]
    }
    struct Metrics: Decodable {
        var classes: [Int]
        var precision: [Double]
        var recall: [Double]
        var ap: [[Double]]
        var bestConfidence: Double
        var mp: Double
        var mr: Double
        var map50: Double
        var map5095: Double
        var apPerThreshold: [Double]
    }
    struct Landmarks: Decodable {
        var msePx2: Double
        var nme: Double
        var fr: Double
        var auc: Double
        var matched: Int
        var missed: Int
        var normalised: Int
    }
    var keypoints: Int
    var eyeCorners: [Int]
    var images: [Image]
    var flags: [Flags]
    var box: Metrics
    var pose: Metrics
    var landmarks: Landmarks

    static func load() throws -> Golden {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase  // map50_95 → map5095
        return try decoder.decode(Golden.self, from: Data(contentsOf: fixture("metrics-golden.json")))
    }
}

extension Golden.Object {
    var pixelBox: PixelBox { PixelBox(x1: box[0], y1: box[1], x2: box[2], y2: box[3]) }
    var points: [PixelKeypoint] { kpts.map { PixelKeypoint(x: $0[0], y: $0[1], visibility: $0[2]) } }
    var truth: TruthObject { TruthObject(classIndex: cls, box: pixelBox, keypoints: points) }
    var detection: DetectedObject {
        DetectedObject(classIndex: cls, confidence: conf!, box: pixelBox, keypoints: points)
    }
}

@Suite struct PoseMetricsAccumulatorTests {
    let square = PixelBox(x1: 0, y1: 0, x2: 100, y2: 100)

    func points(shift: Float = 0) -> [PixelKeypoint] {
        [PixelKeypoint(x: 20 + shift, y: 30), PixelKeypoint(x: 80 + shift, y: 30), PixelKeypoint(x: 50 + shift, y: 70)]
    }

    @Test func `a random two-class scene matches the NumPy reference numbers`() throws {
        let golden = try Golden.load()
        var accumulator = PoseMetricsAccumulator(
            keypointCount: golden.keypoints,
            faceAlignment: FaceAlignmentSettings(eyeCorners: EyeCorners(golden.eyeCorners[0], golden.eyeCorners[1])))
        #expect(accumulator.sigmas == OKSSigmas.uniform(keypointCount: golden.keypoints))
        for (image, flags) in zip(golden.images, golden.flags) {
            let truths = image.truths.map(\.truth)
            let detections = image.detections.map(\.detection)
            // Per image, the matching itself.
            if !truths.isEmpty && !detections.isEmpty {
                let iou = Similarity.boxIoU(truths: truths.map(\.box), detections: detections.map(\.box))
                let boxFlags = Matching.truePositives(
                    similarity: iou, truthClasses: truths.map(\.classIndex),
                    detectionClasses: detections.map(\.classIndex))
                #expect(boxFlags == flags.box.map { $0.map { $0 != 0 } })
                let oks = Similarity.keypointOKS(
                    truths: truths.map { ($0.keypoints, Similarity.oksArea(of: $0.box)) },
                    predictions: detections.map(\.keypoints), sigmas: accumulator.sigmas)
                let poseFlags = Matching.truePositives(
                    similarity: oks, truthClasses: truths.map(\.classIndex),
                    detectionClasses: detections.map(\.classIndex))
                #expect(poseFlags == flags.pose.map { $0.map { $0 != 0 } })
            }
            accumulator.add(truths: truths, detections: detections)
        }
        let result = accumulator.result()
        #expect(result.images == golden.images.count)
        #expect(result.instances == golden.images.reduce(0) { $0 + $1.truths.count })
        for (metrics, expected) in [(result.box, golden.box), (result.pose, golden.pose)] {
            #expect(metrics.classes == expected.classes)
            expectClose(metrics.classPrecision, expected.precision)
            expectClose(metrics.classRecall, expected.recall)
            expectClose(metrics.classAP.flatMap { $0 }, expected.ap.flatMap { $0 })
            #expect(metrics.bestConfidence == expected.bestConfidence)
            expectClose(metrics.precision, expected.mp)
            expectClose(metrics.recall, expected.mr)
            expectClose(metrics.map50, expected.map50)
            expectClose(metrics.map50to95, expected.map5095)
            expectClose(metrics.apPerThreshold, expected.apPerThreshold)
        }
        let landmarks = result.landmarks
        expectClose(landmarks.meanSquaredError, golden.landmarks.msePx2, rtol: 1e-12)
        expectClose(landmarks.normalisedMeanError, golden.landmarks.nme, rtol: 1e-12)
        expectClose(landmarks.failureRate, golden.landmarks.fr)
        expectClose(landmarks.areaUnderCurve, golden.landmarks.auc)
        #expect(landmarks.matched == golden.landmarks.matched && landmarks.missed == golden.landmarks.missed)
        #expect(landmarks.normalisedFaces == golden.landmarks.normalised)
    }

    @Test func `without a box true positive every box and pose metric stays 0`() {
        // The keypoints are exact (OKS 1, a pose true positive) but the box overlaps by IoU 1/3.
        var accumulator = PoseMetricsAccumulator(keypointCount: 3)
        accumulator.add(
            truths: [TruthObject(box: square, keypoints: points())],
            detections: [
                DetectedObject(confidence: 0.9, box: PixelBox(x1: 50, y1: 0, x2: 150, y2: 100), keypoints: points())
            ])
        #expect(!accumulator.hasBoxTruePositive)
        let empty = accumulator.result()
        #expect(empty.box == .empty && empty.pose == .empty)
        #expect(empty.images == 1 && empty.instances == 1)

        // One box true positive anywhere brings both back.
        accumulator.add(
            truths: [TruthObject(box: square, keypoints: points())],
            detections: [DetectedObject(confidence: 0.8, box: square, keypoints: points())])
        #expect(accumulator.hasBoxTruePositive)
        let result = accumulator.result()
        expectClose(result.pose.map50, 0.995)
        expectClose(result.box.recall, 0.5)
    }

    @Test func `confident detections that no label covers are counted per image, the covered ones set the confident score`() {
        var accumulator = PoseMetricsAccumulator(keypointCount: 3)
        let elsewhere = PixelBox(x1: 300, y1: 300, x2: 400, y2: 400)
        for image in 0..<4 {
            // a labelled face found at 0.6, and on the first three images a face no label covers, at 0.65 and 0.2
            var detections = [DetectedObject(confidence: 0.6, box: square, keypoints: points())]
            if image < 3 { detections.append(DetectedObject(confidence: 0.65, box: elsewhere, keypoints: points())) }
            detections.append(DetectedObject(confidence: 0.2, box: PixelBox(x1: 500, y1: 0, x2: 600, y2: 100), keypoints: points()))
            accumulator.add(truths: [TruthObject(box: square, keypoints: points())], detections: detections)
        }
        let coverage = accumulator.result().coverage!
        // the covered faces' median score, 0.6, is under 0.7: confident from 0.6, so the 0.2s do not count
        #expect(coverage.confidentScore == 0.6 && coverage.unlabelledFaces == 3 && coverage.imagesWithUnlabelled == 3)
        #expect(coverage.images == 4 && coverage.labelledFaces == 4)
        // 3 faces, 3 ≥ 5% of 7 and 3 of 4 images: more than a labelled split's mistakes
        #expect(coverage.looksIncomplete)
    }

    @Test func `keypoints 25 px off are a pose true positive up to OKS 0.85`() {
        var accumulator = PoseMetricsAccumulator(keypointCount: 3)
        accumulator.add(
            truths: [TruthObject(box: square, keypoints: points())],
            detections: [DetectedObject(confidence: 0.9, box: square, keypoints: points(shift: 25))])
        let result = accumulator.result()
        // A perfect box at every threshold; keypoints 25 px off: e = 625 / (4/9) / 5300 / 2, so
        // OKS = exp(−0.1327) ≈ 0.876, a true positive at the 8 thresholds up to 0.85.
        expectClose(result.box.map50to95, 0.995)
        expectClose(result.pose.map50, 0.995)
        expectClose(result.pose.map50to95, 0.995 * 0.8)
    }

    @Test func `detections on an image without ground truth are false positives`() {
        var accumulator = PoseMetricsAccumulator(keypointCount: 3)
        accumulator.add(truths: [], detections: [DetectedObject(confidence: 0.95, box: square, keypoints: points())])
        accumulator.add(
            truths: [TruthObject(box: square, keypoints: points())],
            detections: [DetectedObject(confidence: 0.9, box: square, keypoints: points())])
        accumulator.add(truths: [], detections: [])
        let result = accumulator.result()
        // Precision 0 then 1/2 at recall 1: the envelope is 0.5, so AP = 0.5 · 0.99 + 0.0025.
        expectClose(result.box.map50, 0.4975, atol: 1e-15)
        #expect(result.images == 3 && result.instances == 1)
        #expect(result.landmarks.matched == 1 && result.landmarks.missed == 0)
    }

    @Test func `ground truth without detections counts as missed`() {
        var accumulator = PoseMetricsAccumulator(keypointCount: 3)
        accumulator.add(
            truths: [TruthObject(box: square, keypoints: points())],
            detections: [DetectedObject(confidence: 0.9, box: square, keypoints: points())])
        accumulator.add(truths: [TruthObject(box: square, keypoints: points())], detections: [])
        let result = accumulator.result()
        #expect(result.box.recall == 0.5 && result.instances == 2)
        #expect(result.landmarks.matched == 1 && result.landmarks.missed == 1)
        #expect(result.landmarks.meanSquaredError == 0)
        #expect(result.landmarks.normalisedMeanError == nil)  // 3 points: no default eye corners
    }

    @Test func `the 51-point layout reports NME by the outer eye corners`() {
        var truth = (0..<51).map { PixelKeypoint(x: 100 + Float($0), y: 200 + Float($0 % 5)) }
        truth[19] = PixelKeypoint(x: 120, y: 150)
        truth[28] = PixelKeypoint(x: 180, y: 150)
        let prediction = truth.map { PixelKeypoint(x: $0.x + 0.6, y: $0.y - 0.8, visibility: 0.9) }
        var accumulator = PoseMetricsAccumulator(keypointCount: 51)
        let faceBox = PixelBox(x1: 80, y1: 120, x2: 170, y2: 230)
        accumulator.add(
            truths: [TruthObject(box: faceBox, keypoints: truth)],
            detections: [DetectedObject(confidence: 0.9, box: faceBox, keypoints: prediction)])
        let landmarks = accumulator.result().landmarks
        expectClose(landmarks.normalisedMeanError, 1.0 / 60.0, atol: 1e-7)
        expectClose(landmarks.meanSquaredError, 1.0, atol: 1e-5)
        #expect(landmarks.failureRate == 0)
        expectClose(landmarks.areaUnderCurve, 1 - (1.0 / 60.0) / 0.1, atol: 2e-3)
    }
}
