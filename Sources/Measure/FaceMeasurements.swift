import Foundation
import PoseData

/// The measurements of one face of one image.
public struct FaceMeasurements: Sendable, Codable, Equatable {
    public var image: String
    /// The face's number in its image (0-based, in the order found).
    public var face: Int
    /// The detection's score (nil for a label).
    public var score: Double?
    /// The face's points in image pixels, as measured.
    public var points: [MeasuredPoint]
    /// The scale lengths were converted with, or nil (then `scaleMissing` says why, if a scale was asked for).
    public var millimetresPerPixel: Double?
    public var scaleMissing: String?
    public var measures: [PeriocularMeasure]

    public init(image: String, face: Int, score: Double?, points: [MeasuredPoint], measurer: PeriocularMeasurer) {
        (self.image, self.face, self.score, self.points) = (image, face, score, points)
        switch measurer.millimetresPerPixel(points) {
        case .success(let scale): millimetresPerPixel = scale
        case .failure(let missing): scaleMissing = missing.reason
        case nil: break
        }
        measures = measurer.measure(points)
    }

    public subscript(name: String) -> PeriocularMeasure? { measures.first { $0.name == name } }

    /// Records, for every measure, how far the mirrored image's measurement of this face is.
    public mutating func compare(mirrored other: FaceMeasurements) {
        for index in measures.indices {
            guard let a = measures[index].value, let b = other.measures[index].value else { continue }
            measures[index].flipDifference = Swift.abs(a - b)
        }
    }
}

/// The measurement outputs: CSV (one row per face, one column per measure, units in the header).
public enum MeasurementTable {
    static func column(_ name: String, _ unit: MeasureUnit) -> [String] {
        switch unit {
        case .length: ["\(name) [px]", "\(name) [mm]"]
        case .degrees: ["\(name) [deg]"]
        case .ratio: ["\(name) [ratio]"]
        }
    }

    /// The CSV text. Empty cells are measurements that could not be made; the last column says why.
    public static func csv(_ faces: [FaceMeasurements], flip: Bool = false) -> String {
        var header = ["image", "face", "score", "mm_per_px"]
        for (name, unit) in PeriocularMeasurer.measureNames {
            header += column(name, unit) + ["\(name) confidence"] + (flip ? ["\(name) flip difference"] : [])
        }
        header.append("notes")
        func number(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }
        var lines = [header.map(quoted).joined(separator: ",")]
        for face in faces {
            var cells = [face.image, String(face.face), number(face.score), number(face.millimetresPerPixel)]
            var notes: [String] = face.scaleMissing.map { ["mm: \($0)"] } ?? []
            for measure in face.measures {
                cells.append(number(measure.value))
                if measure.unit == .length { cells.append(number(measure.millimetres)) }
                cells.append(number(measure.confidence))
                if flip { cells.append(number(measure.flipDifference)) }
                if let missing = measure.missing { notes.append("\(measure.name): \(missing)") }
            }
            cells.append(notes.joined(separator: "; "))
            lines.append(cells.map(quoted).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ cell: String) -> String {
        cell.contains(where: { ",\"\n".contains($0) }) ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
    }
}
