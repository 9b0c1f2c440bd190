import Foundation
import Pose
import PoseData
import PoseMetrics
import Testing

@testable import AutoLabel

func face(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) -> PoseInstance {
    PoseInstance(box: BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY), keypoints: [Keypoint(x: minX, y: minY)])
}

@Suite struct `Merge rule` {
    // Two unit-height boxes [0, 1] and [s, s + 1] overlap with IoU (1 − s) / (1 + s): 0.3 at s = 7/13.
    @Test func `a prediction just over the IoU threshold is dropped and one just under is kept`() {
        let existing = [face(0, 0, 0.1, 0.1)]
        let over = face(0.0538, 0, 0.1538, 0.1)  // IoU ≈ 0.3002
        let under = face(0.0539, 0, 0.1539, 0.1)  // IoU ≈ 0.2997
        #expect(Merge.iou(existing[0].box, over.box) > 0.3 && Merge.iou(existing[0].box, under.box) < 0.3)
        #expect(Merge.additions(existing: existing, predictions: [over, under]) == [under])
    }

    @Test func `a prediction overlapping either of two labels is dropped`() {
        let existing = [face(0, 0, 0.2, 0.2), face(0.5, 0.5, 0.7, 0.7)]
        let nearSecond = face(0.52, 0.5, 0.72, 0.7)
        let between = face(0.3, 0.3, 0.4, 0.4)
        #expect(Merge.additions(existing: existing, predictions: [nearSecond, between]) == [between])
    }

    @Test func `a prediction overlapping a rejected box is dropped though the rejected label is gone`() {
        let rejected = face(0.5, 0.5, 0.7, 0.7).box
        let again = face(0.51, 0.5, 0.71, 0.7)
        let elsewhere = face(0.1, 0.1, 0.2, 0.2)
        #expect(Merge.additions(existing: [], predictions: [again, elsewhere]) == [again, elsewhere])
        #expect(Merge.additions(existing: [], rejected: [rejected], predictions: [again, elsewhere]) == [elsewhere])
    }

    @Test func `predictions overlapping each other are all kept (NMS already decided)`() {
        let a = face(0.1, 0.1, 0.3, 0.3)
        let b = face(0.12, 0.1, 0.32, 0.3)
        #expect(Merge.additions(existing: [], predictions: [a, b]) == [a, b])
    }
}

@Suite struct `Overlap check` {
    @Test func `of one face found twice, the lower score goes, and the higher stays even inside the other`() {
        // the larger box scores lower; the smaller lies wholly inside it (IoU 0.5625)
        let boxes = [face(0.10, 0.10, 0.30, 0.30).box, face(0.11, 0.11, 0.26, 0.26).box]
        #expect(Merge.repeatedFaces(boxes, scores: [0.4, 0.6], existing: []) == [0])
        #expect(Merge.repeatedFaces(boxes, scores: [0.6, 0.4], existing: []) == [1])
    }

    @Test func `a part of a face inside a larger face's box goes, whether that face is labelled or new`() {
        let eye = face(0.30, 0.30, 0.40, 0.36).box
        let faceBox = face(0.25, 0.25, 0.75, 0.80).box
        #expect(Merge.iou(eye, faceBox) < 0.3)
        #expect(Merge.repeatedFaces([eye], scores: [0.5], existing: [faceBox]) == [0])
        #expect(Merge.repeatedFaces([faceBox, eye], scores: [0.3, 0.5], existing: []) == [1])
        // 70% of its area inside is a part; 60% is a face beside another
        let edge = face(0.70, 0.40, 0.80, 0.50).box  // half inside the face box
        let mostly = face(0.67, 0.40, 0.77, 0.50).box  // 80% inside
        #expect(Merge.repeatedFaces([edge], scores: [0.5], existing: [faceBox]).isEmpty)
        #expect(Merge.repeatedFaces([mostly], scores: [0.5], existing: [faceBox]) == [0])
    }

    @Test func `faces side by side, or touching, all stay`() {
        let boxes = [face(0.1, 0.1, 0.3, 0.3).box, face(0.3, 0.1, 0.5, 0.3).box, face(0.45, 0.1, 0.65, 0.3).box]
        #expect(Merge.iou(boxes[1], boxes[2]) < 0.3)
        #expect(Merge.repeatedFaces(boxes, scores: [0.9, 0.8, 0.7], existing: [face(0.7, 0.7, 0.9, 0.9).box]).isEmpty)
    }
}

@Suite struct `Generated labels` {
    @Test func `keypoints under the confidence threshold get visibility 0, never a visible point at 0, 0`() {
        let prediction = ImagePrediction(
            file: "a.jpg", width: 200, height: 100,
            detections: [
                PoseDetection(
                    box: PixelBox(x1: 20, y1: 10, x2: 120, y2: 90), score: 0.9, classIndex: 0,
                    keypoints: [
                        PredictedKeypoint(x: 50, y: 40, confidence: 0.8), PredictedKeypoint(x: 60, y: 50, confidence: 0.49),
                    ])
            ])
        let label = prediction.labels(keypointConfidence: 0.5)[0]
        #expect(label.keypoints[0] == Keypoint(x: 0.25, y: 0.4, visibility: 2))
        #expect(label.keypoints[1].visibility == 0)
        #expect(label.box == BoundingBox(minX: 0.1, minY: 0.1, maxX: 0.6, maxY: 0.9))
        #expect(prediction.labels(keypointConfidence: 0.4)[0].keypoints[1].visibility == 2)
    }
}
