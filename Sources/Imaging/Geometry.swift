import Foundation

/// A point in pixel coordinates (x right, y down; pixel (i, j) covers [i, i+1) × [j, j+1)).
public struct Point: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A colour with channels in [0, 1].
public struct Color: Sendable, Hashable {
    public var r: Double
    public var g: Double
    public var b: Double
    public init(_ r: Double, _ g: Double, _ b: Double) {
        self.r = r
        self.g = g
        self.b = b
    }
    public func scaled(_ factor: Double) -> Color { Color(r * factor, g * factor, b * factor) }
    public func mixed(with other: Color, _ t: Double) -> Color {
        Color(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }
}
