import Foundation

/// The grey of the reference's letterbox and mosaic borders.
public let paddingValue: UInt8 = 114

extension RGBImage {
    /// Bilinear resize, byte for byte as OpenCV's `cv2.resize(..., INTER_LINEAR)` on 8-bit images
    /// (what the reference's `load_image` and letterbox call): see ``LinearResize``. The same size
    /// is a copy and an exact halving on both axes is OpenCV's 2×2 average, as OpenCV switches to
    /// INTER_AREA there.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0 && width > 0 && height > 0, "resized: \(width)x\(height) to \(newWidth)x\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        if LinearResize.isExactHalving(from: width, to: newWidth) && LinearResize.isExactHalving(from: height, to: newHeight) {
            return halved()
        }
        return LinearResize(from: (width, height), to: (newWidth, newHeight)).apply(to: self)
    }

    /// Each 2×2 block averaged, `(a + b + c + d + 2) >> 2` (OpenCV's INTER_AREA at an exact
    /// factor of 2).
    func halved() -> RGBImage {
        let (outWidth, outHeight) = (width / 2, height / 2)
        var out = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                let rowBytes = width * 3
                for y in 0..<outHeight {
                    let top = source.baseAddress! + 2 * y * rowBytes
                    let bottom = top + rowBytes
                    let row = target.baseAddress! + y * outWidth * 3
                    for i in 0..<(outWidth * 3) {
                        let (x, channel) = (i / 3 * 6, i % 3)
                        let sum =
                            Int(top[x + channel]) + Int(top[x + 3 + channel]) + Int(bottom[x + channel]) + Int(bottom[x + 3 + channel])
                        row[i] = UInt8((sum + 2) >> 2)
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// The image seen through `transform` (output pixel (x, y) shows the source at
    /// `transform⁻¹(x, y)`), `width` × `height`, with the padding grey outside the source. An
    /// affine transform is OpenCV's `warpAffine` (bilinear, constant border 114) byte for byte
    /// (``AffineWarp``); a projective one is sampled in floating point.
    public func warped(by transform: Transform2D, width outWidth: Int, height outHeight: Int) -> RGBImage {
        if transform.isAffine { return AffineWarp(transform).apply(to: self, width: outWidth, height: outHeight) }
        return sampled(width: outWidth, height: outHeight, sourceOf: transform.inverse)
    }

    /// Bilinear sampling in floating point: each output pixel centre maps through `map` to source
    /// coordinates; outside the source the padding grey.
    func sampled(width outWidth: Int, height outHeight: Int, sourceOf map: Transform2D) -> RGBImage {
        var out = [UInt8](repeating: paddingValue, count: outWidth * outHeight * 3)
        let m = map.m
        let (m0, m1, m2, m3, m4, m5, m6, m7, m8) = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
        let (w, h) = (Double(width), Double(height))
        pixels.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    let (fy, row) = (Double(y), target.baseAddress! + y * outWidth * 3)
                    for x in 0..<outWidth {
                        let fx = Double(x)
                        let q = m6 * fx + m7 * fy + m8
                        let sx = (m0 * fx + m1 * fy + m2) / q
                        let sy = (m3 * fx + m4 * fy + m5) / q
                        guard sx > -1, sx < w, sy > -1, sy < h else { continue }
                        let (x0, y0) = (Int(sx.rounded(.down)), Int(sy.rounded(.down)))
                        let (ax, ay) = (sx - Double(x0), sy - Double(y0))
                        for channel in 0..<3 {
                            func at(_ px: Int, _ py: Int) -> Double {
                                px < 0 || py < 0 || px >= width || py >= height
                                    ? Double(paddingValue) : Double(pixels[(py * width + px) * 3 + channel])
                            }
                            let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
                            let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
                            row[x * 3 + channel] = UInt8(roundingClamped: top * (1 - ay) + bottom * ay)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// Copies `region` of `self` (x, y, width, height) to (`x`, `y`) of `canvas`.
    package func paste(_ region: (x: Int, y: Int, width: Int, height: Int), into canvas: inout RGBImage, at x: Int, _ y: Int) {
        let canvasWidth = canvas.width
        let rowBytes = region.width * 3
        guard rowBytes > 0 else { return }
        pixels.withUnsafeBufferPointer { source in
            canvas.pixels.withUnsafeMutableBufferPointer { target in
                for row in 0..<region.height {
                    let from = ((region.y + row) * width + region.x) * 3
                    let to = ((y + row) * canvasWidth + x) * 3
                    target.baseAddress!.advanced(by: to).update(from: source.baseAddress!.advanced(by: from), count: rowBytes)
                }
            }
        }
    }
}

/// OpenCV's INTER_LINEAR resize of 8-bit images (`resizeGeneric_` with `HResizeLinear` and
/// `VResizeLinear`, imgproc/src/resize.cpp), in its fixed point:
///
/// - Each output column dx samples the source at `fx = Float((dx + 0.5) · scale − 0.5)` with
///   `scale = 1 / (newWidth / width)` in Double; `sx = ⌊fx⌋`, and the fraction's two weights are
///   `(1 − f)·2048` and `f·2048` rounded half to even (11 bits). Columns left of the image clamp to
///   column 0, those at or past the last column take it alone (weight 2048). Rows the same, except
///   that the weights are kept and only the two source rows are clamped into the image.
/// - A source row becomes `H = S[sx]·a0 + S[sx+1]·a1` (int32); two of those become the pixel
///   `((b0·(H0 >> 4)) >> 16 + (b1·(H1 >> 4)) >> 16 + 2) >> 2`, which is what OpenCV's SIMD and
///   scalar code both compute on 8-bit data (its intermediate values never saturate).
struct LinearResize {
    static let coefficientScale: Float = 2048  // INTER_RESIZE_COEF_SCALE, 1 << 11

    /// One axis: the first source index and the two weights of each output index; `clampedFrom`
    /// is the first output index that takes the last source index alone (`xmax`).
    struct Axis {
        var index: [Int32]
        var weights: [(Int32, Int32)]
        var clampedFrom: Int

        init(from size: Int, to newSize: Int, clampsWeights: Bool) {
            let scale = 1 / (Double(newSize) / Double(size))
            index = []
            weights = []
            clampedFrom = newSize
            for d in 0..<newSize {
                var f = Float((Double(d) + 0.5) * scale - 0.5)
                var s = Int(f.rounded(.down))
                f -= Float(s)
                if clampsWeights {
                    if s < 0 { (f, s) = (0, 0) }
                    if s + 1 >= size {
                        clampedFrom = min(clampedFrom, d)
                        if s >= size - 1 { (f, s) = (0, size - 1) }
                    }
                }
                index.append(Int32(s))
                weights.append(
                    (
                        Int32(((1 - f) * LinearResize.coefficientScale).rounded(.toNearestOrEven)),
                        Int32((f * LinearResize.coefficientScale).rounded(.toNearestOrEven))
                    ))
            }
        }
    }

    let size: (width: Int, height: Int)
    let newSize: (width: Int, height: Int)
    let columns: Axis
    let rows: Axis

    init(from size: (Int, Int), to newSize: (Int, Int)) {
        self.size = size
        self.newSize = newSize
        columns = Axis(from: size.0, to: newSize.0, clampsWeights: true)
        rows = Axis(from: size.1, to: newSize.1, clampsWeights: false)
    }

    /// Whether `size → newSize` is OpenCV's exact factor 2, where INTER_LINEAR becomes INTER_AREA
    /// (`|scale − 2| < DBL_EPSILON` with scale computed as above).
    static func isExactHalving(from size: Int, to newSize: Int) -> Bool {
        let scale = 1 / (Double(newSize) / Double(size))
        return abs(scale - 2) < Double.ulpOfOne
    }

    func apply(to image: RGBImage) -> RGBImage {
        precondition(image.width == size.width && image.height == size.height)
        let (outWidth, outHeight) = newSize
        let elements = outWidth * 3
        // per element of an output row: the source element and the two weights
        let perElement = (0..<elements).map { i in
            let x = i / 3
            let clamped = x >= columns.clampedFrom
            return (columns.index[x] * 3 + Int32(i % 3), clamped ? 2048 : columns.weights[x].0, clamped ? 0 : columns.weights[x].1)
        }
        let sourceElement = perElement.map(\.0)
        let weight0 = perElement.map(\.1)
        let weight1 = perElement.map(\.2)
        var out = [UInt8](repeating: 0, count: elements * outHeight)
        let lastRow = size.height - 1
        image.pixels.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { target in
                let base = SendablePointer(target.baseAddress!)
                let image = SendableSource(pixels.baseAddress!)
                let chunks = min(ProcessInfo.processInfo.activeProcessorCount, max(elements * outHeight / 65_536, 1))
                let rowsPerChunk = (outHeight + chunks - 1) / chunks
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    // the horizontal pass of the two source rows in use, by source row
                    var above = [Int32](repeating: 0, count: elements)
                    var below = above
                    var rowsHeld: (Int, Int) = (-1, -1)
                    func horizontal(_ row: Int, into values: inout [Int32]) {
                        let source = image.pointer + row * size.width * 3
                        sourceElement.withUnsafeBufferPointer { element in
                            weight0.withUnsafeBufferPointer { a0 in
                                weight1.withUnsafeBufferPointer { a1 in
                                    values.withUnsafeMutableBufferPointer { values in
                                        for i in 0..<elements {
                                            let s = Int(element[i])
                                            // a clamped column has a1 = 0 and may not read past the row
                                            let next = a1[i] == 0 ? 0 : Int32(source[s + 3])
                                            values[i] = Int32(source[s]) * a0[i] + next * a1[i]
                                        }
                                    }
                                }
                            }
                        }
                    }
                    for y in min(chunk * rowsPerChunk, outHeight)..<min((chunk + 1) * rowsPerChunk, outHeight) {
                        let first = Int(rows.index[y])
                        let wanted = (min(max(first, 0), lastRow), min(max(first + 1, 0), lastRow))
                        if wanted != rowsHeld {
                            if wanted.0 == rowsHeld.1 {
                                swap(&above, &below)
                            } else {
                                horizontal(wanted.0, into: &above)
                            }
                            horizontal(wanted.1, into: &below)
                            rowsHeld = wanted
                        }
                        let (b0, b1) = rows.weights[y]
                        let row = base.pointer + y * elements
                        above.withUnsafeBufferPointer { h0 in
                            below.withUnsafeBufferPointer { h1 in
                                for i in 0..<elements {
                                    let value = ((b0 &* (h0[i] >> 4)) >> 16) &+ ((b1 &* (h1[i] >> 4)) >> 16) &+ 2
                                    row[i] = UInt8(truncatingIfNeeded: value >> 2)
                                }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}

/// OpenCV's `warpAffine` with bilinear interpolation and a constant border of the padding grey, on
/// 8-bit images (imgproc/src/imgwarp.cpp, `WarpAffineInvoker` and `remapBilinear`), in its fixed
/// point: the forward matrix is inverted in Double by OpenCV's formula; each output pixel's source
/// position is `rne((m1·y + m2)·1024) + 16 + rne(m0·x·1024)`, shifted right by 5 (units of 1/32
/// pixel; likewise for y); the four neighbours are weighted by `(32 − fx)(32 − fy)` and so on
/// (summing to 1024) and the pixel is `(Σ p·w + 512) >> 10`. A position wholly outside the image
/// gives the grey; one partly outside takes the grey for its missing neighbours.
struct AffineWarp {
    /// The inverse map, `source = (m0·x + m1·y + m2, m3·x + m4·y + m5)`.
    let m: (Double, Double, Double, Double, Double, Double)

    /// The warp by forward transform `transform` (its first two rows).
    init(_ transform: Transform2D) {
        let t = transform.m
        var (m0, m1, m2, m3, m4, m5) = (t[0], t[1], t[2], t[3], t[4], t[5])
        var d = m0 * m4 - m1 * m3
        d = d != 0 ? 1 / d : 0
        let (a11, a22) = (m4 * d, m0 * d)
        m0 = a11
        m1 *= -d
        m3 *= -d
        m4 = a22
        let b1 = -m0 * m2 - m1 * m5
        let b2 = -m3 * m2 - m4 * m5
        (m2, m5) = (b1, b2)
        m = (m0, m1, m2, m3, m4, m5)
    }

    func apply(to image: RGBImage, width outWidth: Int, height outHeight: Int) -> RGBImage {
        var out = [UInt8](repeating: paddingValue, count: outWidth * outHeight * 3)
        let (width, height) = (image.width, image.height)
        /// Double to Int32 rounded half to even, saturated (`saturate_cast<int>`).
        func fixed(_ value: Double) -> Int {
            Int(min(max(value.rounded(.toNearestOrEven), Double(Int32.min)), Double(Int32.max)))
        }
        let xDelta = (0..<outWidth).map { (fixed(m.0 * Double($0) * 1024), fixed(m.3 * Double($0) * 1024)) }
        image.pixels.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    let x0 = fixed((m.1 * Double(y) + m.2) * 1024) + 16
                    let y0 = fixed((m.4 * Double(y) + m.5) * 1024) + 16
                    let row = target.baseAddress! + y * outWidth * 3
                    for x in 0..<outWidth {
                        let px = Int32(truncatingIfNeeded: x0 + xDelta[x].0) >> 5
                        let py = Int32(truncatingIfNeeded: y0 + xDelta[x].1) >> 5
                        let (sx, sy) = (Int(Int16(clamping: px >> 5)), Int(Int16(clamping: py >> 5)))
                        let (fx, fy) = (Int(px & 31), Int(py & 31))
                        if sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0 { continue }  // all grey
                        let weights = ((32 - fx) * (32 - fy), fx * (32 - fy), (32 - fx) * fy, fx * fy)
                        let inside = sx >= 0 && sx + 1 < width && sy >= 0 && sy + 1 < height
                        for channel in 0..<3 {
                            func at(_ px: Int, _ py: Int) -> Int {
                                if !inside && (px < 0 || py < 0 || px >= width || py >= height) { return Int(paddingValue) }
                                return Int(pixels[(py * width + px) * 3 + channel])
                            }
                            let sum =
                                at(sx, sy) * weights.0 + at(sx + 1, sy) * weights.1 + at(sx, sy + 1) * weights.2
                                + at(sx + 1, sy + 1) * weights.3
                            row[x * 3 + channel] = UInt8(clamping: (sum + 512) >> 10)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }
}

extension UInt8 {
    /// `value` clamped to 0…255 and rounded half away from zero, as `rounded()` rounds but without
    /// its libm call or a branch (per channel of every pixel, in resampling and colour conversion).
    /// Truncating after adding the largest double below ½ is exact here: it carries a fraction of
    /// exactly ½ up and nothing less (adding ½ itself would carry 0.49999999999999994 up to 1).
    @inline(__always)
    init(roundingClamped value: Double) {
        self = UInt8(truncatingIfNeeded: Int(Swift.min(Swift.max(value, 0), 255) + 0.49999999999999994))
    }
}

/// The source pixels handed to the tasks of `concurrentPerform`, which only read them.
private struct SendableSource: @unchecked Sendable {
    let pointer: UnsafePointer<UInt8>
    init(_ pointer: UnsafePointer<UInt8>) { self.pointer = pointer }
}

/// A pointer handed to the tasks of `concurrentPerform`, which write disjoint parts of its memory.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }
}

/// How an image was fitted into a network input: scaled by `gain`, then padded by (`left`, `top`).
public struct LetterboxPlacement: Sendable, Equatable, Codable {
    public var gain: Double
    /// The unrounded padding the labels were shifted by.
    public var padX: Double
    public var padY: Double
    /// The integer padding actually applied to the pixels.
    public var left: Int
    public var top: Int

    public init(gain: Double, padX: Double, padY: Double, left: Int, top: Int) {
        (self.gain, self.padX, self.padY, self.left, self.top) = (gain, padX, padY, left, top)
    }
}

extension RGBImage {
    /// The reference's LetterBox (reference §5.8): scale to fit `newWidth` × `newHeight` (never up when
    /// `scaleUp` is false), centre, pad with grey. With `minimalPadding`, the padding is cut to
    /// its remainder modulo that stride (the reference's `auto=True` for prediction), so the
    /// result can be smaller than asked. Labels follow with ``LetterboxPlacement``.
    public func letterboxed(
        width targetWidth: Int, height targetHeight: Int, scaleUp: Bool = true, minimalPadding stride: Int? = nil
    ) -> (RGBImage, LetterboxPlacement) {
        var gain = min(Double(targetHeight) / Double(height), Double(targetWidth) / Double(width))
        if !scaleUp { gain = min(gain, 1) }
        let unpadded = (width: Int((Double(width) * gain).rounded()), height: Int((Double(height) * gain).rounded()))
        var (newWidth, newHeight) = (targetWidth, targetHeight)
        if let stride {
            newWidth = unpadded.width + (targetWidth - unpadded.width) % stride
            newHeight = unpadded.height + (targetHeight - unpadded.height) % stride
        }
        let dw = Double(newWidth - unpadded.width) / 2
        let dh = Double(newHeight - unpadded.height) / 2
        let resizedImage = resized(width: unpadded.width, height: unpadded.height)
        let top = Int((dh - 0.1).rounded()), left = Int((dw - 0.1).rounded())
        var canvas = RGBImage(width: newWidth, height: newHeight, fill: (paddingValue, paddingValue, paddingValue))
        let fitted = (min(unpadded.width, newWidth - left), min(unpadded.height, newHeight - top))
        resizedImage.paste((0, 0, fitted.0, fitted.1), into: &canvas, at: left, top)
        return (canvas, LetterboxPlacement(gain: gain, padX: dw, padY: dh, left: left, top: top))
    }
}
