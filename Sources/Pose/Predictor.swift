import Dispatch
import Foundation
import Imaging
import PoseData
import PoseMetrics
import Torch

/// The detections of one image, in that image's pixels.
public struct ImagePrediction: Sendable, Codable, Equatable {
    public var file: String
    public var width: Int
    public var height: Int
    public var detections: [PoseDetection]

    public init(file: String, width: Int, height: Int, detections: [PoseDetection]) {
        (self.file, self.width, self.height, self.detections) = (file, width, height, detections)
    }
}

extension ImagePrediction {
    /// The detections of a decode at 1/`scale` in the full-size image of `width` × `height`
    /// pixels (``PoseDetection/scaled(by:toWidth:height:)``).
    public func scaled(by scale: Int, toWidth width: Int, height: Int) -> ImagePrediction {
        ImagePrediction(
            file: file, width: width, height: height, detections: detections.map { $0.scaled(by: scale, toWidth: width, height: height) })
    }

    /// The detections as labels of the image (``PoseDetection/label(width:height:keypointConfidence:)``).
    public func labels(keypointConfidence: Float = 0.5) -> [PoseInstance] {
        detections.map { $0.label(width: width, height: height, keypointConfidence: keypointConfidence) }
    }
}

extension PoseDetection {
    /// The detection, found on a decode at 1/`scale`, in the full-size image of `width` × `height`
    /// pixels: a decoded pixel spans `scale` full-size pixels, so coordinates are multiplied by it
    /// (and the box clamped to the image).
    public func scaled(by scale: Int, toWidth width: Int, height: Int) -> PoseDetection {
        let (factor, w, h) = (Float(scale), Float(width), Float(height))
        var scaled = self
        scaled.box = PixelBox(
            x1: min(box.x1 * factor, w), y1: min(box.y1 * factor, h), x2: min(box.x2 * factor, w), y2: min(box.y2 * factor, h))
        for point in scaled.keypoints.indices {
            scaled.keypoints[point].x *= factor
            scaled.keypoints[point].y *= factor
        }
        return scaled
    }

    /// The detection as a label of an image of `width` × `height` pixels, normalised to it;
    /// keypoints whose confidence is below `keypointConfidence` get visibility 0 (never the
    /// published code's visible point at 0, 0), the others visibility 2.
    public func label(width: Int, height: Int, keypointConfidence: Float = 0.5) -> PoseInstance {
        let (w, h) = (Double(width), Double(height))
        return PoseInstance(
            classIndex: classIndex,
            box: BoundingBox(minX: Double(box.x1) / w, minY: Double(box.y1) / h, maxX: Double(box.x2) / w, maxY: Double(box.y2) / h),
            keypoints: keypoints.map { point in
                point.confidence < keypointConfidence
                    ? Keypoint(x: 0, y: 0, visibility: 0) : Keypoint(x: Double(point.x) / w, y: Double(point.y) / h, visibility: 2)
            })
    }
}

/// Runs a model on image files (reference §2): letterbox (minimal padding for one image, square for
/// a batch), forward, decode, NMS, and mapping back to the original pixels.
public struct Predictor {
    public let model: PoseModel
    public var imageSize: Int
    public var options: SuppressionOptions
    /// Decode large JPEGs at a reduced DCT scale no smaller than `imageSize`
    /// (``ImageCodec/decode(contentsOf:forLongSide:)``): many times faster on camera photos, the
    /// detections mapped back to the full-size pixels; off, the pixels are the reference's.
    public var fastDecode: Bool
    /// Letterbox every image to the `imageSize` square, also one predicted alone (which otherwise
    /// gets the smallest stride-aligned input, as the reference's predict gives it), so that an
    /// image's detections do not depend on the images predicted beside it.
    public var squareInputs: Bool

    public init(
        model: PoseModel, imageSize: Int = 640, options: SuppressionOptions = SuppressionOptions(), fastDecode: Bool = false,
        squareInputs: Bool = false
    ) {
        self.model = model
        self.imageSize = imageSize
        self.options = options
        self.fastDecode = fastDecode
        self.squareInputs = squareInputs
    }

    /// Predicts on `urls` in batches of `batchSize`. An unreadable image throws its `ImageError`.
    public func predict(_ urls: [URL], batchSize: Int = 1) throws -> [ImagePrediction] {
        var results: [ImagePrediction] = []
        let longSide = fastDecode ? imageSize : nil
        for start in stride(from: 0, to: urls.count, by: max(batchSize, 1)) {
            let group = Array(urls[start..<min(start + batchSize, urls.count)])
            let decoded = try Self.parallelMap(group) { url in
                Result { () throws(ImageError) in try ImageCodec.decode(contentsOf: url, forLongSide: longSide) }
            }.map { try $0.get() }
            let predictions = predict(images: decoded.map(\.image), names: group.map(\.path))
            results += zip(predictions, decoded).map { prediction, image in
                image.scale == 1 ? prediction : prediction.scaled(by: image.scale, toWidth: image.width, height: image.height)
            }
        }
        return results
    }

    /// Predicts on decoded images; one image gets the smallest stride-aligned input (unless
    /// `squareInputs`), several get `imageSize` squares.
    public func predict(images: [RGBImage], names: [String]) -> [ImagePrediction] {
        let minimal = images.count == 1 && !squareInputs ? 32 : nil
        let size = imageSize
        let boxed = Self.parallelMap(images) { $0.letterboxed(width: size, height: size, minimalPadding: minimal) }
        let (width, height) = (boxed[0].0.width, boxed[0].0.height)
        let input = Tensor.images(
            interleaved: RGBImage.concatenatedPixels(boxed.map(\.0)), count: images.count, height: height, width: width,
            device: model.device)
        let decoded = withNoGrad { model.decode(model(input, mode: .eval)) }
        let detections = suppress(
            decoded, classCount: model.config.classCount, keypointDimensions: model.config.keypointDimensions, options: options)
        return zip(images.indices, detections).map { index, found in
            let (image, placement) = (images[index], boxed[index].1)
            return ImagePrediction(
                file: names[index], width: image.width, height: image.height,
                detections: found.map { Self.toOriginal($0, placement: placement, width: image.width, height: image.height) })
        }
    }

    /// `transform` applied to every element on all cores, results in order.
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @escaping @Sendable (T) -> R) -> [R] {
        var results = [R?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { slots in
            let shared = SharedPointer(base: slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: items.count) { index in shared.base[index] = transform(items[index]) }
        }
        return results.map { $0! }
    }

    /// Maps a detection from the network input back to the original image (reference §2.7): the
    /// box with the letterbox's rounded padding, then rounded; keypoints with the unrounded padding.
    static func toOriginal(_ detection: PoseDetection, placement: LetterboxPlacement, width: Int, height: Int) -> PoseDetection {
        let gain = Float(placement.gain)
        let (padX, padY) = (Float((placement.padX - 0.1).rounded()), Float((placement.padY - 0.1).rounded()))
        let (w, h) = (Float(width), Float(height))
        func clamp(_ value: Float, _ limit: Float) -> Float { min(max(value, 0), limit) }
        var mapped = detection
        mapped.box = PixelBox(
            x1: clamp((detection.box.x1 - padX) / gain, w).rounded(), y1: clamp((detection.box.y1 - padY) / gain, h).rounded(),
            x2: clamp((detection.box.x2 - padX) / gain, w).rounded(), y2: clamp((detection.box.y2 - padY) / gain, h).rounded())
        mapped.keypoints = detection.keypoints.map { point in
            PredictedKeypoint(
                x: clamp((point.x - Float(placement.padX)) / gain, w), y: clamp((point.y - Float(placement.padY)) / gain, h),
                confidence: point.confidence)
        }
        return mapped
    }
}

extension ImagePrediction {
    /// The detections as YOLO-pose label lines (normalised to the image), each keypoint followed by
    /// its confidence; the detection score is appended when `score` is true.
    public func labelLines(score: Bool = false) -> [String] {
        let (w, h) = (Double(width), Double(height))
        func number(_ value: Double) -> String { String(format: "%.6g", value) }
        return detections.map { detection in
            let box = detection.box
            var fields = [String(detection.classIndex)]
            fields += [
                (Double(box.x1) + Double(box.x2)) / 2 / w, (Double(box.y1) + Double(box.y2)) / 2 / h,
                Double(box.x2 - box.x1) / w, Double(box.y2 - box.y1) / h,
            ].map(number)
            for point in detection.keypoints {
                fields += [number(Double(point.x) / w), number(Double(point.y) / h), number(Double(point.confidence))]
            }
            if score { fields.append(number(Double(detection.score))) }
            return fields.joined(separator: " ")
        }
    }
}

/// A buffer shared with the tasks of one `concurrentPerform`, each writing only its own elements.
private struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}
