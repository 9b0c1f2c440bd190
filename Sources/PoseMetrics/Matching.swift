/// Which detections are true positives at each IoU (or OKS) threshold, as the reference's
/// `BaseValidator.match_predictions` (non-scipy path, `ultralytics/engine/validator.py` 8.1.14;
/// reference §6.5).
public enum Matching {
    /// The 10 thresholds 0.50, 0.55, …, 0.95: the float32 values of torch's `linspace(0.5, 0.95, 10)`,
    /// which equal the float32 roundings of the decimals (checked with torch 2.13).
    public static let iouThresholds: [Float] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]

    /// True-positive flags of every detection at every threshold.
    ///
    /// For each threshold t, following the reference step by step:
    /// 1. similarities between a label and a detection of different classes count as 0;
    /// 2. take every (label, detection) pair with similarity ≥ t;
    /// 3. order them by similarity, highest first;
    /// 4. keep the first pair of each detection (its best label), now ordered by detection index
    ///    (NumPy's `np.unique(return_index=True)` returns first occurrences sorted by value);
    /// 5. keep the first of those pairs for each label, i.e. the lowest detection index: with
    ///    detections in NMS order (confidence descending), the most confident one;
    /// 6. the detections kept are true positives at t.
    ///
    /// So a detection whose best label was taken by another detection is not matched to its second
    /// best label (unlike COCO's greedy matching).
    ///
    /// Ties in step 3: the reference sorts with `argsort()[::-1]`, whose order among equal values
    /// NumPy leaves unspecified (it depends on the array size and the CPU's sorting kernel). Here
    /// equal similarities are taken in reverse (label, detection) order, which is what NumPy gives
    /// for small arrays; exact ties between different pairs are rare with real boxes.
    ///
    /// - Parameters:
    ///   - similarity: `[labels][detections]`, box IoU or OKS.
    ///   - truthClasses: the class of each label.
    ///   - detectionClasses: the class of each detection.
    ///   - thresholds: defaults to ``iouThresholds``.
    /// - Returns: `[detections][thresholds]`.
    public static func truePositives(
        similarity: [[Float]], truthClasses: [Int], detectionClasses: [Int], thresholds: [Float] = iouThresholds
    ) -> [[Bool]] {
        precondition(
            similarity.count == truthClasses.count
                && similarity.allSatisfy { $0.count == detectionClasses.count },
            "truePositives: similarity is not \(truthClasses.count) × \(detectionClasses.count)")
        var flags = Array(repeating: Array(repeating: false, count: thresholds.count), count: detectionClasses.count)
        guard let lowest = thresholds.min() else { return flags }
        // Candidate pairs in row-major (np.nonzero) order with their class-masked similarity; pairs
        // below every threshold (or NaN) can never count.
        var pairs: [(label: Int, detection: Int, value: Float)] = []
        for label in truthClasses.indices {
            for detection in detectionClasses.indices {
                let sameClass = truthClasses[label] == detectionClasses[detection]
                let value = sameClass ? similarity[label][detection] : 0
                if value >= lowest { pairs.append((label, detection, value)) }
            }
        }
        // By similarity descending, ties in reverse pair order; the pairs passing a threshold are
        // then a prefix of this order.
        let order = pairs.indices.sorted {
            pairs[$0].value > pairs[$1].value || (pairs[$0].value == pairs[$1].value && $0 > $1)
        }
        for (column, threshold) in thresholds.enumerated() {
            // First passing pair per detection: its best label.
            var bestLabel = [Int: Int]()
            for index in order {
                let pair = pairs[index]
                guard pair.value >= threshold else { break }
                if bestLabel[pair.detection] == nil { bestLabel[pair.detection] = pair.label }
            }
            // In detection order, the first detection claiming each label.
            var taken = Set<Int>()
            for (detection, label) in bestLabel.sorted(by: { $0.key < $1.key }) where taken.insert(label).inserted {
                flags[detection][column] = true
            }
        }
        return flags
    }
}
