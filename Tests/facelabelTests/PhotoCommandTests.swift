import Foundation
import Imaging
import PoseData
import Synth
import Testing

/// Real photographs and EXIF-turned ones through the commands (issue 21).
@Suite(.serialized) struct `photographs through the commands` {
    static let photos = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../PoseDataTests/Fixtures/photos")
    static let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").path

    @Test func `a real photograph imports from its pts, is measured from its labels and is predicted on`() throws {
        let scratch = try Scratch()
        let source = scratch.url.appendingPathComponent("300w/photos")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        for name in ["astronaut.jpg", "astronaut.pts"] {
            try FileManager.default.copyItem(at: Self.photos.appendingPathComponent(name), to: source.appendingPathComponent(name))
        }
        let imported = try runFaceLabel(["import", "300w", "--src", scratch.path("300w"), "--out", scratch.path("faces"), "--json"])
        #expect(imported.status == 0, "\(imported.errors)")
        let measured = try runFaceLabel([
            "measure", "--data", scratch.path("faces/data.yaml"), "--split", "train", "--out", scratch.path("measured"), "--json",
        ])
        #expect(measured.status == 0, "\(measured.errors)")
        let faces = try #require(try jsonObject(measured.output)["faces"] as? [[String: Any]])
        let measures = try #require(faces.first?["measures"] as? [[String: Any]])
        func value(_ name: String) -> Double? { measures.first { $0["name"] as? String == name }?["value"] as? Double }
        // from astronaut.pts (1-based): right eye corners 37 (196.6, 103) and 40 (211, 103.4), left 43 (240, 103.4) and 46 (254, 102.6)
        #expect(abs((value("right_fissure_width") ?? 0) - hypot(14.4, 0.4)) < 1e-3)
        #expect(abs((value("left_fissure_width") ?? 0) - hypot(14, 0.8)) < 1e-3)

        let predicted = try runFaceLabel(["predict", "--weights", Self.weights, "--source", Self.photos.path, "--imgsz", "320", "--json"])
        #expect(predicted.status == 0, "\(predicted.errors)")
        let images = try #require(try jsonObject(predicted.output)["images"] as? [[String: Any]])
        #expect(images.map { $0["width"] as? Int } == [512, 512] && images.map { $0["height"] as? Int } == [512, 512])
    }

    @Test func `an EXIF-turned photo is predicted and drawn upright, where the upright one is`() throws {
        let scratch = try Scratch()
        var options = SynthDataset.Options()
        (options.imageSize, options.faces) = (320, 2...2)
        let upright = try SynthDataset.sample(3, options: options).image.cropped(x: 0, y: 0, width: 320, height: 240)
        try ImageCodec.encodeJPEG(upright, quality: 95).write(to: scratch.url.appendingPathComponent("upright.jpg"))
        // stored turned a quarter counter-clockwise, with orientation 6 (turn clockwise to display)
        try ImageCodec.encodeJPEG(upright.applying(.left), quality: 95, orientation: .right)
            .write(to: scratch.url.appendingPathComponent("turned.jpg"))
        let predicted = try runFaceLabel([
            "predict", "--weights", Self.weights, "--source", scratch.path("*.jpg"), "--imgsz", "320", "--conf", "0.5", "--save-img",
            "--out", scratch.path("predict"), "--json",
        ])
        #expect(predicted.status == 0, "\(predicted.errors)")
        let images = try #require(try jsonObject(predicted.output)["images"] as? [[String: Any]])
        let boxes = images.map { image in
            ((image["detections"] as? [[String: Any]]) ?? []).compactMap { $0["box"] as? [String: Double] }
        }
        #expect(images.map { $0["width"] as? Int } == [320, 320] && images.map { $0["height"] as? Int } == [240, 240])
        #expect(boxes[0].count == boxes[1].count && !boxes[0].isEmpty)
        for (a, b) in zip(boxes[0], boxes[1]) {
            for key in ["x1", "y1", "x2", "y2"] { #expect(abs(a[key]! - b[key]!) < 3, "\(key): \(a[key]!) and \(b[key]!)") }
        }
        // the overlays: what was drawn (pixels far from the photo's) is in the same places
        func drawn(_ name: String) throws -> Set<Int> {
            let photo = try ImageCodec.decode(contentsOf: scratch.url.appendingPathComponent("\(name).jpg"))
            let overlay = try ImageCodec.decode(contentsOf: scratch.url.appendingPathComponent("predict/\(name).jpg"))
            #expect(overlay.width == 320 && overlay.height == 240)
            return Set(
                (0..<(320 * 240)).filter { i in
                    (0..<3).contains { abs(Int(photo.pixels[3 * i + $0]) - Int(overlay.pixels[3 * i + $0])) > 80 }
                })
        }
        let (a, b) = (try drawn("turned"), try drawn("upright"))
        #expect(a.count > 500 && Double(a.intersection(b).count) / Double(a.union(b).count) > 0.8)
    }
}
