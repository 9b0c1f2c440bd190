import Foundation
import PoseData

/// A 95% interval.
public struct Interval: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double

    public init(_ lower: Double, _ upper: Double) { (self.lower, self.upper) = (lower, upper) }

    public var width: Double { upper - lower }
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// What an audit saw, counted (``Ledger/auditTally(iteration:)``): how many of a uniformly random
/// sample of the generated labels a person found right as they were, right after a correction, or
/// wrong; and on a uniformly random sample of the images labelled, how many faces no label covered.
public struct AuditTally: Sendable, Equatable {
    /// The iteration audited: its data set's generated labels (iterations 1…k) are the population.
    public var iteration: Int
    /// Generated labels in the population, and images the labelling passes went over.
    public var population: Int
    public var images: Int
    public var accepted = 0
    public var corrected = 0
    public var rejected = 0
    /// How far each correction moved the points: mean distance in pixels, and NME when the layout
    /// has eye corners.
    public var correctionPixels: [Double] = []
    public var correctionNMEs: [Double] = []
    /// The faces a person marked as missed on each image they checked.
    public var missedByImage: [Int] = []

    public init(iteration: Int, population: Int, images: Int) {
        (self.iteration, self.population, self.images) = (iteration, population, images)
    }

    /// Labels decided in the audit.
    public var labelsAudited: Int { accepted + corrected + rejected }
    /// Accepted and corrected labels count as right.
    public var right: Int { accepted + corrected }
    public var imagesChecked: Int { missedByImage.count }
    public var missedFaces: Int { missedByImage.reduce(0, +) }

    /// How much more the missed faces vary from image to image than a Poisson count does (their
    /// variance over their mean, at least 1): missed faces come in clusters (a crowd the model
    /// did not see), and an image with several counts as fewer independent ones.
    public var missedDispersion: Double {
        let n = Double(missedByImage.count)
        guard n > 1, missedFaces > 0 else { return 1 }
        let mean = Double(missedFaces) / n
        let variance = missedByImage.map { (Double($0) - mean) * (Double($0) - mean) }.reduce(0, +) / (n - 1)
        return max(1, variance / mean)
    }
}

/// The quality of a run's generated labels estimated from an audit, each figure with its 95%
/// interval, as `facelabel audit` and the report show them.
///
/// - Precision: Wilson's score interval, with the finite-population correction (the sample is
///   drawn without replacement from `population` labels, so auditing all of them leaves no doubt).
/// - Missed faces per image: the Jeffreys interval of a Poisson rate (Gamma(M + ½, n)), widened
///   by the counts' overdispersion φ (``AuditTally/missedDispersion``: Gamma(M/φ + ½, n/φ)).
/// - Recall, `N·p / (N·p + I·m)` for N labels of precision p and I images missing m faces each:
///   the 2.5th and 97.5th percentiles of that ratio over draws of p from its Jeffreys posterior
///   (Beta) and of m from the Gamma above, both with the sample sizes the finite-population
///   correction gives (a fixed seed: the same audit gives the same interval).
public struct AuditEstimate: Sendable, Codable, Equatable {
    public var iteration: Int
    /// Generated labels and images sampled from, and how many of each the audit decided.
    public var generated: Int
    public var images: Int
    public var labelsAudited: Int
    public var imagesChecked: Int
    public var right: Int
    public var corrected: Int
    public var rejected: Int
    public var precision: Double?
    public var precisionInterval: Interval?
    /// Corrected labels as a share of those audited, and how far a correction moved the points.
    public var correctedShare: Double?
    public var meanCorrectionPixels: Double?
    public var meanCorrectionNME: Double?
    public var missedFaces: Int
    public var missedPerImage: Double?
    public var missedPerImageInterval: Interval?
    public var recall: Double?
    public var recallInterval: Interval?
    /// The interval width asked for, and how many more label decisions and checked images bring
    /// precision's and recall's intervals under it (nil: not even auditing every one does).
    public var width: Double?
    public var moreLabels: Int?
    public var moreImages: Int?

    public init(_ tally: AuditTally, width: Double? = nil) {
        (iteration, generated, images) = (tally.iteration, tally.population, tally.images)
        (labelsAudited, imagesChecked, right, corrected, rejected) = (
            tally.labelsAudited, tally.imagesChecked, tally.right, tally.corrected, tally.rejected
        )
        missedFaces = tally.missedFaces
        let n = tally.labelsAudited
        if n > 0 {
            let p = Double(tally.right) / Double(n)
            precision = p
            precisionInterval = Self.wilson(p, Self.effective(n, of: tally.population))
            correctedShare = Double(tally.corrected) / Double(n)
        }
        meanCorrectionPixels = Self.mean(tally.correctionPixels)
        meanCorrectionNME = Self.mean(tally.correctionNMEs)
        if tally.imagesChecked > 0 {
            let m = Double(tally.missedFaces) / Double(tally.imagesChecked)
            missedPerImage = m
            let draws = Self.missedDraws(m, checked: Self.effective(tally.imagesChecked, of: tally.images) / tally.missedDispersion)
            missedPerImageInterval = Self.percentiles(draws)
        }
        if let p = precision, let m = missedPerImage {
            let (labels, images) = (Double(tally.population), Double(tally.images))
            recall = labels * p + images * m > 0 ? labels * p / (labels * p + images * m) : nil
            recallInterval = Self.recallInterval(
                p, audited: Self.effective(n, of: tally.population), missed: m,
                checked: Self.effective(tally.imagesChecked, of: tally.images) / tally.missedDispersion, labels: labels,
                images: images)
        }
        if let width {
            self.width = width
            moreLabels = precision.flatMap { p in
                Self.smallest(from: n, to: tally.population) { Self.wilson(p, Self.effective($0, of: tally.population)).width <= width }
            }.map { $0 - n }
            if let p = precision, let m = missedPerImage {
                let labels = n + (moreLabels ?? tally.population - n)
                moreImages = Self.smallest(from: tally.imagesChecked, to: tally.images) { checked in
                    Self.recallInterval(
                        p, audited: Self.effective(labels, of: tally.population), missed: m,
                        checked: Self.effective(checked, of: tally.images) / tally.missedDispersion, labels: Double(tally.population),
                        images: Double(tally.images)
                    ).map { $0.width <= width } ?? false
                }.map { $0 - tally.imagesChecked }
            }
        }
    }

    // MARK: The statistics

    /// The z of a two-sided 95% interval.
    static let z = 1.959964

    /// The sample size that `n` draws without replacement from `population` are worth in a
    /// with-replacement formula: n (N − 1) / (N − n), infinite (a census) when n = N.
    static func effective(_ n: Int, of population: Int) -> Double {
        guard n < population else { return .infinity }
        return Double(n) * Double(population - 1) / Double(population - n)
    }

    /// Wilson's score interval of a proportion `p` seen in a sample worth `n`.
    static func wilson(_ p: Double, _ n: Double) -> Interval {
        guard n.isFinite else { return Interval(p, p) }
        let z2 = z * z
        let centre = p + z2 / (2 * n)
        let spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return Interval(max(0, (centre - spread) / (1 + z2 / n)), min(1, (centre + spread) / (1 + z2 / n)))
    }

    static func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }

    /// The smallest count in `from…to` for which `reaches` holds (it holds for every larger one), by
    /// bisection; nil when not even `to` does.
    static func smallest(from: Int, to: Int, _ reaches: (Int) -> Bool) -> Int? {
        guard from <= to, reaches(to) else { return nil }
        var (low, high) = (from, to)
        while low < high {
            let middle = (low + high) / 2
            if reaches(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Draws of the missed-face rate: Gamma(m·n + ½) / n for a rate `m` seen on images worth `checked`
    /// (their effective number, less for overdispersed counts).
    static func missedDraws(_ m: Double, checked: Double, count: Int = draws) -> [Double] {
        guard checked.isFinite else { return [m] }
        var random = SeededRandom(seed: 0x5EED_A0D1)
        return (0..<count).map { _ in gamma(m * checked + 0.5, &random) / checked }
    }

    /// The recall interval from draws of the precision (Beta) and the missed-face rate (Gamma).
    static func recallInterval(
        _ p: Double, audited: Double, missed m: Double, checked: Double, labels: Double, images: Double
    ) -> Interval? {
        var random = SeededRandom(seed: 0x5EED_4EC4)
        let rates = missedDraws(m, checked: checked)
        let recalls = rates.indices.map { index -> Double in
            let precision: Double
            if audited.isFinite {
                let (a, b) = (gamma(p * audited + 0.5, &random), gamma((1 - p) * audited + 0.5, &random))
                precision = a / (a + b)
            } else {
                precision = p
            }
            let found = labels * precision
            let missed = images * rates[index]
            return found + missed > 0 ? found / (found + missed) : 1
        }
        return percentiles(recalls)
    }

    static let draws = 4000

    /// The 2.5th and 97.5th percentiles of `values`.
    static func percentiles(_ values: [Double]) -> Interval {
        let sorted = values.sorted()
        let at = { (q: Double) in sorted[Int((q * Double(sorted.count - 1)).rounded())] }
        return Interval(at(0.025), at(0.975))
    }

    /// A draw from Gamma(`shape`, 1) (Marsaglia and Tsang 2000; shapes below 1 boosted by U^(1/shape)).
    static func gamma(_ shape: Double, _ random: inout SeededRandom) -> Double {
        if shape < 1 {
            return gamma(shape + 1, &random) * pow(max(random.unit(), 0x1p-53), 1 / shape)
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = random.normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = random.unit()
            if u < 1 - 0.0331 * x * x * x * x || log(max(u, 0x1p-53)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }
}
