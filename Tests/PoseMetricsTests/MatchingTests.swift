import Testing

@testable import PoseMetrics

@Suite struct MatchingTests {
    /// The thresholds as flags: true where `Matching.iouThresholds[i] <= limit`.
    func upTo(_ limit: Float) -> [Bool] { Matching.iouThresholds.map { $0 <= limit } }
    let never = Array(repeating: false, count: 10)

    @Test func `thresholds are the bits of torch's float32 linspace from 0.5 to 0.95`() {
        // torch.linspace(0.5, 0.95, 10).numpy().view(np.uint32), torch 2.13.
        #expect(
            Matching.iouThresholds.map(\.bitPattern) == [
                1_056_964_608, 1_057_803_469, 1_058_642_330, 1_059_481_190, 1_060_320_051, 1_061_158_912,
                1_061_997_773, 1_062_836_634, 1_063_675_494, 1_064_514_355,
            ])
    }

    @Test func `a similarity equal to a threshold passes it`() {
        let flags = Matching.truePositives(similarity: [[0.75]], truthClasses: [0], detectionClasses: [0])
        #expect(flags == [upTo(0.75)])
    }

    @Test func `a class mismatch zeroes the similarity`() {
        let flags = Matching.truePositives(
            similarity: [[0.9, 0.7]], truthClasses: [0], detectionClasses: [1, 0])
        #expect(flags == [never, upTo(0.7)])
    }

    @Test func `a detection whose best label is taken is not rematched`() {
        // D0 and D1 both like L0 best; D0 comes first (NMS order) and keeps it. D1 also overlaps
        // L1 at 0.6, but the reference does not fall back to its second-best label (COCO would).
        // At 0.95 only D1–L0 (0.97) passes, so there D1 is the true positive.
        let similarity: [[Float]] = [
            [0.9, 0.97],  // L0
            [0.0, 0.6],  // L1
        ]
        let flags = Matching.truePositives(similarity: similarity, truthClasses: [0, 0], detectionClasses: [0, 0])
        #expect(flags[0] == upTo(0.9))
        #expect(flags[1] == Matching.iouThresholds.map { $0 > 0.9 })
    }

    @Test func `each detection claims its highest-similarity label`() {
        // D0 overlaps L0 at 0.6 and L1 at 0.8: it claims L1, so L0 stays unmatched even at 0.5.
        // D1 (0.7 with L1) loses L1 to the earlier D0 at every threshold it passes.
        let similarity: [[Float]] = [
            [0.6, 0.0],  // L0
            [0.8, 0.7],  // L1
        ]
        let flags = Matching.truePositives(similarity: similarity, truthClasses: [0, 0], detectionClasses: [0, 0])
        #expect(flags[0] == upTo(0.8))
        #expect(flags[1] == never)
    }

    @Test func `the earlier detection wins a shared label wherever it passes`() {
        let flags = Matching.truePositives(similarity: [[0.6, 0.9]], truthClasses: [0], detectionClasses: [0, 0])
        #expect(flags[0] == upTo(0.6))
        #expect(flags[1] == Matching.iouThresholds.map { $0 > 0.6 && $0 <= 0.9 })
    }

    @Test func `equal similarities go to the later label, as NumPy's small sorts`() {
        // D0 is equally close to L0 and L1: the reversed argsort puts (L1, D0) first.
        let similarity: [[Float]] = [
            [0.8, 0.7],  // L0
            [0.8, 0.0],  // L1
        ]
        let flags = Matching.truePositives(similarity: similarity, truthClasses: [0, 0], detectionClasses: [0, 0])
        #expect(flags[0] == upTo(0.8))
        #expect(flags[1] == upTo(0.7))
    }

    @Test func `no labels or no detections give no true positives`() {
        #expect(Matching.truePositives(similarity: [], truthClasses: [], detectionClasses: [0, 0]) == [never, never])
        #expect(Matching.truePositives(similarity: [[], []], truthClasses: [0, 1], detectionClasses: []) == [])
    }

    @Test func `custom thresholds give one column each`() {
        let flags = Matching.truePositives(
            similarity: [[0.3]], truthClasses: [0], detectionClasses: [0], thresholds: [0.25, 0.5])
        #expect(flags == [[true, false]])
    }
}
