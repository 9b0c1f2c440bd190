/// A small deterministic random source (SplitMix64, Steele, Lea & Flood 2014): the same seed gives
/// the same numbers on every machine and Swift version, which `SystemRandomNumberGenerator` and
/// the standard library's `random(in:using:)` algorithms do not promise.
public struct SeededRandom: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for item `stream` of a seed, independent of the order items are made in. The
    /// start state is a hash of both, so streams do not run along each other's sequences (SplitMix
    /// states advance by a constant, and nearby start states would give shifted copies).
    public init(seed: UInt64, stream: UInt64) {
        state = Self.mix(seed ^ Self.mix(stream &+ 0x6A09_E667_F3BC_C909))
    }

    /// SplitMix64's output function (a bijective 64-bit mixer).
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Uniform whole number in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u = max(unit(), 0x1p-53)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
