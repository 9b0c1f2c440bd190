import Testing

@testable import PoseData
@testable import Synth

@Suite struct KeypointSchemeTests {
    /// iBUG's 68-point mirror pairs, written out by hand: jaw i ↔ 16 - i, brows 17-26 reversed,
    /// bridge 27-30 itself, nose base 31 ↔ 35 and 32 ↔ 34, eyes 36 ↔ 45, 37 ↔ 44, 38 ↔ 43, 39 ↔ 42,
    /// 40 ↔ 47, 41 ↔ 46, outer lip 48 ↔ 54 ... 55 ↔ 59, 56 ↔ 58, inner lip 60 ↔ 64, 61 ↔ 63, 65 ↔ 67.
    static let ibugFlip68 = [
        16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
        26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
        27, 28, 29, 30,
        35, 34, 33, 32, 31,
        45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
        54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
        64, 63, 62, 61, 60, 67, 66, 65,
    ]

    @Test func `the 68-point flip index is iBUG's mirror map`() {
        #expect(KeypointScheme.face68.flipIndex == Self.ibugFlip68)
        #expect(KeypointScheme.face68.count == 68)
    }

    @Test func `the 51-point face is the 68-point face without the jaw`() {
        let face51 = KeypointScheme.face51
        #expect(face51.flipIndex == FaceLandmarks.flipIndex)
        #expect(face51.flipIndex == Self.ibugFlip68.dropFirst(17).map { $0 - 17 })
        #expect(face51.names == Array(KeypointScheme.face68.names.dropFirst(17)))
        #expect(face51.names[0] == "right_brow_0" && face51.names[19] == "right_eye_0" && face51.names[50] == "inner_lip_7")
    }

    @Test func `flipping twice is the identity for every scheme`() {
        for scheme in [KeypointScheme.face51, .face68, .cocoPerson] {
            let flip = scheme.flipIndex!
            #expect(flip.indices.allSatisfy { flip[flip[$0]] == $0 })
        }
    }

    @Test func `the face contours join brows, nose, eyes and lips`() {
        let edges = KeypointScheme.face51.edges
        #expect(edges.count == 4 + 4 + 3 + 4 + 6 + 6 + 12 + 8)
        #expect(edges.contains { $0 == (19, 20) } && edges.contains { $0 == (24, 19) } && edges.contains { $0 == (50, 43) })
        #expect(!edges.contains { $0 == (4, 5) } && !edges.contains { $0 == (18, 19) })
        #expect(KeypointScheme.face68.edges.count == edges.count + 16)
        #expect(KeypointScheme.cocoPerson.edges.count == 19 && KeypointScheme.cocoPerson.edges[0] == (15, 13))
    }

    @Test func `point names give the flip index`() {
        #expect(KeypointScheme.flipIndex(forNames: KeypointScheme.face51.names) == FaceLandmarks.flipIndex)
        #expect(KeypointScheme.flipIndex(forNames: KeypointScheme.cocoPerson.names) == KeypointScheme.cocoPerson.flipIndex)
        let names = ["Left_Eye", "right_eye", "nose", "mouth_left", "mouth_right"]
        #expect(KeypointScheme.flipIndex(forNames: names) == [1, 0, 2, 4, 3])
        #expect(KeypointScheme.flipIndex(forNames: ["left_eye", "nose"]) == nil)
    }

    @Test func `the standard scheme follows the point count`() {
        #expect(KeypointScheme.standard(forCount: 51) == .face51)
        #expect(KeypointScheme.standard(forCount: 17) == .cocoPerson)
        #expect(KeypointScheme.standard(forCount: 3, flipIndex: [0, 2, 1]) == .generic(count: 3, flipIndex: [0, 2, 1]))
        #expect(KeypointScheme.generic(count: 2).names == ["kp_0", "kp_1"])
    }
}
