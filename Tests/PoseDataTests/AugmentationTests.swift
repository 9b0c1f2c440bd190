import Foundation
import Testing

@testable import Imaging
@testable import Loader
@testable import PoseData

/// A grey image with one bright dot (3×3, red) at each given point.
func dottedImage(width: Int, height: Int, dots: [(Int, Int)]) -> RGBImage {
    var image = RGBImage(width: width, height: height, fill: (60, 60, 60))
    for (x, y) in dots {
        for dy in -1...1 { for dx in -1...1 { image[x + dx, y + dy] = (255, 0, 0) } }
    }
    return image
}

/// The centre of mass of the red pixels near (x, y).
func redCentre(_ image: RGBImage, near x: Double, _ y: Double, radius: Int = 8) -> (x: Double, y: Double)? {
    var (sx, sy, total) = (0.0, 0.0, 0.0)
    for py in max(0, Int(y) - radius)...min(image.height - 1, Int(y) + radius) {
        for px in max(0, Int(x) - radius)...min(image.width - 1, Int(x) + radius) {
            let (r, g, _) = image[px, py]
            let weight = max(Double(r) - Double(g) - 60, 0)
            (sx, sy, total) = (sx + weight * Double(px), sy + weight * Double(py), total + weight)
        }
    }
    return total > 0 ? (sx / total, sy / total) : nil
}

func instance(at points: [(Double, Double)], box: (Double, Double, Double, Double)) -> PixelInstance {
    PixelInstance(classIndex: 0, x1: box.0, y1: box.1, x2: box.2, y2: box.3, keypoints: points.map { Keypoint(x: $0.0, y: $0.1) })
}

@Suite struct `Augmentation` {
    @Test func `a left-right flip twice is the identity, with keypoints re-indexed by flip_idx`() {
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: 64, flipIndex: [1, 0, 2])
        let sample = AugmentedSample(
            image: dottedImage(width: 64, height: 48, dots: [(10, 10), (40, 20), (30, 30)]),
            instances: [instance(at: [(10.5, 10.5), (40.5, 20.5), (30.5, 30.5)], box: (5, 5, 45, 35))])
        let once = augmenter.flippedLeftRight(sample)
        // new keypoint 0 is old keypoint 1, mirrored: x = 64 − 40.5
        #expect(once.instances[0].keypoints[0] == Keypoint(x: 23.5, y: 20.5))
        #expect(once.instances[0].x1 == 19 && once.instances[0].x2 == 59)
        let pointed = redCentre(once.image, near: 23.5, 20.5)!
        #expect(Swift.abs(pointed.x + 0.5 - 23.5) < 0.01 && Swift.abs(pointed.y + 0.5 - 20.5) < 0.01)
        let twice = augmenter.flippedLeftRight(once)
        #expect(twice.image == sample.image && twice.instances == sample.instances)
        let upDown = augmenter.flippedUpDown(augmenter.flippedUpDown(sample))
        #expect(upDown.image == sample.image && upDown.instances == sample.instances)
    }

    @Test func `dots follow their keypoints through the random affine transform`() {
        var settings = AugmentationSettings()
        (settings.degrees, settings.shear, settings.scale, settings.translate) = (30, 5, 0.3, 0.1)
        let augmenter = Augmenter(settings: settings, imageSize: 96, flipIndex: nil)
        let dots = [(30, 30), (60, 40), (45, 65)]
        let sample = AugmentedSample(
            image: dottedImage(width: 96, height: 96, dots: dots),
            instances: [instance(at: dots.map { (Double($0.0) + 0.5, Double($0.1) + 0.5) }, box: (20, 20, 75, 75))])
        for seed in 0..<5 {
            var random = SeededRandom(seed: UInt64(seed))
            let out = augmenter.randomPerspective(sample, border: 0, random: &random)
            guard let moved = out.instances.first else { continue }
            for point in moved.keypoints where point.visibility > 0 {
                let found = redCentre(out.image, near: point.x, point.y)
                #expect(found != nil, "seed \(seed): no dot near \(point)")
                if let found {
                    #expect(Swift.abs(found.x + 0.5 - point.x) < 0.6 && Swift.abs(found.y + 0.5 - point.y) < 0.6, "seed \(seed)")
                }
            }
        }
    }

    @Test func `dots follow their keypoints through the mosaic and the transform after it`() {
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: 64, flipIndex: nil)
        let tiles = (0..<4).map { index -> AugmentedSample in
            let dot = (16 + 8 * index, 20 + 4 * index)
            return AugmentedSample(
                image: dottedImage(width: 64, height: 48, dots: [dot]),
                instances: [instance(at: [(Double(dot.0) + 0.5, Double(dot.1) + 0.5)], box: (4, 4, 60, 44))])
        }
        var checked = 0
        for seed in 0..<6 {
            var random = SeededRandom(seed: UInt64(seed))
            let canvas = augmenter.mosaic(tiles, random: &random)
            #expect(canvas.image.width == 128 && canvas.image.height == 128)
            for point in canvas.instances.flatMap(\.keypoints) where point.visibility > 0 {
                let found = redCentre(canvas.image, near: point.x, point.y)!
                #expect(Swift.abs(found.x + 0.5 - point.x) < 0.01 && Swift.abs(found.y + 0.5 - point.y) < 0.01)
                checked += 1
            }
            let out = augmenter.randomPerspective(canvas, border: -32, random: &random)
            #expect(out.image.width == 64 && out.image.height == 64)
            for point in out.instances.flatMap(\.keypoints) where point.visibility > 0 {
                if let found = redCentre(out.image, near: point.x, point.y, radius: 4) {
                    #expect(Swift.abs(found.x + 0.5 - point.x) < 0.8 && Swift.abs(found.y + 0.5 - point.y) < 0.8)
                    checked += 1
                }
            }
        }
        #expect(checked > 10)
    }

    @Test func `keypoints pushed out of the image become invisible and the box is clipped`() {
        var settings = AugmentationSettings()
        (settings.scale, settings.translate) = (0, 0)
        let augmenter = Augmenter(settings: settings, imageSize: 64, flipIndex: nil)
        // with no scale or translate draws, border 0 leaves the frame as is: shift by hand instead
        let shifted = instance(at: [(-3, 10), (20, 20), (70, 5)], box: (-10, 0, 50, 40)).clipped(width: 64, height: 64)
        #expect(shifted.keypoints.map(\.visibility) == [0, 2, 0])
        #expect(shifted.keypoints[0].x == 0 && shifted.keypoints[2].x == 64)
        #expect(shifted.x1 == 0 && shifted.x2 == 50)
        var random = SeededRandom(seed: 1)
        let out = augmenter.randomPerspective(
            AugmentedSample(image: RGBImage(width: 64, height: 64), instances: [shifted]), border: 0, random: &random)
        #expect(out.instances[0].keypoints.map(\.visibility) == [0, 2, 0])
    }

    @Test func `the box filter drops slivers and boxes that lost 90 percent of their area`() {
        let before = instance(at: [], box: (0, 0, 100, 100))
        #expect(Augmenter.isBoxCandidate(before: before, scale: 1, after: instance(at: [], box: (0, 0, 40, 40))))
        #expect(!Augmenter.isBoxCandidate(before: before, scale: 1, after: instance(at: [], box: (0, 0, 30, 30))))
        #expect(!Augmenter.isBoxCandidate(before: before, scale: 1, after: instance(at: [], box: (0, 0, 100, 2))))
        #expect(Augmenter.isBoxCandidate(before: before, scale: 0.5, after: instance(at: [], box: (0, 0, 20, 20))))
    }

    @Test func `bilinear resize samples at pixel centres and clamps at the edges`() {
        // two columns, black and white: output column x samples the source at (x + ½)·2/W − ½,
        // clamped to [0, 1], so its value is 255 times that, in OpenCV's 11-bit fixed point
        var source = RGBImage(width: 2, height: 2, fill: (0, 0, 0))
        for y in 0..<2 { source.pixels.replaceSubrange((y * 2 + 1) * 3..<(y * 2 + 2) * 3, with: [255, 255, 255]) }
        #expect(source.resized(width: 4, height: 1).pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) == [0, 64, 191, 255])
    }

    @Test func `pixel rounding clamps to 0...255 and rounds halves away from zero, as rounded() does`() {
        let cases: [(Double, UInt8)] = [
            (0.49999999999999994, 0), (0.5, 1), (2.4999999999999996, 2), (2.5, 3), (127.5.nextDown, 127),
            (254.5, 255), (254.49999999999997, 254), (-3, 0), (-0.4, 0), (255.4, 255), (300, 255),
        ]
        for (value, expected) in cases { #expect(UInt8(roundingClamped: value) == expected, "\(value)") }
        // random values, halves and the doubles just below halves
        var random = SeededRandom(seed: 11)
        var differing: [Double] = []
        for _ in 0..<100_000 {
            let value = random.uniform(-2, 257)
            for x in [value, (value * 2).rounded() / 2, ((value * 2).rounded() / 2).nextDown]
            where UInt8(roundingClamped: x) != UInt8(Swift.min(Swift.max(x, 0), 255).rounded()) {
                differing.append(x)
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(5))")
    }

    @Test func `letterbox scales, centres and pads with grey, and labels follow the unrounded pad`() {
        let (image, placement) = dottedImage(width: 40, height: 20, dots: [(20, 10)]).letterboxed(width: 64, height: 64)
        #expect(placement.gain == 1.6 && placement.padX == 0 && placement.padY == 16)
        #expect(placement.top == 16 && placement.left == 0)
        #expect(image[5, 5] == (114, 114, 114) && image[5, 60] == (114, 114, 114))
        let centre = redCentre(image, near: 32.8, 32.8)!
        #expect(Swift.abs(centre.x + 0.5 - 20.5 * 1.6) < 0.3 && Swift.abs(centre.y + 0.5 - (10.5 * 1.6 + 16)) < 0.3)
    }

    // Expected values from cv2.cvtColor (OpenCV 5.0, the reference's) on an array long enough for
    // its vectorised path, which every real image takes, and the reference's lookup tables.
    @Test func `HSV conversion and gains give OpenCV's values`() {
        typealias RGB = (UInt8, UInt8, UInt8)
        let colours: [RGB] = [
            (255, 0, 0), (12, 200, 90), (30, 30, 30), (250, 240, 10), (0, 0, 255), (200, 180, 181), (7, 9, 8), (114, 114, 114),
            (90, 60, 61), (1, 2, 250),
        ]
        let hsv: [RGB] = [
            (0, 255, 255), (72, 240, 200), (0, 0, 30), (29, 245, 250), (120, 255, 255), (179, 25, 200), (75, 57, 9), (0, 0, 114),
            (179, 85, 90), (120, 254, 250),
        ]
        for (colour, expected) in zip(colours, hsv) { #expect(OpenCVHSV.fromRGB(colour.0, colour.1, colour.2) == expected) }
        // the way back truncates, and its fused multiply-add decides the first two
        let back: [(RGB, RGB)] = [
            ((1, 90, 85), (85, 56, 55)), ((1, 150, 153), (153, 66, 63)), ((0, 51, 5), (5, 3, 3)), ((0, 49, 255), (255, 205, 205)),
            ((179, 255, 255), (255, 0, 8)), ((60, 128, 200), (99, 200, 99)), ((95, 10, 77), (73, 76, 77)), ((150, 255, 1), (1, 0, 0)),
        ]
        for (source, expected) in back { #expect(OpenCVHSV.toRGB(source.0, source.1, source.2) == expected) }
        // gains 1.012, 0.55, 1.31 through the reference's tables
        let adjusted: [RGB] = [
            (255, 114, 114), (122, 255, 175), (39, 39, 39), (255, 250, 120), (119, 114, 255), (255, 242, 242), (9, 11, 10),
            (149, 149, 149), (117, 96, 95), (120, 115, 255),
        ]
        var pixels = colours.flatMap { [$0.0, $0.1, $0.2] }
        OpenCVHSV.applyGains(hue: 1.012, saturation: 0.55, value: 1.31, to: &pixels)
        #expect(pixels == adjusted.flatMap { [$0.0, $0.1, $0.2] })

        var random = SeededRandom(seed: 3)
        let image = dottedImage(width: 8, height: 8, dots: [(3, 3)])
        #expect(Augmenter(settings: .none, imageSize: 8, flipIndex: nil).hsv(image, random: &random) == image)
    }

    @Test func `the same seed gives the same augmented sample`() {
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: 64, flipIndex: nil)
        let tile = AugmentedSample(
            image: dottedImage(width: 64, height: 48, dots: [(20, 20)]),
            instances: [instance(at: [(20.5, 20.5)], box: (4, 4, 60, 44))])
        func run() -> AugmentedSample {
            var random = SeededRandom(seed: 9)
            return augmenter(tile, partners: { [tile, tile, tile] }, random: &random)
        }
        let (a, b) = (run(), run())
        #expect(a.image == b.image && a.instances == b.instances)
    }
}
