import ArgumentParser
import Foundation
import Imaging
import Loader
import Measure
import Pose
import PoseData
import Torch

/// The periocular measurements of a model's predictions against those of the truth labels on the
/// same faces (`facelabel synth` draws its lids and writes their exact points): mean absolute error
/// and 95th percentile, in pixels and as a share of the true fissure width, and faces per second.
struct MeasureAccuracy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "measure-accuracy")
    @Option(help: "A data.yaml with complete labels (synth's truth/data.yaml).") var data: String
    @Option var weights: String
    @Option var split = "val"
    @Option var imgsz = 640
    @Option var threads = 2

    func run() async throws {
        Torch.setThreadCount(threads)
        let dataset = try Dataset.load(URL(fileURLWithPath: data))
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        model.foldBatchNorm()
        let layout = PeriocularLayout(keypointCount: model.config.keypointCount, names: dataset.config.keypointNames)!
        let measurer = PeriocularMeasurer(layout: layout)
        let predictor = Predictor(model: model, imageSize: imgsz, options: SuppressionOptions(confidence: 0.25, iou: 0.7))
        let images = dataset.labelledImages(Split(rawValue: split)!).images
        let names = ["fissure_width", "fissure_height", "canthal_tilt"]
        var errors: [String: [Double]] = [:]
        var shares: [String: [Double]] = [:]
        var (faces, matched, seconds) = (0, 0, 0.0)
        for image in images {
            let photo = try ImageCodec.decode(contentsOf: image.url)
            let started = Date()
            let predicted = predictor.predict(images: [photo], names: [image.url.path])[0].detections.map { detection in
                detection.keypoints.map { MeasuredPoint(x: Double($0.x), y: Double($0.y), confidence: Double($0.confidence)) }
            }
            let predictedMeasures = predicted.map { measurer.measure($0) }
            seconds += Date().timeIntervalSince(started)
            faces += predicted.count
            for instance in image.instances {
                let truth = MeasuredPoint.points(of: instance, width: photo.width, height: photo.height)
                guard let twin = layout.sameFace(as: truth, among: predicted), let index = predicted.firstIndex(of: twin) else { continue }
                matched += 1
                let (expected, found) = (measurer.measure(truth), predictedMeasures[index])
                func value(_ measures: [PeriocularMeasure], _ name: String) -> Double? { measures.first { $0.name == name }?.value }
                for side in ["right", "left"] {
                    guard let width = value(expected, "\(side)_fissure_width"), width > 0 else { continue }
                    for name in names {
                        guard let a = value(expected, "\(side)_\(name)"), let b = value(found, "\(side)_\(name)") else { continue }
                        errors[name, default: []].append(Swift.abs(a - b))
                        if name != "canthal_tilt" { shares[name, default: []].append(Swift.abs(a - b) / width) }
                    }
                }
                if let a = value(expected, "fissure_height_asymmetry_difference"),
                    let b = value(found, "fissure_height_asymmetry_difference"),
                    let width = value(expected, "right_fissure_width")
                {
                    errors["fissure_height_asymmetry_difference", default: []].append(Swift.abs(a - b))
                    shares["fissure_height_asymmetry_difference", default: []].append(Swift.abs(a - b) / width)
                }
            }
        }
        func percentile95(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int((0.95 * Double(sorted.count - 1)).rounded()))]
        }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
        for name in names + ["fissure_height_asymmetry_difference"] {
            let e = errors[name] ?? []
            var row: [String: Any] = ["measure": name, "count": e.count, "mae": mean(e), "p95": percentile95(e)]
            row["unit"] = name == "canthal_tilt" ? "deg" : "px"
            if let s = shares[name] { (row["mae_share_of_width"], row["p95_share_of_width"]) = (mean(s), percentile95(s)) }
            emit(row)
        }
        emit(["faces": faces, "matched_truth_faces": matched, "faces_per_second": Double(faces) / max(seconds, 1e-9)])
    }
}
