import Testing

@testable import PoseMetrics

@Suite struct FaceAlignmentTests {
    /// A 51-point face with its outer eye corners (19 and 28) 100 px apart.
    func face(dx: Float = 0, dy: Float = 0) -> [PixelKeypoint] {
        (0..<51).map { k in
            switch k {
            case 19: PixelKeypoint(x: 100 + dx, y: 100 + dy)
            case 28: PixelKeypoint(x: 200 + dx, y: 100 + dy)
            default: PixelKeypoint(x: 100 + Float(k) * 2 + dx, y: 150 + Float(k % 7) + dy)
            }
        }
    }

    func detection(_ confidence: Float, _ box: PixelBox, classIndex: Int = 0) -> DetectedObject {
        DetectedObject(classIndex: classIndex, confidence: confidence, box: box)
    }

    @Test func `the 51-point layout's outer eye corners are points 19 and 28`() {
        #expect(EyeCorners.standard(keypointCount: 51) == EyeCorners(19, 28))
        #expect(EyeCorners.standard(keypointCount: 68) == EyeCorners(36, 45))
        #expect(EyeCorners.standard(keypointCount: 17) == nil)
        #expect(FaceAlignmentSettings(keypointCount: 51).eyeCorners == .ibug51)
    }

    @Test func `a uniform 3-4-5 shift gives MSE 25 and NME 5 over 100`() {
        let error = FaceAlignment.error(prediction: face(dx: 3, dy: 4), truth: face(), eyeCorners: .ibug51)
        #expect(error.labelledPoints == 51)
        expectClose(error.squaredErrorSum, 25 * 51)
        expectClose(error.normalisedMeanError, 0.05)
    }

    @Test func `unlabelled points are left out of every error`() {
        var truth = face()
        truth[3].visibility = 0
        truth[40].visibility = 0
        var prediction = face(dx: 3, dy: 4)
        prediction[3] = PixelKeypoint(x: 9000, y: -9000)
        prediction[40] = PixelKeypoint(x: 0, y: 0)
        let error = FaceAlignment.error(prediction: prediction, truth: truth, eyeCorners: .ibug51)
        #expect(error.labelledPoints == 49)
        expectClose(error.squaredErrorSum, 25 * 49)
        expectClose(error.normalisedMeanError, 0.05)
    }

    @Test func `NME is the mean of the point errors, not of their squares`() {
        // Two labelled points of 4 (errors 0 and 10) plus the eye corners (error 0): mean 2.5 / 100.
        var truth = face()
        for k in truth.indices where ![0, 1, 19, 28].contains(k) { truth[k].visibility = 0 }
        var prediction = truth
        prediction[1].x += 6
        prediction[1].y += 8
        let error = FaceAlignment.error(prediction: prediction, truth: truth, eyeCorners: .ibug51)
        expectClose(error.normalisedMeanError, 0.025)
        expectClose(error.squaredErrorSum, 100)
    }

    @Test func `without usable eye corners NME is nil but MSE counts`() {
        var truth = face()
        truth[28].visibility = 0
        let unlabelledCorner = FaceAlignment.error(prediction: face(dx: 1), truth: truth, eyeCorners: .ibug51)
        #expect(unlabelledCorner.normalisedMeanError == nil && unlabelledCorner.labelledPoints == 50)
        #expect(FaceAlignment.error(prediction: face(dx: 1), truth: face(), eyeCorners: nil).normalisedMeanError == nil)
        var collapsed = face()
        collapsed[28] = collapsed[19]
        #expect(
            FaceAlignment.error(prediction: face(), truth: collapsed, eyeCorners: .ibug51).normalisedMeanError == nil)
    }

    @Test func `failure rate counts faces above the threshold`() {
        #expect(FaceAlignment.failureRate([0.02, 0.05, 0.2]) == 1.0 / 3.0)
        #expect(FaceAlignment.failureRate([0.1, 0.1000001]) == 0.5)
        #expect(FaceAlignment.failureRate([]) == nil)
    }

    @Test func `AUC is the trapezoid area under the CED up to 0.1, normalised`() {
        // CED: 0 below 0.02, 1/3 up to 0.05, 2/3 after. Exact area 0.04333 / 0.1 = 0.43333; the
        // 1e-4 grid adds half a step at each jump: (1/6 + 299/3 + 1/2 + 1000/3) · 1e-4 / 0.1.
        expectClose(FaceAlignment.areaUnderCurve([0.02, 0.05, 0.2]), 2602.0 / 6.0 * 1e-3, atol: 1e-12)
        // NumPy: np.trapezoid(ced, grid) / 0.1 = 0.43366666666666664.
        expectClose(FaceAlignment.areaUnderCurve([0.02, 0.05, 0.2]), 0.43366666666666664, atol: 1e-15)
        #expect(FaceAlignment.areaUnderCurve([0, 0]) == 1)
        #expect(FaceAlignment.areaUnderCurve([0.2, 0.15]) == 0)
        #expect(FaceAlignment.areaUnderCurve([]) == nil)
    }

    @Test func `the most confident prediction takes the face`() {
        let truths = [TruthObject(box: box(0, 0, 100, 100))]
        let detections = [detection(0.6, box(0, 0, 100, 100)), detection(0.9, box(0, 0, 100, 90))]
        #expect(FaceAlignment.greedyMatches(truths: truths, detections: detections) == [.init(truth: 0, detection: 1)])
    }

    @Test func `a prediction takes the unpaired face it overlaps most, at IoU 0.5 or more`() {
        let truths = [TruthObject(box: box(0, 0, 100, 100)), TruthObject(box: box(20, 0, 120, 100))]
        let detections = [
            detection(0.9, box(20, 0, 120, 100)),  // exactly face 1
            detection(0.8, box(15, 0, 115, 100)),  // closer to 1 (taken), so face 0 at IoU 0.74
            detection(0.7, box(300, 300, 400, 400)),  // nothing
        ]
        #expect(
            FaceAlignment.greedyMatches(truths: truths, detections: detections) == [
                .init(truth: 1, detection: 0), .init(truth: 0, detection: 1),
            ])
        let far = [detection(0.9, box(60, 0, 160, 100))]  // IoU 0.25 with face 0, 0.67 with face 1
        #expect(FaceAlignment.greedyMatches(truths: [truths[0]], detections: far).isEmpty)
    }

    @Test func `faces and predictions of different classes are not paired`() {
        let truths = [TruthObject(classIndex: 1, box: box(0, 0, 100, 100))]
        #expect(FaceAlignment.greedyMatches(truths: truths, detections: [detection(0.9, box(0, 0, 100, 100))]).isEmpty)
    }
}

@Suite struct LandmarkMetricsTests {
    let settings = FaceAlignmentSettings(eyeCorners: .ibug51)

    @Test func `MSE is pooled over all labelled points of all faces`() {
        // 10 px² over 2 points, 50 px² over 3 and a perfect face of 4 points: 60 / 9, not the mean
        // of the faces' 5, 16.7 and 0.
        let faces = [
            FaceError(squaredErrorSum: 10, labelledPoints: 2, normalisedMeanError: 0.02),
            FaceError(squaredErrorSum: 50, labelledPoints: 3, normalisedMeanError: 0.2),
            FaceError(squaredErrorSum: 0, labelledPoints: 4, normalisedMeanError: nil),
        ]
        let metrics = LandmarkMetrics(faces: faces, missed: 2, settings: settings)
        expectClose(metrics.meanSquaredError, 60.0 / 9.0)
        expectClose(metrics.normalisedMeanError, 0.11)
        #expect(metrics.failureRate == 0.5)
        #expect(metrics.matched == 3 && metrics.missed == 2 && metrics.normalisedFaces == 2)
    }

    @Test func `no matched face leaves the errors undefined`() {
        let metrics = LandmarkMetrics(faces: [], missed: 4, settings: settings)
        #expect(metrics.meanSquaredError == nil && metrics.normalisedMeanError == nil)
        #expect(metrics.failureRate == nil && metrics.areaUnderCurve == nil)
        #expect(metrics.matched == 0 && metrics.missed == 4)
    }
}
