import ArgumentParser
import AutoLabel
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
            subject's: the right eye is on the image's left. Values are measurements, not a diagnosis. \
            Started by torchrun or srun as several ranks, rank r measures every W-th group of 8 \
            images (writing their --save-img images), and rank 0 gathers the faces and writes what \
            one process writes. --shard I/N (or a job array's task) measures every N-th group from \
            the I-th, keeps its part in OUT/shards, and the shard that finds every part there writes \
            the tables and the page, as one process writes them.
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
    @Option(help: "Measure one shard: I/N (from 0), or auto/N with I from the job array's environment.") var shard: String?
    @OptionGroup var size: ImageSizeOption<MeasureDefaults>
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var detection: DetectionOptions<MeasureDefaults>
    @OptionGroup var keypoints: KeypointConfidenceOption
    @OptionGroup var decoding: DecodingOption<MeasureDefaults>
    @OptionGroup var runtime: RuntimeOptions
    @OptionGroup var launchOptions: LaunchOptions

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

    /// One measured image: its faces, and each face's eyes as drawn on the page (JPEG).
    struct MeasuredImage: Codable {
        var faces: [FaceMeasurements]
        var crops: [Data]
    }

    /// Images measured together.
    static let groupSize = 8

    func run() async throws {
        let launch = try RuntimeOptions.launch()
        let part = try launch.part(shard: shard)
        if part.count > 1 && !compare.isEmpty {
            throw ValidationError(
                "--compare measures two photos: run it as one process, not \(launch.isDistributed ? "under \(launch.launcher)" : "in shards")"
            )
        }
        let device = try runtime.apply(launch)
        let group = try launchOptions.join(launch, device: device)
        try group?.agree(on: Array(CommandLine.arguments.dropFirst()), what: "command lines")
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
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent(saveImg ? "images" : ""), withIntermediateDirectories: true)
        // groups of images; with several ranks or shards, rank or shard r measures groups r, r + W, …
        let share = WorkShare(files, groupSize: Self.groupSize, part: part)
        let progress = launch.rank == 0 ? ProgressLine("measure", plainEvery: 50) : nil
        var measured: [[MeasuredImage]] = []
        var done = 0
        let started = Date()
        for batch in share.groups {
            // labels are measured on the full-size image; predictions may come from a reduced decode
            let decoded = try batch.map {
                try ImageCodec.decode(contentsOf: $0, forLongSide: predictor != nil && decoding.fastDecode ? size.imgsz : nil)
            }
            let (found, mirrored) = points(of: batch, decoded: decoded, predictor: predictor, labels: labels, flipIndex: flipIndex)
            measured.append(
                try zip(batch, decoded).enumerated().map { index, image in
                    let (url, scaled) = image
                    var faces = found[index].enumerated().map { face, detection in
                        FaceMeasurements(image: url.path, face: face, score: detection.score, points: detection.points, measurer: measurer)
                    }
                    if flip {
                        for face in faces.indices {
                            guard let twin = layout.sameFace(as: faces[face].points, among: mirrored[index].map(\.points)) else { continue }
                            faces[face].compare(
                                mirrored: FaceMeasurements(image: url.path, face: face, score: nil, points: twin, measurer: measurer))
                        }
                    }
                    return try drawn(url, scaled, faces: faces, layout: layout)
                })
            done += batch.count
            progress?.update(done, of: share.itemCount)
        }
        progress?.finish()
        if let group {
            let kept = "each rank's --save-img images are written; run it again"
            guard let all = try group.gatherBatches(measured, key: "measure", launch: launch, kept: kept) else { return }
            measured = all
        } else if part.count > 1 {
            guard let all = try gatherShards(measured, groups: share.mine, part: part, images: files.count) else { return }
            measured = all
        }
        let seconds = Date().timeIntervalSince(started)
        let images = Array(measured.joined())
        let faces = images.flatMap(\.faces)
        try write(images)
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

    /// One shard's measured groups, kept in OUT/shards until every shard's part is there.
    struct ShardPart: Codable {
        var index: Int
        var count: Int
        /// The command line without `--shard`: the parts of one measurement share it.
        var arguments: [String]
        /// The images of the whole measurement.
        var images: Int
        /// The groups of ``groupSize`` images this shard measured, and what it measured in each.
        var groups: [Int]
        var measured: [[MeasuredImage]]
    }

    /// What a shard that is not the last prints with `--json`.
    struct ShardProgress: Encodable {
        var shard: String
        var images: Int
        var faces: Int
        var missing: [Int]
    }

    /// Keeps this shard's part in OUT/shards (atomically, replacing a part of an earlier run of
    /// the same shard). When every shard's part is there, returns every group in order, for the
    /// tables one process writes; else says which shards are missing and returns nil.
    func gatherShards(
        _ measured: [[MeasuredImage]], groups: [Int], part: (index: Int, count: Int), images: Int
    ) throws
        -> [[MeasuredImage]]?
    {
        let folder = URL(fileURLWithPath: out).appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func file(_ index: Int) -> URL { folder.appendingPathComponent("measure-\(index)-of-\(part.count).json") }
        let arguments = Self.withoutShard(Array(CommandLine.arguments.dropFirst()))
        let mine = ShardPart(index: part.index, count: part.count, arguments: arguments, images: images, groups: groups, measured: measured)
        try AtomicFile.write(try JSONEncoder().encode(mine), to: file(part.index))
        var parts: [ShardPart] = []
        var missing: [Int] = []
        for index in 0..<part.count {
            guard let data = FileManager.default.contents(atPath: file(index).path) else {
                missing.append(index)
                continue
            }
            guard let other = try? JSONDecoder().decode(ShardPart.self, from: data) else {
                throw ValidationError("\(file(index).path): not a shard of facelabel measure")
            }
            guard other.arguments == arguments, other.images == images, other.index == index else {
                throw ValidationError(
                    "\(file(index).path) is a shard of another measurement (facelabel \(other.arguments.joined(separator: " "))): "
                        + "use another --out, or remove \(folder.path)")
            }
            parts.append(other)
        }
        guard missing.isEmpty else {
            let images = Array(measured.joined())
            let progress = ShardProgress(
                shard: "\(part.index)/\(part.count)", images: images.count, faces: images.reduce(0) { $0 + $1.faces.count },
                missing: missing)
            if runtime.json {
                try printJSON(progress)
            } else {
                let waiting = missing.map(String.init).joined(separator: ", ")
                print("shard \(progress.shard): \(progress.faces) faces in \(progress.images) images; waiting for shards \(waiting)")
            }
            note("the shard that finds every part in \(folder.path) writes measurements.csv, .json and .html")
            return nil
        }
        let byGroup = Dictionary(uniqueKeysWithValues: parts.flatMap { zip($0.groups, $0.measured) })
        return byGroup.keys.sorted().map { byGroup[$0]! }
    }

    /// A command line without its `--shard` option, whichever way it was written.
    static func withoutShard(_ arguments: [String]) -> [String] {
        var kept: [String] = []
        var skipsValue = false
        for argument in arguments {
            if skipsValue {
                skipsValue = false
            } else if argument == "--shard" {
                skipsValue = true
            } else if !argument.hasPrefix("--shard=") {
                kept.append(argument)
            }
        }
        return kept
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

    /// Image `url` (decoded as `scaled`) with its measured `faces`: the overlay drawn, written to
    /// OUT/images with --save-img, and each face's eyes cut from it for the page.
    func drawn(_ url: URL, _ scaled: ScaledImage, faces: [FaceMeasurements], layout: PeriocularLayout) throws -> MeasuredImage {
        let overlay = MeasurementPage.overlay(scaled.image, faces: faces, layout: layout, scale: scaled.scale)
        if saveImg {
            let name = url.deletingPathExtension().lastPathComponent + ".jpg"
            try ImageCodec.write(overlay, to: URL(fileURLWithPath: out).appendingPathComponent("images").appendingPathComponent(name))
        }
        let crops = try faces.map { face in
            try ImageCodec.encodeJPEG(MeasurementPage.eyeRegion(overlay, face: face, layout: layout, scale: scaled.scale), quality: 90)
        }
        return MeasuredImage(faces: faces, crops: crops)
    }

    /// The outputs: CSV, JSON, HTML, and with --compare its page.
    func write(_ images: [MeasuredImage]) throws {
        let folder = URL(fileURLWithPath: out)
        let faces = images.flatMap(\.faces)
        try Data(MeasurementTable.csv(faces, flip: flip).utf8).write(
            to: folder.appendingPathComponent("measurements.csv"), options: .atomic)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(faces).write(to: folder.appendingPathComponent("measurements.json"), options: .atomic)
        try Data(MeasurementPage.html(faces, crops: images.flatMap(\.crops)).utf8).write(
            to: folder.appendingPathComponent("measurements.html"), options: .atomic)
        guard compare.count == 2 else { return }
        for (image, photo) in zip(images, compare) where image.faces.isEmpty {
            throw ValidationError("--compare: no face found in \(photo)")
        }
        let (a, b) = (images[0].faces[0], images[1].faces[0])
        let html = MeasurementPage.comparison(a, b, crops: (images[0].crops[0], images[1].crops[0]))
        try Data(html.utf8).write(to: folder.appendingPathComponent("compare.html"), options: .atomic)
        for (x, y) in zip(a.measures, b.measures) {
            let change = x.value.flatMap { v in y.value.map { String(format: "%+.3f", $0 - v) } } ?? "–"
            func shown(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }
            print("\(x.name)  A \(shown(x.value))  B \(shown(y.value))  change \(change)")
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
