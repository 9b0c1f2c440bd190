import Foundation

/// The grey of the reference's letterbox and mosaic borders.
public let paddingValue: UInt8 = 114

extension RGBImage {
    /// Bilinear resize with pixel-centre alignment (OpenCV's INTER_LINEAR).
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        if newWidth == width && newHeight == height { return self }
        let scaleX = Double(width) / Double(newWidth)
        let scaleY = Double(height) / Double(newHeight)
        let map = Transform2D([scaleX, 0, 0.5 * scaleX - 0.5, 0, scaleY, 0.5 * scaleY - 0.5, 0, 0, 1])
        return sampled(width: newWidth, height: newHeight, sourceOf: map, clampToEdge: true)
    }

    /// The image seen through `transform` (output pixel (x, y) shows the source at
    /// `transform⁻¹(x, y)`), `width` × `height`, with the padding grey outside the source.
    public func warped(by transform: Transform2D, width outWidth: Int, height outHeight: Int) -> RGBImage {
        sampled(width: outWidth, height: outHeight, sourceOf: transform.inverse, clampToEdge: false)
    }

    /// Bilinear sampling: each output pixel centre maps through `map` to source coordinates.
    /// An axis-aligned `map` (a resize) is sampled separably unless `separable` is false (tests
    /// compare the two).
    func sampled(
        width outWidth: Int, height outHeight: Int, sourceOf map: Transform2D, clampToEdge: Bool, separable: Bool = true
    ) -> RGBImage {
        var out = [UInt8](repeating: paddingValue, count: outWidth * outHeight * 3)
        let (m, affine) = (map.m, map.isAffine)
        let (m0, m1, m2, m3, m4, m5, m6, m7, m8) = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
        let (w, h) = (Double(width), Double(height))
        /// A source coordinate clamped to the image, or nil when it falls outside (no clamping).
        func inside(_ coordinate: Double, _ size: Double) -> Double? {
            if clampToEdge { return min(max(coordinate, 0), size - 1) }
            return coordinate <= -1 || coordinate >= size ? nil : coordinate
        }
        pixels.withUnsafeBufferPointer { pixels in
            out.withUnsafeMutableBufferPointer { target in
                let sampler = BilinearSampler(pixels: pixels, width: width, height: height)
                if separable && affine && m1 == 0 && m3 == 0 {
                    // axis-aligned (a resize): the source x depends on the column only, y on the row only
                    let columns = (0..<outWidth).map { inside(m0 * Double($0) + m2, w).map { Tap($0, limit: width) } }
                    let rows = (0..<outHeight).map { inside(m4 * Double($0) + m5, h).map { Tap($0, limit: height) } }
                    sampler.resample(columns: columns, rows: rows, into: target.baseAddress!)
                    return
                }
                for y in 0..<outHeight {
                    let (fy, row) = (Double(y), target.baseAddress! + y * outWidth * 3)
                    for x in 0..<outWidth {
                        let fx = Double(x)
                        var sx = m0 * fx + m1 * fy + m2
                        var sy = m3 * fx + m4 * fy + m5
                        if !affine {
                            let q = m6 * fx + m7 * fy + m8
                            sx /= q
                            sy /= q
                        }
                        guard let sx = inside(sx, w), let sy = inside(sy, h) else { continue }
                        sampler.sample(Tap(sx, limit: width), Tap(sy, limit: height), into: row + x * 3)
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// Copies `region` of `self` (x, y, width, height) to (`x`, `y`) of `canvas`.
    func paste(_ region: (x: Int, y: Int, width: Int, height: Int), into canvas: inout RGBImage, at x: Int, _ y: Int) {
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

/// A pointer handed to the tasks of `concurrentPerform`, which write disjoint parts of its memory.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ pointer: UnsafeMutablePointer<UInt8>) { self.pointer = pointer }
}

/// One axis of a bilinear sample: the neighbour before the point, the weight of the one after it,
/// and whether both neighbours lie inside the image.
private struct Tap {
    let index: Int
    let weight: Double
    let interior: Bool

    @inline(__always)
    init(_ coordinate: Double, limit: Int) {
        let truncated = Int(coordinate)  // a conversion instruction; `rounded(.down)` calls libm's floor
        index = Double(truncated) > coordinate ? truncated - 1 : truncated
        weight = coordinate - Double(index)
        interior = index >= 0 && index + 1 < limit
    }
}

/// Bilinear interpolation of an interleaved RGB image, with the padding grey beyond the edges.
private struct BilinearSampler: @unchecked Sendable {
    let pixels: UnsafeBufferPointer<UInt8>
    let width: Int
    let height: Int

    @inline(__always)
    func sample(_ x: Tap, _ y: Tap, into target: UnsafeMutablePointer<UInt8>) {
        let (ax, ay) = (x.weight, y.weight)
        if x.interior && y.interior {
            // all four neighbours inside: read them directly
            let p00 = pixels.baseAddress! + (y.index * width + x.index) * 3
            let p01 = p00 + width * 3
            for channel in 0..<3 {
                let top = Double(p00[channel]) * (1 - ax) + Double(p00[channel + 3]) * ax
                let bottom = Double(p01[channel]) * (1 - ax) + Double(p01[channel + 3]) * ax
                target[channel] = UInt8(roundingClamped: top * (1 - ay) + bottom * ay)
            }
            return
        }
        let (x0, y0) = (x.index, y.index)
        for channel in 0..<3 {
            func at(_ px: Int, _ py: Int) -> Double {
                px < 0 || py < 0 || px >= width || py >= height ? Double(paddingValue) : Double(pixels[(py * width + px) * 3 + channel])
            }
            let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
            let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
            target[channel] = UInt8(roundingClamped: top * (1 - ay) + bottom * ay)
        }
    }

    /// A separable resize into `target` (`rows.count` × `columns.count` pixels): every source row
    /// the output needs is interpolated along x once, and each output row blends two of those.
    /// The arithmetic, and its order, are ``sample(_:_:into:)``'s, so are the pixels. Output rows
    /// are shared among the cores in runs, so that consecutive rows reuse their source rows; pixels
    /// whose tap is nil (outside the source) are left as they are.
    func resample(columns: [Tap?], rows: [Tap?], into target: UnsafeMutablePointer<UInt8>) {
        let (outWidth, outHeight) = (columns.count, rows.count)
        // the columns inside the source: one run, as the source x is monotonic in the column
        guard let first = columns.firstIndex(where: { $0 != nil }), let last = columns.lastIndex(where: { $0 != nil }) else { return }
        let inside = first..<(last + 1)
        let base = SendablePointer(target)
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount, max(outWidth * outHeight / 65_536, 1))
        let rowsPerChunk = (outHeight + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            // source rows `upper` and `upper + 1`, interpolated along x: 3 values per output column
            var above = [Double](repeating: 0, count: outWidth * 3)
            var below = above
            var upper: Int?
            for y in min(chunk * rowsPerChunk, outHeight)..<min((chunk + 1) * rowsPerChunk, outHeight) {
                guard let row = rows[y] else { continue }
                if row.index != upper {
                    if let upper, row.index == upper + 1 { swap(&above, &below) } else { interpolate(row: row.index, columns, into: &above) }
                    interpolate(row: row.index + 1, columns, into: &below)
                    upper = row.index
                }
                let (out, ay) = (base.pointer + y * outWidth * 3, row.weight)
                above.withUnsafeBufferPointer { top in
                    below.withUnsafeBufferPointer { bottom in
                        for i in (inside.lowerBound * 3)..<(inside.upperBound * 3) {
                            out[i] = UInt8(roundingClamped: top[i] * (1 - ay) + bottom[i] * ay)
                        }
                    }
                }
            }
        }
    }

    /// Source row `y` interpolated along x at each column's tap (`top` or `bottom` of
    /// ``sample(_:_:into:)``), with the padding grey beyond the image.
    private func interpolate(row y: Int, _ columns: [Tap?], into values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { values in
            let rowInside = y >= 0 && y < height
            for (x, column) in columns.enumerated() {
                guard let column else { continue }
                let ax = column.weight
                if rowInside && column.interior {
                    let p = pixels.baseAddress! + (y * width + column.index) * 3
                    for channel in 0..<3 { values[x * 3 + channel] = Double(p[channel]) * (1 - ax) + Double(p[channel + 3]) * ax }
                    continue
                }
                for channel in 0..<3 {
                    func at(_ px: Int) -> Double {
                        px < 0 || !rowInside || px >= width ? Double(paddingValue) : Double(pixels[(y * width + px) * 3 + channel])
                    }
                    values[x * 3 + channel] = at(column.index) * (1 - ax) + at(column.index + 1) * ax
                }
            }
        }
    }
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
}

extension RGBImage {
    /// The reference's LetterBox (§5.8): scale to fit `newWidth` × `newHeight` (never up when
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
