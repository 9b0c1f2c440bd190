import Foundation
import Imaging
import PoseData

/// The random make-up of one synthetic face, in a canonical frame where the face is 2 units wide
/// (eyes at y = -0.25, mouth at y ≈ 0.6, x to the image's right, y down).
public struct SyntheticFace: Sendable {
    public var center: Point
    /// Pixels per canonical unit.
    public var scale: Double
    /// In-plane rotation, radians.
    public var roll: Double
    /// Head turn, radians (foreshortens the far side).
    public var yaw: Double
    public var skin: Color
    public var hair: Color?
    public var lips: Color
    public var iris: Color
    /// Upper-lid opening per eye (left, right), 0.01 (almost shut) ... 0.13 (wide open).
    public var eyeOpening: (Double, Double)
    public var mouthOpening: Double
    public var smile: Double
    public var browRaise: Double
    public var glasses: Color?
    /// An opaque patch over part of the face (a hand, a mask), in canonical coordinates.
    public var occluder: (center: Point, radiusX: Double, radiusY: Double, color: Color)?

    /// The height of the drawn head (hair excluded) in canonical units.
    public static let headHeight = 2.7

    /// Draws a random face whose head is about `headPixels` tall at `center`.
    public static func random(
        center: Point, headPixels: Double, random r: inout SeededRandom, occlusion: Bool = true
    )
        -> SyntheticFace
    {
        // Skin tones from very light to very dark, slightly varied in hue.
        let tone = r.unit()
        let skin = Color(0.96 - 0.62 * tone, 0.80 - 0.58 * tone, 0.70 - 0.55 * tone)
            .mixed(with: Color(r.unit(), r.unit() * 0.8, r.unit() * 0.6), 0.08)
        let hairColors = [
            Color(0.08, 0.06, 0.05), Color(0.30, 0.18, 0.10), Color(0.75, 0.62, 0.35), Color(0.6, 0.6, 0.62),
            Color(0.55, 0.22, 0.08),
        ]
        let open = { (r: inout SeededRandom) -> Double in r.chance(0.2) ? r.uniform(0.01, 0.05) : r.uniform(0.06, 0.13) }
        let left = open(&r)
        let right = r.chance(0.2) ? open(&r) : left  // asymmetric lids in a fifth of faces (ptosis)
        return SyntheticFace(
            center: center, scale: headPixels / headHeight, roll: r.uniform(-30, 30) * Double.pi / 180,
            yaw: r.uniform(-35, 35) * Double.pi / 180, skin: skin, hair: r.chance(0.8) ? r.pick(hairColors) : nil,
            lips: skin.mixed(with: Color(0.65, 0.2, 0.25), r.uniform(0.3, 0.7)),
            iris: r.pick([Color(0.25, 0.15, 0.08), Color(0.2, 0.35, 0.6), Color(0.3, 0.45, 0.25), Color(0.1, 0.08, 0.06)]),
            eyeOpening: (left, right), mouthOpening: r.chance(0.4) ? r.uniform(0.04, 0.22) : 0,
            smile: r.uniform(-0.04, 0.08), browRaise: r.uniform(-0.04, 0.1),
            glasses: r.chance(0.2) ? r.pick([Color(0.05, 0.05, 0.05), Color(0.5, 0.1, 0.1), Color(0.7, 0.7, 0.75)]) : nil,
            occluder: occlusion && r.chance(0.1)
                ? (
                    Point(r.uniform(-0.6, 0.6), r.uniform(0.2, 0.8)), r.uniform(0.3, 0.5), r.uniform(0.25, 0.4),
                    Color(r.unit(), r.unit(), r.unit())
                ) : nil)
    }

    // MARK: - Geometry

    /// The 51 landmarks and their depths in canonical coordinates, before yaw and placement.
    func canonicalLandmarks() -> [(Point, depth: Double)] {
        var points: [(Point, Double)] = []
        // Brows 0-9: the image-left brow from its outer end, then the right brow from its inner end.
        for side in [-1.0, 1.0] {
            let xs = side < 0 ? [-0.72, -0.58, -0.42, -0.27, -0.13] : [0.13, 0.27, 0.42, 0.58, 0.72]
            for x in xs {
                let t = abs(x)  // arch: highest around |x| = 0.42
                points.append((Point(x, -0.55 - browRaise - 0.09 * (1 - pow((t - 0.42) / 0.3, 2))), 0.3))
            }
        }
        // Nose bridge 10-13, top to bottom.
        for (index, y) in [-0.22, -0.08, 0.06, 0.2].enumerated() { points.append((Point(0, y), 0.45 + 0.1 * Double(index))) }
        // Lower nose 14-18, left to right.
        for (x, y) in [(-0.2, 0.27), (-0.1, 0.31), (0.0, 0.33), (0.1, 0.31), (0.2, 0.27)] {
            points.append((Point(x, y), x == 0 ? 0.6 : 0.45))
        }
        // Eyes 19-30: corner, two upper-lid points, corner, two lower-lid points (clockwise).
        for (centerX, opening) in [(-0.42, eyeOpening.0), (0.42, eyeOpening.1)] {
            let (a, lower) = (0.2, 0.05 + 0.25 * opening)
            for (dx, dy) in [(-a, 0.0), (-a / 3, -opening), (a / 3, -opening), (a, 0), (a / 3, lower), (-a / 3, lower)] {
                points.append((Point(centerX + dx, -0.25 + dy), 0.25))
            }
        }
        // Outer lip 31-42 from the left corner over the upper lip, then back along the lower lip.
        let (mouthY, width, gap) = (0.62, 0.36, mouthOpening)
        let (upper, lowerLip) = (0.09, 0.1)
        let cornerY = mouthY - smile
        let outer: [(Double, Double)] = [
            (-width, cornerY), (-0.6 * width, mouthY - gap / 2 - 0.8 * upper), (-0.25 * width, mouthY - gap / 2 - 1.1 * upper),
            (0, mouthY - gap / 2 - 0.85 * upper), (0.25 * width, mouthY - gap / 2 - 1.1 * upper),
            (0.6 * width, mouthY - gap / 2 - 0.8 * upper), (width, cornerY),
            (0.6 * width, mouthY + gap / 2 + 0.8 * lowerLip), (0.25 * width, mouthY + gap / 2 + lowerLip),
            (0, mouthY + gap / 2 + 1.05 * lowerLip), (-0.25 * width, mouthY + gap / 2 + lowerLip),
            (-0.6 * width, mouthY + gap / 2 + 0.8 * lowerLip),
        ]
        for (x, y) in outer { points.append((Point(x, y), 0.35)) }
        // Inner lip 43-50: left corner, upper inner line, right corner, lower inner line back.
        let inner: [(Double, Double)] = [
            (-0.85 * width, cornerY + 0.2 * smile), (-0.4 * width, mouthY - gap / 2), (0, mouthY - gap / 2),
            (0.4 * width, mouthY - gap / 2), (0.85 * width, cornerY + 0.2 * smile), (0.4 * width, mouthY + gap / 2),
            (0, mouthY + gap / 2), (-0.4 * width, mouthY + gap / 2),
        ]
        for (x, y) in inner { points.append((Point(x, y), 0.38)) }
        return points
    }

    /// Canonical → image: yaw (x·cos + depth·sin), then scale, roll and translation.
    func place(_ point: Point, depth: Double = 0.3) -> Point {
        let x = point.x * cos(yaw) + depth * sin(yaw)
        let (s, c) = (sin(roll), cos(roll))
        return Point(center.x + scale * (x * c - point.y * s), center.y + scale * (x * s + point.y * c))
    }

    /// The 51 landmarks in image pixels.
    public func landmarks() -> [Point] { canonicalLandmarks().map { place($0.0, depth: $0.depth) } }

    /// An ellipse of the canonical frame, as an image polygon.
    func ellipse(_ center: Point, _ rx: Double, _ ry: Double, depth: Double = 0.3, sides: Int = 48) -> [Point] {
        (0..<sides).map { index in
            let angle = Double(index) / Double(sides) * 2 * Double.pi
            return place(Point(center.x + rx * cos(angle), center.y + ry * sin(angle)), depth: depth)
        }
    }

    /// The drawn head outline (for placement and overlap tests) in image pixels.
    public func headPolygon() -> [Point] { ellipse(Point(-0.15 * sin(yaw), 0.05), 1.0, 1.35, depth: 0) }

    /// The points covered by the occluder (their visibility becomes 1: labelled but hidden).
    public func occludedLandmarks() -> Set<Int> {
        guard let occluder else { return [] }
        var hidden = Set<Int>()
        for (index, (point, _)) in canonicalLandmarks().enumerated() {
            let dx = (point.x - occluder.center.x) / occluder.radiusX
            let dy = (point.y - occluder.center.y) / occluder.radiusY
            if dx * dx + dy * dy < 1 { hidden.insert(index) }
        }
        return hidden
    }

    // MARK: - Drawing

    func draw(on canvas: inout Canvas) {
        let unit = scale
        let head = headPolygon()
        if let hair {  // back hair, wider than the head
            var back = canvas.mask()
            back.fill(ellipse(Point(-0.15 * sin(yaw), -0.15), 1.15, 1.35, depth: -0.2))
            canvas.paint(back, hair)
        }
        var face = canvas.mask()
        face.fill(head)
        canvas.paint(face, skin)
        if let hair {  // fringe: the top of the head down to a wavy line above the brows
            var fringe = canvas.mask()
            var outline: [Point] = []
            for index in 0...24 {
                let angle = Double.pi + Double(index) / 24 * Double.pi
                outline.append(Point(-0.15 * sin(yaw) + 1.02 * cos(angle), 0.05 + 1.37 * sin(angle)))
            }
            let lineY = -0.78 - browRaise
            for index in 0...12 {
                let x = 0.95 - Double(index) / 12 * 1.9
                outline.append(Point(x, lineY + 0.05 * sin(Double(index) * 1.7)))
            }
            fringe.fill(outline.map { place($0, depth: 0) })
            fringe.intersect(face)
            canvas.paint(fringe, hair)
        }
        let points = landmarks()
        let dark = skin.scaled(0.35)
        // Brows.
        var brows = canvas.mask()
        brows.stroke(Array(points[0..<5]), width: 0.07 * unit)
        brows.stroke(Array(points[5..<10]), width: 0.07 * unit)
        canvas.paint(brows, (hair ?? Color(0.2, 0.15, 0.1)).scaled(0.8))
        // Eyes: white, iris clipped to the white, outline through the six landmarks.
        for eye in [FaceLandmarks.leftEye, FaceLandmarks.rightEye] {
            let outline = Array(points[eye])
            var white = canvas.mask()
            white.fill(outline)
            canvas.paint(white, Color(0.93, 0.92, 0.9))
            let middle = Point((outline[0].x + outline[3].x) / 2, (outline[0].y + outline[3].y) / 2)
            var iris = canvas.mask()
            iris.ellipse(center: middle, radiusX: 0.085 * unit * cos(yaw), radiusY: 0.085 * unit)
            iris.intersect(white)
            canvas.paint(iris, self.iris)
            var pupil = canvas.mask()
            pupil.ellipse(center: middle, radiusX: 0.035 * unit * cos(yaw), radiusY: 0.035 * unit)
            pupil.intersect(white)
            canvas.paint(pupil, Color(0.02, 0.02, 0.02))
            var line = canvas.mask()
            line.stroke(outline, width: max(0.03 * unit, 0.8), closed: true)
            canvas.paint(line, dark.scaled(0.6))
        }
        // Nose: a soft bridge and a darker base with nostrils.
        var bridge = canvas.mask()
        bridge.stroke(Array(points[FaceLandmarks.noseBridge]), width: 0.04 * unit)
        canvas.paint(bridge, skin.scaled(0.8))
        var base = canvas.mask()
        base.stroke(Array(points[FaceLandmarks.lowerNose]), width: 0.035 * unit)
        canvas.paint(base, skin.scaled(0.55))
        var nostrils = canvas.mask()
        for index in [15, 17] {
            nostrils.ellipse(
                center: Point(points[index].x, points[index].y - 0.03 * unit), radiusX: 0.035 * unit, radiusY: 0.02 * unit,
                rotation: roll)
        }
        canvas.paint(nostrils, skin.scaled(0.3))
        // Mouth: lips, then the opening (or the line between closed lips).
        var lipsMask = canvas.mask()
        lipsMask.fill(Array(points[FaceLandmarks.outerLip]))
        canvas.paint(lipsMask, lips)
        let inner = Array(points[FaceLandmarks.innerLip])
        var opening = canvas.mask()
        if mouthOpening > 0.02 {
            opening.fill(inner)
            canvas.paint(opening, Color(0.25, 0.05, 0.06))
        } else {
            opening.stroke(Array(inner[0...4]), width: max(0.025 * unit, 0.7))
            canvas.paint(opening, lips.scaled(0.45))
        }
        if let glasses {
            var frame = canvas.mask()
            for eye in [-0.42, 0.42] {
                frame.stroke(ellipse(Point(eye, -0.25), 0.27, 0.2, depth: 0.35), width: 0.04 * unit, closed: true)
            }
            frame.stroke([place(Point(-0.15, -0.27), depth: 0.45), place(Point(0.15, -0.27), depth: 0.45)], width: 0.04 * unit)
            canvas.paint(frame, glasses)
        }
        if let occluder {
            var patch = canvas.mask()
            patch.fill(ellipse(occluder.center, occluder.radiusX, occluder.radiusY, depth: 0.6))
            canvas.paint(patch, occluder.color)
        }
    }
}
