import Testing

@testable import PoseMetrics

@Suite struct SimilarityTests {
    /// The reference's §3.7 example: K = 3, σ = 1/3.
    let prediction = [PixelKeypoint(x: 1, y: 1), PixelKeypoint(x: 2, y: 2), PixelKeypoint(x: 3, y: 3)]
    let truth = [
        PixelKeypoint(x: 1.5, y: 1, visibility: 2), PixelKeypoint(x: 2, y: 2.5, visibility: 2),
        PixelKeypoint(x: 0, y: 0, visibility: 0),
    ]

    @Test func `OKS of the reference example with area 4 times 0.53 is 0.875758`() {
        let oks = Similarity.oks(
            truth: truth, prediction: prediction, area: 4 * 0.53, sigmas: OKSSigmas.uniform(keypointCount: 3))
        // 0.8757583498954773 from torch float32 (Scripts/metrics-goldens); §6.4 gives 0.875758.
        #expect(abs(oks - 0.875758) < 5e-7)
        #expect(abs(Double(oks) - 0.8757583498954773) < 1e-7)
    }

    @Test func `OKS is 1 for identical keypoints`() {
        let points = (0..<51).map { PixelKeypoint(x: Float($0) * 3, y: 100 - Float($0)) }
        let oks = Similarity.oks(
            truth: points, prediction: points, area: 900, sigmas: OKSSigmas.uniform(keypointCount: 51))
        #expect(oks == 1)  // 51 + 1e-7 rounds to 51 in float32
    }

    @Test func `OKS ignores unlabelled points and is 0 when none is labelled`() {
        let far = [PixelKeypoint(x: 1, y: 1), PixelKeypoint(x: 2, y: 2), PixelKeypoint(x: 900, y: 900)]
        let sigmas = OKSSigmas.uniform(keypointCount: 3)
        #expect(
            Similarity.oks(truth: truth, prediction: far, area: 2.12, sigmas: sigmas)
                == Similarity.oks(truth: truth, prediction: prediction, area: 2.12, sigmas: sigmas))
        let unlabelled = truth.map { PixelKeypoint(x: $0.x, y: $0.y, visibility: 0) }
        #expect(Similarity.oks(truth: unlabelled, prediction: prediction, area: 2.12, sigmas: sigmas) == 0)
    }

    @Test func `OKS of one point follows exp of minus d squared over 8 sigma squared area`() {
        // d² = 9 + 16 = 25, σ = 0.1, area = 1000: e = 25 / 0.04 / 1000 / 2 = 0.3125.
        let oks = Similarity.oks(
            truth: [PixelKeypoint(x: 10, y: 10)], prediction: [PixelKeypoint(x: 13, y: 14)], area: 1000, sigmas: [0.1])
        #expect(abs(Double(oks) - 0.7316156289466418) < 1e-6)  // exp(-0.3125)
    }

    @Test func `the OKS area is the box area times 0.53`() {
        #expect(Similarity.oksArea(of: box(10, 20, 30, 60)) == 800 * Float(0.53))
    }

    @Test func `matrices are labels by detections`() {
        let truths = [box(0, 0, 10, 10), box(100, 100, 110, 110)]
        let detections = [box(100, 100, 110, 110), box(0, 0, 10, 10), box(0, 0, 10, 5)]
        let iou = Similarity.boxIoU(truths: truths, detections: detections)
        #expect(iou.count == 2 && iou.allSatisfy { $0.count == 3 })
        #expect(iou[0][1] == 1 && iou[1][0] == 1 && iou[0][0] == 0 && abs(iou[0][2] - 0.5) < 1e-6)

        let points = [[PixelKeypoint(x: 5, y: 5)], [PixelKeypoint(x: 105, y: 105)]]
        let oks = Similarity.keypointOKS(
            truths: [(points[0], 53), (points[1], 53)], predictions: [points[1], points[0], points[0]], sigmas: [0.1])
        // One labelled point: 1 / (1 + 1e-7) in float32 is just under 1.
        let one = 1 / (1 + Similarity.oksEpsilon)
        #expect(one < 1 && one > 0.9999998)
        #expect(oks.count == 2 && oks[0] == [0, one, one] && oks[1] == [one, 0, 0])
    }
}

@Suite struct OKSSigmasTests {
    @Test func `COCO sigmas are used only for kpt_shape 17 by 3`() {
        #expect(OKSSigmas.reference(keypointCount: 17, dimensions: 3) == OKSSigmas.coco)
        #expect(OKSSigmas.reference(keypointCount: 17, dimensions: 2) == OKSSigmas.uniform(keypointCount: 17))
        #expect(OKSSigmas.reference(keypointCount: 51, dimensions: 3) == OKSSigmas.uniform(keypointCount: 51))
    }

    @Test func `COCO sigmas are the reference's values`() {
        #expect(OKSSigmas.coco.count == 17)
        #expect(
            OKSSigmas.coco[0] == Float(0.026) && OKSSigmas.coco[11] == Float(0.107)
                && OKSSigmas.coco[16] == Float(0.089))
    }

    @Test func `uniform sigmas are 1 over K`() {
        let sigmas = OKSSigmas.uniform(keypointCount: 51)
        #expect(sigmas.count == 51 && sigmas.allSatisfy { $0 == Float(1.0 / 51.0) })
        #expect(abs(sigmas[0] - 0.0196078) < 1e-7)
    }
}
