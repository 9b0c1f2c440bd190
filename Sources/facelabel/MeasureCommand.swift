import ArgumentParser
import Foundation
import Imaging
import Measure
import Pose
import PoseData
import Torch

/// `facelabel measure`: periocular measurements from predicted or labelled landmarks.
struct MeasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract:
            """
            Periocular measurements (fissure width and height, canthal tilt, brow heights, intercanthal distances, MRD with pupils, \
            asymmetries) from landmarks.
            """,
        discussion: """
            Measures every face that --weights finds in --source (images, folders or globs), or the \
            labels of --data's --split, or with --weights and --data the predictions on that split's \
            images. --compare A B measures one face in each of two photos of one person and reports \
            every measure's change. Writes OUT/measurements.csv (one row per face, units in the \
            header), OUT/measurements.json and OUT/measurements.html (each face's eyes and values), \
            OUT/compare.html with --compare, and OUT/images/ with --save-img. Right and left are the \
            subject's: the right eye is on the image's left. Values are measurements, not a diagnosis.
            """)

    @Option(help: "Weights: measure the faces this model finds.") var weights: String?
    @Option(help: "Images, a folder or a glob to measure (with --weights).") var source: String?
    @Option(
        help: "A data.yaml: measure its labels, or with --weights the predictions on its images; its kpt_names name pupils and iris edges.")
    var data: String?
    @Option(help: "The split of --data: train, val or test.") var split = Split.val
    @Option(parsing: .upToNextOption, help: "Two photos of one person (before and after): measure both and report each change.")
    var compare: [String] = []
    @Option(help: "Millimetres per pixel, when the photo's scale is known.") var mmPerPx: Double?
    @Option(help: "A known length between two points, A:B=Lmm (e.g. 19:28=95mm).") var scale: String?
    @Flag(help: "Also measure the mirrored image and report each measure's difference (a per-measure uncertainty).")
    var flip = false
    @Flag(help: "Write images with the measured segments drawn (the values are in the CSV and the HTML).") var saveImg = false
    @Option(help: "Output folder.") var out = "runs/measure"
    @OptionGroup var size: ImageSizeOption<MeasureDefaults>
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var detection: DetectionOptions<MeasureDefaults>
    @OptionGroup var keypoints: KeypointConfidenceOption
    @OptionGroup var decoding: DecodingOption<MeasureDefaults>
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        let predicting = weights != nil
        guard (predicting && (source != nil || data != nil || compare.count == 2)) || (!predicting && data != nil && source == nil)
        else {
            throw ValidationError("give --weights with --source, --data or --compare A B, or --data alone to measure its labels.")
        }
        if !compare.isEmpty && compare.count != 2 { throw ValidationError("--compare takes two photos.") }
        if source != nil && data != nil { throw ValidationError("give --source or --data, not both.") }
        if flip && !predicting { throw ValidationError("--flip measures a model's predictions: it needs --weights.") }
        if let mmPerPx { try OptionCheck.positive(mmPerPx, "--mm-per-px") }
        if mmPerPx != nil && scale != nil { throw ValidationError("give --mm-per-px or --scale, not both.") }
        if let scale, MillimetreScale(reference: scale) == nil {
            throw ValidationError("--scale must be A:B=Lmm with two point numbers and a length, e.g. 19:28=95mm.")
        }
    }

    /// One measured image.
    struct Sample {
        var file: String
        /// The decoded image: full-size pixels per image pixel is `scale`.
        var image: RGBImage
        var scale: Int
        var faces: [FaceMeasurements]
    }

    func run() async throws {
        let device = try runtime.apply()
        let dataset = try data.map { try DataLoading.dataset($0) }
        let model = try weights.map { try PoseModel.load(URL(fileURLWithPath: $0), device: device) }
        model.map(precision.prepare)
        let keypointCount = model?.config.keypointCount ?? dataset!.config.keypointShape.count
        guard let layout = PeriocularLayout(keypointCount: keypointCount, names: dataset?.config.keypointNames) else {
            throw ValidationError(
                "the \(keypointCount) keypoints have no eye, lid and brow points of the iBUG scheme: "
                    + "name them with kpt_names in the data.yaml (right_eye_0 ... left_brow_4).")
        }
        let millimetres: MillimetreScale? = mmPerPx.map { .perPixel($0) } ?? scale.flatMap { MillimetreScale(reference: $0) }
        let measurer = PeriocularMeasurer(layout: layout, minimumConfidence: Double(keypoints.kptConf), scale: millimetres)
        let flipIndex = dataset?.config.flipIndex ?? KeypointScheme.standard(forCount: keypointCount).flipIndex

        let files: [URL] =
            if !compare.isEmpty { compare.map { URL(fileURLWithPath: $0) } } else if let source { try ImageSource.files(source) } else {
                try DataLoading.images(dataset!, split: split).map(\.url)
            }
        let labels: [URL: [PoseInstance]] =
            model == nil
            ? Dictionary(uniqueKeysWithValues: try DataLoading.images(dataset!, split: split).map { ($0.url, $0.instances) })
            : [:]
        if flip && flipIndex == nil { throw ValidationError("--flip needs a flip_idx (the data.yaml's) for \(keypointCount) keypoints.") }

        let predictor = model.map {
            Predictor(model: $0, imageSize: size.imgsz, options: SuppressionOptions(confidence: detection.conf, iou: detection.iou))
        }
        let progress = ProgressLine("measure", plainEvery: 50)
        var faces: [FaceMeasurements] = []
        var samples: [Sample] = []
        let started = Date()
        for start in stride(from: 0, to: files.count, by: 8) {
            let group = Array(files[start..<min(start + 8, files.count)])
            // labels are measured on the full-size image; predictions may come from a reduced decode
            let decoded = try group.map {
                try ImageCodec.decode(contentsOf: $0, forLongSide: predictor != nil && decoding.fastDecode ? size.imgsz : nil)
            }
            let images = decoded.map(\.image)
            let (found, mirrored) = points(of: group, decoded: decoded, predictor: predictor, labels: labels, flipIndex: flipIndex)
            for (index, (url, image)) in zip(group, images).enumerated() {
                var measured = found[index].enumerated().map { face, detection in
                    FaceMeasurements(image: url.path, face: face, score: detection.score, points: detection.points, measurer: measurer)
                }
                if flip {
                    for face in measured.indices {
                        guard let twin = layout.sameFace(as: measured[face].points, among: mirrored[index].map(\.points)) else { continue }
                        measured[face].compare(
                            mirrored: FaceMeasurements(image: url.path, face: face, score: nil, points: twin, measurer: measurer))
                    }
                }
                faces += measured
                samples.append(Sample(file: url.path, image: image, scale: decoded[index].scale, faces: measured))
            }
            progress.update(min(start + 8, files.count), of: files.count)
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        try write(faces, samples: samples, layout: layout)
        if runtime.json {
            try printJSON(["faces": faces])
        } else {
            for face in faces { print(Self.summary(face)) }
            print(
                String(
                    format: "%d faces in %d images (%.1f faces/s); results in %@", faces.count, files.count,
                    Double(faces.count) / max(seconds, 1e-9), out))
        }
    }

    /// A face's score (nil for a label) and its points.
    typealias FacePoints = (score: Double?, points: [MeasuredPoint])

    /// The faces of one batch of images (`decoded` from `group`), in full-size pixels: predicted by
    /// `predictor` (with `--flip`, predicted on the mirror too and mapped back through
    /// `flipIndex`), or else the images' `labels`, measured on the full-size image.
    func points(
        of group: [URL], decoded: [ScaledImage], predictor: Predictor?, labels: [URL: [PoseInstance]], flipIndex: [Int]?
    ) -> (found: [[FacePoints]], mirrored: [[FacePoints]]) {
        let images = decoded.map(\.image)
        guard let predictor else {
            let found = zip(group, images).map { url, image in
                (labels[url] ?? []).map { FacePoints(nil, MeasuredPoint.points(of: $0, width: image.width, height: image.height)) }
            }
            return (found, [])
        }
        // a reduced decode's points are multiplied back to full-size pixels
        func fullSize(_ faces: [FacePoints], _ scale: Int) -> [FacePoints] {
            faces.map { face in
                (face.score, face.points.map { MeasuredPoint(x: $0.x * Double(scale), y: $0.y * Double(scale), confidence: $0.confidence) })
            }
        }
        let found = zip(predictor.predict(images: images, names: group.map(\.path)), decoded).map { fullSize(Self.faces($0), $1.scale) }
        guard flip, let flipIndex else { return (found, []) }
        let predictions = predictor.predict(images: images.map { $0.mirrored() }, names: group.map(\.path))
        let mirrored = zip(predictions, decoded).map { prediction, image in
            fullSize(
                Self.faces(prediction).map { ($0.score, Self.unmirrored($0.points, width: image.image.width, flipIndex: flipIndex)) },
                image.scale)
        }
        return (found, mirrored)
    }

    /// The outputs: CSV, JSON, HTML, and with --compare and --save-img their pages and images.
    func write(_ faces: [FaceMeasurements], samples: [Sample], layout: PeriocularLayout) throws {
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(MeasurementTable.csv(faces, flip: flip).utf8).write(
            to: folder.appendingPathComponent("measurements.csv"), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(faces).write(to: folder.appendingPathComponent("measurements.json"), options: .atomic)
        let overlays = samples.map { MeasurementPage.overlay($0.image, faces: $0.faces, layout: layout, scale: $0.scale) }
        func crop(_ face: FaceMeasurements, _ sample: Int) throws -> Data {
            let region = MeasurementPage.eyeRegion(overlays[sample], face: face, layout: layout, scale: samples[sample].scale)
            return try ImageCodec.encodeJPEG(region, quality: 90)
        }
        let crops = try samples.indices.flatMap { sample in try samples[sample].faces.map { try crop($0, sample) } }
        try Data(MeasurementPage.html(faces, crops: crops).utf8).write(
            to: folder.appendingPathComponent("measurements.html"), options: .atomic)
        if compare.count == 2 {
            for (sample, photo) in zip(samples, compare) where sample.faces.isEmpty {
                throw ValidationError("--compare: no face found in \(photo)")
            }
            let (a, b) = (samples[0].faces[0], samples[1].faces[0])
            let html = MeasurementPage.comparison(a, b, crops: (try crop(a, 0), try crop(b, 1)))
            try Data(html.utf8).write(to: folder.appendingPathComponent("compare.html"), options: .atomic)
            for (x, y) in zip(a.measures, b.measures) {
                let change = x.value.flatMap { v in y.value.map { String(format: "%+.3f", $0 - v) } } ?? "–"
                func shown(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }
                print("\(x.name)  A \(shown(x.value))  B \(shown(y.value))  change \(change)")
            }
        }
        if saveImg {
            let images = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            for (sample, overlay) in zip(samples, overlays) {
                let name = URL(fileURLWithPath: sample.file).deletingPathExtension().lastPathComponent + ".jpg"
                try ImageCodec.write(overlay, to: images.appendingPathComponent(name))
            }
        }
    }

    static func faces(_ prediction: ImagePrediction) -> [FacePoints] {
        prediction.detections.map { detection in
            (
                Double(detection.score),
                detection.keypoints.map { MeasuredPoint(x: Double($0.x), y: Double($0.y), confidence: Double($0.confidence)) }
            )
        }
    }

    /// Points predicted on the mirrored image, back in the original's pixels and point order: point
    /// j of the original is the mirror of the mirrored image's point flip_idx[j].
    static func unmirrored(_ points: [MeasuredPoint], width: Int, flipIndex: [Int]) -> [MeasuredPoint] {
        flipIndex.map { source in
            var point = points[source]
            point.x = Double(width) - point.x
            return point
        }
    }

    static func summary(_ face: FaceMeasurements) -> String {
        let shown = [
            "right_fissure_height", "left_fissure_height", "right_canthal_tilt", "left_canthal_tilt", "fissure_height_asymmetry_ratio",
        ]
        let values = shown.map { name in "\(name) " + (face[name]?.value.map { String(format: "%.2f", $0) } ?? "–") }
        return "\(face.image) face \(face.face + 1): " + values.joined(separator: "  ")
    }
}
