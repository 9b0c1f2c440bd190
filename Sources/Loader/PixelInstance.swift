import Foundation
import PoseData

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
