import Foundation
import Testing

/// `facelabel measure` as the built binary runs it.
@Suite(.serialized) struct `measure command` {
    @Test func `labels and predictions are measured into CSV, JSON and HTML, and two photos are compared`() throws {
        let scratch = try Scratch()
        #expect(
            try runFaceLabel(["synth", "--out", scratch.path("data"), "--images", "6", "--imgsz", "256", "--unlabeled", "0"]).status == 0)
        let labels = try runFaceLabel(["measure", "--data", scratch.path("data/data.yaml"), "--out", scratch.path("labels"), "--json"])
        #expect(labels.status == 0, "\(labels.errors)")
        let faces = try #require(try jsonObject(labels.output)["faces"] as? [[String: Any]])
        #expect(!faces.isEmpty)
        let measures = try #require(faces[0]["measures"] as? [[String: Any]])
        let width = try #require(measures.first { $0["name"] as? String == "right_fissure_width" })
        #expect((width["value"] as? Double ?? 0) > 0 && width["unit"] as? String == "length")
        #expect(measures.first { $0["name"] as? String == "right_mrd1" }?["missing"] is String)
        for file in ["measurements.csv", "measurements.json", "measurements.html"] {
            #expect(FileManager.default.fileExists(atPath: scratch.path("labels/\(file)")), "\(file)")
        }
        let csv = try String(contentsOfFile: scratch.path("labels/measurements.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == faces.count + 1)

        let weights = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Weights/yolov8n-pose-synth51.safetensors").standardizedFileURL.path
        let images = try FileManager.default.contentsOfDirectory(atPath: scratch.path("data/images/val")).sorted()
        let predicted = try runFaceLabel([
            "measure", "--weights", weights, "--source", scratch.path("data/images/val"), "--imgsz", "256", "--flip",
            "--save-img", "--mm-per-px", "0.2", "--out", scratch.path("predicted"),
        ])
        #expect(predicted.status == 0, "\(predicted.errors)")
        #expect(predicted.output.contains("faces in \(images.count) images"))
        let header = try String(contentsOfFile: scratch.path("predicted/measurements.csv"), encoding: .utf8).prefix(while: { $0 != "\n" })
        #expect(header.contains("right_fissure_height flip difference"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("predicted/images")).count == images.count)

        let pair = [scratch.path("data/images/val/\(images[0])"), scratch.path("data/images/val/\(images[0])")]
        let compared = try runFaceLabel(
            ["measure", "--weights", weights, "--compare"] + pair + ["--imgsz", "256", "--out", scratch.path("compare")])
        #expect(compared.status == 0, "\(compared.errors)")
        #expect(compared.output.contains("right_fissure_width  A ") && compared.output.contains("change +0.000"))
        #expect(FileManager.default.fileExists(atPath: scratch.path("compare/compare.html")))
    }

    /// synth draws the lids at a given opening; the truth labels then measure exactly that geometry
    /// (heights (1.25·opening + 0.05)·scale whatever the roll and turn, so the ratio of the two eyes
    /// is (1.25·0.10 + 0.05) / (1.25·0.04 + 0.05) = 1.75 on every face).
    @Test func `faces drawn with known lid openings measure to that geometry`() throws {
        let scratch = try Scratch()
        let synth = try runFaceLabel([
            "synth", "--out", scratch.path("data"), "--images", "6", "--imgsz", "256", "--eye-opening", "0.10,0.04",
        ])
        #expect(synth.status == 0, "\(synth.errors)")
        let measured = try runFaceLabel([
            "measure", "--data", scratch.path("data/truth/data.yaml"), "--split", "train", "--out", scratch.path("m"), "--json",
        ])
        let faces = try #require(try jsonObject(measured.output)["faces"] as? [[String: Any]])
        let ratios = faces.compactMap { face in
            (face["measures"] as? [[String: Any]])?.first { $0["name"] as? String == "fissure_height_asymmetry_ratio" }?["value"] as? Double
        }
        #expect(ratios.count >= 3, "\(ratios.count) of \(faces.count) faces have both eyes visible")
        // labels keep 6 decimals of the image size: a few 1e-4 px on lids a few px apart
        for ratio in ratios { #expect(Swift.abs(ratio - 1.75) < 2e-3, "\(ratio)") }
        #expect(
            try runFaceLabel(["synth", "--out", scratch.path("x"), "--eye-opening", "0.5"]).errors.contains(
                "--eye-opening must be R or R,L"))
    }

    @Test func `wrong inputs are refused with the reason`() throws {
        let flip = try runFaceLabel(["measure", "--data", "x.yaml", "--flip"])
        #expect(flip.status != 0 && flip.errors.contains("--flip measures a model's predictions: it needs --weights."))
        let scale = try runFaceLabel(["measure", "--data", "x.yaml", "--scale", "19-28"])
        #expect(scale.status != 0 && scale.errors.contains("--scale must be A:B=Lmm"))
        let nothing = try runFaceLabel(["measure"])
        #expect(nothing.status != 0 && nothing.errors.contains("give --weights with --source"))
    }
}
