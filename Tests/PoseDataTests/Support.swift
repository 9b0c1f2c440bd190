import Foundation
import Testing

@testable import Imaging
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

/// Every file below `folder` (links not followed) with its bytes, or a link's target, keyed by
/// relative path: a snapshot to prove a tree was not changed.
func snapshot(_ folder: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let base = folder.path
    for case let url as URL in FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)! {
        let relative = String(url.path.dropFirst(base.count + 1))
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) {
            result[relative] = Data("link:\(target)".utf8)
        } else if (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true {
            result[relative] = Data("folder".utf8)
        } else {
            result[relative] = try Data(contentsOf: url)
        }
    }
    return result
}

/// A small data set with 2 keypoints (x y v): train has a.jpg (one face), sub/b.png (two faces)
/// and c.jpg (no label file); val has d.jpg (one face). Returns the yaml's URL.
@discardableResult
func makeSmallDataset(in root: URL) throws -> URL {
    let images: [(String, RGBImage)] = [
        ("images/train/a.jpg", gradientImage(width: 32, height: 24)),
        ("images/train/sub/b.png", noiseImage(width: 20, height: 20)),
        ("images/train/c.jpg", gradientImage(width: 16, height: 16)),
        ("images/val/d.jpg", gradientImage(width: 24, height: 32)),
    ]
    for (path, image) in images { try ImageCodec.write(image, to: root.appendingPathComponent(path)) }
    let labels = [
        "labels/train/a.txt": "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2\n",
        "labels/train/sub/b.txt": "0 0.25 0.25 0.2 0.2 0.2 0.2 2 0.3 0.2 1\n0 0.75 0.75 0.2 0.2 0.7 0.7 0 0.8 0.7 2\n",
        "labels/val/d.txt": "0 0.5 0.5 0.5 0.5 0.45 0.4 2 0.55 0.4 2\n",
    ]
    for (path, text) in labels { try AtomicFile.write(text, to: root.appendingPathComponent(path)) }
    let yaml = root.appendingPathComponent("data.yaml")
    try AtomicFile.write(
        "path: \(root.path)\ntrain: images/train\nval: images/val\nkpt_shape: [2, 3]\nflip_idx: [1, 0]\nnames:\n  0: face\n",
        to: yaml)
    return yaml
}
