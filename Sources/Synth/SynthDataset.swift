import Foundation
import Imaging
import PoseData

/// A built-in data set of drawn faces with exact 51-point landmarks, for demonstrations and tests.
///
/// Each image has a cluttered background (gradient, shapes, featureless skin-coloured blobs) and
/// 1-4 faces of random size (from ~24 px to most of the image), position, roll (±30°), yaw-like
/// foreshortening (±35°), skin tone, hair, lids (open to drooping, sometimes unequal), mouth
/// (closed or open), smile, glasses and occluders; then uneven light, blur, noise and JPEG
/// compression. A fraction of the faces is left unlabelled, which is what iterative labelling is
/// for; `truth/` holds every face. The same options give byte-identical files.
public enum SynthDataset {
    public struct Options: Sendable, Hashable {
        public var images = 200
        public var imageSize = 320
        public var faces: ClosedRange<Int> = 1...4
        /// Probability that a face is left out of the labels (it stays in `truth/`).
        public var unlabeledFraction = 0.3
        public var valFraction = 0.2
        public var seed: UInt64 = 0
        /// Skip light, blur, noise and write PNG instead of JPEG (for tests of the drawing itself).
        public var clean = false
        /// The upper-lid opening of every face's eyes (the image-left eye's, then the other's), in
        /// ``SyntheticFace/eyeOpening``'s units, instead of a random one: faces whose lid geometry
        /// is known, for the measurements. The rest of each face is drawn as without it.
        public var eyeOpening: [Double]? = nil
        /// Images drawn at the same time; the output does not depend on it.
        public var concurrency = max(1, ProcessInfo.processInfo.activeProcessorCount)

        public init(
            images: Int = 200, imageSize: Int = 320, faces: ClosedRange<Int> = 1...4, unlabeledFraction: Double = 0.3,
            valFraction: Double = 0.2, seed: UInt64 = 0, clean: Bool = false
        ) {
            self.images = images
            self.imageSize = imageSize
            self.faces = faces
            self.unlabeledFraction = unlabeledFraction
            self.valFraction = valFraction
            self.seed = seed
            self.clean = clean
        }
    }

    /// One generated image and its faces.
    public struct Sample: Sendable {
        public var image: RGBImage
        /// The encoded file (JPEG, or PNG when `clean`).
        public var file: Data
        public var faces: [SyntheticFace]
        /// Every face's label, in drawing order.
        public var truth: [PoseInstance]
        /// Whether each face is in the labels.
        public var labelled: [Bool]
    }

    /// What was written.
    public struct Summary: Sendable, Hashable, Codable {
        public var images: Int
        public var trainImages: Int
        public var valImages: Int
        public var faces: Int
        public var labelledFaces: Int
        public var unlabelledFaces: Int
        public var data: String
        public var truth: String
    }

    /// The keypoint layout of the data set.
    public static let keypointShape = KeypointShape(count: FaceLandmarks.count, dimensions: 3)

    /// The config of a synthetic data set (no `path`: the yaml's folder is the root, so the
    /// folder can move and two runs give the same bytes).
    public static var config: DatasetConfig {
        DatasetConfig(
            train: ["images/train"], val: ["images/val"], keypointShape: keypointShape, flipIndex: FaceLandmarks.flipIndex,
            names: ["face"])
    }

    /// Draws image `index` (depends only on the options' seed, size and face range, and on `index`).
    public static func sample(_ index: Int, options: Options) throws -> Sample {
        var random = SeededRandom(seed: options.seed, stream: UInt64(index))
        let size = options.imageSize
        var canvas = Canvas(width: size, height: size, color: Color(0, 0, 0))
        drawBackground(&canvas, random: &random)

        let count = random.int(options.faces)
        var faces: [SyntheticFace] = []
        var taken: [(Double, Double, Double, Double)] = []
        let smallest = min(24.0, Double(size) * 0.5)
        for _ in 0..<count {
            let largest = Double(size) * (faces.isEmpty ? 0.9 : 0.55)
            var head = exp(random.uniform(log(smallest), log(max(largest, smallest))))
            var placed: SyntheticFace? = nil
            for attempt in 0..<40 where placed == nil {
                if attempt > 0 && attempt % 10 == 0 { head = max(smallest, head * 0.6) }
                let margin = head * 0.55
                guard Double(size) > 2 * margin else { continue }
                let center = Point(random.uniform(margin, Double(size) - margin), random.uniform(margin, Double(size) - margin))
                var face = SyntheticFace.random(center: center, headPixels: head, random: &random)
                if let opening = options.eyeOpening { face.eyeOpening = (opening[0], opening[1]) }
                let extent = bounds(face.headPolygon(), grow: 0.12)
                guard extent.0 >= 0, extent.1 >= 0, extent.2 <= Double(size), extent.3 <= Double(size) else { continue }
                if taken.contains(where: { extent.0 < $0.2 && $0.0 < extent.2 && extent.1 < $0.3 && $0.1 < extent.3 }) { continue }
                taken.append(extent)
                placed = face
            }
            if let placed { faces.append(placed) }
        }
        for face in faces { face.draw(on: &canvas) }

        if !options.clean {
            if random.chance(0.7) {
                canvas.light(
                    start: Point(random.uniform(0, Double(size)), random.uniform(0, Double(size))),
                    end: Point(random.uniform(0, Double(size)), random.uniform(0, Double(size))),
                    from: random.uniform(0.55, 1.0), to: random.uniform(0.9, 1.3))
            }
            if random.chance(0.3) { canvas.blur() }
            canvas.noise(sigma: random.uniform(0, 0.03), random: &random)
        }
        let image = canvas.image()
        let file = options.clean ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image, quality: random.int(40...95))

        let truth = faces.map { label(for: $0, imageSize: size) }
        let labelled = faces.map { _ in !random.chance(options.unlabeledFraction) }
        return Sample(image: image, file: file, faces: faces, truth: truth, labelled: labelled)
    }

    /// The label of a face: its 51 landmarks (visibility 2, or 1 under an occluder) and a box
    /// around them widened by 10% of their larger extent on each side, clamped to the image.
    public static func label(for face: SyntheticFace, imageSize: Int) -> PoseInstance {
        let size = Double(imageSize)
        let points = face.landmarks()
        let hidden = face.occludedLandmarks()
        let (minX, minY, maxX, maxY) = bounds(points, grow: 0)
        let margin = 0.1 * max(maxX - minX, maxY - minY)
        let clamp = { (value: Double) in min(max(value, 0), size) / size }
        let box = BoundingBox(
            minX: clamp(minX - margin), minY: clamp(minY - margin), maxX: clamp(maxX + margin), maxY: clamp(maxY + margin))
        let keypoints = points.enumerated().map { index, point in
            Keypoint(x: clamp(point.x), y: clamp(point.y), visibility: hidden.contains(index) ? 1 : 2)
        }
        return PoseInstance(classIndex: 0, box: box, keypoints: keypoints)
    }

    /// Generates the data set into `output` (a new folder, or replaced with `overwrite`): the
    /// partly labelled data set at its top and the full truth in `truth/`.
    @discardableResult
    public static func write(
        options: Options, to output: URL, overwrite: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> Summary {
        precondition(options.images >= 1 && options.imageSize >= 32 && options.faces.lowerBound >= 0)
        let fileManager = FileManager.default
        let output = output.standardizedFileURL
        let staging = try DatasetWriter.staging(for: output, overwrite: overwrite)
        let valCount = min(options.images, Int((Double(options.images) * options.valFraction).rounded()))
        let trainCount = options.images - valCount
        var summary = Summary(
            images: options.images, trainImages: trainCount, valImages: valCount, faces: 0, labelledFaces: 0,
            unlabelledFaces: 0, data: output.appendingPathComponent("data.yaml").path,
            truth: output.appendingPathComponent("truth/data.yaml").path)
        do {
            for folder in [
                "images/train", "images/val", "labels/train", "labels/val", "truth/images/train", "truth/images/val", "truth/labels/train",
                "truth/labels/val",
            ] {
                try fileManager.createDirectory(at: staging.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            let ext = options.clean ? "png" : "jpg"
            try await forEachSample(options: options, progress: progress) { index, sample in
                let split = index < trainCount ? "train" : "val"
                let stem = String(format: "%06d", index)
                try sample.file.write(to: staging.appendingPathComponent("images/\(split)/\(stem).\(ext)"))
                try fileManager.createSymbolicLink(
                    atPath: staging.appendingPathComponent("truth/images/\(split)/\(stem).\(ext)").path,
                    withDestinationPath: "../../../images/\(split)/\(stem).\(ext)")
                let kept = zip(sample.truth, sample.labelled).filter(\.1).map(\.0)
                if !kept.isEmpty {
                    try LabelFile.write(
                        kept, to: staging.appendingPathComponent("labels/\(split)/\(stem).txt"), keypointShape: keypointShape, decimals: 6)
                }
                if !sample.truth.isEmpty {
                    try LabelFile.write(
                        sample.truth, to: staging.appendingPathComponent("truth/labels/\(split)/\(stem).txt"), keypointShape: keypointShape,
                        decimals: 6)
                }
                summary.faces += sample.truth.count
                summary.labelledFaces += kept.count
            }
            summary.unlabelledFaces = summary.faces - summary.labelledFaces
            try config.write(to: staging.appendingPathComponent("data.yaml"))
            try config.write(to: staging.appendingPathComponent("truth/data.yaml"))
            try DatasetWriter.moveIntoPlace(staging, output)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        return summary
    }

    /// Draws the samples in parallel and hands them to `body` in index order.
    static func forEachSample(
        options: Options, progress: (@Sendable (Int, Int) -> Void)?, _ body: (Int, Sample) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Sample).self) { group in
            var next = 0
            var pending: [Int: Sample] = [:]
            var delivered = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, try sample(index, options: options)) }
            }
            while next < min(options.concurrency, options.images) { start() }
            while let (index, sample) = try await group.next() {
                pending[index] = sample
                while let ready = pending.removeValue(forKey: delivered) {
                    try body(delivered, ready)
                    delivered += 1
                    progress?(delivered, options.images)
                }
                if next < options.images { start() }
            }
        }
    }

    static func drawBackground(_ canvas: inout Canvas, random: inout SeededRandom) {
        let size = Double(canvas.width)
        func color() -> Color { Color(random.unit(), random.unit(), random.unit()) }
        canvas.gradient(
            from: color(), to: color(), start: Point(random.uniform(0, size), random.uniform(0, size)),
            end: Point(random.uniform(0, size), random.uniform(0, size)))
        for _ in 0..<random.int(6...24) {
            var mask = canvas.mask()
            let center = Point(random.uniform(0, size), random.uniform(0, size))
            let extent = size * random.uniform(0.02, 0.3)
            switch random.int(0...3) {
            case 0:
                mask.ellipse(center: center, radiusX: extent, radiusY: extent * random.uniform(0.3, 1), rotation: random.uniform(0, 3.2))
            case 1:
                let angle = random.uniform(0, 3.2)
                let (c, s) = (cos(angle), sin(angle))
                let (w, h) = (extent, extent * random.uniform(0.2, 1))
                mask.fill(
                    [(-w, -h), (w, -h), (w, h), (-w, h)].map { Point(center.x + $0.0 * c - $0.1 * s, center.y + $0.0 * s + $0.1 * c) })
            case 2:
                let points = (0..<random.int(2...5)).map { _ in Point(random.uniform(0, size), random.uniform(0, size)) }
                mask.stroke(points, width: random.uniform(1, max(2, size * 0.02)))
            default:
                mask.fill(
                    (0..<3).map { _ in Point(center.x + random.uniform(-extent, extent), center.y + random.uniform(-extent, extent)) })
            }
            canvas.paint(mask, color(), opacity: random.uniform(0.5, 1))
        }
        // Featureless skin-coloured blobs, so that skin colour alone does not make a face.
        for _ in 0..<random.int(0...2) {
            var blob = canvas.mask()
            let tone = random.unit()
            let radius = size * random.uniform(0.03, 0.15)
            blob.ellipse(
                center: Point(random.uniform(0, size), random.uniform(0, size)), radiusX: radius, radiusY: radius * random.uniform(1, 1.4),
                rotation: random.uniform(0, 3.2))
            canvas.paint(blob, Color(0.96 - 0.62 * tone, 0.80 - 0.58 * tone, 0.70 - 0.55 * tone))
        }
    }

    static func bounds(_ points: [Point], grow: Double) -> (Double, Double, Double, Double) {
        let xs = points.map(\.x)
        let ys = points.map(\.y)
        let (minX, maxX, minY, maxY) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        let (gx, gy) = ((maxX - minX) * grow, (maxY - minY) * grow)
        return (minX - gx, minY - gy, maxX + gx, maxY + gy)
    }
}
