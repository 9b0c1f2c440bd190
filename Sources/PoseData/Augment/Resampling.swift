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
    func sampled(width outWidth: Int, height outHeight: Int, sourceOf map: Transform2D, clampToEdge: Bool) -> RGBImage {
        var out = [UInt8](repeating: paddingValue, count: outWidth * outHeight * 3)
        let m = map.m
        let affine = map.isAffine
        let (w, h) = (width, height)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let (fx, fy) = (Double(x), Double(y))
                        var sx = m[0] * fx + m[1] * fy + m[2]
                        var sy = m[3] * fx + m[4] * fy + m[5]
                        if !affine {
                            let q = m[6] * fx + m[7] * fy + m[8]
                            sx /= q
                            sy /= q
                        }
                        if clampToEdge {
                            sx = min(max(sx, 0), Double(w - 1))
                            sy = min(max(sy, 0), Double(h - 1))
                        } else if sx <= -1 || sy <= -1 || sx >= Double(w) || sy >= Double(h) {
                            continue
                        }
                        let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                        let ax = sx - Double(x0), ay = sy - Double(y0)
                        let target0 = (y * outWidth + x) * 3
                        for channel in 0..<3 {
                            func at(_ px: Int, _ py: Int) -> Double {
                                px < 0 || py < 0 || px >= w || py >= h
                                    ? Double(paddingValue) : Double(source[(py * w + px) * 3 + channel])
                            }
                            let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
                            let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
                            target[target0 + channel] = UInt8(min(max((top * (1 - ay) + bottom * ay).rounded(), 0), 255))
                        }
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
