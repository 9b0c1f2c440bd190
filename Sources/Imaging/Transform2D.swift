import Foundation

/// A 3×3 projective transform of pixel coordinates, row-major: `(x', y', w') = M · (x, y, 1)`.
public struct Transform2D: Sendable, Equatable {
    public var m: [Double]

    public init(_ m: [Double]) {
        precondition(m.count == 9, "a 3×3 transform has 9 entries")
        self.m = m
    }

    public static let identity = Transform2D([1, 0, 0, 0, 1, 0, 0, 0, 1])

    public static func translation(_ x: Double, _ y: Double) -> Transform2D { Transform2D([1, 0, x, 0, 1, y, 0, 0, 1]) }

    /// OpenCV's `getRotationMatrix2D(center: (0, 0), angle, scale)`: counter-clockwise on screen for positive angles.
    public static func rotation(degrees: Double, scale: Double) -> Transform2D {
        let a = degrees * .pi / 180
        return Transform2D([scale * cos(a), scale * sin(a), 0, -scale * sin(a), scale * cos(a), 0, 0, 0, 1])
    }

    /// `self · other`: `other` is applied first.
    public static func * (lhs: Transform2D, rhs: Transform2D) -> Transform2D {
        var out = [Double](repeating: 0, count: 9)
        for row in 0..<3 {
            for column in 0..<3 {
                out[row * 3 + column] = (0..<3).reduce(0) { $0 + lhs.m[row * 3 + $1] * rhs.m[$1 * 3 + column] }
            }
        }
        return Transform2D(out)
    }

    public var isAffine: Bool { m[6] == 0 && m[7] == 0 && m[8] == 1 }

    /// The image of a point (divided by w').
    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let w = m[6] * x + m[7] * y + m[8]
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    /// The inverse transform (for sampling the source of each output pixel).
    public var inverse: Transform2D {
        let a = m
        let c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6]
        let det = a[0] * c00 + a[1] * c01 + a[2] * c02
        precondition(det != 0, "a singular transform has no inverse")
        let inv = [
            c00, a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
            c01, a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
            c02, a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3],
        ]
        return Transform2D(inv.map { $0 / det })
    }
}
