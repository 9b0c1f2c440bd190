import Foundation
import Testing

@testable import Imaging
@testable import PoseData

@Suite struct ImageCanvasTests {
    let red = Color(1, 0, 0)
    let green = Color(0, 1, 0)
    let blue = Color(0, 0, 1)

    func black(_ width: Int, _ height: Int) -> ImageCanvas { ImageCanvas(RGBImage(width: width, height: height)) }

    /// The pixels that differ between two images of one size.
    func changed(_ a: RGBImage, _ b: RGBImage) -> Set<[Int]> {
        var result = Set<[Int]>()
        for y in 0..<a.height {
            for x in 0..<a.width where a[x, y] != b[x, y] { result.insert([x, y]) }
        }
        return result
    }

    func isColor(_ pixel: (r: UInt8, g: UInt8, b: UInt8), _ expected: (UInt8, UInt8, UInt8)) -> Bool {
        pixel == expected
    }

    @Test func `a box colours its edges and leaves its inside alone`() {
        var canvas = black(40, 30)
        canvas.drawBox(minX: 10, minY: 8, maxX: 30, maxY: 22, color: red, lineWidth: 2)
        let image = canvas.image
        // The line is centred on the edge: x 9...11 on the left, y 7...9 on top.
        for (x, y) in [(9, 15), (10, 15), (29, 15), (30, 15), (20, 7), (20, 8), (20, 21), (20, 22), (9, 7), (30, 22)] {
            #expect(isColor(image[x, y], (255, 0, 0)), "pixel \(x), \(y)")
        }
        for (x, y) in [(8, 15), (11, 15), (28, 15), (31, 15), (20, 6), (20, 9), (20, 20), (20, 23), (20, 15), (0, 0)] {
            #expect(isColor(image[x, y], (0, 0, 0)), "pixel \(x), \(y)")
        }
    }

    @Test func `a normalised box is scaled to the image`() {
        var canvas = black(40, 30)
        canvas.drawBox(BoundingBox(minX: 0.25, minY: 0.2, maxX: 0.75, maxY: 0.8), color: green, lineWidth: 2)
        #expect(isColor(canvas.image[9, 15], (0, 255, 0)) && isColor(canvas.image[10, 15], (0, 255, 0)))
        #expect(isColor(canvas.image[20, 5], (0, 255, 0)) && isColor(canvas.image[20, 24], (0, 255, 0)))
        #expect(isColor(canvas.image[20, 15], (0, 0, 0)) && isColor(canvas.image[12, 15], (0, 0, 0)))
    }

    @Test func `a point fills a disc around its centre`() {
        var canvas = black(30, 30)
        canvas.drawPoint(Point(15.5, 15.5), radius: 3, color: green)
        let image = canvas.image
        for (x, y) in [(15, 15), (17, 15), (13, 15), (15, 17), (15, 13)] {
            #expect(isColor(image[x, y], (0, 255, 0)), "pixel \(x), \(y)")
        }
        for (x, y) in [(19, 15), (11, 15), (15, 19), (15, 11), (19, 19)] {
            #expect(isColor(image[x, y], (0, 0, 0)), "pixel \(x), \(y)")
        }
        // Half opacity over black gives half the colour.
        var faint = black(30, 30)
        faint.drawPoint(Point(15.5, 15.5), radius: 3, color: Color(1, 1, 1), opacity: 0.5)
        #expect(isColor(faint.image[15, 15], (128, 128, 128)))
    }

    @Test func `a polyline draws its segments and closing one only when closed`() {
        let points = [Point(5, 5), Point(25, 5), Point(25, 15)]
        var open = black(30, 20)
        open.drawPolyline(points, color: blue, lineWidth: 2)
        var closed = black(30, 20)
        closed.drawPolyline(points, closed: true, color: blue, lineWidth: 2)
        for image in [open.image, closed.image] {
            for (x, y) in [(15, 4), (15, 5), (24, 10), (25, 10), (5, 5)] {
                #expect(isColor(image[x, y], (0, 0, 255)), "pixel \(x), \(y)")
            }
            for (x, y) in [(15, 3), (15, 6), (23, 10), (26, 10), (25, 17)] {
                #expect(isColor(image[x, y], (0, 0, 0)), "pixel \(x), \(y)")
            }
        }
        // The closing segment runs from (25, 15) back to (5, 5), through pixel (15, 10).
        #expect(isColor(open.image[15, 10], (0, 0, 0)))
        #expect(isColor(closed.image[15, 10], (0, 0, 255)))
        var line = black(30, 20)
        line.drawLine(from: Point(5, 5), to: Point(25, 5), color: blue, lineWidth: 2)
        #expect(isColor(line.image[15, 5], (0, 0, 255)) && isColor(line.image[25, 10], (0, 0, 0)))
    }

    @Test func `shapes reaching outside the image are clipped`() {
        var canvas = black(20, 20)
        canvas.drawBox(minX: -10, minY: -10, maxX: 5, maxY: 5, color: red, lineWidth: 2)
        canvas.drawPoint(Point(-100, -100), radius: 3, color: red)
        canvas.drawLine(from: Point(-50, 18.5), to: Point(50, 18.5), color: red, lineWidth: 1)
        canvas.fillPolygon([Point(15, 15), Point(40, 15), Point(15, 40)], color: green)
        #expect(isColor(canvas.image[4, 4], (255, 0, 0)) && isColor(canvas.image[4, 0], (255, 0, 0)))
        #expect(isColor(canvas.image[0, 18], (255, 0, 0)) && isColor(canvas.image[12, 18], (255, 0, 0)))
        #expect(isColor(canvas.image[16, 16], (0, 255, 0)) && isColor(canvas.image[19, 18], (0, 255, 0)))
        #expect(isColor(canvas.image[10, 10], (0, 0, 0)) && isColor(canvas.image[2, 2], (0, 0, 0)))
    }

    /// A 51-point face on a 64×64 image where only points 18-21 are labelled: 18 (the nose's
    /// end) at (10, 50), the left eye's 19, 20, 21 at (10, 10), (40, 10), (40, 40).
    func partlyLabelledFace() -> PoseInstance {
        var keypoints = [Keypoint](repeating: Keypoint(x: 0.5, y: 0.5, visibility: 0), count: 51)
        for (index, (x, y)) in [(18, (10.0, 50.0)), (19, (10.0, 10.0)), (20, (40.0, 10.0)), (21, (40.0, 40.0))] {
            keypoints[index] = Keypoint(x: x / 64, y: y / 64, visibility: 2)
        }
        return PoseInstance(box: BoundingBox(minX: 16 / 64, minY: 30 / 64, maxX: 48 / 64, maxY: 60 / 64), keypoints: keypoints)
    }

    @Test func `a pose joins labelled points along the face contours`() {
        var canvas = ImageCanvas(RGBImage(width: 64, height: 64, fill: (255, 255, 255)))
        canvas.drawPose(partlyLabelledFace(), color: red, pointColor: green, lineWidth: 2, pointRadius: 2, drawsBox: false)
        let image = canvas.image
        #expect(isColor(image[25, 9], (255, 0, 0)) && isColor(image[25, 10], (255, 0, 0)))  // eye 19-20
        #expect(isColor(image[39, 25], (255, 0, 0)) && isColor(image[40, 25], (255, 0, 0)))  // eye 20-21
        #expect(isColor(image[10, 50], (0, 255, 0)) && isColor(image[10, 10], (0, 255, 0)))  // points
        #expect(isColor(image[10, 30], (255, 255, 255)))  // 18-19: different features, not joined
        #expect(isColor(image[25, 25], (255, 255, 255)))  // 21-19: the eye is open where 22-24 are missing
        #expect(isColor(image[32, 32], (255, 255, 255)))  // unlabelled points are not drawn
    }

    @Test func `the contour lines of a label split where a point is missing and close only when all are there`() {
        let scheme = KeypointScheme.standard(forCount: 51)
        let lines = scheme.lines(of: partlyLabelledFace())
        // 18 alone on the lower nose draws nothing; the left eye (19-24) is open: 19, 20, 21
        #expect(lines.count == 1 && !lines[0].closed)
        #expect(lines[0].points.map { [$0.x * 64, $0.y * 64] } == [[10, 10], [40, 10], [40, 40]])
        var whole = partlyLabelledFace()
        for index in 19..<25 { whole.keypoints[index].visibility = 2 }
        let eye = scheme.lines(of: whole).first { $0.points.count == 6 }
        #expect(eye?.closed == true)
    }

    @Test func `the canvas saves as PNG and reads back the same pixels`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var canvas = ImageCanvas(gradientImage(width: 48, height: 32))
        canvas.drawPose(partlyLabelledFace(), color: ImageCanvas.palette[1])
        let url = scratch.appendingPathComponent("figure.png")
        try canvas.write(to: url)
        #expect(try ImageCodec.decode(contentsOf: url) == canvas.image)
        try canvas.write(to: scratch.appendingPathComponent("figure.jpg"))
        #expect(try ImageCodec.info(contentsOf: scratch.appendingPathComponent("figure.jpg")).format == .jpeg)
    }
}
