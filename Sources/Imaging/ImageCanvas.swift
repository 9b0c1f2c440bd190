import Foundation
import PoseData

/// Drawing on an ``RGBImage`` where a raster is the output (`predict --save-img`, `measure
/// --save-img`): boxes, points, lines and polylines (anti-aliased, by the rasteriser the synthetic
/// faces use) and whole pose labels with their contours. No text: figures with words are SVG.
///
/// Coordinates are pixels, x right and y down, with pixel (i, j) covering [i, i+1) × [j, j+1), so
/// the centre of the top-left pixel is (0.5, 0.5). Normalised label values (``BoundingBox``,
/// ``Keypoint``) are scaled by the image's width and height.
///
/// ```swift
/// var canvas = ImageCanvas(try ImageCodec.decode(contentsOf: imageURL))
/// for face in faces { canvas.drawPose(face, color: ImageCanvas.palette[0]) }
/// try canvas.write(to: URL(fileURLWithPath: "figure.png"))
/// ```
public struct ImageCanvas: Sendable {
    /// The image drawn so far.
    public private(set) var image: RGBImage

    public init(_ image: RGBImage) { self.image = image }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Distinct colours for instances, iterations or origins, in order.
    public static let palette: [Color] = [
        Color(0.12, 0.47, 0.94), Color(0.96, 0.31, 0.18), Color(0.17, 0.75, 0.33), Color(0.98, 0.75, 0.10),
        Color(0.62, 0.33, 0.89), Color(0.05, 0.80, 0.85), Color(0.95, 0.36, 0.71), Color(0.55, 0.55, 0.55),
    ]

    // MARK: - Shapes

    /// Draws a straight line with round ends.
    public mutating func drawLine(from start: Point, to end: Point, color: Color, lineWidth: Double = 2, opacity: Double = 1) {
        drawPolyline([start, end], color: color, lineWidth: lineWidth, opacity: opacity)
    }

    /// Draws a polyline through `points` with round joins and ends; `closed` joins the last point
    /// to the first.
    public mutating func drawPolyline(
        _ points: [Point], closed: Bool = false, color: Color, lineWidth: Double = 2, opacity: Double = 1
    ) {
        guard !points.isEmpty else { return }
        paint(color, opacity: opacity, covering: points, margin: lineWidth / 2) { mask, local in
            mask.stroke(points.map(local), width: lineWidth, closed: closed)
        }
    }

    /// Draws a filled disc.
    public mutating func drawPoint(_ center: Point, radius: Double = 3, color: Color, opacity: Double = 1) {
        paint(color, opacity: opacity, covering: [center], margin: radius) { mask, local in
            mask.ellipse(center: local(center), radiusX: radius, radiusY: radius)
        }
    }

    /// Fills a polygon (even-odd rule).
    public mutating func fillPolygon(_ points: [Point], color: Color, opacity: Double = 1) {
        guard points.count >= 3 else { return }
        paint(color, opacity: opacity, covering: points, margin: 0) { mask, local in mask.fill(points.map(local)) }
    }

    /// Draws the outline of the box with corners (`minX`, `minY`) and (`maxX`, `maxY`) in pixels,
    /// the line centred on the box's edge, with square corners.
    public mutating func drawBox(
        minX: Double, minY: Double, maxX: Double, maxY: Double, color: Color, lineWidth: Double = 2, opacity: Double = 1
    ) {
        let half = lineWidth / 2
        let (outerLeft, outerTop, outerRight, outerBottom) = (minX - half, minY - half, maxX + half, maxY + half)
        let (innerLeft, innerTop, innerRight, innerBottom) = (minX + half, minY + half, maxX - half, maxY - half)
        func rectangle(_ left: Double, _ top: Double, _ right: Double, _ bottom: Double) -> [Point] {
            [Point(left, top), Point(right, top), Point(right, bottom), Point(left, bottom)]
        }
        let corners = [Point(outerLeft, outerTop), Point(outerRight, outerBottom)]
        paint(color, opacity: opacity, covering: corners, margin: 0) { mask, local in
            if innerRight <= innerLeft || innerBottom <= innerTop {  // thicker than the box: solid
                mask.fill(rectangle(outerLeft, outerTop, outerRight, outerBottom).map(local))
                return
            }
            for bar in [
                rectangle(outerLeft, outerTop, outerRight, innerTop), rectangle(outerLeft, innerBottom, outerRight, outerBottom),
                rectangle(outerLeft, innerTop, innerLeft, innerBottom), rectangle(innerRight, innerTop, outerRight, innerBottom),
            ] {
                mask.fill(bar.map(local))
            }
        }
    }

    /// Draws a label's box (normalised, as in label files) scaled to the image.
    public mutating func drawBox(_ box: BoundingBox, color: Color, lineWidth: Double = 2, opacity: Double = 1) {
        let (w, h) = (Double(width), Double(height))
        drawBox(
            minX: box.minX * w, minY: box.minY * h, maxX: box.maxX * w, maxY: box.maxY * h, color: color, lineWidth: lineWidth,
            opacity: opacity)
    }

    // MARK: - Poses

    /// Draws a pose label: its box, the contours of `scheme` between labelled points
    /// (``KeypointScheme/lines(of:)``) and the labelled points (visibility ≠ 0).
    ///
    /// - Parameters:
    ///   - scheme: the contours to draw; by default the standard one for the point count (the
    ///     51-point face: brows, nose, eyes, lips).
    ///   - lineWidth: box and contour width; by default about 0.3% of the image's mean side, at
    ///     least 2 (the reference's plotting rule).
    ///   - pointRadius: by default the line width.
    public mutating func drawPose(
        _ instance: PoseInstance, scheme: KeypointScheme? = nil, color: Color, pointColor: Color? = nil,
        lineWidth: Double? = nil, pointRadius: Double? = nil, drawsBox: Bool = true
    ) {
        let (w, h) = (Double(width), Double(height))
        let lineWidth = lineWidth ?? max(((w + h) / 2 * 0.003).rounded(), 2)
        let pointRadius = pointRadius ?? lineWidth
        let scheme = scheme ?? KeypointScheme.standard(forCount: instance.keypoints.count)
        if drawsBox { drawBox(instance.box, color: color, lineWidth: lineWidth) }
        for line in scheme.lines(of: instance) {
            drawPolyline(line.points.map { Point($0.x * w, $0.y * h) }, closed: line.closed, color: color, lineWidth: lineWidth)
        }
        for point in instance.keypoints where point.isLabelled {
            drawPoint(Point(point.x * w, point.y * h), radius: pointRadius, color: pointColor ?? color)
        }
    }

    // MARK: - Output

    /// Writes the image as PNG or JPEG (by the file's extension), atomically.
    public func write(to url: URL, jpegQuality: Int = 95) throws {
        try ImageCodec.write(image, to: url, jpegQuality: jpegQuality)
    }

    // MARK: - Internals

    /// Rasterises a shape into a mask the size of its bounds (the points' extent grown by
    /// `margin`, clipped to the image) and blends `color` through it.
    private mutating func paint(
        _ color: Color, opacity: Double, covering points: [Point], margin: Double,
        _ shape: (inout Mask, (Point) -> Point) -> Void
    ) {
        let xs = points.map(\.x)
        let ys = points.map(\.y)
        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max(),
            minX.isFinite, maxX.isFinite, minY.isFinite, maxY.isFinite
        else { return }
        let left = max(0, Int((minX - margin).rounded(.down)) - 1)
        let top = max(0, Int((minY - margin).rounded(.down)) - 1)
        let right = min(width, Int((maxX + margin).rounded(.up)) + 1)
        let bottom = min(height, Int((maxY + margin).rounded(.up)) + 1)
        guard right > left, bottom > top else { return }
        var mask = Mask(width: right - left, height: bottom - top)
        let (dx, dy) = (Double(left), Double(top))
        shape(&mask) { Point($0.x - dx, $0.y - dy) }
        guard mask.minRow <= mask.maxRow else { return }
        let target = [Float(color.r * 255), Float(color.g * 255), Float(color.b * 255)]
        let alpha = Float(opacity)
        for row in mask.minRow...mask.maxRow {
            for column in 0..<mask.width {
                let coverage = mask.values[row * mask.width + column] * alpha
                if coverage <= 0 { continue }
                let index = ((top + row) * width + left + column) * 3
                for channel in 0..<3 {
                    let old = Float(image.pixels[index + channel])
                    let new = old + (target[channel] - old) * min(coverage, 1)
                    image.pixels[index + channel] = UInt8(min(max(new.rounded(), 0), 255))
                }
            }
        }
    }
}
