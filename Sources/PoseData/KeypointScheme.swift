/// What the points of a keypoint layout are: their names, how a horizontal flip pairs them, and
/// the contours that join them in a drawing (and become a COCO `skeleton`).
///
/// ```swift
/// let scheme = KeypointScheme.standard(forCount: 51)   // the 51-point face
/// scheme.flipIndex                                     // FaceLandmarks.flipIndex
/// scheme.edges                                         // [(0, 1), (1, 2), ...]
/// ```
public struct KeypointScheme: Sendable, Hashable {
    /// A polyline through some of the points, drawn in order; `closed` joins the last to the first.
    public struct Contour: Sendable, Hashable {
        public var indices: [Int]
        public var closed: Bool

        public init(_ indices: [Int], closed: Bool = false) {
            self.indices = indices
            self.closed = closed
        }

        /// The segments of the polyline.
        public var edges: [(Int, Int)] {
            var result = Array(zip(indices, indices.dropFirst()))
            if closed, indices.count > 2 { result.append((indices[indices.count - 1], indices[0])) }
            return result
        }
    }

    /// One name per point, unique.
    public var names: [String]
    /// `flip_idx`, when the layout has a mirror pairing.
    public var flipIndex: [Int]?
    public var contours: [Contour]

    public init(names: [String], flipIndex: [Int]?, contours: [Contour]) {
        precondition(Set(names).count == names.count, "KeypointScheme: duplicate point names")
        precondition(
            flipIndex.map { $0.sorted() == Array(names.indices) } ?? true, "KeypointScheme: flip index is not a permutation")
        self.names = names
        self.flipIndex = flipIndex
        self.contours = contours
    }

    public var count: Int { names.count }

    /// The segments of all contours, 0-based.
    public var edges: [(Int, Int)] { contours.flatMap(\.edges) }

    /// The lines a drawing of `instance` shows, in its normalised coordinates: each contour
    /// through the labelled points, split where a point is missing, closed when all its points
    /// are there. (The points to draw are the labelled ones.)
    public func lines(of instance: PoseInstance) -> [(points: [Keypoint], closed: Bool)] {
        let points = instance.keypoints
        var lines: [(points: [Keypoint], closed: Bool)] = []
        for contour in contours {
            var run: [Keypoint] = []
            func flush() {
                if run.count >= 2 { lines.append((run, false)) }
                run = []
            }
            for index in contour.indices {
                if index < points.count && points[index].isLabelled { run.append(points[index]) } else { flush() }
            }
            if contour.closed && contour.indices.allSatisfy({ $0 < points.count && points[$0].isLabelled }) {
                lines.append((run, true))
                run = []
            }
            flush()
        }
        return lines
    }

    /// The face of iBUG/300-W with 68 points, in iBUG order (facts: docs/reference/method.md and the
    /// iBUG annotation scheme). Sides are the subject's: the "right" eye is on the image's left.
    /// Jaw 0-16, right brow 17-21 from its outer end, left brow 22-26 from its inner end, nose
    /// bridge 27-30, nose base 31-35, right eye 36-41 and left eye 42-47 (clockwise from the
    /// image-left corner), outer lip 48-59, inner lip 60-67.
    public static let face68 = KeypointScheme(
        names: faceRegions.flatMap { region in (0..<region.count).map { "\(region.name)_\($0)" } },
        flipIndex: Array((0..<17).reversed()) + FaceLandmarks.flipIndex.map { $0 + 17 },
        contours: [Contour(Array(0..<17))] + face51Contours.map { Contour($0.indices.map { $0 + 17 }, closed: $0.closed) })

    /// The 51-point face: ``face68`` without the 17 jaw points (51-index k = 68-index k + 17).
    public static let face51 = KeypointScheme(
        names: Array(face68.names.dropFirst(17)), flipIndex: FaceLandmarks.flipIndex, contours: face51Contours)

    /// COCO's 17 person keypoints with its skeleton (`person_keypoints_*.json`) and the
    /// reference's flip index (reference §7.7).
    public static let cocoPerson = KeypointScheme(
        names: [
            "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
            "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
            "right_ankle",
        ],
        flipIndex: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15],
        // COCO's skeleton, converted from its 1-based pairs.
        contours: [
            (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9), (8, 10), (9, 11),
            (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
        ].map { Contour([$0.0 - 1, $0.1 - 1]) })

    /// Points named `kp_0`, `kp_1`, ... without contours.
    public static func generic(count: Int, flipIndex: [Int]? = nil) -> KeypointScheme {
        KeypointScheme(names: (0..<count).map { "kp_\($0)" }, flipIndex: flipIndex, contours: [])
    }

    /// The scheme a data set with `count` keypoints most likely uses: the 51- or 68-point face,
    /// COCO's person, or ``generic(count:flipIndex:)``. A data set's own `flip_idx`, when given
    /// and different, replaces the scheme's.
    public static func standard(forCount count: Int, flipIndex: [Int]? = nil) -> KeypointScheme {
        var scheme =
            switch count {
            case 51: face51
            case 68: face68
            case 17: cocoPerson
            default: generic(count: count)
            }
        if let flipIndex { scheme.flipIndex = flipIndex }
        return scheme
    }

    /// The flip index implied by point names: the known schemes by their exact names, otherwise
    /// by swapping `left` and `right` in each name (a name with neither is its own mirror). nil
    /// when some swapped name is not among the points.
    public static func flipIndex(forNames names: [String]) -> [Int]? {
        for scheme in [face51, face68, cocoPerson] where scheme.names == names { return scheme.flipIndex }
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() { position[name.lowercased()] = index }
        var result: [Int] = []
        for name in names {
            let lower = name.lowercased()
            var mirrored = ""
            var rest = lower[...]
            while !rest.isEmpty {
                if rest.hasPrefix("left") {
                    mirrored += "right"
                    rest = rest.dropFirst(4)
                } else if rest.hasPrefix("right") {
                    mirrored += "left"
                    rest = rest.dropFirst(5)
                } else {
                    mirrored.append(rest.removeFirst())
                }
            }
            guard let partner = position[mirrored] else { return nil }
            result.append(partner)
        }
        return result.sorted() == Array(names.indices) ? result : nil
    }

    private static let faceRegions: [(name: String, count: Int)] = [
        ("jaw", 17), ("right_brow", 5), ("left_brow", 5), ("nose_bridge", 4), ("nose_base", 5), ("right_eye", 6),
        ("left_eye", 6), ("outer_lip", 12), ("inner_lip", 8),
    ]

    /// Brows, nose bridge and base as open lines; eyes and lips as closed loops (51-point indices).
    private static let face51Contours: [Contour] = [
        Contour(Array(FaceLandmarks.brows.prefix(5))), Contour(Array(FaceLandmarks.brows.suffix(5))),
        Contour(Array(FaceLandmarks.noseBridge)), Contour(Array(FaceLandmarks.lowerNose)),
        Contour(Array(FaceLandmarks.leftEye), closed: true), Contour(Array(FaceLandmarks.rightEye), closed: true),
        Contour(Array(FaceLandmarks.outerLip), closed: true), Contour(Array(FaceLandmarks.innerLip), closed: true),
    ]
}
