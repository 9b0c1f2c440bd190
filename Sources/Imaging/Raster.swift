import Foundation
import PoseData

/// Anti-aliased coverage of shapes over a canvas: 0 outside, 1 inside, fractions on edges
/// (4 sub-scanlines per pixel, exact horizontal coverage). Shapes added to one mask are united.
package struct Mask {
    package let width: Int
    package let height: Int
    package var values: [Float]
    /// The rows touched, to keep compositing cheap.
    package var minRow = Int.max
    package var maxRow = Int.min

    package init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height)
    }

    package static let subScanlines = 4

    /// Adds a filled polygon (even-odd rule; simple polygons in practice).
    package mutating func fill(_ polygon: [Point]) {
        guard polygon.count >= 3 else { return }
        let ys = polygon.map(\.y)
        let top = max(0, Int(floor(ys.min()!)))
        let bottom = min(height - 1, Int(ceil(ys.max()!)))
        guard top <= bottom else { return }
        var row = [Float](repeating: 0, count: width)
        var crossings: [Double] = []
        let weight = 1 / Float(Self.subScanlines)
        for y in top...bottom {
            var touched = false
            var rowMin = width
            var rowMax = -1
            for sub in 0..<Self.subScanlines {
                let sy = Double(y) + (Double(sub) + 0.5) / Double(Self.subScanlines)
                crossings.removeAll(keepingCapacity: true)
                var previous = polygon[polygon.count - 1]
                for current in polygon {
                    if (previous.y <= sy) != (current.y <= sy) {
                        let t = (sy - previous.y) / (current.y - previous.y)
                        crossings.append(previous.x + t * (current.x - previous.x))
                    }
                    previous = current
                }
                crossings.sort()
                var index = 0
                while index + 1 < crossings.count {
                    let x0 = max(0, crossings[index])
                    let x1 = min(Double(width), crossings[index + 1])
                    index += 2
                    guard x1 > x0 else { continue }
                    let first = Int(x0)
                    let last = min(width - 1, Int(x1))
                    touched = true
                    rowMin = min(rowMin, first)
                    rowMax = max(rowMax, last)
                    if first == last {
                        row[first] += Float(x1 - x0) * weight
                    } else {
                        row[first] += Float(Double(first + 1) - x0) * weight
                        if first + 1 < last { for x in (first + 1)..<last { row[x] += weight } }
                        if last < width { row[last] += Float(x1 - Double(last)) * weight }
                    }
                }
            }
            guard touched else { continue }
            minRow = min(minRow, y)
            maxRow = max(maxRow, y)
            let base = y * width
            for x in rowMin...rowMax {
                values[base + x] = max(values[base + x], min(row[x], 1))
                row[x] = 0
            }
        }
    }

    /// Adds an ellipse (a 64-gon, finer than a pixel for any size drawn here).
    package mutating func ellipse(center: Point, radiusX: Double, radiusY: Double, rotation: Double = 0) {
        fill(Self.ellipsePolygon(center: center, radiusX: radiusX, radiusY: radiusY, rotation: rotation))
    }

    package static func ellipsePolygon(
        center: Point, radiusX: Double, radiusY: Double, rotation: Double = 0, sides: Int = 64
    )
        -> [Point]
    {
        let (s, c) = (sin(rotation), cos(rotation))
        return (0..<sides).map { index in
            let angle = Double(index) / Double(sides) * 2 * Double.pi
            let (x, y) = (radiusX * cos(angle), radiusY * sin(angle))
            return Point(center.x + x * c - y * s, center.y + x * s + y * c)
        }
    }

    /// Adds a polyline of the given width with round joins and caps.
    package mutating func stroke(_ points: [Point], width lineWidth: Double, closed: Bool = false) {
        let half = lineWidth / 2
        let path = closed && points.count > 2 ? points + [points[0]] : points
        for (a, b) in zip(path, path.dropFirst()) {
            let (dx, dy) = (b.x - a.x, b.y - a.y)
            let length = (dx * dx + dy * dy).squareRoot()
            guard length > 1e-9 else { continue }
            let (nx, ny) = (-dy / length * half, dx / length * half)
            fill([Point(a.x + nx, a.y + ny), Point(b.x + nx, b.y + ny), Point(b.x - nx, b.y - ny), Point(a.x - nx, a.y - ny)])
        }
        for point in points { ellipse(center: point, radiusX: half, radiusY: half) }
    }

    /// Keeps only the part also covered by `other`.
    package mutating func intersect(_ other: Mask) {
        for index in values.indices { values[index] = min(values[index], other.values[index]) }
    }
}

/// A floating-point RGB canvas that shapes are painted on.
package struct Canvas {
    package let width: Int
    package let height: Int
    package var pixels: [Float]  // RGB interleaved, [0, 1]

    package init(width: Int, height: Int, color: Color) {
        self.width = width
        self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
        for index in 0..<(width * height) {
            pixels[index * 3] = Float(color.r)
            pixels[index * 3 + 1] = Float(color.g)
            pixels[index * 3 + 2] = Float(color.b)
        }
    }

    package func mask() -> Mask { Mask(width: width, height: height) }

    /// Paints `color` through `mask` with the given opacity.
    package mutating func paint(_ mask: Mask, _ color: Color, opacity: Double = 1) {
        guard mask.minRow <= mask.maxRow else { return }
        let (r, g, b) = (Float(color.r), Float(color.g), Float(color.b))
        let alphaScale = Float(opacity)
        for y in mask.minRow...mask.maxRow {
            for x in 0..<width {
                let coverage = mask.values[y * width + x]
                if coverage <= 0 { continue }
                let alpha = coverage * alphaScale
                let index = (y * width + x) * 3
                pixels[index] += (r - pixels[index]) * alpha
                pixels[index + 1] += (g - pixels[index + 1]) * alpha
                pixels[index + 2] += (b - pixels[index + 2]) * alpha
            }
        }
    }

    /// Paints a linear gradient from `from` at point `start` to `to` at point `end` over everything.
    package mutating func gradient(from: Color, to: Color, start: Point, end: Point) {
        let (dx, dy) = (end.x - start.x, end.y - start.y)
        let length2 = max(dx * dx + dy * dy, 1e-9)
        for y in 0..<height {
            for x in 0..<width {
                let t = min(max(((Double(x) + 0.5 - start.x) * dx + (Double(y) + 0.5 - start.y) * dy) / length2, 0), 1)
                let color = from.mixed(with: to, t)
                let index = (y * width + x) * 3
                pixels[index] = Float(color.r)
                pixels[index + 1] = Float(color.g)
                pixels[index + 2] = Float(color.b)
            }
        }
    }

    /// Multiplies brightness by a factor varying linearly across the image (uneven lighting).
    package mutating func light(start: Point, end: Point, from: Double, to: Double) {
        let (dx, dy) = (end.x - start.x, end.y - start.y)
        let length2 = max(dx * dx + dy * dy, 1e-9)
        for y in 0..<height {
            for x in 0..<width {
                let t = min(max(((Double(x) + 0.5 - start.x) * dx + (Double(y) + 0.5 - start.y) * dy) / length2, 0), 1)
                let factor = Float(from + (to - from) * t)
                let index = (y * width + x) * 3
                for channel in 0..<3 { pixels[index + channel] *= factor }
            }
        }
    }

    /// A 3×3 box blur.
    package mutating func blur() {
        let source = pixels
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    var sum: Float = 0
                    var count: Float = 0
                    for yy in max(0, y - 1)...min(height - 1, y + 1) {
                        for xx in max(0, x - 1)...min(width - 1, x + 1) {
                            sum += source[(yy * width + xx) * 3 + channel]
                            count += 1
                        }
                    }
                    pixels[(y * width + x) * 3 + channel] = sum / count
                }
            }
        }
    }

    /// Adds Gaussian noise of standard deviation `sigma` (in [0, 1] units).
    package mutating func noise(sigma: Double, random: inout SeededRandom) {
        guard sigma > 0 else { return }
        for index in pixels.indices { pixels[index] += Float(sigma * random.normal()) }
    }

    /// The 8-bit image (rounded, clamped).
    package func image() -> RGBImage {
        RGBImage(width: width, height: height, pixels: pixels.map { UInt8(min(max($0 * 255 + 0.5, 0), 255)) })
    }
}
