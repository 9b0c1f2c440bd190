/// An 8-bit RGB image: `height` rows of `width` pixels, each 3 bytes (R, G, B), no row padding.
///
/// A plain value, so decoded images move freely between tasks.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB bytes, `width * height * 3` of them, row-major from the top-left pixel.
    public var pixels: [UInt8]

    /// Makes an image from its pixels; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "RGBImage: \(pixels.count) bytes for \(width)x\(height) RGB, expected \(width * height * 3)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixels of `images` one after another (`[B, H, W, 3]` for images of one size), copied
    /// image by image.
    public static func concatenatedPixels(_ images: [RGBImage]) -> [UInt8] {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(images.reduce(0) { $0 + $1.pixels.count })
        for image in images { pixels += image.pixels }
        return pixels
    }

    /// The pixels of a rectangle, clamped to the image (at least one pixel each way).
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        let (left, top) = (min(max(x, 0), max(width - 1, 0)), min(max(y, 0), max(height - 1, 0)))
        let (w, h) = (max(min(cropWidth, width - left), 1), max(min(cropHeight, height - top), 1))
        var result = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            let source = ((top + row) * width + left) * 3
            result.replaceSubrange((row * w * 3)..<((row + 1) * w * 3), with: pixels[source..<(source + w * 3)])
        }
        return RGBImage(width: w, height: h, pixels: result)
    }

    /// The image mirrored left to right (pixel x goes to width − 1 − x).
    public func mirrored() -> RGBImage {
        var result = pixels
        for row in 0..<height {
            for column in 0..<width {
                let (from, to) = ((row * width + column) * 3, (row * width + width - 1 - column) * 3)
                (result[to], result[to + 1], result[to + 2]) = (pixels[from], pixels[from + 1], pixels[from + 2])
            }
        }
        return RGBImage(width: width, height: height, pixels: result)
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) {
        var pixels = [UInt8](repeating: fill.r, count: width * height * 3)
        if fill.g != fill.r || fill.b != fill.r {  // a grey (the padding, black) is one fill of memory
            pixels.withUnsafeMutableBufferPointer { pixels in
                for index in stride(from: 0, to: pixels.count, by: 3) { (pixels[index + 1], pixels[index + 2]) = (fill.g, fill.b) }
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        get {
            let index = (y * width + x) * 3
            return (pixels[index], pixels[index + 1], pixels[index + 2])
        }
        set {
            let index = (y * width + x) * 3
            pixels[index] = newValue.r
            pixels[index + 1] = newValue.g
            pixels[index + 2] = newValue.b
        }
    }

    /// The image as it should be displayed, given the EXIF orientation of the stored pixels.
    public func applying(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up { return self }
        let swapsAxes = orientation.swapsAxes
        let outWidth = swapsAxes ? height : width
        let outHeight = swapsAxes ? width : height
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let (sx, sy) = orientation.storedPosition(
                            ofDisplayed: x, y, displayWidth: outWidth, displayHeight: outHeight)
                        let from = (sy * width + sx) * 3
                        let to = (y * outWidth + x) * 3
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}
