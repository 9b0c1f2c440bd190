import CImageCodecs
import Foundation
import PoseData

/// The container formats the codecs read and write.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case jpeg
    case png

    /// The format a file name's extension asks for, if it is one of ours.
    public init?(pathExtension: String) {
        switch pathExtension.lowercased() {
        case "jpg", "jpeg", "jpe": self = .jpeg
        case "png": self = .png
        default: return nil
        }
    }
}

/// What the header of an image file says, without decoding its pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    /// The size as displayed, after the EXIF orientation is applied.
    public var width: Int
    public var height: Int
    /// The EXIF orientation (a JPEG's APP1 block or a PNG's eXIf chunk; `.up` without one).
    public var orientation: ExifOrientation
}

/// Options for ``ImageCodec/decode(contentsOf:options:)``.
public struct ImageDecodeOptions: Sendable, Equatable {
    /// Images with more pixels than this are refused before any pixel memory is allocated.
    /// Default ``defaultMaxPixels``.
    public var maxPixels: Int = Self.defaultMaxPixels

    /// 100 megapixels, a little above Pillow's 89.5-megapixel decompression-bomb warning, unless
    /// the environment's `FACELABEL_MAX_PIXELS` gives another count (for every command at once).
    public static let defaultMaxPixels: Int = {
        let configured = ProcessInfo.processInfo.environment["FACELABEL_MAX_PIXELS"].flatMap(Int.init)
        return configured.map { max($0, 1) } ?? 100_000_000
    }()
    /// Turn JPEGs and PNGs upright by their EXIF orientation (as OpenCV's `imread` and so the
    /// reference do).
    public var appliesOrientation: Bool = true
    /// When set, a JPEG is decoded at 1/2, 1/4 or 1/8 scale in the DCT domain (much faster) as long
    /// as its longer side stays at least this many pixels; the caller resizes the rest of the way.
    public var minimumLongSide: Int? = nil
    /// Treat libjpeg's warnings (corrupt data, premature end of file) as errors. libjpeg otherwise
    /// fills the missing part with grey and succeeds.
    public var rejectsJPEGWarnings: Bool = true

    public init(
        maxPixels: Int = Self.defaultMaxPixels, appliesOrientation: Bool = true, minimumLongSide: Int? = nil,
        rejectsJPEGWarnings: Bool = true
    ) {
        self.maxPixels = maxPixels
        self.appliesOrientation = appliesOrientation
        self.minimumLongSide = minimumLongSide
        self.rejectsJPEGWarnings = rejectsJPEGWarnings
    }
}

/// An image decoded, possibly at a reduced scale, and its full size.
public struct ScaledImage: Sendable {
    public var image: RGBImage
    /// Full-size pixels per decoded pixel along each axis: 1, 2, 4 or 8.
    public var scale: Int
    /// The full size, as displayed.
    public var width: Int
    public var height: Int
}

/// JPEG (libjpeg-turbo) and PNG (libspng) reading and writing to ``RGBImage``.
///
/// ```swift
/// let image = try ImageCodec.decode(contentsOf: url)           // upright RGB8
/// let small = try ImageCodec.decode(contentsOf: url, options: .init(minimumLongSide: 640))
/// try ImageCodec.write(image, to: outURL)                       // format from the extension
/// ```
public enum ImageCodec {
    /// Reads and decodes an image file (JPEG or PNG, found by content, not by extension).
    public static func decode(
        contentsOf url: URL, options: ImageDecodeOptions = .init()
    ) throws(ImageError)
        -> RGBImage
    {
        let data = try read(url)
        return try decode(data, name: url.path, options: options)
    }

    /// Decodes an image for a network input whose long side is `longSide`. A JPEG larger than
    /// twice that is decoded at the smallest of libjpeg-turbo's DCT scales 1/2, 1/4, 1/8 that keeps
    /// its long side at least `longSide` (a 4000×3000 photo for 640: 1/4, several times faster
    /// than a full decode); nil, or another format, decodes at full size, which is what the
    /// reference does (OpenCV's `imread`) and so what gives its exact pixels.
    public static func decode(contentsOf url: URL, forLongSide longSide: Int?) throws(ImageError) -> ScaledImage {
        let data = try read(url)
        let result: Result<ScaledImage, ImageError> = data.withUnsafeBytes { raw in
            Result { () throws(ImageError) in
                let header = try info(raw, name: url.path)
                let scale =
                    header.format == .jpeg
                    ? scaleDenominator(longSide: max(header.width, header.height), minimumLongSide: longSide) : 1
                let image = try decode(raw, name: url.path, options: ImageDecodeOptions(minimumLongSide: scale > 1 ? longSide : nil))
                return ScaledImage(image: image, scale: scale, width: header.width, height: header.height)
            }
        }
        return try result.get()
    }

    /// Decodes an in-memory image; `name` is used in error messages.
    public static func decode(
        _ data: Data, name: String, options: ImageDecodeOptions = .init()
    )
        throws(ImageError) -> RGBImage
    {
        let result: Result<RGBImage, ImageError> = data.withUnsafeBytes { raw in
            Result { () throws(ImageError) in try decode(raw, name: name, options: options) }
        }
        return try result.get()
    }

    /// Reads only the header of an image file: its format and displayed size.
    public static func info(contentsOf url: URL) throws(ImageError) -> ImageInfo {
        let data = try read(url)
        return try info(data, name: url.path)
    }

    /// Reads only the header of an in-memory image.
    public static func info(_ data: Data, name: String) throws(ImageError) -> ImageInfo {
        let result: Result<ImageInfo, ImageError> = data.withUnsafeBytes { raw in
            Result { () throws(ImageError) in try info(raw, name: name) }
        }
        return try result.get()
    }

    /// Encodes as baseline JPEG, 4:2:0, at `quality` 1...100. An `orientation` other than `.up`
    /// is written as an EXIF block (APP1, tag 0x0112), as a camera writes it: `image` holds the
    /// stored pixels, which viewers and decoders turn by it.
    public static func encodeJPEG(
        _ image: RGBImage, quality: Int = 95, orientation: ExifOrientation = .up
    ) throws(ImageError)
        -> Data
    {
        let jpeg = try encode(image) { out, size, rgb, error in
            imgc_jpeg_encode_rgb8(out, size, rgb, UInt32(image.width), UInt32(image.height), Int32(quality), error)
        }
        guard orientation != .up else { return jpeg }
        // "Exif\0\0", then a little-endian TIFF header and IFD0 of one SHORT entry: the orientation
        let tiff: [UInt8] = [
            0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, UInt8(orientation.rawValue), 0, 0, 0, 0, 0, 0, 0,
        ]
        let body = Array("Exif".utf8) + [0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
        return jpeg.prefix(2) + Data(segment) + jpeg.dropFirst(2)
    }

    /// Encodes as an 8-bit RGB PNG.
    public static func encodePNG(_ image: RGBImage) throws(ImageError) -> Data {
        try encode(image) { out, size, rgb, error in
            imgc_png_encode_rgb8(out, size, rgb, UInt32(image.width), UInt32(image.height), error)
        }
    }

    /// Encodes in the format named by the file's extension (.jpg/.jpeg or .png) and writes the file
    /// atomically.
    public static func write(_ image: RGBImage, to url: URL, jpegQuality: Int = 95) throws {
        guard let format = ImageFormat(pathExtension: url.pathExtension) else {
            throw ImageError(file: url.path, reason: .unsupportedFormat("extension .\(url.pathExtension)"))
        }
        let data =
            switch format {
            case .jpeg: try encodeJPEG(image, quality: jpegQuality)
            case .png: try encodePNG(image)
            }
        try AtomicFile.write(data, to: url)
    }

    // MARK: - Internals

    package static func read(_ url: URL) throws(ImageError) -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ImageError(file: url.path, reason: .unreadable(reason))
        }
    }

    static func sniff(_ bytes: UnsafeRawBufferPointer, name: String) throws(ImageError) -> ImageFormat {
        func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && zip(bytes[offset...], prefix).allSatisfy { $0 == $1 }
        }
        if starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        let what: String
        if bytes.isEmpty {
            what = "empty file"
        } else if starts(with: Array("GIF8".utf8)) {
            what = "GIF"
        } else if starts(with: Array("BM".utf8)) {
            what = "BMP"
        } else if starts(with: Array("RIFF".utf8)) && starts(with: Array("WEBP".utf8), at: 8) {
            what = "WebP"
        } else if starts(with: [0x49, 0x49, 0x2A, 0x00]) || starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            what = "TIFF"
        } else {
            what = "unknown signature"
        }
        throw ImageError(file: name, reason: .unsupportedFormat(what))
    }

    static func info(_ bytes: UnsafeRawBufferPointer, name: String) throws(ImageError) -> ImageInfo {
        let base = bytes.bindMemory(to: UInt8.self)
        var error = imgc_error()
        switch try sniff(bytes, name: name) {
        case .jpeg:
            var header = imgc_jpeg_info()
            guard imgc_jpeg_read_info(&header, base.baseAddress, base.count, 1, &error) == 0 else {
                throw ImageError(file: name, reason: .corrupt(message(of: &error)))
            }
            let orientation = ExifOrientation.fromJPEG(base)
            let (w, h) = (Int(header.width), Int(header.height))
            return ImageInfo(
                format: .jpeg, width: orientation.swapsAxes ? h : w, height: orientation.swapsAxes ? w : h,
                orientation: orientation)
        case .png:
            var header = imgc_png_info()
            guard imgc_png_read_info(&header, base.baseAddress, base.count, &error) == 0 else {
                throw ImageError(file: name, reason: .corrupt(message(of: &error)))
            }
            let orientation = ExifOrientation.fromPNG(base)
            let (w, h) = (Int(header.width), Int(header.height))
            return ImageInfo(
                format: .png, width: orientation.swapsAxes ? h : w, height: orientation.swapsAxes ? w : h,
                orientation: orientation)
        }
    }

    static func decode(
        _ bytes: UnsafeRawBufferPointer, name: String, options: ImageDecodeOptions
    )
        throws(ImageError) -> RGBImage
    {
        let base = bytes.bindMemory(to: UInt8.self)
        var error = imgc_error()
        switch try sniff(bytes, name: name) {
        case .jpeg:
            var header = imgc_jpeg_info()
            guard imgc_jpeg_read_info(&header, base.baseAddress, base.count, 1, &error) == 0 else {
                throw ImageError(file: name, reason: .corrupt(message(of: &error)))
            }
            let (storedWidth, storedHeight) = (Int(header.width), Int(header.height))
            try checkLimit(storedWidth, storedHeight, options: options, name: name)
            let denominator = scaleDenominator(
                longSide: max(storedWidth, storedHeight), minimumLongSide: options.minimumLongSide)
            if denominator != 1 {
                guard imgc_jpeg_read_info(&header, base.baseAddress, base.count, UInt32(denominator), &error) == 0 else {
                    throw ImageError(file: name, reason: .corrupt(message(of: &error)))
                }
            }
            let (width, height) = (Int(header.output_width), Int(header.output_height))
            var status: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                status = imgc_jpeg_decode_rgb8(
                    buffer.baseAddress, buffer.count, base.baseAddress, base.count, UInt32(denominator), &error)
                if status != 0 { buffer.initialize(repeating: 0) }
                count = buffer.count
            }
            if status != 0 { throw ImageError(file: name, reason: .corrupt(message(of: &error))) }
            if error.warnings > 0 && options.rejectsJPEGWarnings {
                throw ImageError(file: name, reason: .corrupt(message(of: &error)))
            }
            let image = RGBImage(width: width, height: height, pixels: pixels)
            return options.appliesOrientation ? image.applying(ExifOrientation.fromJPEG(base)) : image
        case .png:
            var header = imgc_png_info()
            guard imgc_png_read_info(&header, base.baseAddress, base.count, &error) == 0 else {
                throw ImageError(file: name, reason: .corrupt(message(of: &error)))
            }
            let (width, height) = (Int(header.width), Int(header.height))
            try checkLimit(width, height, options: options, name: name)
            var status: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                status = imgc_png_decode_rgb8(buffer.baseAddress, buffer.count, base.baseAddress, base.count, &error)
                if status != 0 { buffer.initialize(repeating: 0) }
                count = buffer.count
            }
            if status != 0 { throw ImageError(file: name, reason: .corrupt(message(of: &error))) }
            let image = RGBImage(width: width, height: height, pixels: pixels)
            return options.appliesOrientation ? image.applying(ExifOrientation.fromPNG(base)) : image
        }
    }

    /// The largest of 1, 2, 4, 8 that keeps the scaled long side (libjpeg rounds up) at least
    /// `minimumLongSide`.
    static func scaleDenominator(longSide: Int, minimumLongSide: Int?) -> Int {
        guard let minimumLongSide, minimumLongSide > 0 else { return 1 }
        var denominator = 1
        for candidate in [2, 4, 8] where (longSide + candidate - 1) / candidate >= minimumLongSide {
            denominator = candidate
        }
        return denominator
    }

    static func checkLimit(_ width: Int, _ height: Int, options: ImageDecodeOptions, name: String) throws(ImageError) {
        if width == 0 || height == 0 {
            throw ImageError(file: name, reason: .corrupt("image of \(width)x\(height) pixels"))
        }
        if width * height > options.maxPixels {
            throw ImageError(file: name, reason: .tooLarge(width: width, height: height, maxPixels: options.maxPixels))
        }
    }

    static func message(of error: inout imgc_error) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            let characters = raw.bindMemory(to: UInt8.self)
            let end = characters.firstIndex(of: 0) ?? characters.count
            return String(decoding: characters[..<end], as: UTF8.self)
        }
    }

    static func encode(
        _ image: RGBImage,
        _ body: (
            UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>, UnsafePointer<UInt8>?,
            UnsafeMutablePointer<imgc_error>
        ) -> Int32
    ) throws(ImageError) -> Data {
        guard image.width > 0, image.height > 0 else {
            throw ImageError(file: "<image>", reason: .encodingFailed("empty image \(image.width)x\(image.height)"))
        }
        var error = imgc_error()
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { rgb in body(&out, &size, rgb.baseAddress, &error) }
        defer { imgc_free(out) }
        guard status == 0, let out else {
            throw ImageError(file: "<image>", reason: .encodingFailed(message(of: &error)))
        }
        return Data(bytes: out, count: size)
    }
}
