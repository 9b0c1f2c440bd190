import Testing

@testable import PoseMetrics

@Suite struct PixelBoxTests {
    @Test func `IoU of two half-overlapping squares is a third`() {
        // Intersection 50, union 150, plus box_iou's 1e-7.
        #expect(box(0, 0, 10, 10).iou(box(5, 0, 15, 10)) == Float(50) / (Float(150) + 1e-7))
        #expect(abs(box(0, 0, 10, 10).iou(box(5, 0, 15, 10)) - 1.0 / 3.0) < 1e-6)
    }

    @Test func `IoU of a box with itself is 1 and is symmetric`() {
        let a = box(12.5, 3, 40, 77)
        let b = box(20, 10, 55, 60)
        #expect(a.iou(a) == 1)
        #expect(a.iou(b) == b.iou(a))
    }

    @Test func `disjoint and edge-touching boxes have IoU 0`() {
        #expect(box(0, 0, 10, 10).iou(box(20, 20, 30, 30)) == 0)
        #expect(box(0, 0, 10, 10).iou(box(10, 0, 20, 10)) == 0)
    }

    @Test func `a box inside another has the ratio of the areas`() {
        #expect(abs(box(0, 0, 10, 10).iou(box(2, 2, 7, 7)) - 0.25) < 1e-6)
    }

    @Test func `without epsilon two empty boxes give NaN, with it 0`() {
        let empty = box(5, 5, 5, 5)
        #expect(empty.iou(empty) == 0)
        #expect(empty.iou(empty, epsilon: 0).isNaN)
    }

    @Test func `width height and area are not clamped, as the reference's`() {
        let flipped = box(10, 0, 0, 4)
        #expect(flipped.width == -10 && flipped.height == 4 && flipped.area == -40)
    }
}

@Suite struct PixelKeypointTests {
    @Test func `only visibility 0 means unlabelled`() {
        #expect(!PixelKeypoint(x: 1, y: 2, visibility: 0).isLabelled)
        #expect(PixelKeypoint(x: 1, y: 2, visibility: 1).isLabelled)
        #expect(PixelKeypoint(x: 1, y: 2, visibility: 0.3).isLabelled)
        #expect(PixelKeypoint(x: 1, y: 2).visibility == 2)
    }
}
