import Foundation
import Testing

@testable import Imaging
@testable import PoseData

@Suite struct ImageCodecTests {
    func pixels(_ image: RGBImage) -> [[UInt8]] {
        (0..<(image.width * image.height)).map { Array(image.pixels[($0 * 3)..<($0 * 3 + 3)]) }
    }

    @Test func `a 16-bit gray PNG decodes to 8-bit gray RGB`() throws {
        let image = try ImageCodec.decode(contentsOf: fixture("images/gray16.png"))
        #expect(image.width == 4 && image.height == 1)
        #expect(pixels(image) == [[0, 0, 0], [1, 1, 1], [128, 128, 128], [255, 255, 255]])
    }

    @Test func `a 16-bit RGB PNG decodes to 8-bit RGB`() throws {
        let image = try ImageCodec.decode(contentsOf: fixture("images/rgb16.png"))
        #expect(image.width == 2 && image.height == 2)
        #expect(pixels(image) == [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]])
    }

    @Test func `a palette PNG with transparency decodes to its palette colours without alpha`() throws {
        let image = try ImageCodec.decode(contentsOf: fixture("images/palette8.png"))
        #expect(pixels(image) == [[10, 20, 30], [200, 100, 50], [0, 255, 0]])
    }

    @Test func `a 2-bit palette PNG unpacks its sub-byte indices`() throws {
        let image = try ImageCodec.decode(contentsOf: fixture("images/palette2.png"))
        #expect(pixels(image) == [[255, 0, 0], [170, 170, 170], [85, 85, 85], [0, 0, 0]])
    }

    @Test func `gray with alpha and RGBA PNGs drop the alpha channel`() throws {
        let grayAlpha = try ImageCodec.decode(contentsOf: fixture("images/gray-alpha8.png"))
        #expect(pixels(grayAlpha) == [[40, 40, 40], [220, 220, 220]])
        let rgba = try ImageCodec.decode(contentsOf: fixture("images/rgba8.png"))
        #expect(pixels(rgba) == [[1, 2, 3]])
    }

    @Test func `a JPEG with EXIF orientation 6 decodes turned a quarter clockwise`() throws {
        // Stored 64x32: top-left red, top-right green, bottom-left blue, bottom-right white.
        let url = fixture("images/exif-orientation-6.jpg")
        let image = try ImageCodec.decode(contentsOf: url)
        #expect(image.width == 32 && image.height == 64)
        #expect(near(image[8, 16], (0, 0, 255)))  // top-left shows the stored bottom-left
        #expect(near(image[24, 16], (255, 0, 0)))  // top-right shows the stored top-left
        #expect(near(image[8, 48], (255, 255, 255)))
        #expect(near(image[24, 48], (0, 255, 0)))

        let info = try ImageCodec.info(contentsOf: url)
        #expect(info == ImageInfo(format: .jpeg, width: 32, height: 64, orientation: .right))

        let stored = try ImageCodec.decode(contentsOf: url, options: .init(appliesOrientation: false))
        #expect(stored.width == 64 && stored.height == 32)
        #expect(near(stored[16, 8], (255, 0, 0)))
    }

    @Test func `a JPEG with EXIF orientation 3 decodes turned half a turn`() throws {
        let image = try ImageCodec.decode(contentsOf: fixture("images/exif-orientation-3.jpg"))
        #expect(image.width == 64 && image.height == 32)
        #expect(near(image[16, 8], (255, 255, 255)))
        #expect(near(image[48, 8], (0, 0, 255)))
        #expect(near(image[16, 24], (0, 255, 0)))
        #expect(near(image[48, 24], (255, 0, 0)))
    }

    @Test func `PNG encoding round-trips every byte`() throws {
        let image = noiseImage(width: 17, height: 9)
        let data = try ImageCodec.encodePNG(image)
        #expect(try ImageCodec.decode(data, name: "memory.png") == image)
    }

    @Test func `JPEG encoding is deterministic and close to the input`() throws {
        let image = gradientImage(width: 48, height: 40)
        let first = try ImageCodec.encodeJPEG(image, quality: 95)
        let second = try ImageCodec.encodeJPEG(image, quality: 95)
        #expect(first == second)
        let decoded = try ImageCodec.decode(first, name: "memory.jpg")
        #expect(decoded.width == 48 && decoded.height == 40)
        let largest = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(largest <= 8)
    }

    @Test func `write picks the format from the extension and leaves no temporary file`() throws {
        let folder = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = gradientImage(width: 20, height: 10)
        try ImageCodec.write(image, to: folder.appendingPathComponent("a.png"))
        try ImageCodec.write(image, to: folder.appendingPathComponent("b.JPG"))
        #expect(try ImageCodec.info(contentsOf: folder.appendingPathComponent("a.png")).format == .png)
        #expect(try ImageCodec.info(contentsOf: folder.appendingPathComponent("b.JPG")).format == .jpeg)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.png", "b.JPG"])
        #expect(throws: ImageError.self) { try ImageCodec.write(image, to: folder.appendingPathComponent("c.gif")) }
    }

    @Test func `a truncated JPEG is an error naming the file`() throws {
        let folder = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let full = try ImageCodec.encodeJPEG(noiseImage(width: 64, height: 64), quality: 90)
        let url = folder.appendingPathComponent("cut.jpg")
        try full.prefix(full.count / 2).write(to: url)
        let error = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: url) }
        #expect(error?.file == url.path)
        #expect(error?.description.hasPrefix("\(url.path): corrupt or truncated image: ") == true)
        // Without the strict check libjpeg fills the missing rows and succeeds.
        let lenient = try ImageCodec.decode(contentsOf: url, options: .init(rejectsJPEGWarnings: false))
        #expect(lenient.width == 64)
    }

    @Test func `a JPEG cut inside its header is an error`() throws {
        let full = try ImageCodec.encodeJPEG(gradientImage(width: 16, height: 16))
        #expect(throws: ImageError.self) { try ImageCodec.decode(full.prefix(40), name: "head.jpg") }
        #expect(throws: ImageError.self) { try ImageCodec.info(full.prefix(40), name: "head.jpg") }
    }

    @Test func `a PNG with a damaged or missing end is an error`() throws {
        var data = try ImageCodec.encodePNG(noiseImage(width: 16, height: 16))
        let truncated = data.prefix(data.count - 30)
        let cut = #expect(throws: ImageError.self) { try ImageCodec.decode(truncated, name: "cut.png") }
        #expect(cut?.description.hasPrefix("cut.png: corrupt or truncated image") == true)
        data[data.count - 40] ^= 0xFF  // inside IDAT: its CRC no longer matches
        #expect(throws: ImageError.self) { try ImageCodec.decode(data, name: "flipped.png") }
    }

    @Test func `an image over the pixel limit is refused with its size`() throws {
        let url = fixture("images/exif-orientation-6.jpg")
        let error = #expect(throws: ImageError.self) {
            try ImageCodec.decode(contentsOf: url, options: .init(maxPixels: 100))
        }
        #expect(error?.reason == .tooLarge(width: 64, height: 32, maxPixels: 100))
        #expect(error?.description == "\(url.path): image of 64x32 pixels exceeds the limit of 100 pixels")
        let png = try ImageCodec.encodePNG(gradientImage(width: 20, height: 10))
        #expect(throws: ImageError(file: "p.png", reason: .tooLarge(width: 20, height: 10, maxPixels: 199))) {
            try ImageCodec.decode(png, name: "p.png", options: .init(maxPixels: 199))
        }
    }

    @Test func `other formats and missing files are named in the error`() throws {
        #expect(throws: ImageError(file: "a.gif", reason: .unsupportedFormat("GIF"))) {
            try ImageCodec.decode(Data("GIF89a....".utf8), name: "a.gif")
        }
        #expect(throws: ImageError(file: "e.jpg", reason: .unsupportedFormat("empty file"))) {
            try ImageCodec.decode(Data(), name: "e.jpg")
        }
        let missing = URL(fileURLWithPath: "/nonexistent/facelabel/x.jpg")
        let error = #expect(throws: ImageError.self) { try ImageCodec.decode(contentsOf: missing) }
        #expect(error?.file == missing.path)
        if case .unreadable = error?.reason {} else { Issue.record("expected .unreadable, got \(String(describing: error))") }
    }

    @Test func `the DCT scale keeps the long side at least the minimum`() {
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: nil) == 1)
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: 640) == 2)
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: 641) == 1)
        #expect(ImageCodec.scaleDenominator(longSide: 1281, minimumLongSide: 641) == 2)  // libjpeg rounds up
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: 320) == 4)
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: 160) == 8)
        #expect(ImageCodec.scaleDenominator(longSide: 1280, minimumLongSide: 10) == 8)
    }

    @Test func `a JPEG decoded at reduced scale keeps its content`() throws {
        // 256x128 with four flat quadrants.
        var image = RGBImage(width: 256, height: 128)
        for y in 0..<128 {
            for x in 0..<256 {
                image[x, y] =
                    switch (x < 128, y < 64) {
                    case (true, true): (255, 0, 0)
                    case (false, true): (0, 255, 0)
                    case (true, false): (0, 0, 255)
                    case (false, false): (255, 255, 255)
                    }
            }
        }
        let data = try ImageCodec.encodeJPEG(image, quality: 95)
        let quarter = try ImageCodec.decode(data, name: "q.jpg", options: .init(minimumLongSide: 64))
        #expect(quarter.width == 64 && quarter.height == 32)
        #expect(near(quarter[16, 8], (255, 0, 0)) && near(quarter[48, 8], (0, 255, 0)))
        #expect(near(quarter[16, 24], (0, 0, 255)) && near(quarter[48, 24], (255, 255, 255)))
        let half = try ImageCodec.decode(data, name: "h.jpg", options: .init(minimumLongSide: 100))
        #expect(half.width == 128 && half.height == 64)
        let full = try ImageCodec.decode(data, name: "f.jpg", options: .init(minimumLongSide: 300))
        #expect(full.width == 256 && full.height == 128)
    }

    @Test func `a decode for a network size says its scale and the full size, and only JPEGs are reduced`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let image = gradientImage(width: 300, height: 200)
        let (jpeg, png) = (scratch.appendingPathComponent("a.jpg"), scratch.appendingPathComponent("a.png"))
        try ImageCodec.write(image, to: jpeg)
        try ImageCodec.write(image, to: png)
        let reduced = try ImageCodec.decode(contentsOf: jpeg, forLongSide: 64)
        #expect(reduced.scale == 4 && reduced.image.width == 75 && reduced.image.height == 50)
        #expect(reduced.width == 300 && reduced.height == 200)
        let exact = try ImageCodec.decode(contentsOf: jpeg, forLongSide: nil)
        let full = try ImageCodec.decode(contentsOf: jpeg)
        #expect(exact.scale == 1 && exact.image == full)
        let lossless = try ImageCodec.decode(contentsOf: png, forLongSide: 64)
        #expect(lossless.scale == 1 && lossless.image == image)
        // a turned photo: the sizes are the displayed ones (64 x 40 stored, orientation 6)
        let turned = try ImageCodec.decode(contentsOf: fixture("parity/exif-6.jpg"), forLongSide: 32)
        #expect(turned.scale == 2 && turned.width == 40 && turned.height == 64)
        #expect(turned.image.width == 20 && turned.image.height == 32)
    }

    @Test func `a JPEG written with an orientation decodes turned by it`() throws {
        let image = noiseImage(width: 48, height: 32)
        for orientation in ExifOrientation.allCases {
            let data = try ImageCodec.encodeJPEG(image, quality: 100, orientation: orientation)
            #expect(try ImageCodec.info(data, name: "o.jpg").orientation == orientation)
            let stored = try ImageCodec.decode(data, name: "o.jpg", options: .init(appliesOrientation: false))
            #expect(try ImageCodec.decode(data, name: "o.jpg") == stored.applying(orientation))
        }
    }

    @Test func `a PNG's eXIf orientation turns it as a JPEG's does`() throws {
        let info = try ImageCodec.info(contentsOf: fixture("parity/exif-6.png"))
        #expect(info == ImageInfo(format: .png, width: 40, height: 64, orientation: .right))
        let stored = try ImageCodec.decode(contentsOf: fixture("parity/exif-6.png"), options: .init(appliesOrientation: false))
        #expect(try ImageCodec.decode(contentsOf: fixture("parity/exif-6.png")) == stored.applying(.right))
    }
}

@Suite struct ExifOrientationTests {
    /// A 3x2 image whose red channel holds the letters a...f row by row.
    let letters: RGBImage = {
        var image = RGBImage(width: 3, height: 2)
        for (index, letter) in "abcdef".utf8.enumerated() { image[index % 3, index / 3] = (letter, 0, 0) }
        return image
    }()

    func text(_ image: RGBImage) -> String {
        (0..<image.height).map { y in
            String(decoding: (0..<image.width).map { image[$0, y].r }, as: UTF8.self)
        }.joined(separator: "/")
    }

    @Test func `each orientation turns the stored pixels as EXIF defines`() {
        #expect(text(letters.applying(.up)) == "abc/def")
        #expect(text(letters.applying(.upMirrored)) == "cba/fed")
        #expect(text(letters.applying(.down)) == "fed/cba")
        #expect(text(letters.applying(.downMirrored)) == "def/abc")
        #expect(text(letters.applying(.leftMirrored)) == "ad/be/cf")
        #expect(text(letters.applying(.right)) == "da/eb/fc")
        #expect(text(letters.applying(.rightMirrored)) == "fc/eb/da")
        #expect(text(letters.applying(.left)) == "cf/be/ad")
    }

    @Test func `a little-endian EXIF block is read and a damaged one means upright`() {
        // SOI, APP1 "Exif\0\0", TIFF "II*\0", IFD0 at 8 with one entry: 0x0112 SHORT 1 value 8.
        let tiff: [UInt8] = [
            0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00,
            0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        let body: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body + [0xFF, 0xD9]
        #expect(ExifOrientation.fromJPEG(jpeg) == .left)
        var damaged = jpeg
        damaged[6 + 6 + 4] = 0xEE  // IFD offset points far outside the block
        #expect(ExifOrientation.fromJPEG(damaged) == .up)
        #expect(ExifOrientation.fromJPEG(Array(jpeg.prefix(12))) == .up)
    }
}
