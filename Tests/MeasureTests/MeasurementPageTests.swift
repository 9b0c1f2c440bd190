import BrowserTestSupport
import Foundation
import Imaging
import Measure
import PoseData
import Testing

@Suite struct `Measurement outputs` {
    func faces() -> [FaceMeasurements] {
        var face = levelFace()
        face[21].confidence = 0  // one measure left empty, with its reason
        let measurer = PeriocularMeasurer(layout: face51, scale: .perPixel(0.1))
        return [FaceMeasurements(image: "a, \"b\".jpg", face: 0, score: 0.9, points: face, measurer: measurer)]
    }

    @Test func `the CSV has one row per face, one column per measure with its unit, and says why a cell is empty`() throws {
        let text = MeasurementTable.csv(faces())
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(
            lines[0].hasPrefix(
                "image,face,score,mm_per_px,right_fissure_width [px],right_fissure_width [mm],right_fissure_width confidence,"))
        #expect(lines[0].contains("right_canthal_tilt [deg]") && lines[0].contains("right_eye_aspect_ratio [ratio]"))
        #expect(!lines[0].contains("canthal_tilt_asymmetry_ratio"))
        #expect(lines[1].hasPrefix("\"a, \"\"b\"\".jpg\",0,0.9000,0.1000,40.0000,4.0000,1.0000,"))
        #expect(lines[1].contains("right_fissure_height: point 21 (right_eye_2) is not visible"))
        #expect(lines[1].contains("right_mrd1: not available"))
    }

    @Test func `measurements.html opens in headless Chromium without errors, its images inside`() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("measure-page-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let measured = faces()
        let photo = MeasurementPage.overlay(RGBImage(width: 300, height: 200, fill: (90, 60, 50)), faces: measured, layout: face51)
        let crop = MeasurementPage.eyeRegion(photo, face: measured[0], layout: face51)
        #expect(crop.width < 300 && crop.height < 200 && crop.width > 140)  // both eyes and brows, with a margin
        let page = folder.appendingPathComponent("measurements.html")
        try Data(MeasurementPage.html(measured, crops: [try ImageCodec.encodeJPEG(crop)]).utf8).write(to: page)
        let dom = try Chromium.browse(["--dump-dom", page.absoluteString], in: folder)
        #expect(dom.status == 0, "\(dom.errors.suffix(2000))")
        #expect(dom.output.contains("<h1>Periocular measurements</h1>"))
        #expect(dom.output.contains("right fissure width (px)") && dom.output.contains("40.00 (4.00 mm)"))
        #expect(dom.output.contains("point 21 (right_eye_2) is not visible"))
        #expect(dom.output.components(separatedBy: "src=\"data:image/jpeg;base64,").count == 2)
        for problem in ["Failed to load resource", "Uncaught", "ERR_NAME_NOT_RESOLVED", "Not allowed to load"] {
            #expect(!dom.errors.contains(problem), "\(problem)")
        }
    }
}
