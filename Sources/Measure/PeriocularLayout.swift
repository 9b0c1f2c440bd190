import PoseData

/// Where the points of the periocular measurements are in a keypoint layout, found by the names of
/// the iBUG face scheme (``KeypointScheme/face51`` and ``KeypointScheme/face68``, or a data set's
/// `kpt_names`).
///
/// Sides are the subject's, as in the scheme: the right eye is the one on the image's left. In the
/// 51-point layout the right eye is 19 outer corner, 20–21 upper lid, 22 inner corner, 23–24
/// lower lid; the left eye 25 inner corner, 26–27 upper lid, 28 outer corner, 29–30 lower lid;
/// brows 0–4 (right, from its outer end) and 5–9 (left, from its inner end). The 68-point layout
/// has the same points at +17. Pupil centres and iris edges exist only where a layout names them:
/// `right_pupil`, `left_pupil`, `right_iris_inner`, `right_iris_outer`, `left_iris_inner`,
/// `left_iris_outer`.
public struct PeriocularLayout: Sendable, Equatable {
    /// The points of one eye, by index into the layout.
    public struct Eye: Sendable, Equatable {
        public var outerCorner: Int
        public var innerCorner: Int
        /// The upper-lid point nearer the outer corner, then the one nearer the inner corner.
        public var upperLid: (outer: Int, inner: Int)
        /// The lower-lid points the same way: `upperLid.outer` faces `lowerLid.outer`.
        public var lowerLid: (outer: Int, inner: Int)
        public var medialBrow: Int
        public var lateralBrow: Int
        public var pupil: Int?
        public var iris: (inner: Int, outer: Int)?

        public static func == (a: Eye, b: Eye) -> Bool {
            a.outerCorner == b.outerCorner && a.innerCorner == b.innerCorner && a.upperLid == b.upperLid
                && a.lowerLid == b.lowerLid && a.medialBrow == b.medialBrow && a.lateralBrow == b.lateralBrow
                && a.pupil == b.pupil && a.iris?.inner == b.iris?.inner && a.iris?.outer == b.iris?.outer
        }
    }

    public var right: Eye
    public var left: Eye
    /// The layout's point names (for messages).
    public var names: [String]

    /// The layout of points named as the iBUG scheme names them; nil when an eye, lid or brow
    /// point is missing.
    public init?(names: [String]) {
        var position: [String: Int] = [:]
        for (index, name) in names.enumerated() { position[name] = index }
        func find(_ name: String) -> Int? { position[name] }
        // right eye (image left): 0 outer corner, 1-2 upper lid from the outer side, 3 inner corner,
        // 4-5 lower lid from the inner side; left eye: 0 inner corner, 1-2 upper lid from the inner
        // side, 3 outer corner, 4-5 lower lid from the outer side (the scheme goes clockwise)
        guard let r0 = find("right_eye_0"), let r1 = find("right_eye_1"), let r2 = find("right_eye_2"),
            let r3 = find("right_eye_3"), let r4 = find("right_eye_4"), let r5 = find("right_eye_5"),
            let l0 = find("left_eye_0"), let l1 = find("left_eye_1"), let l2 = find("left_eye_2"),
            let l3 = find("left_eye_3"), let l4 = find("left_eye_4"), let l5 = find("left_eye_5"),
            let rightBrowOuter = find("right_brow_0"), let rightBrowInner = find("right_brow_4"),
            let leftBrowInner = find("left_brow_0"), let leftBrowOuter = find("left_brow_4")
        else { return nil }
        func iris(_ side: String) -> (inner: Int, outer: Int)? {
            guard let inner = find("\(side)_iris_inner"), let outer = find("\(side)_iris_outer") else { return nil }
            return (inner, outer)
        }
        right = Eye(
            outerCorner: r0, innerCorner: r3, upperLid: (r1, r2), lowerLid: (r5, r4), medialBrow: rightBrowInner,
            lateralBrow: rightBrowOuter, pupil: find("right_pupil"), iris: iris("right"))
        left = Eye(
            outerCorner: l3, innerCorner: l0, upperLid: (l2, l1), lowerLid: (l4, l5), medialBrow: leftBrowInner,
            lateralBrow: leftBrowOuter, pupil: find("left_pupil"), iris: iris("left"))
        self.names = names
    }

    /// The layout of a data set's keypoints: its `kpt_names`, else the 51- or 68-point scheme.
    public init?(keypointCount: Int, names: [String]?) {
        if let names {
            self.init(names: names)
        } else if keypointCount == 51 || keypointCount == 68 {
            self.init(names: KeypointScheme.standard(forCount: keypointCount).names)
        } else {
            return nil
        }
    }

    /// Whether pupil centres are named for both eyes (MRD1 and MRD2 need them).
    public var hasPupils: Bool { right.pupil != nil && left.pupil != nil }
    /// Whether both irises' horizontal edges are named (the 11.7 mm scale needs them).
    public var hasIrises: Bool { right.iris != nil && left.iris != nil }

    /// The face among `candidates` whose four eye corners lie nearest those of `points`, on average
    /// within one fissure width (the same face seen twice: mirrored, or predicted and labelled).
    public func sameFace(as points: [MeasuredPoint], among candidates: [[MeasuredPoint]]) -> [MeasuredPoint]? {
        let corners = [right.outerCorner, right.innerCorner, left.innerCorner, left.outerCorner]
        guard corners.allSatisfy({ $0 < points.count }) else { return nil }
        func gap(_ other: [MeasuredPoint]) -> Double {
            corners.map { ($0 < other.count ? (points[$0].x - other[$0].x, points[$0].y - other[$0].y) : (.infinity, 0)) }
                .map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.reduce(0, +) / 4
        }
        let (a, b) = (points[corners[0]], points[corners[1]])
        let width = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
        return candidates.min { gap($0) < gap($1) }.flatMap { gap($0) <= max(width, 1) ? $0 : nil }
    }

    /// "23 (right_eye_4)"
    func describe(_ index: Int) -> String { index < names.count ? "\(index) (\(names[index]))" : "\(index)" }
}
