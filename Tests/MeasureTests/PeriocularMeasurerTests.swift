import Foundation
import Imaging
import Measure
import PoseData
import Synth
import Testing

/// A hand-made 51-point face (image pixels, y down), eyes level at y = 100: the right eye (image
/// left) from 80 to 120, the left from 180 to 220, lids 6 px above and 4 px below the corners'
/// line, brows 15 px above the inner and 20 px above the outer corners.
func levelFace() -> [MeasuredPoint] {
    var points = (0..<51).map { MeasuredPoint(x: 150 + Double($0), y: 160) }  // nose and lips: not measured
    let right: [(Double, Double)] = [(80, 100), (93.33, 94), (106.67, 94), (120, 100), (106.67, 104), (93.33, 104)]
    let left: [(Double, Double)] = [(180, 100), (193.33, 94), (206.67, 94), (220, 100), (206.67, 104), (193.33, 104)]
    for (offset, (x, y)) in (right + left).enumerated() { points[19 + offset] = MeasuredPoint(x: x, y: y) }
    let brows: [(Double, Double)] = [
        (80, 80), (90, 78), (100, 77), (110, 80), (120, 85), (180, 85), (190, 80), (200, 77), (210, 78), (220, 80),
    ]
    for (index, (x, y)) in brows.enumerated() { points[index] = MeasuredPoint(x: x, y: y) }
    return points
}

func transformed(_ points: [MeasuredPoint], _ map: (Double, Double) -> (Double, Double)) -> [MeasuredPoint] {
    points.map { point in
        let (x, y) = map(point.x, point.y)
        return MeasuredPoint(x: x, y: y, confidence: point.confidence)
    }
}

/// Rotation by `degrees` about (150, 100).
func rolled(_ points: [MeasuredPoint], degrees: Double) -> [MeasuredPoint] {
    let (c, s) = (cos(degrees * .pi / 180), sin(degrees * .pi / 180))
    return transformed(points) { x, y in (150 + c * (x - 150) - s * (y - 100), 100 + s * (x - 150) + c * (y - 100)) }
}

let face51 = PeriocularLayout(keypointCount: 51, names: nil)!

func value(_ measures: [PeriocularMeasure], _ name: String) -> Double? { measures.first { $0.name == name }?.value }

@Suite struct `Periocular measurements` {
    @Test func `a level face gives the hand-worked values`() throws {
        let m = PeriocularMeasurer(layout: face51).measure(levelFace())
        let expected: [(String, Double)] = [
            ("right_fissure_width", 40), ("left_fissure_width", 40), ("right_fissure_height", 10), ("left_fissure_height", 10),
            ("right_eye_aspect_ratio", 0.25), ("right_canthal_tilt", 0), ("left_canthal_tilt", 0),
            ("right_medial_brow_height", 15), ("right_lateral_brow_height", 20), ("left_medial_brow_height", 15),
            ("left_lateral_brow_height", 20), ("inner_intercanthal_distance", 60), ("outer_intercanthal_distance", 140),
            ("fissure_height_asymmetry_difference", 0), ("fissure_height_asymmetry_ratio", 1),
        ]
        for (name, number) in expected {
            let measured = try #require(value(m, name), "\(name)")
            #expect(Swift.abs(measured - number) < 1e-9, "\(name) = \(measured), expected \(number)")
        }
        #expect(m.map(\.name) == PeriocularMeasurer.measureNames.map(\.name))
        #expect(m.first { $0.name == "right_fissure_width" }?.points == [19, 22])
        #expect(m.first { $0.name == "right_fissure_width" }?.confidence == 1)
    }

    @Test func `canthal tilt is positive when the outer corner is higher, and a rolled head does not change it`() throws {
        var face = levelFace()
        (face[19].y, face[22].y) = (98, 102)  // the right eye's outer corner 4 px above its inner one, same centre
        let tilt = atan2(4.0, 40.0) * 180 / .pi
        let level = PeriocularMeasurer(layout: face51).measure(face)
        #expect(Swift.abs(try #require(value(level, "right_canthal_tilt")) - tilt) < 1e-9)
        #expect(Swift.abs(try #require(value(level, "canthal_tilt_asymmetry_difference")) - tilt) < 1e-9)
        let rolledBy20 = PeriocularMeasurer(layout: face51).measure(rolled(face, degrees: 20))
        for (a, b) in zip(level, rolledBy20) {
            #expect((a.value == nil) == (b.value == nil))
            if let x = a.value, let y = b.value { #expect(Swift.abs(x - y) < 1e-9, "\(a.name): \(x) level, \(y) rolled") }
        }
    }

    @Test func `a scaled photo gives the same millimetres with a reference length`() throws {
        let scale = MillimetreScale(reference: "19:28=70mm")
        #expect(scale == .reference(19, 28, millimetres: 70))
        let measurer = PeriocularMeasurer(layout: face51, scale: scale)
        let original = measurer.measure(levelFace())
        let doubled = measurer.measure(transformed(levelFace()) { x, y in (2 * x, 2 * y) })
        #expect(try #require(original.first { $0.name == "right_fissure_width" }?.millimetres) == 20)  // 40 px of 140 px = 70 mm
        for (a, b) in zip(original, doubled) where a.unit == .length {
            if let x = a.millimetres, let y = b.millimetres { #expect(Swift.abs(x - y) < 1e-9, "\(a.name)") }
            if let x = a.value, let y = b.value { #expect(Swift.abs(2 * x - y) < 1e-9, "\(a.name) px") }
        }
        let perPixel = PeriocularMeasurer(layout: face51, scale: .perPixel(0.25)).measure(levelFace())
        #expect(perPixel.first { $0.name == "outer_intercanthal_distance" }?.millimetres == 35)
        #expect(PeriocularMeasurer(layout: face51).measure(levelFace()).allSatisfy { $0.millimetres == nil })
        for wrong in ["19:28", "19=70mm", "19:19=70mm", "a:b=70mm", "19:28=-3mm"] { #expect(MillimetreScale(reference: wrong) == nil) }
    }

    @Test func `a mirrored photo swaps left and right`() throws {
        var face = levelFace()
        (face[19].y, face[21].y, face[5].y) = (96, 92, 83)  // an asymmetric face
        // the mirror image, labelled as a detector labels it: point i is the mirror of point flip_idx[i]
        let mirrored = FaceLandmarks.flipIndex.map { source in MeasuredPoint(x: 300 - face[source].x, y: face[source].y) }
        let measurer = PeriocularMeasurer(layout: face51)
        let (a, b) = (measurer.measure(face), measurer.measure(mirrored))
        for (name, _) in PeriocularMeasurer.measureNames where name.hasPrefix("right_") {
            let twin = "left_" + name.dropFirst(6)
            #expect(value(a, name).map { x in Swift.abs(x - value(b, twin)!) < 1e-9 } ?? (value(b, twin) == nil), "\(name)")
            #expect(value(a, twin).map { x in Swift.abs(x - value(b, name)!) < 1e-9 } ?? (value(b, name) == nil), "\(twin)")
        }
        #expect(Swift.abs(value(a, "fissure_height_asymmetry_difference")! + value(b, "fissure_height_asymmetry_difference")!) < 1e-9)
    }

    @Test func `a missing, invisible or unsure point leaves the measure empty with the reason`() {
        var face = levelFace()
        face[20].confidence = 0
        face[26].confidence = 0.3
        let m = PeriocularMeasurer(layout: face51, minimumConfidence: 0.5).measure(face)
        let right = m.first { $0.name == "right_fissure_height" }!
        #expect(right.value == nil && right.missing == "point 20 (right_eye_1) is not visible")
        let left = m.first { $0.name == "left_fissure_height" }!
        #expect(left.value == nil && left.missing == "point 26 (left_eye_1) has confidence 0.30, below --kpt-conf 0.50")
        #expect(value(m, "right_eye_aspect_ratio") == nil && value(m, "fissure_height_asymmetry_ratio") == nil)
        #expect(value(m, "right_fissure_width") == 40)  // a measure that needs neither point is still there
        let short = PeriocularMeasurer(layout: face51).measure(Array(levelFace().prefix(25)))
        #expect(short.first { $0.name == "left_fissure_width" }?.missing == "point 28 (left_eye_3) is not in this face's 25 points")
        // without the corners that set the horizontal, no angle or height is computed from a guess
        face[28].confidence = 0
        let noFrame = PeriocularMeasurer(layout: face51).measure(face)
        #expect(value(noFrame, "right_canthal_tilt") == nil)
        #expect(
            noFrame.first { $0.name == "right_canthal_tilt" }?.missing?.hasPrefix("the face's horizontal needs all four eye corners")
                == true)
    }

    @Test func `MRD appears only when the layout names the pupils, and the iris sets the millimetres`() throws {
        let plain = PeriocularMeasurer(layout: face51).measure(levelFace())
        #expect(value(plain, "right_mrd1") == nil)
        #expect(plain.first { $0.name == "right_mrd1" }?.missing?.hasPrefix("not available: the layout names no pupil centre") == true)

        let names =
            KeypointScheme.face51.names + [
                "right_pupil", "left_pupil", "right_iris_inner", "right_iris_outer", "left_iris_inner", "left_iris_outer",
            ]
        let layout = try #require(PeriocularLayout(names: names))
        #expect(layout.hasPupils && layout.hasIrises)
        // pupils 1 px below the corners' line, irises 12 px across
        let extra = [(100.0, 101.0), (200, 101), (106, 101), (94, 101), (194, 101), (206, 101)].map { MeasuredPoint(x: $0.0, y: $0.1) }
        let m = PeriocularMeasurer(layout: layout).measure(levelFace() + extra)
        #expect(Swift.abs(try #require(value(m, "right_mrd1")) - 7) < 1e-9)  // the upper lid is at y = 94 over the pupil
        #expect(Swift.abs(try #require(value(m, "left_mrd2")) - 3) < 1e-9)  // the lower lid at y = 104
        let width = try #require(m.first { $0.name == "right_fissure_width" }?.millimetres)
        #expect(Swift.abs(width - 40 * 11.7 / 12) < 1e-9)
    }

    @Test func `measurements of synthetic truth labels equal the drawn lids`() throws {
        var random = SeededRandom(seed: 7)
        for (opening, roll) in [((0.10, 0.03), 0.0), ((0.06, 0.12), 0.35), ((0.02, 0.02), -0.4)] {
            var face = SyntheticFace.random(center: Point(300, 300), headPixels: 270, random: &random, occlusion: false)
            (face.yaw, face.roll, face.eyeOpening) = (0, roll, opening)
            let points = face.landmarks().map { MeasuredPoint(x: $0.x, y: $0.y) }
            let m = PeriocularMeasurer(layout: face51).measure(points)
            // the canonical eye: corners 0.4 apart, lids at -opening and 0.05 + 0.25·opening (SyntheticFace)
            for (side, drawn) in [("right", opening.0), ("left", opening.1)] {
                #expect(Swift.abs(value(m, "\(side)_fissure_width")! - 0.4 * face.scale) < 1e-9)
                #expect(Swift.abs(value(m, "\(side)_fissure_height")! - (1.25 * drawn + 0.05) * face.scale) < 1e-9)
                #expect(Swift.abs(value(m, "\(side)_canthal_tilt")!) < 1e-9)
            }
            #expect(Swift.abs(value(m, "fissure_height_asymmetry_ratio")! - (1.25 * opening.0 + 0.05) / (1.25 * opening.1 + 0.05)) < 1e-9)
        }
    }
}
