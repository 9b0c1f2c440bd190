import Foundation
import PoseData

/// What faces of a data set look like, learned from its own labels: a point distribution model.
/// Each face's points are aligned to the mean shape by Procrustes (translation, scale and rotation
/// removed), and the principal components that keep 95% of the variance span the plausible
/// shapes. A face's residual is how far its aligned points lie from that span, per point, in
/// units of the aligned shape (unit size); a face whose residual is above the 99th percentile of
/// the labels' own is implausible: its landmarks are scrambled, whatever its box score.
public struct ShapeModel: Sendable {
    /// The mean aligned shape, x and y of each point: `[2K]`.
    public let mean: [Double]
    /// The principal directions kept, each `[2K]`.
    public let components: [[Double]]
    /// The residual above which a face is implausible (the fitting faces' 99th percentile).
    public let threshold: Double
    /// Faces the model was fitted on.
    public let faces: Int

    /// The fraction of variance the components keep, and the percentile of the threshold.
    public static let keptVariance = 0.95
    public static let thresholdPercentile = 0.99

    /// Fits the model on the faces among `labels` (each with its image's size: shapes are
    /// compared in pixels, so that images of other aspect ratios do not distort them) whose points
    /// are all labelled; nil when fewer than 20 are, or they have fewer than 3 points.
    public init?(labels: [(face: PoseInstance, width: Int, height: Int)]) {
        let shapes = labels.filter { $0.face.keypoints.count >= 3 && $0.face.keypoints.allSatisfy { $0.visibility > 0 } }.map { label in
            label.face.keypoints.flatMap { [$0.x * Double(label.width), $0.y * Double(label.height)] }
        }
        guard shapes.count >= 20 else { return nil }
        // generalised Procrustes: align every shape to the current mean, then update the mean
        var mean = Self.normalised(shapes[0])
        var aligned = shapes
        for _ in 0..<8 {
            aligned = shapes.map { Self.aligned($0, to: mean, using: nil) }
            mean = Self.normalised((0..<mean.count).map { i in aligned.reduce(0) { $0 + $1[i] } / Double(aligned.count) })
        }
        let dimension = mean.count
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        for shape in aligned {
            let d = zip(shape, mean).map { $0 - $1 }
            for i in 0..<dimension where d[i] != 0 {
                for j in i..<dimension { covariance[i * dimension + j] += d[i] * d[j] }
            }
        }
        for i in 0..<dimension {
            for j in i..<dimension {
                covariance[i * dimension + j] /= Double(aligned.count - 1)
                covariance[j * dimension + i] = covariance[i * dimension + j]
            }
        }
        let (values, vectors) = Self.eigen(covariance, dimension)
        let total = values.reduce(0) { $0 + max($1, 0) }
        var kept: [[Double]] = []
        var explained = 0.0
        for (value, vector) in zip(values, vectors) where total > 0 && explained < Self.keptVariance * total {
            kept.append(vector)
            explained += max(value, 0)
        }
        self.mean = mean
        components = kept
        faces = shapes.count
        let residuals = shapes.map { Self.residual($0, visible: nil, mean: mean, components: kept) }.sorted()
        threshold = residuals[min(residuals.count - 1, Int((Self.thresholdPercentile * Double(residuals.count - 1)).rounded(.up)))]
    }

    /// The residual of a face on an image of `width` × `height` pixels: the distance, per point,
    /// of its aligned labelled points from the span of the components (nil with fewer than 3
    /// labelled points).
    public func residual(of face: PoseInstance, width: Int, height: Int) -> Double? {
        guard face.keypoints.count * 2 == mean.count else { return nil }
        let visible = face.keypoints.map { $0.visibility > 0 }
        guard visible.filter({ $0 }).count >= 3 else { return nil }
        let points = face.keypoints.flatMap { [$0.x * Double(width), $0.y * Double(height)] }
        return Self.residual(points, visible: visible, mean: mean, components: components)
    }

    /// Whether a face is implausible (its residual above the threshold).
    public func isImplausible(_ face: PoseInstance, width: Int, height: Int) -> Bool {
        (residual(of: face, width: width, height: height) ?? 0) > threshold
    }

    // MARK: Geometry

    /// The shape centred at the origin and scaled to unit norm.
    static func normalised(_ shape: [Double]) -> [Double] {
        let count = Double(shape.count / 2)
        let (cx, cy) = (
            stride(from: 0, to: shape.count, by: 2).reduce(0) { $0 + shape[$1] } / count,
            stride(from: 1, to: shape.count, by: 2).reduce(0) { $0 + shape[$1] } / count
        )
        var centred = shape
        for i in stride(from: 0, to: shape.count, by: 2) { (centred[i], centred[i + 1]) = (shape[i] - cx, shape[i + 1] - cy) }
        let norm = sqrt(centred.reduce(0) { $0 + $1 * $1 })
        return norm > 0 ? centred.map { $0 / norm } : centred
    }

    /// `shape` moved, scaled and turned onto `reference` (least squares), over the points
    /// `visible` marks (all when nil); the other points are carried along.
    static func aligned(_ shape: [Double], to reference: [Double], using visible: [Bool]?) -> [Double] {
        let points = shape.count / 2
        let used = (0..<points).filter { visible?[$0] ?? true }
        let count = Double(used.count)
        func centre(_ s: [Double]) -> (Double, Double) {
            (used.reduce(0) { $0 + s[2 * $1] } / count, used.reduce(0) { $0 + s[2 * $1 + 1] } / count)
        }
        let (sx, sy) = centre(shape)
        let (rx, ry) = centre(reference)
        var (dot, cross, norm) = (0.0, 0.0, 0.0)
        for i in used {
            let (x, y) = (shape[2 * i] - sx, shape[2 * i + 1] - sy)
            let (u, v) = (reference[2 * i] - rx, reference[2 * i + 1] - ry)
            dot += x * u + y * v
            cross += x * v - y * u
            norm += x * x + y * y
        }
        guard norm > 0 else { return shape }
        // the similarity a·R(θ) minimising the distance: a cos θ = dot / norm, a sin θ = cross / norm
        let (a, b) = (dot / norm, cross / norm)
        var result = shape
        for i in 0..<points {
            let (x, y) = (shape[2 * i] - sx, shape[2 * i + 1] - sy)
            result[2 * i] = a * x - b * y + rx
            result[2 * i + 1] = b * x + a * y + ry
        }
        return result
    }

    /// The distance, per labelled point, of `shape` aligned to `mean` from the span of
    /// `components`, fitted on the labelled coordinates only.
    static func residual(_ shape: [Double], visible: [Bool]?, mean: [Double], components: [[Double]]) -> Double {
        let alignedShape = aligned(shape, to: mean, using: visible)
        let rows = (0..<mean.count).filter { visible?[$0 / 2] ?? true }
        let difference = rows.map { alignedShape[$0] - mean[$0] }
        // least-squares coefficients on the labelled rows: (UᵀU) c = Uᵀ d
        let m = components.count
        var normal = [Double](repeating: 0, count: m * m)
        var right = [Double](repeating: 0, count: m)
        for a in 0..<m {
            for (k, row) in rows.enumerated() { right[a] += components[a][row] * difference[k] }
            for b in a..<m {
                var sum = 0.0
                for row in rows { sum += components[a][row] * components[b][row] }
                (normal[a * m + b], normal[b * m + a]) = (sum, sum)
            }
        }
        let coefficients = solve(normal, right, m)
        var residual = 0.0
        for (k, row) in rows.enumerated() {
            var fitted = 0.0
            for a in 0..<m { fitted += components[a][row] * coefficients[a] }
            residual += (difference[k] - fitted) * (difference[k] - fitted)
        }
        return sqrt(residual / Double(rows.count / 2))
    }

    /// Solves a symmetric positive semi-definite system by Gaussian elimination with partial
    /// pivoting; a direction with no support (a zero pivot) gets a zero coefficient.
    static func solve(_ matrix: [Double], _ vector: [Double], _ n: Int) -> [Double] {
        var a = matrix
        var b = vector
        var pivotRow = [Int](repeating: -1, count: n)
        var row = 0
        for column in 0..<n where row < n {
            let best = (row..<n).max { abs(a[$0 * n + column]) < abs(a[$1 * n + column]) }!
            guard abs(a[best * n + column]) > 1e-12 else { continue }
            for k in 0..<n { a.swapAt(row * n + k, best * n + k) }
            b.swapAt(row, best)
            for other in 0..<n where other != row {
                let factor = a[other * n + column] / a[row * n + column]
                guard factor != 0 else { continue }
                for k in 0..<n { a[other * n + k] -= factor * a[row * n + k] }
                b[other] -= factor * b[row]
            }
            pivotRow[column] = row
            row += 1
        }
        return (0..<n).map { column in pivotRow[column] < 0 ? 0 : b[pivotRow[column]] / a[pivotRow[column] * n + column] }
    }

    /// Eigenvalues (largest first) and unit eigenvectors of a symmetric `n` × `n` matrix, by
    /// cyclic Jacobi rotations.
    static func eigen(_ matrix: [Double], _ n: Int) -> (values: [Double], vectors: [[Double]]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<60 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-30 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + sqrt(theta * theta + 1))
                    let c = 1 / sqrt(t * t + 1)
                    let s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        return (order.map { a[$0 * n + $0] }, order.map { column in (0..<n).map { v[$0 * n + column] } })
    }
}
