import Foundation
import Imaging
import PoseData

/// Augmentation settings with the reference's defaults for pose training (reference §4.1, reference §5).
public struct AugmentationSettings: Sendable, Codable, Equatable {
    public var hsvHue: Double
    public var hsvSaturation: Double
    public var hsvValue: Double
    /// Rotation range, ± degrees.
    public var degrees: Double
    /// Translation range, ± fraction of the output size.
    public var translate: Double
    /// Scale gain range, ±.
    public var scale: Double
    /// Shear range, ± degrees.
    public var shear: Double
    public var perspective: Double
    public var flipUpDown: Double
    public var flipLeftRight: Double
    /// Probability of a 4-image mosaic.
    public var mosaic: Double

    public init(
        hsvHue: Double = 0.015, hsvSaturation: Double = 0.7, hsvValue: Double = 0.4, degrees: Double = 0.0, translate: Double = 0.1,
        scale: Double = 0.5, shear: Double = 0.0, perspective: Double = 0.0, flipUpDown: Double = 0.0, flipLeftRight: Double = 0.5,
        mosaic: Double = 1.0
    ) {
        (self.hsvHue, self.hsvSaturation, self.hsvValue, self.degrees) = (hsvHue, hsvSaturation, hsvValue, degrees)
        (self.translate, self.scale, self.shear, self.perspective) = (translate, scale, shear, perspective)
        (self.flipUpDown, self.flipLeftRight, self.mosaic) = (flipUpDown, flipLeftRight, mosaic)
    }

    /// No augmentation at all (letterbox only), as for validation.
    public static let none = AugmentationSettings(
        hsvHue: 0, hsvSaturation: 0, hsvValue: 0, translate: 0, scale: 0, flipLeftRight: 0, mosaic: 0)
}

/// An image and its objects in pixel coordinates, moving through the augmentation steps.
public struct AugmentedSample: Sendable {
    public var image: RGBImage
    public var instances: [PixelInstance]

    public init(image: RGBImage, instances: [PixelInstance]) {
        self.image = image
        self.instances = instances
    }

    /// The objects normalised to the image, as label lines store them.
    public var normalisedInstances: [PoseInstance] {
        instances.map { $0.normalised(width: image.width, height: image.height) }
    }
}

/// The reference's training transforms for pose (reference §5.1): mosaic or letterbox, random perspective,
/// HSV, flips. Every random draw comes from the `SeededRandom` passed in, so a sample's result
/// depends only on its seed, never on thread timing.
public struct Augmenter: Sendable {
    public var settings: AugmentationSettings
    /// The square training size.
    public var imageSize: Int
    /// New keypoint i is old keypoint `flipIndex[i]` after a left-right flip.
    public var flipIndex: [Int]?

    public init(settings: AugmentationSettings, imageSize: Int, flipIndex: [Int]?) {
        (self.settings, self.imageSize, self.flipIndex) = (settings, imageSize, flipIndex)
    }

    /// Resizes so the long side is `imageSize` (the reference's `load_image`, reference §5.2).
    public static func fitted(_ sample: AugmentedSample, longSide: Int) -> AugmentedSample {
        let (w, h) = (sample.image.width, sample.image.height)
        let ratio = Double(longSide) / Double(max(w, h))
        guard ratio != 1 else { return sample }
        let newWidth = min(Int((Double(w) * ratio).rounded(.up)), longSide)
        let newHeight = min(Int((Double(h) * ratio).rounded(.up)), longSide)
        let (sx, sy) = (Double(newWidth) / Double(w), Double(newHeight) / Double(h))
        let instances = sample.instances.map { instance in
            var copy = instance
            (copy.x1, copy.x2, copy.y1, copy.y2) = (instance.x1 * sx, instance.x2 * sx, instance.y1 * sy, instance.y2 * sy)
            copy.keypoints = instance.keypoints.map { Keypoint(x: $0.x * sx, y: $0.y * sy, visibility: $0.visibility) }
            return copy
        }
        return AugmentedSample(image: sample.image.resized(width: newWidth, height: newHeight), instances: instances)
    }

    /// One training sample. `partners` supplies the other three mosaic tiles (already fitted to
    /// `imageSize`) when the mosaic is drawn; `sample` must be fitted too.
    public func callAsFunction(
        _ sample: AugmentedSample, partners: () -> [AugmentedSample], random: inout SeededRandom
    ) -> AugmentedSample {
        var result: AugmentedSample
        if settings.mosaic > 0 && random.chance(settings.mosaic) {
            let canvas = mosaic([sample] + partners(), random: &random)
            result = randomPerspective(canvas, border: -imageSize / 2, random: &random)
        } else {
            let (image, placement) = sample.image.letterboxed(width: imageSize, height: imageSize)
            let boxed = AugmentedSample(
                image: image, instances: sample.instances.map { $0.scaled(placement.gain, dx: placement.padX, dy: placement.padY) })
            result = randomPerspective(boxed, border: 0, random: &random)
        }
        result.image = hsv(result.image, random: &random)
        if settings.flipUpDown > 0 && random.chance(settings.flipUpDown) { result = flippedUpDown(result) }
        if settings.flipLeftRight > 0 && random.chance(settings.flipLeftRight) { result = flippedLeftRight(result) }
        return result
    }

    // MARK: Steps

    /// The 4-image mosaic (reference §5.3) on a 2s × 2s grey canvas around a random centre.
    public func mosaic(_ tiles: [AugmentedSample], random: inout SeededRandom) -> AugmentedSample {
        precondition(tiles.count == 4, "a mosaic needs 4 images")
        let s = imageSize
        let yc = Int(random.uniform(Double(s) / 2, 3 * Double(s) / 2))
        let xc = Int(random.uniform(Double(s) / 2, 3 * Double(s) / 2))
        var canvas = RGBImage(width: 2 * s, height: 2 * s, fill: (paddingValue, paddingValue, paddingValue))
        var instances: [PixelInstance] = []
        for (index, tile) in tiles.enumerated() {
            let (w, h) = (tile.image.width, tile.image.height)
            // region on the canvas, and the matching crop of the tile (touching the centre)
            let (ax1, ay1, ax2, ay2): (Int, Int, Int, Int)
            let (bx1, by1): (Int, Int)
            switch index {
            case 0:
                (ax1, ay1, ax2, ay2) = (max(xc - w, 0), max(yc - h, 0), xc, yc)
                (bx1, by1) = (w - (ax2 - ax1), h - (ay2 - ay1))
            case 1:
                (ax1, ay1, ax2, ay2) = (xc, max(yc - h, 0), min(xc + w, 2 * s), yc)
                (bx1, by1) = (0, h - (ay2 - ay1))
            case 2:
                (ax1, ay1, ax2, ay2) = (max(xc - w, 0), yc, xc, min(2 * s, yc + h))
                (bx1, by1) = (w - (ax2 - ax1), 0)
            default:
                (ax1, ay1, ax2, ay2) = (xc, yc, min(xc + w, 2 * s), min(2 * s, yc + h))
                (bx1, by1) = (0, 0)
            }
            tile.image.paste((bx1, by1, ax2 - ax1, ay2 - ay1), into: &canvas, at: ax1, ay1)
            let (dx, dy) = (Double(ax1 - bx1), Double(ay1 - by1))
            instances += tile.instances.map { $0.scaled(1, dx: dx, dy: dy) }
        }
        let size = Double(2 * s)
        let kept = instances.map { $0.clipped(width: size, height: size) }.filter { $0.width > 0 && $0.height > 0 }
        return AugmentedSample(image: canvas, instances: kept)
    }

    /// Random perspective / affine (reference §5.4) into an output of the input size plus twice `border`,
    /// then the reference's box filter (reference §5.5).
    public func randomPerspective(_ sample: AugmentedSample, border: Int, random: inout SeededRandom) -> AugmentedSample {
        let outWidth = sample.image.width + 2 * border
        let outHeight = sample.image.height + 2 * border
        let centre = Transform2D.translation(-Double(sample.image.width) / 2, -Double(sample.image.height) / 2)
        var projective = Transform2D.identity
        projective.m[6] = random.uniform(-settings.perspective, settings.perspective)
        projective.m[7] = random.uniform(-settings.perspective, settings.perspective)
        let angle = random.uniform(-settings.degrees, settings.degrees)
        let scale = random.uniform(1 - settings.scale, 1 + settings.scale)
        let rotation = Transform2D.rotation(degrees: angle, scale: scale)
        var shear = Transform2D.identity
        shear.m[1] = tan(random.uniform(-settings.shear, settings.shear) * .pi / 180)
        shear.m[3] = tan(random.uniform(-settings.shear, settings.shear) * .pi / 180)
        let translation = Transform2D.translation(
            random.uniform(0.5 - settings.translate, 0.5 + settings.translate) * Double(outWidth),
            random.uniform(0.5 - settings.translate, 0.5 + settings.translate) * Double(outHeight))
        let transform = translation * shear * rotation * projective * centre

        let image =
            border == 0 && transform == .identity
            ? sample.image : sample.image.warped(by: transform, width: outWidth, height: outHeight)
        let (width, height) = (Double(outWidth), Double(outHeight))
        var kept: [PixelInstance] = []
        for instance in sample.instances {
            let corners = [(instance.x1, instance.y1), (instance.x2, instance.y2), (instance.x1, instance.y2), (instance.x2, instance.y1)]
                .map { transform.apply($0.0, $0.1) }
            var moved = instance
            (moved.x1, moved.y1) = (corners.map(\.x).min()!, corners.map(\.y).min()!)
            (moved.x2, moved.y2) = (corners.map(\.x).max()!, corners.map(\.y).max()!)
            moved.keypoints = instance.keypoints.map { point in
                let (x, y) = transform.apply(point.x, point.y)
                return Keypoint(x: x, y: y, visibility: point.visibility)
            }
            let clipped = moved.clipped(width: width, height: height)
            if Self.isBoxCandidate(before: instance, scale: scale, after: clipped) { kept.append(clipped) }
        }
        return AugmentedSample(image: image, instances: kept)
    }

    /// The reference's `box_candidates` (reference §5.5): wider and taller than 2 px, more than 10% of the
    /// scaled original area left, aspect ratio under 100.
    static func isBoxCandidate(before: PixelInstance, scale: Double, after: PixelInstance) -> Bool {
        let (w1, h1) = (before.width * scale, before.height * scale)
        let (w2, h2) = (after.width, after.height)
        return w2 > 2 && h2 > 2 && (w2 * h2) / (w1 * h1 + 1e-16) > 0.1 && max(w2 / (h2 + 1e-16), h2 / (w2 + 1e-16)) < 100
    }

    /// Random hue, saturation and value gains (reference §5.6), multiplying in OpenCV's 8-bit HSV
    /// (hue 0…179).
    public func hsv(_ image: RGBImage, random: inout SeededRandom) -> RGBImage {
        let gains = [settings.hsvHue, settings.hsvSaturation, settings.hsvValue].map { random.uniform(-1, 1) * $0 + 1 }
        guard gains != [1, 1, 1] else { return image }
        var out = image
        OpenCVHSV.applyGains(hue: gains[0], saturation: gains[1], value: gains[2], to: &out.pixels)
        return out
    }

    /// Mirrors left-right and re-indexes keypoints by `flipIndex` (reference §5.7).
    public func flippedLeftRight(_ sample: AugmentedSample) -> AugmentedSample {
        let (w, h) = (sample.image.width, sample.image.height)
        var pixels = sample.image.pixels
        sample.image.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<h {
                    for x in 0..<w {
                        let from = (y * w + x) * 3, to = (y * w + (w - 1 - x)) * 3
                        (target[to], target[to + 1], target[to + 2]) = (source[from], source[from + 1], source[from + 2])
                    }
                }
            }
        }
        let width = Double(w)
        let instances = sample.instances.map { instance in
            var copy = instance
            (copy.x1, copy.x2) = (width - instance.x2, width - instance.x1)
            let mirrored = instance.keypoints.map { Keypoint(x: width - $0.x, y: $0.y, visibility: $0.visibility) }
            copy.keypoints = flipIndex.map { order in order.map { mirrored[$0] } } ?? mirrored
            return copy
        }
        return AugmentedSample(image: RGBImage(width: w, height: h, pixels: pixels), instances: instances)
    }

    /// Mirrors top-bottom (no re-indexing, reference §5.7).
    public func flippedUpDown(_ sample: AugmentedSample) -> AugmentedSample {
        let (w, h) = (sample.image.width, sample.image.height)
        var pixels = sample.image.pixels
        let row = w * 3
        sample.image.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for y in 0..<h {
                    target.baseAddress!.advanced(by: (h - 1 - y) * row).update(from: source.baseAddress!.advanced(by: y * row), count: row)
                }
            }
        }
        let height = Double(h)
        let instances = sample.instances.map { instance in
            var copy = instance
            (copy.y1, copy.y2) = (height - instance.y2, height - instance.y1)
            copy.keypoints = instance.keypoints.map { Keypoint(x: $0.x, y: height - $0.y, visibility: $0.visibility) }
            return copy
        }
        return AugmentedSample(image: RGBImage(width: w, height: h, pixels: pixels), instances: instances)
    }
}
