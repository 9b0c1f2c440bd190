/// The keypoint layout of a data set, `kpt_shape: [K, D]`: K points per object, each with D values
/// (2: x y; 3: x y visibility).
public struct KeypointShape: Sendable, Hashable, Codable {
    public var count: Int
    public var dimensions: Int

    public init(count: Int, dimensions: Int) {
        precondition(count > 0 && (dimensions == 2 || dimensions == 3), "KeypointShape: invalid [\(count), \(dimensions)]")
        self.count = count
        self.dimensions = dimensions
    }

    /// The fields of one label line: class, 4 box values, K·D keypoint values.
    public var fieldsPerLine: Int { 5 + count * dimensions }
}

/// An axis-aligned box by centre and size, normalised by the image width (x, w) and height (y, h).
public struct BoundingBox: Sendable, Hashable, Codable {
    public var centerX: Double
    public var centerY: Double
    public var width: Double
    public var height: Double

    public init(centerX: Double, centerY: Double, width: Double, height: Double) {
        self.centerX = centerX
        self.centerY = centerY
        self.width = width
        self.height = height
    }

    /// The box from its corners.
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.init(centerX: (minX + maxX) / 2, centerY: (minY + maxY) / 2, width: maxX - minX, height: maxY - minY)
    }

    public var minX: Double { centerX - width / 2 }
    public var minY: Double { centerY - height / 2 }
    public var maxX: Double { centerX + width / 2 }
    public var maxY: Double { centerY + height / 2 }
}

/// One keypoint, normalised like the box.
///
/// `visibility` follows the reference: 0 = not labelled (excluded from loss and OKS), 1 = labelled
/// but occluded, 2 = labelled and visible; pseudo-labels may carry a confidence in [0, 1] instead.
/// Points read from a `kpt_shape: [K, 2]` file get visibility 2.
public struct Keypoint: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public var visibility: Double

    public init(x: Double, y: Double, visibility: Double = 2) {
        self.x = x
        self.y = y
        self.visibility = visibility
    }

    /// Whether the point is labelled (the reference tests only `v != 0`).
    public var isLabelled: Bool { visibility != 0 }
}

/// One object of a label file: a line `class cx cy w h x1 y1 [v1] ... xK yK [vK]`.
public struct PoseInstance: Sendable, Hashable, Codable {
    public var classIndex: Int
    public var box: BoundingBox
    public var keypoints: [Keypoint]

    public init(classIndex: Int = 0, box: BoundingBox, keypoints: [Keypoint]) {
        self.classIndex = classIndex
        self.box = box
        self.keypoints = keypoints
    }
}
