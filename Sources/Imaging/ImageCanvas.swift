import Foundation
import PoseData

/// Drawing on an ``RGBImage`` for figures: boxes, points, lines and polylines (anti-aliased, by the
/// rasteriser the synthetic faces use), text labels in a built-in 5×7 bitmap font, and whole
/// pose labels with their contours.
///
/// Coordinates are pixels, x right and y down, with pixel (i, j) covering [i, i+1) × [j, j+1), so
/// the centre of the top-left pixel is (0.5, 0.5). Normalised label values (``BoundingBox``,
/// ``Keypoint``) are scaled by the image's width and height.
///
/// ```swift
/// var canvas = ImageCanvas(try ImageCodec.decode(contentsOf: imageURL))
/// for face in faces { canvas.drawPose(face, color: ImageCanvas.palette[0], label: "0.93") }
/// canvas.drawText("Iter 2", at: Point(4, 4), color: Color(1, 1, 1), scale: 2, background: Color(0, 0, 0))
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

    /// A pixel rectangle: columns `x..<x + width`, rows `y..<y + height`.
    public struct PixelRect: Sendable, Hashable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < x + width && py >= y && py < y + height }
    }

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

    // MARK: - Text

    /// The size in pixels of `text` drawn at `scale` without a background.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        guard !text.isEmpty else { return (0, 0) }
        return ((BitmapFont.advance * text.count - 1) * scale, BitmapFont.glyphHeight * scale)
    }

    /// Draws one line of text with its top-left corner at `origin` (rounded down to a pixel), each
    /// font pixel a `scale` × `scale` square, crisp (not anti-aliased). With a `background`, a
    /// filled rectangle `scale` pixels larger on each side goes behind the text, its top-left
    /// corner at `origin`.
    ///
    /// - Returns: the rectangle that may have changed (before clipping to the image).
    @discardableResult
    public mutating func drawText(
        _ text: String, at origin: Point, color: Color, scale: Int = 1, background: Color? = nil
    ) -> PixelRect {
        precondition(scale >= 1, "ImageCanvas.drawText: scale \(scale) < 1")
        let (textWidth, textHeight) = Self.textSize(text, scale: scale)
        let (x0, y0) = (Int(origin.x.rounded(.down)), Int(origin.y.rounded(.down)))
        let padding = background == nil ? 0 : scale
        let rect = PixelRect(x: x0, y: y0, width: textWidth + 2 * padding, height: textHeight + 2 * padding)
        if let background { fillPixels(rect, background) }
        let ink = Self.bytes(color)
        for (position, character) in text.enumerated() {
            let left = x0 + padding + position * BitmapFont.advance * scale
            for (row, bits) in BitmapFont.rows(of: character).enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - column)) != 0 {
                    fillPixels(
                        PixelRect(x: left + column * scale, y: y0 + padding + row * scale, width: scale, height: scale), ink)
                }
            }
        }
        return rect
    }

    // MARK: - Poses

    /// Draws a pose label: its box, the contours of `scheme` between labelled points, the
    /// labelled points (visibility ≠ 0) and, when given, a text `label` on a filled tab above
    /// the box's top-left corner (inside it when there is no room above).
    ///
    /// - Parameters:
    ///   - scheme: the contours to draw; by default the standard one for the point count (the
    ///     51-point face: brows, nose, eyes, lips).
    ///   - lineWidth: box and contour width; by default about 0.3% of the image's mean side, at
    ///     least 2 (the reference's plotting rule).
    ///   - pointRadius: by default the line width.
    public mutating func drawPose(
        _ instance: PoseInstance, scheme: KeypointScheme? = nil, color: Color, pointColor: Color? = nil,
        lineWidth: Double? = nil, pointRadius: Double? = nil, drawsBox: Bool = true, label: String? = nil
    ) {
        let (w, h) = (Double(width), Double(height))
        let lineWidth = lineWidth ?? max(((w + h) / 2 * 0.003).rounded(), 2)
        let pointRadius = pointRadius ?? lineWidth
        let scheme = scheme ?? KeypointScheme.standard(forCount: instance.keypoints.count)
        if drawsBox { drawBox(instance.box, color: color, lineWidth: lineWidth) }
        let points = instance.keypoints.map { Point($0.x * w, $0.y * h) }
        let labelled = instance.keypoints.map(\.isLabelled)
        for contour in scheme.contours {
            // Split the polyline where a point is missing.
            var run: [Point] = []
            func flush() {
                if run.count >= 2 { drawPolyline(run, color: color, lineWidth: lineWidth) }
                run = []
            }
            let closes = contour.closed && contour.indices.allSatisfy { $0 < points.count && labelled[$0] }
            for index in contour.indices {
                if index < points.count && labelled[index] { run.append(points[index]) } else { flush() }
            }
            if closes {
                drawPolyline(run, closed: true, color: color, lineWidth: lineWidth)
                run = []
            }
            flush()
        }
        for (point, isLabelled) in zip(points, labelled) where isLabelled {
            drawPoint(point, radius: pointRadius, color: pointColor ?? color)
        }
        if let label, !label.isEmpty {
            let scale = max(1, Int((lineWidth / 2).rounded()))
            let tabHeight = Double(BitmapFont.glyphHeight * scale + 2 * scale)
            let left = max(0, instance.box.minX * w - lineWidth / 2)
            var top = instance.box.minY * h - lineWidth / 2 - tabHeight
            if top < 0 { top = instance.box.minY * h + lineWidth / 2 }
            let luminance = 0.299 * color.r + 0.587 * color.g + 0.114 * color.b
            drawText(
                label, at: Point(left, top), color: luminance > 0.6 ? Color(0, 0, 0) : Color(1, 1, 1), scale: scale,
                background: color)
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

    private static func bytes(_ color: Color) -> (r: UInt8, g: UInt8, b: UInt8) {
        func byte(_ value: Double) -> UInt8 { UInt8(min(max((value * 255).rounded(), 0), 255)) }
        return (byte(color.r), byte(color.g), byte(color.b))
    }

    private mutating func fillPixels(_ rect: PixelRect, _ color: Color) { fillPixels(rect, Self.bytes(color)) }

    private mutating func fillPixels(_ rect: PixelRect, _ color: (r: UInt8, g: UInt8, b: UInt8)) {
        let (x0, y0) = (max(rect.x, 0), max(rect.y, 0))
        let (x1, y1) = (min(rect.x + rect.width, width), min(rect.y + rect.height, height))
        guard x1 > x0, y1 > y0 else { return }
        for y in y0..<y1 {
            for x in x0..<x1 { image[x, y] = color }
        }
    }
}
