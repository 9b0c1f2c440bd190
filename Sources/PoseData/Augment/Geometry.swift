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

/// One object in pixel coordinates during augmentation: a corner box and keypoints (x, y, v).
public struct PixelInstance: Sendable, Equatable {
    public var classIndex: Int
    public var x1: Double, y1: Double, x2: Double, y2: Double
    /// x, y in pixels and the visibility (0 = not labelled or outside the image).
    public var keypoints: [Keypoint]

    public init(classIndex: Int, x1: Double, y1: Double, x2: Double, y2: Double, keypoints: [Keypoint]) {
        self.classIndex = classIndex
        (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
        self.keypoints = keypoints
    }

    /// From a normalised label on an image of `width` × `height` pixels.
    public init(_ instance: PoseInstance, width: Int, height: Int) {
        let (w, h) = (Double(width), Double(height))
        self.init(
            classIndex: instance.classIndex, x1: instance.box.minX * w, y1: instance.box.minY * h,
            x2: instance.box.maxX * w, y2: instance.box.maxY * h,
            keypoints: instance.keypoints.map { Keypoint(x: $0.x * w, y: $0.y * h, visibility: $0.visibility) })
    }

    /// Back to a normalised label for an image of `width` × `height` pixels.
    public func normalised(width: Int, height: Int) -> PoseInstance {
        let (w, h) = (Double(width), Double(height))
        return PoseInstance(
            classIndex: classIndex, box: BoundingBox(minX: x1 / w, minY: y1 / h, maxX: x2 / w, maxY: y2 / h),
            keypoints: keypoints.map { Keypoint(x: $0.x / w, y: $0.y / h, visibility: $0.visibility) })
    }

    public var width: Double { x2 - x1 }
    public var height: Double { y2 - y1 }

    /// Moves every coordinate by (dx, dy) after scaling by `scale`.
    func scaled(_ scale: Double, dx: Double, dy: Double) -> PixelInstance {
        var copy = self
        (copy.x1, copy.y1, copy.x2, copy.y2) = (x1 * scale + dx, y1 * scale + dy, x2 * scale + dx, y2 * scale + dy)
        copy.keypoints = keypoints.map { Keypoint(x: $0.x * scale + dx, y: $0.y * scale + dy, visibility: $0.visibility) }
        return copy
    }

    /// Clips the box and the keypoint coordinates to `[0, width] × [0, height]`; keypoints that were
    /// outside become invisible first (the reference's corrected behaviour, 8.4.190 `Instances.clip`).
    func clipped(width: Double, height: Double) -> PixelInstance {
        var copy = self
        copy.x1 = min(max(x1, 0), width)
        copy.x2 = min(max(x2, 0), width)
        copy.y1 = min(max(y1, 0), height)
        copy.y2 = min(max(y2, 0), height)
        copy.keypoints = keypoints.map { point in
            let outside = point.x < 0 || point.y < 0 || point.x > width || point.y > height
            return Keypoint(
                x: min(max(point.x, 0), width), y: min(max(point.y, 0), height), visibility: outside ? 0 : point.visibility)
        }
        return copy
    }
}
