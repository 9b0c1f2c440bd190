import Foundation
import PoseData

/// A figure as SVG text: shapes in pixels (x right, y down), real text the browser sets in its own
/// fonts, images embedded as `data:` URIs, so that the file (or the same markup inside an HTML
/// page) shows anywhere, offline, and prints sharp.
///
/// ```swift
/// var figure = SVGDocument(width: 200, height: 100, title: "Two bars")
/// figure.rect(x: 20, y: 40, width: 30, height: 60, fill: .init(0.1, 0.5, 0.9))
/// figure.text("40", at: Point(35, 36), size: 11, anchor: .middle)
/// try Data(figure.markup(standalone: true).utf8).write(to: url)
/// ```
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    /// The figure's accessible name (`<title>`).
    public let title: String
    private var definitions: [String] = []
    private var elements: [String] = []

    public init(width: Double, height: Double, title: String) {
        (self.width, self.height, self.title) = (width, height, title)
    }

    /// Where a text's anchor point is: its start, middle or end.
    public enum Anchor: String, Sendable { case start, middle, end }

    /// The document, from `<svg>` to `</svg>`: `standalone` for an `.svg` file (with the SVG
    /// namespace), else for a place inside an HTML page, which needs none.
    public func markup(standalone: Bool) -> String {
        var lines = [
            "<svg" + (standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") + " width=\"\(Self.number(width))\" "
                + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" "
                + "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">",
            "<title>\(HTMLText.escape(title))</title>",
        ]
        if !definitions.isEmpty { lines += ["<defs>"] + definitions + ["</defs>"] }
        lines += elements
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Shapes

    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: Color? = nil, stroke: Color? = nil, lineWidth: Double = 1,
        attributes: [(String, String)] = []
    ) {
        elements.append(
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
                + Self.paint(fill: fill, stroke: stroke, lineWidth: lineWidth) + Self.attributes(attributes) + "/>")
    }

    public mutating func line(from start: Point, to end: Point, stroke: Color, lineWidth: Double = 1) {
        elements.append(
            "<line x1=\"\(Self.number(start.x))\" y1=\"\(Self.number(start.y))\" x2=\"\(Self.number(end.x))\" y2=\"\(Self.number(end.y))\""
                + Self.paint(fill: nil, stroke: stroke, lineWidth: lineWidth) + "/>")
    }

    /// A polyline (a polygon when `closed`) with round joins and ends.
    public mutating func polyline(_ points: [Point], closed: Bool = false, stroke: Color, lineWidth: Double) {
        let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        elements.append(
            "<\(closed ? "polygon" : "polyline") points=\"\(list)\"" + Self.paint(fill: nil, stroke: stroke, lineWidth: lineWidth)
                + " stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
    }

    public mutating func circle(center: Point, radius: Double, fill: Color) {
        elements.append(
            "<circle cx=\"\(Self.number(center.x))\" cy=\"\(Self.number(center.y))\" r=\"\(Self.number(radius))\""
                + Self.paint(fill: fill, stroke: nil, lineWidth: 0) + "/>")
    }

    /// One line of text whose baseline starts, is centred or ends at `point`.
    public mutating func text(
        _ string: String, at point: Point, size: Double, anchor: Anchor = .start, bold: Bool = false, color: Color = Color(0.1, 0.1, 0.1)
    ) {
        elements.append(
            "<text x=\"\(Self.number(point.x))\" y=\"\(Self.number(point.y))\" font-size=\"\(Self.number(size))\""
                + (anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\"") + (bold ? " font-weight=\"600\"" : "")
                + " fill=\"\(color.hex)\">\(HTMLText.escape(string))</text>")
    }

    /// Defines an image (`data` of a JPEG or PNG file) once, to be placed by ``use(_:x:y:)``.
    public mutating func defineImage(_ id: String, data: Data, type: String, width: Int, height: Int) {
        definitions.append(
            "<image id=\"\(id)\" width=\"\(width)\" height=\"\(height)\" preserveAspectRatio=\"none\" "
                + "href=\"data:\(type);base64,\(data.base64EncodedString())\"/>")
    }

    /// Places a definition with its top-left corner at (`x`, `y`).
    public mutating func use(_ id: String, x: Double, y: Double) {
        elements.append("<use href=\"#\(id)\" x=\"\(Self.number(x))\" y=\"\(Self.number(y))\"/>")
    }

    /// Wraps what `body` adds in a `<g>` with `attributes` (a class, data- attributes for readers).
    public mutating func group(_ attributes: [(String, String)], _ body: (inout SVGDocument) -> Void) {
        elements.append("<g" + Self.attributes(attributes) + ">")
        body(&self)
        elements.append("</g>")
    }

    /// A pose label over a `frame` of the figure (its image's place): the box, the contours of
    /// `scheme` between labelled points (``KeypointScheme/lines(of:)``) and the labelled points.
    public mutating func pose(
        _ instance: PoseInstance, in frame: (x: Double, y: Double, width: Double, height: Double), scheme: KeypointScheme? = nil,
        color: Color, lineWidth: Double, pointRadius: Double
    ) {
        func place(_ point: Keypoint) -> Point { Point(frame.x + point.x * frame.width, frame.y + point.y * frame.height) }
        let box = instance.box
        rect(
            x: frame.x + box.minX * frame.width, y: frame.y + box.minY * frame.height, width: box.width * frame.width,
            height: box.height * frame.height, stroke: color, lineWidth: lineWidth)
        let scheme = scheme ?? KeypointScheme.standard(forCount: instance.keypoints.count)
        for line in scheme.lines(of: instance) {
            polyline(line.points.map(place), closed: line.closed, stroke: color, lineWidth: lineWidth)
        }
        for point in instance.keypoints where point.isLabelled { circle(center: place(point), radius: pointRadius, fill: color) }
    }

    // MARK: Text of values

    /// A coordinate with at most two decimals, trailing zeros dropped.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    static func paint(fill: Color?, stroke: Color?, lineWidth: Double) -> String {
        " fill=\"\(fill?.hex ?? "none")\"" + (stroke.map { " stroke=\"\($0.hex)\" stroke-width=\"\(number(lineWidth))\"" } ?? "")
    }

    static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(HTMLText.escape($0.1))\"" }.joined()
    }
}

extension Color {
    /// `#rrggbb`, each channel rounded to a byte.
    public var hex: String {
        func byte(_ value: Double) -> Int { Int(min(max((value * 255).rounded(), 0), 255)) }
        return String(format: "#%02x%02x%02x", byte(r), byte(g), byte(b))
    }
}
