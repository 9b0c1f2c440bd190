import Foundation
import Testing

@testable import Imaging
@testable import Loader
@testable import PoseData

/// What OpenCV 4.14 makes of known inputs (Fixtures/parity/opencv.json, written by
/// Scripts/fixtures/make_opencv_parity.py): the reference reads, resizes and warps its images with
/// OpenCV, so facelabel must give the same bytes for its metrics to be the reference's (issue 21).
@Suite struct OpenCVParityTests {
    struct Expected: Decodable {
        struct Resize: Decodable {
            var source: [Int]
            var size: [Int]
            var fnv1a64: String
        }
        struct Warp: Decodable {
            var source: [Int]
            var matrix: [Double]
            var size: [Int]
            var fnv1a64: String
        }
        struct Decode: Decodable {
            var file: String
            var width: Int
            var height: Int
            var fnv1a64: String
        }
        var resize: [Resize]
        var warp: [Warp]
        var decode: [Decode]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: fixture("parity/opencv.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    /// The script's `pattern`: 16×16 blocks alternating between LCG noise and gradients.
    static func pattern(_ source: [Int]) -> RGBImage {
        let (width, height) = (source[0], source[1])
        var state = UInt64(source[2])
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var index = 0
        for y in 0..<height {
            for x in 0..<width {
                for channel in 0..<3 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let value: Int
                    if ((x >> 4) + (y >> 4)) & 1 == 1 {
                        value = Int(state >> 56)
                    } else if channel == 0 {
                        value = x * 255 / max(width - 1, 1)
                    } else if channel == 1 {
                        value = y * 255 / max(height - 1, 1)
                    } else {
                        value = (x * 3 + y * 5) & 255
                    }
                    pixels[index] = UInt8(value)
                    index += 1
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func fnv1a64(_ image: RGBImage) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in image.pixels { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    @Test(arguments: expected.resize.indices)
    func `a resize gives OpenCV's INTER_LINEAR bytes`(index: Int) {
        let item = Self.expected.resize[index]
        let resized = Self.pattern(item.source).resized(width: item.size[0], height: item.size[1])
        #expect(resized.width == item.size[0] && resized.height == item.size[1])
        #expect(Self.fnv1a64(resized) == item.fnv1a64, "\(item.source) -> \(item.size)")
    }

    @Test(arguments: expected.warp.indices)
    func `an affine warp gives OpenCV's warpAffine bytes`(index: Int) {
        let item = Self.expected.warp[index]
        let transform = Transform2D(item.matrix + [0, 0, 1])
        let warped = Self.pattern(item.source).warped(by: transform, width: item.size[0], height: item.size[1])
        #expect(Self.fnv1a64(warped) == item.fnv1a64, "\(item.matrix)")
    }

    @Test(arguments: expected.decode.indices)
    func `a decoded file gives OpenCV's imread bytes`(index: Int) throws {
        let item = Self.expected.decode[index]
        let image = try ImageCodec.decode(contentsOf: fixture(item.file))
        #expect(image.width == item.width && image.height == item.height, "\(item.file)")
        #expect(Self.fnv1a64(image) == item.fnv1a64, "\(item.file)")
    }
}
