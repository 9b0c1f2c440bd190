import Foundation
import PoseData

/// A point a measurement rests on: its position in image pixels and its confidence (a model's
/// keypoint confidence, or for a label 1 when it is visible and 0 when not).
public struct MeasuredPoint: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public var confidence: Double

    public init(x: Double, y: Double, confidence: Double = 1) {
        (self.x, self.y, self.confidence) = (x, y, confidence)
    }

    /// A label's points in the pixels of its `width` × `height` image, confidence 1 where the
    /// label marks them visible or hidden and 0 where not labelled.
    public static func points(of label: PoseInstance, width: Int, height: Int) -> [MeasuredPoint] {
        label.keypoints.map {
            MeasuredPoint(x: $0.x * Double(width), y: $0.y * Double(height), confidence: $0.visibility > 0 ? 1 : 0)
        }
    }
}

/// What a measurement's number means.
public enum MeasureUnit: String, Sendable, Codable {
    /// A length, reported in pixels and, with a scale, in millimetres.
    case length
    case degrees
    /// A dimensionless ratio.
    case ratio
}

/// One measurement of one face: the value, or why there is none. It never holds an estimate made
/// from other points than its own.
public struct PeriocularMeasure: Sendable, Equatable, Codable {
    /// `right_fissure_width`, `left_canthal_tilt`, `fissure_height_asymmetry_ratio`, ...
    public var name: String
    public var unit: MeasureUnit
    /// In pixels (lengths), degrees or as a ratio; nil when it cannot be measured.
    public var value: Double?
    /// Lengths in millimetres, when a scale is known.
    public var millimetres: Double?
    /// The lowest confidence among the points it rests on.
    public var confidence: Double?
    /// The points it rests on (layout indices).
    public var points: [Int]
    /// Why there is no value.
    public var missing: String?
    /// With `--flip`: the absolute difference between this value and the one measured on the
    /// mirrored image (in the value's own unit), a per-measure uncertainty.
    public var flipDifference: Double?
}

/// How pixels become millimetres.
public enum MillimetreScale: Sendable, Equatable {
    /// A known pixel size (`--mm-per-px`).
    case perPixel(Double)
    /// A known length between two points of the layout (`--scale 19:28=95mm`).
    case reference(Int, Int, millimetres: Double)
    /// The visible iris diameter, 11.7 mm on average in adults (the scale periocular photography
    /// studies use), from the named iris edges of both eyes.
    case iris

    public static let irisDiameterMillimetres = 11.7

    /// Parses `A:B=Lmm` (or `A:B=L`).
    public init?(reference text: String) {
        let parts = text.split(separator: "=")
        guard parts.count == 2 else { return nil }
        let ends = parts[0].split(separator: ":").compactMap { Int($0) }
        let length = parts[1].hasSuffix("mm") ? parts[1].dropLast(2) : parts[1]
        guard ends.count == 2, ends[0] >= 0, ends[1] >= 0, ends[0] != ends[1], let millimetres = Double(length), millimetres > 0
        else { return nil }
        self = .reference(ends[0], ends[1], millimetres: millimetres)
    }
}

/// Turns a face's landmarks into the periocular measurements clinics record: per eye the
/// palpebral fissure width, height and their ratio, the canthal tilt, the medial and lateral brow
/// heights and (with pupil centres) MRD1 and MRD2; across the face the inner and outer intercanthal
/// distances and the left/right asymmetry of every paired measure. It reports values and
/// asymmetries and makes no diagnosis.
///
/// Angles and heights are taken in the face's own frame: its horizontal is the line through both
/// eyes' centres (the midpoints of their corners), so a rolled head does not read as tilted eyes.
/// Heights are along the perpendicular, upward positive.
///
/// ```swift
/// let measurer = PeriocularMeasurer(layout: PeriocularLayout(keypointCount: 51, names: nil)!)
/// let face = measurer.measure(points)            // [PeriocularMeasure]
/// face.first { $0.name == "right_canthal_tilt" }?.value
/// ```
public struct PeriocularMeasurer: Sendable {
    public var layout: PeriocularLayout
    /// Points below this confidence are not measured on (`--kpt-conf`).
    public var minimumConfidence: Double
    public var scale: MillimetreScale?

    public init(layout: PeriocularLayout, minimumConfidence: Double = 0.5, scale: MillimetreScale? = nil) {
        self.layout = layout
        self.minimumConfidence = minimumConfidence
        self.scale = scale ?? (layout.hasIrises ? .iris : nil)
    }

    /// The measures of each eye, in output order (each also exists with a `right_` and `left_` prefix).
    static let eyeMeasures: [(name: String, unit: MeasureUnit)] = [
        ("fissure_width", .length), ("fissure_height", .length), ("eye_aspect_ratio", .ratio),
        ("canthal_tilt", .degrees), ("medial_brow_height", .length), ("lateral_brow_height", .length),
        ("mrd1", .length), ("mrd2", .length),
    ]

    /// Every measure's name and unit, in output order (the CSV's columns).
    public static var measureNames: [(name: String, unit: MeasureUnit)] {
        ["right", "left"].flatMap { side in eyeMeasures.map { ("\(side)_\($0.name)", $0.unit) } }
            + [("inner_intercanthal_distance", .length), ("outer_intercanthal_distance", .length)]
            + eyeMeasures.flatMap { measure in
                // a ratio of signed angles near 0 means nothing: tilts get the difference only
                [("\(measure.name)_asymmetry_difference", measure.unit)]
                    + (measure.unit == .degrees ? [] : [("\(measure.name)_asymmetry_ratio", MeasureUnit.ratio)])
            }
    }

    /// The millimetres per pixel this face's scale gives, or why there are none.
    public func millimetresPerPixel(_ points: [MeasuredPoint]) -> Result<Double, MissingPoint>? {
        guard let scale else { return nil }
        switch scale {
        case .perPixel(let size): return .success(size)
        case .reference(let a, let b, let millimetres):
            return usable([a, b], of: points).map { millimetres / distance($0[0], $0[1]) }
        case .iris:
            guard let right = layout.right.iris, let left = layout.left.iris else {
                return .failure(MissingPoint(reason: "the layout names no iris edges (right_iris_inner, ...)"))
            }
            return usable([right.inner, right.outer, left.inner, left.outer], of: points).map { p in
                MillimetreScale.irisDiameterMillimetres / ((distance(p[0], p[1]) + distance(p[2], p[3])) / 2)
            }
        }
    }

    /// Every measure of one face, in ``measureNames`` order.
    public func measure(_ points: [MeasuredPoint]) -> [PeriocularMeasure] {
        let millimetres = try? millimetresPerPixel(points)?.get()
        let frame = usable(
            [layout.right.outerCorner, layout.right.innerCorner, layout.left.outerCorner, layout.left.innerCorner], of: points
        )
        .map { corners in FaceFrame(rightEye: midpoint(corners[0], corners[1]), leftEye: midpoint(corners[2], corners[3])) }
        var byName: [String: PeriocularMeasure] = [:]
        for (side, eye) in [("right", layout.right), ("left", layout.left)] {
            for measure in measures(of: eye, points: points, frame: frame) { byName["\(side)_\(measure.name)"] = measure }
        }
        byName["inner_intercanthal_distance"] = length(
            "inner_intercanthal_distance", [layout.right.innerCorner, layout.left.innerCorner], points
        ) { distance($0[0], $0[1]) }
        byName["outer_intercanthal_distance"] = length(
            "outer_intercanthal_distance", [layout.right.outerCorner, layout.left.outerCorner], points
        ) { distance($0[0], $0[1]) }
        for (name, unit) in Self.eyeMeasures {
            let (right, left) = (byName["right_\(name)"]!, byName["left_\(name)"]!)
            byName["\(name)_asymmetry_difference"] = asymmetry("\(name)_asymmetry_difference", unit, right, left) { $0 - $1 }
            if unit != .degrees {
                byName["\(name)_asymmetry_ratio"] = asymmetry("\(name)_asymmetry_ratio", .ratio, right, left) { $1 == 0 ? nil : $0 / $1 }
            }
        }
        return Self.measureNames.map { entry in
            var measure = byName[entry.name]!
            measure.name = entry.name
            if measure.unit == .length, let value = measure.value, let millimetres { measure.millimetres = value * millimetres }
            return measure
        }
    }

    // MARK: - One eye

    private func measures(
        of eye: PeriocularLayout.Eye, points: [MeasuredPoint], frame: Result<FaceFrame, MissingPoint>
    ) -> [PeriocularMeasure] {
        let corners = [eye.outerCorner, eye.innerCorner]
        let lids = [eye.upperLid.outer, eye.lowerLid.outer, eye.upperLid.inner, eye.lowerLid.inner]
        let width = length("fissure_width", corners, points) { distance($0[0], $0[1]) }
        // the mean of the two upper-to-lower lid distances
        let height = length("fissure_height", lids, points) { (distance($0[0], $0[1]) + distance($0[2], $0[3])) / 2 }
        var ratio = PeriocularMeasure(
            name: "eye_aspect_ratio", unit: .ratio, value: nil, confidence: nil, points: corners + lids,
            missing: width.missing ?? height.missing)
        if let w = width.value, let h = height.value, w > 0 {
            ratio.value = h / w
            ratio.confidence = min(width.confidence!, height.confidence!)
        }
        // the line from the inner to the outer corner against the face's horizontal; positive when the outer corner is higher
        let tilt = framed("canthal_tilt", .degrees, corners, points, frame) { p, frame in
            let along = frame.horizontal(p[0] - p[1])
            return atan2(frame.up(p[0] - p[1]), Swift.abs(along)) * 180 / .pi
        }
        let medialBrow = framed("medial_brow_height", .length, [eye.medialBrow, eye.innerCorner], points, frame) { p, frame in
            frame.up(p[0] - p[1])
        }
        let lateralBrow = framed("lateral_brow_height", .length, [eye.lateralBrow, eye.outerCorner], points, frame) { p, frame in
            frame.up(p[0] - p[1])
        }
        let (mrd1, mrd2) = marginReflexDistances(eye, points: points, frame: frame)
        return [width, height, ratio, tilt, medialBrow, lateralBrow, mrd1, mrd2]
    }

    /// MRD1 and MRD2: from the pupil centre up to the upper lid margin and down to the lower one,
    /// perpendicular to the face's horizontal, where each lid (corner, its two points, corner) passes
    /// the pupil's horizontal position.
    private func marginReflexDistances(
        _ eye: PeriocularLayout.Eye, points: [MeasuredPoint], frame: Result<FaceFrame, MissingPoint>
    ) -> (PeriocularMeasure, PeriocularMeasure) {
        guard let pupil = eye.pupil else {
            let reason = "not available: the layout names no pupil centre (right_pupil, left_pupil); MRD is never estimated without one"
            return (
                PeriocularMeasure(name: "mrd1", unit: .length, points: [], missing: reason),
                PeriocularMeasure(name: "mrd2", unit: .length, points: [], missing: reason)
            )
        }
        func margin(_ name: String, _ lid: [Int], sign: Double) -> PeriocularMeasure {
            framed(name, .length, [pupil] + lid, points, frame) { p, frame in
                let pupilAlong = frame.horizontal(p[0])
                let line = p.dropFirst().map { (along: frame.horizontal($0), up: frame.up($0)) }.sorted { $0.along < $1.along }
                guard let segment = zip(line, line.dropFirst()).first(where: { $0.0.along <= pupilAlong && pupilAlong <= $0.1.along })
                else { return nil }
                let t = segment.1.along == segment.0.along ? 0 : (pupilAlong - segment.0.along) / (segment.1.along - segment.0.along)
                let lidUp = segment.0.up + t * (segment.1.up - segment.0.up)
                return sign * (lidUp - frame.up(p[0]))
            }
        }
        return (
            margin("mrd1", [eye.outerCorner, eye.upperLid.outer, eye.upperLid.inner, eye.innerCorner], sign: 1),
            margin("mrd2", [eye.outerCorner, eye.lowerLid.outer, eye.lowerLid.inner, eye.innerCorner], sign: -1)
        )
    }

    // MARK: - Building blocks

    /// The positions of `indices` when every one is there and confident enough, else the first that is not.
    func usable(_ indices: [Int], of points: [MeasuredPoint]) -> Result<[Vector], MissingPoint> {
        var positions: [Vector] = []
        for index in indices {
            guard index < points.count else {
                return .failure(MissingPoint(reason: "point \(layout.describe(index)) is not in this face's \(points.count) points"))
            }
            let point = points[index]
            if point.confidence <= 0 { return .failure(MissingPoint(reason: "point \(layout.describe(index)) is not visible")) }
            if point.confidence < minimumConfidence {
                return .failure(
                    MissingPoint(
                        reason: String(
                            format: "point %@ has confidence %.2f, below --kpt-conf %.2f", layout.describe(index), point.confidence,
                            minimumConfidence)))
            }
            positions.append(Vector(point.x, point.y))
        }
        return .success(positions)
    }

    private func lowestConfidence(_ indices: [Int], _ points: [MeasuredPoint]) -> Double {
        indices.map { points[$0].confidence }.min() ?? 0
    }

    private func length(_ name: String, _ indices: [Int], _ points: [MeasuredPoint], _ compute: ([Vector]) -> Double) -> PeriocularMeasure {
        switch usable(indices, of: points) {
        case .success(let p):
            PeriocularMeasure(name: name, unit: .length, value: compute(p), confidence: lowestConfidence(indices, points), points: indices)
        case .failure(let missing): PeriocularMeasure(name: name, unit: .length, points: indices, missing: missing.reason)
        }
    }

    private func framed(
        _ name: String, _ unit: MeasureUnit, _ indices: [Int], _ points: [MeasuredPoint], _ frame: Result<FaceFrame, MissingPoint>,
        _ compute: ([Vector], FaceFrame) -> Double?
    ) -> PeriocularMeasure {
        var measure = PeriocularMeasure(name: name, unit: unit, points: indices)
        switch (usable(indices, of: points), frame) {
        case (.failure(let missing), _): measure.missing = missing.reason
        case (_, .failure(let missing)): measure.missing = "the face's horizontal needs all four eye corners: " + missing.reason
        case (.success(let p), .success(let frame)):
            if let value = compute(p, frame) {
                measure.value = value
                measure.confidence = lowestConfidence(indices, points)
            } else {
                measure.missing = "the pupil is outside the lid between the corners"
            }
        }
        return measure
    }

    private func asymmetry(
        _ name: String, _ unit: MeasureUnit, _ right: PeriocularMeasure, _ left: PeriocularMeasure, _ compute: (Double, Double) -> Double?
    )
        -> PeriocularMeasure
    {
        var measure = PeriocularMeasure(name: name, unit: unit, points: right.points + left.points)
        guard let a = right.value, let b = left.value else {
            measure.missing = "needs both eyes: " + (right.missing ?? left.missing ?? "")
            return measure
        }
        guard let value = compute(a, b) else {
            measure.missing = "the left eye's value is 0"
            return measure
        }
        measure.value = value
        measure.confidence = min(right.confidence!, left.confidence!)
        return measure
    }
}

/// Why a measurement could not be made.
public struct MissingPoint: Error, Sendable, Equatable {
    public var reason: String
}

/// A 2-d vector in image pixels.
struct Vector: Sendable, Equatable {
    var x: Double, y: Double
    init(_ x: Double, _ y: Double) { (self.x, self.y) = (x, y) }
    static func - (a: Vector, b: Vector) -> Vector { Vector(a.x - b.x, a.y - b.y) }
    var length: Double { (x * x + y * y).squareRoot() }
}

func distance(_ a: Vector, _ b: Vector) -> Double { (a - b).length }
func midpoint(_ a: Vector, _ b: Vector) -> Vector { Vector((a.x + b.x) / 2, (a.y + b.y) / 2) }

/// The face's own axes: horizontal from the right eye's centre to the left eye's (the image's left
/// to right for an upright face), and up perpendicular to it (image y points down).
struct FaceFrame {
    let across: Vector
    let upward: Vector

    init(rightEye: Vector, leftEye: Vector) {
        let axis = leftEye - rightEye
        let length = max(axis.length, 1e-12)
        across = Vector(axis.x / length, axis.y / length)
        upward = Vector(across.y, -across.x)
    }

    func horizontal(_ v: Vector) -> Double { v.x * across.x + v.y * across.y }
    func up(_ v: Vector) -> Double { v.x * upward.x + v.y * upward.y }
}
