import Foundation
import Testing

@testable import PoseData

/// The URL of a committed fixture, e.g. `fixture("images/gray16.png")`.
func fixture(_ relativePath: String) -> URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
}

/// A fresh empty folder under the system's temporary folder, removed by the caller with `defer`.
func makeScratchFolder(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }.prefix(40)
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("posedata-tests-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.resolvingSymlinksInPath()
}

/// An image whose red channel is a horizontal ramp, green a vertical ramp and blue constant.
func gradientImage(width: Int, height: Int) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            image[x, y] = (UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 255 / max(height - 1, 1)), 90)
        }
    }
    return image
}

/// Deterministic noise, hard to compress.
func noiseImage(width: Int, height: Int, seed: UInt64 = 1) -> RGBImage {
    var state = seed
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for index in pixels.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        pixels[index] = UInt8(truncatingIfNeeded: state >> 56)
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// Whether two colours differ by at most `tolerance` in each channel.
func near(_ a: (r: UInt8, g: UInt8, b: UInt8), _ b: (UInt8, UInt8, UInt8), tolerance: Int = 12) -> Bool {
    abs(Int(a.r) - Int(b.0)) <= tolerance && abs(Int(a.g) - Int(b.1)) <= tolerance
        && abs(Int(a.b) - Int(b.2)) <= tolerance
}
