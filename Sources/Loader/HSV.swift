/// OpenCV's 8-bit HSV (hue 0…179) as the reference's `RandomHSV` meets it (reference §5.6), bit for bit
/// on every colour:
/// - RGB → HSV in 12-bit fixed point: S = round(Δ · 255·2¹²/V), H = round(n · 30·2¹²/Δ), with the
///   reciprocals rounded into tables first (n is the hue numerator of V's sector);
/// - HSV → RGB in float32 as OpenCV's vectorised path does it (a fused multiply-add for the
///   fractional sectors), each channel truncated, not rounded.
/// Checked once against `cv2.cvtColor` over all 2²⁴ colours and all 180·256·256 HSV triples; the
/// tests keep a sample of those values.
enum OpenCVHSV {
    static let fractionBits: Int32 = 12
    /// round(255·2¹²/v), 0 for v = 0.
    static let saturationReciprocals: [Int32] = (0..<256).map { $0 == 0 ? 0 : Int32((255.0 * 4096 / Double($0)).rounded()) }
    /// round(30·2¹²/Δ), 0 for Δ = 0 (a grey pixel has hue 0).
    static let hueReciprocals: [Int32] = (0..<256).map { $0 == 0 ? 0 : Int32((30.0 * 4096 / Double($0)).rounded()) }

    @inline(__always)
    static func fromRGB(
        _ r: UInt8, _ g: UInt8, _ b: UInt8, saturationReciprocals: [Int32] = saturationReciprocals, hueReciprocals: [Int32] = hueReciprocals
    ) -> (h: UInt8, s: UInt8, v: UInt8) {
        let (red, green, blue) = (Int32(r), Int32(g), Int32(b))
        let value = max(red, green, blue)
        let delta = value - min(red, green, blue)
        let half: Int32 = 1 << (fractionBits - 1)
        let saturation = (delta &* saturationReciprocals[Int(value)] &+ half) >> fractionBits
        let numerator = value == red ? green &- blue : value == green ? blue &- red &+ 2 &* delta : red &- green &+ 4 &* delta
        var hue = (numerator &* hueReciprocals[Int(delta)] &+ half) >> fractionBits
        if hue < 0 { hue += 180 }
        return (UInt8(truncatingIfNeeded: hue), UInt8(truncatingIfNeeded: saturation), UInt8(truncatingIfNeeded: value))
    }

    /// What the way back multiplies V by, in float32, for each hue h (0…179) and saturation s:
    /// V·(1 − S) for p, V·fma(−S, f, 1) for q and V·fma(−S, 1 − f, 1) for t, where f is the fraction
    /// of float32 h·(6/180) within its sector and S = s · float(1/255). Worked out once, so a pixel
    /// costs lookups and three multiplies instead of two library fma calls.
    struct ToRGBTables {
        var sectors: [Int] = []
        /// Indexed by h·256 + s.
        var q: [Float] = [], t: [Float] = []
        /// Indexed by s, and by v: V = v · float(1/255).
        var p: [Float] = [], unit: [Float] = []

        init() {
            unit = (0..<256).map { Float($0) * Float(1.0 / 255) }
            p = unit.map { 1 - $0 }
            for h in 0..<180 {
                let scaled = Float(h) * Float(6.0 / 180)
                let whole = scaled.rounded(.down)
                let fraction = scaled - whole
                sectors.append(Int(whole) % 6)
                q += unit.map { Float(1).addingProduct(-$0, fraction) }
                t += unit.map { Float(1).addingProduct(-$0, 1 - fraction) }
            }
        }

        /// RGB of OpenCV's HSV (h 0…179), each channel truncated.
        @inline(__always)
        func rgb(_ h: Int, _ s: Int, _ v: Int) -> (UInt8, UInt8, UInt8) {
            let value = unit[v]
            let (vb, pb) = (UInt8(value * 255), UInt8(value * p[s] * 255))
            let (qb, tb) = (UInt8(value * q[h &* 256 &+ s] * 255), UInt8(value * t[h &* 256 &+ s] * 255))
            switch sectors[h] {
            case 0: return (vb, tb, pb)
            case 1: return (qb, vb, pb)
            case 2: return (pb, vb, tb)
            case 3: return (pb, qb, vb)
            case 4: return (tb, pb, vb)
            default: return (vb, pb, qb)
            }
        }
    }

    static let toRGBTables = ToRGBTables()

    static func toRGB(_ h: UInt8, _ s: UInt8, _ v: UInt8) -> (UInt8, UInt8, UInt8) { toRGBTables.rgb(Int(h), Int(s), Int(v)) }

    /// The reference's HSV step with the given gains: to HSV, through the three 256-entry lookup
    /// tables (hue (x·gain) mod 180, saturation and value clipped to 0…255, all truncated), back to
    /// RGB.
    static func applyGains(hue: Double, saturation: Double, value: Double, to pixels: inout [UInt8]) {
        let hueTable = (0..<180).map { Int((Double($0) * hue).truncatingRemainder(dividingBy: 180).rounded(.down)) }
        let saturationTable = (0..<256).map { Int(min(max(Double($0) * saturation, 0), 255)) }
        let valueTable = (0..<256).map { Int(min(max(Double($0) * value, 0), 255)) }
        let (saturationReciprocals, hueReciprocals, toRGBTables) = (saturationReciprocals, hueReciprocals, toRGBTables)
        pixels.withUnsafeMutableBufferPointer { pixels in
            for index in stride(from: 0, to: pixels.count, by: 3) {
                let (h, s, v) = fromRGB(
                    pixels[index], pixels[index + 1], pixels[index + 2],
                    saturationReciprocals: saturationReciprocals, hueReciprocals: hueReciprocals)
                (pixels[index], pixels[index + 1], pixels[index + 2]) = toRGBTables.rgb(
                    hueTable[Int(h)], saturationTable[Int(s)], valueTable[Int(v)])
            }
        }
    }
}
