import Foundation
import Imaging
import PoseData

/// The measured segments drawn over photos, and the self-contained HTML pages of `measure`.
public enum MeasurementPage {
    static let widthColor = Color(0.1, 0.8, 0.95)
    static let heightColor = Color(1.0, 0.75, 0.1)
    static let browColor = Color(0.9, 0.3, 0.9)
    static let marginColor = Color(0.3, 1.0, 0.3)

    /// `image` with every face's measured segments: fissure widths (corner to corner), heights (lid
    /// to lid), brow heights (brow to corner), MRD (pupil to lid), in the colours of
    /// `measurements.html`, whose tables hold the values. `scale` is the full-size pixels per pixel
    /// of `image` (a reduced decode); the values stay the full-size ones.
    public static func overlay(_ image: RGBImage, faces: [FaceMeasurements], layout: PeriocularLayout, scale: Int = 1) -> RGBImage {
        var canvas = ImageCanvas(image)
        let lineWidth = Double(max(1, min(image.width, image.height) / 400))
        for face in faces {
            func point(_ index: Int) -> Point { Point(face.points[index].x / Double(scale), face.points[index].y / Double(scale)) }
            func segment(_ a: Int, _ b: Int, _ color: Color, when name: String) {
                guard face[name]?.value != nil else { return }
                canvas.drawLine(from: point(a), to: point(b), color: color, lineWidth: lineWidth)
            }
            for (side, eye) in [("right", layout.right), ("left", layout.left)] {
                segment(eye.outerCorner, eye.innerCorner, widthColor, when: "\(side)_fissure_width")
                segment(eye.upperLid.outer, eye.lowerLid.outer, heightColor, when: "\(side)_fissure_height")
                segment(eye.upperLid.inner, eye.lowerLid.inner, heightColor, when: "\(side)_fissure_height")
                segment(eye.medialBrow, eye.innerCorner, browColor, when: "\(side)_medial_brow_height")
                segment(eye.lateralBrow, eye.outerCorner, browColor, when: "\(side)_lateral_brow_height")
                if let pupil = eye.pupil {
                    segment(pupil, eye.upperLid.inner, marginColor, when: "\(side)_mrd1")
                    segment(pupil, eye.lowerLid.inner, marginColor, when: "\(side)_mrd2")
                }
            }
        }
        return canvas.image
    }

    /// The region around both eyes and brows of a face (with a margin of a third of its width);
    /// `scale` as for ``overlay(_:faces:layout:scale:)``.
    public static func eyeRegion(_ image: RGBImage, face: FaceMeasurements, layout: PeriocularLayout, scale: Int = 1) -> RGBImage {
        let indices = [layout.right, layout.left].flatMap { eye in
            [
                eye.outerCorner, eye.innerCorner, eye.upperLid.outer, eye.upperLid.inner, eye.lowerLid.outer, eye.lowerLid.inner,
                eye.medialBrow, eye.lateralBrow,
            ]
        }.filter { $0 < face.points.count && face.points[$0].confidence > 0 }
        guard !indices.isEmpty else { return image }
        let xs = indices.map { face.points[$0].x / Double(scale) }
        let ys = indices.map { face.points[$0].y / Double(scale) }
        let margin = (xs.max()! - xs.min()!) / 3 + 4
        let (x0, y0) = (Int(xs.min()! - margin), Int(ys.min()! - margin))
        return image.cropped(x: x0, y: y0, width: Int(xs.max()! + margin) - x0, height: Int(ys.max()! + margin) - y0)
    }

    /// `measurements.html`: every face's eye region and its measurements, in one file with the
    /// images inside (opens anywhere, offline).
    public static func html(_ faces: [FaceMeasurements], crops: [Data], title: String = "Periocular measurements") -> String {
        var body = ""
        for (face, crop) in zip(faces, crops) {
            body += "<section><h2>\(HTMLText.escape(face.image)) · face \(face.face + 1)"
            if let score = face.score { body += String(format: " · score %.2f", score) }
            body += "</h2>\n"
            body += "<img alt=\"eyes of face \(face.face + 1)\" src=\"data:image/jpeg;base64,\(crop.base64EncodedString())\">\n"
            body += table(face.measures, scale: face.millimetresPerPixel, scaleMissing: face.scaleMissing)
            body += "</section>\n"
        }
        return page(title: title, body: body)
    }

    /// `compare.html`: two photos of one person (before and after, as the paper's Figure 1) side by
    /// side, with every measure's value in each and its change.
    public static func comparison(_ before: FaceMeasurements, _ after: FaceMeasurements, crops: (Data, Data)) -> String {
        var body = "<div class=\"pair\">"
        for (face, crop, label) in [(before, crops.0, "A"), (after, crops.1, "B")] {
            body += "<figure><img alt=\"\(label)\" src=\"data:image/jpeg;base64,\(crop.base64EncodedString())\">"
            body += "<figcaption>\(label): \(HTMLText.escape(face.image))</figcaption></figure>"
        }
        body += "</div>\n<table><thead><tr><th>measure</th><th>A</th><th>B</th><th>change (B − A)</th></tr></thead><tbody>\n"
        for (a, b) in zip(before.measures, after.measures) {
            let change = a.value.flatMap { x in b.value.map { $0 - x } }
            let difference = change.map { formatted($0, a.unit) } ?? "–"
            body += "<tr><td>\(label(a))</td><td>\(value(a))</td><td>\(value(b))</td><td>\(difference)</td></tr>\n"
        }
        body += "</tbody></table>\n"
        return page(title: "Periocular measurements: A and B", body: body)
    }

    static func label(_ measure: PeriocularMeasure) -> String {
        let unit = measure.unit == .length ? " (px)" : measure.unit == .degrees ? " (°)" : ""
        return measure.name.replacingOccurrences(of: "_", with: " ") + unit
    }

    static func formatted(_ number: Double, _ unit: MeasureUnit) -> String {
        String(format: unit == .ratio ? "%.3f" : "%.2f", number)
    }

    static func value(_ measure: PeriocularMeasure) -> String {
        guard let number = measure.value else { return "–" }
        var text = formatted(number, measure.unit)
        if let mm = measure.millimetres { text += String(format: " (%.2f mm)", mm) }
        return text
    }

    static func table(_ measures: [PeriocularMeasure], scale: Double?, scaleMissing: String?) -> String {
        var text = "<p class=\"scale\">"
        text +=
            scale.map { String(format: "%.4f mm per pixel", $0) } ?? "no millimetre scale"
            + (scaleMissing.map { ": " + HTMLText.escape($0) } ?? "")
        text += "</p>\n<table><thead><tr><th>measure</th><th>value</th><th>confidence</th><th>note</th></tr></thead><tbody>\n"
        for measure in measures {
            text += "<tr><td>\(label(measure))</td><td>\(value(measure))</td>"
            text += "<td>\(measure.confidence.map { String(format: "%.2f", $0) } ?? "–")</td>"
            text += "<td>\(HTMLText.escape(measure.missing ?? ""))</td></tr>\n"
        }
        return text + "</tbody></table>\n"
    }

    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 2em; }
        td, th { border-bottom: 1px solid #ddd; padding: 2px 10px; text-align: left; }
        img { max-width: 480px; image-rendering: pixelated; border: 1px solid #ccc; }
        .pair { display: flex; gap: 1em; } .scale { color: #555; }
        </style></head><body>
        <h1>\(HTMLText.escape(title))</h1>
        <p>Values measured from the landmarks, with the confidence of the points they rest on. They are measurements, not a diagnosis.</p>
        \(body)</body></html>

        """
    }
}
