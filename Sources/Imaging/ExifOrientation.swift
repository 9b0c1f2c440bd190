/// The EXIF orientation tag (0x0112): how the stored pixels must be turned to display upright.
///
/// The raw values are the EXIF ones (TIFF 6.0 / EXIF 2.3, tag 274): 1 upright, 2 mirrored, 3
/// rotated 180°, 4 flipped vertically, 5 transposed, 6 needs a 90° clockwise turn, 7 transversed,
/// 8 needs a 90° counter-clockwise turn.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1
    case upMirrored = 2
    case down = 3
    case downMirrored = 4
    case leftMirrored = 5
    case right = 6
    case rightMirrored = 7
    case left = 8

    /// Whether the displayed image has width and height exchanged.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The stored pixel shown at displayed position (x, y).
    func storedPosition(ofDisplayed x: Int, _ y: Int, displayWidth w: Int, displayHeight h: Int) -> (Int, Int) {
        switch self {
        case .up: (x, y)
        case .upMirrored: (w - 1 - x, y)
        case .down: (w - 1 - x, h - 1 - y)
        case .downMirrored: (x, h - 1 - y)
        case .leftMirrored: (y, x)
        case .right: (y, w - 1 - x)
        case .rightMirrored: (h - 1 - y, w - 1 - x)
        case .left: (h - 1 - y, x)
        }
    }

    /// Reads the orientation from a JPEG's APP1 "Exif" segment; `.up` when there is none or it is
    /// unreadable (a damaged EXIF block must not make an image unreadable).
    public static func fromJPEG(_ bytes: some RandomAccessCollection<UInt8>) -> ExifOrientation {
        let data = Array(bytes)
        guard data.count > 4, data[0] == 0xFF, data[1] == 0xD8 else { return .up }
        var offset = 2
        while offset + 4 <= data.count {
            guard data[offset] == 0xFF else { return .up }
            let marker = data[offset + 1]
            if marker == 0xFF {  // fill byte
                offset += 1
                continue
            }
            // Markers without a length: TEM, RSTn; SOS or EOI end the header segments.
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                offset += 2
                continue
            }
            if marker == 0xDA || marker == 0xD9 { return .up }
            let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            guard length >= 2, offset + 2 + length <= data.count else { return .up }
            let body = (offset + 4)..<(offset + 2 + length)
            if marker == 0xE1, body.count > 6,
                data[body.lowerBound..<(body.lowerBound + 6)].elementsEqual([0x45, 0x78, 0x69, 0x66, 0, 0])
            {
                return fromTIFF(data[(body.lowerBound + 6)..<body.upperBound]) ?? .up
            }
            offset += 2 + length
        }
        return .up
    }

    /// Reads the orientation from a PNG's eXIf chunk (PNG 1.2's extension, which OpenCV's imread
    /// honours as it does a JPEG's); `.up` when there is none or it is unreadable.
    public static func fromPNG(_ bytes: some RandomAccessCollection<UInt8>) -> ExifOrientation {
        let data = Array(bytes)
        var offset = 8  // the signature
        while offset + 12 <= data.count {
            let length = data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = data[(offset + 4)..<(offset + 8)]
            guard length <= data.count - offset - 12 else { return .up }
            if type.elementsEqual("eXIf".utf8) { return fromTIFF(data[(offset + 8)..<(offset + 8 + length)]) ?? .up }
            if type.elementsEqual("IEND".utf8) { return .up }
            offset += 12 + length
        }
        return .up
    }

    /// Reads tag 0x0112 of IFD0 of a TIFF structure (the body of an EXIF block).
    static func fromTIFF(_ tiff: ArraySlice<UInt8>) -> ExifOrientation? {
        let base = tiff.startIndex
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[base], tiff[base + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            let a = Int(tiff[base + at]), b = Int(tiff[base + at + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(little ? at : at + 2), let high = u16(little ? at + 2 : at) else { return nil }
            return high << 16 | low
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<count {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112 {
                guard let type = u16(at + 2), type == 3, let value = u16(at + 8) else { return nil }
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }
}
