import Foundation
import Imaging
import Pose
import PoseData
import Synth
import Testing

@testable import AutoLabel

/// A hand-made run for the report tests: three iterations with the own and the fixed val and the
/// label quality, and Figure 2 samples written to a temporary folder.
enum ReportFixture {
    static func metrics(
        box: (Double, Double, Double, Double), pose: (Double, Double, Double, Double), mse: Double?, nme: Double?,
        instances: Int
    ) -> ValidationMetrics {
        ValidationMetrics(
            box: DetectionScores(precision: box.0, recall: box.1, map50: box.2, map50_95: box.3),
            pose: DetectionScores(precision: pose.0, recall: pose.1, map50: pose.2, map50_95: pose.3),
            landmarks: LandmarkScores(mse: mse, nme: nme, failureRate: nil, auc: nil, matched: instances, missed: 0),
            images: 10, instances: instances)
    }

    /// Iter0: 60 + 15 labels; Iter1 adds 10 + 2; Iter2 adds 6 + 1. Iteration 2's fixed val has no
    /// landmark errors (missing values) and its quality no NME.
    static func summary(protocolName: RefineProtocol = .default, stoppedBecause: String? = nil) -> RunSummary {
        let iteration0 = metrics(
            box: (0.915, 0.9, 0.913, 0.628), pose: (0.88, 0.85, 0.87, 0.55), mse: 12.5, nme: 0.0456, instances: 15)
        let own = [
            iteration0,
            metrics(box: (0.953, 0.927, 0.959, 0.684), pose: (0.9, 0.88, 0.9, 0.6), mse: 10.3, nme: 0.041, instances: 17),
            metrics(box: (0.96, 0.93, 0.96, 0.69), pose: (0.91, 0.89, 0.91, 0.61), mse: 9.5, nme: 0.0392, instances: 18),
        ]
        let fixed = [
            iteration0,
            metrics(box: (0.93, 0.91, 0.94, 0.65), pose: (0.89, 0.86, 0.88, 0.57), mse: 11, nme: 0.043, instances: 15),
            metrics(box: (0.94, 0.92, 0.95, 0.66), pose: (0.9, 0.87, 0.89, 0.58), mse: nil, nme: nil, instances: 15),
        ]
        let quality: [LabelQuality?] = [
            nil,
            LabelQuality(generated: 12, correct: 11, unlabelledFaces: 30, precision: 11.0 / 12, recall: 11.0 / 30, nme: 0.05),
            LabelQuality(generated: 19, correct: 18, unlabelledFaces: 30, precision: 18.0 / 19, recall: 0.6, nme: nil),
        ]
        let train = [
            SplitCounts(images: 40, labels: 60, added: 0), .init(images: 40, labels: 70, added: 10),
            .init(images: 40, labels: 76, added: 6),
        ]
        let val = [
            SplitCounts(images: 10, labels: 15, added: 0), .init(images: 10, labels: 17, added: 2), .init(images: 10, labels: 18, added: 1),
        ]
        let paper = protocolName == .paper
        let iterations = (0..<3).map { k in
            IterationSummary(
                index: k, train: train[k], val: val[k], ownValidation: own[k], fixedValidation: paper ? nil : fixed[k],
                quality: paper ? nil : quality[k], labellingSeconds: 1.5, trainingSeconds: 20)
        }
        return RunSummary(
            data: "/data/faces & friends/data.yaml", settings: settings(protocolName), iterations: iterations,
            stoppedBecause: stoppedBecause)
    }

    /// A run's settings with thresholds unlike the defaults, so the page is seen to quote the run's own.
    static func settings(_ protocolName: RefineProtocol) -> RefineSettings {
        var settings = RefineSettings()
        settings.protocolName = protocolName
        settings.autolabel.confidence = 0.55
        settings.autolabel.mergeIoU = 0.35
        settings.training.epochs = 7
        return settings
    }

    /// The grey of the plain sample image.
    static let grey: (r: UInt8, g: UInt8, b: UInt8) = (200, 200, 200)

    /// A face label with one keypoint at the box's centre (so nothing else is drawn near its edges).
    static func label(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) -> PoseInstance {
        PoseInstance(
            box: BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY),
            keypoints: [Keypoint(x: (minX + maxX) / 2, y: (minY + maxY) / 2)])
    }

    /// The plain sample's labels: A is original, B added by iteration 1, C by iteration 2.
    static let original = label(0.1, 0.1, 0.4, 0.5)
    static let addedBy1 = label(0.5, 0.3, 0.9, 0.8)
    static let addedBy2 = label(0.15, 0.6, 0.4, 0.9)

    /// Writes a plain grey 100 × 80 PNG with the labels above, and a synthetic photo whose labelled
    /// faces are originals and whose unlabelled faces iteration 1 adds.
    static func samples(in folder: URL) throws -> [FigureSample] {
        let plain = folder.appendingPathComponent("plain.png")
        try ImageCodec.write(RGBImage(width: 100, height: 80, fill: grey), to: plain)
        let first = FigureSample(
            image: plain,
            labels: [
                [.init(instance: original, addedBy: nil)],
                [.init(instance: original, addedBy: nil), .init(instance: addedBy1, addedBy: 1)],
                [.init(instance: original, addedBy: nil), .init(instance: addedBy1, addedBy: 1), .init(instance: addedBy2, addedBy: 2)],
            ])
        let synthetic = try #require(syntheticPhoto, "no synthetic image with labelled and unlabelled faces")
        let photo = folder.appendingPathComponent("synthetic.png")
        try synthetic.file.write(to: photo)
        let originals = zip(synthetic.truth, synthetic.labelled).filter(\.1).map { FigureSample.Label(instance: $0.0, addedBy: nil) }
        let generated = zip(synthetic.truth, synthetic.labelled).filter { !$0.1 }.map { FigureSample.Label(instance: $0.0, addedBy: 1) }
        let second = FigureSample(image: photo, labels: [originals, originals + generated, originals + generated])
        return [first, second]
    }

    /// The first synthetic image with both labelled and unlabelled faces (made once: drawing is slow
    /// in debug builds).
    static let syntheticPhoto: SynthDataset.Sample? = {
        let options = SynthDataset.Options(imageSize: 192, faces: 2...3, unlabeledFraction: 0.4, clean: true)
        return (0..<50).lazy.compactMap { try? SynthDataset.sample($0, options: options) }
            .first { $0.labelled.contains(true) && $0.labelled.contains(false) }
    }()

    /// A new empty temporary folder.
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("facelabel-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
