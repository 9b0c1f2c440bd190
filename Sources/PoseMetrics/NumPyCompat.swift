/// The few NumPy routines the reference's metrics rely on, with NumPy's exact semantics where they
/// decide a result (edge values, repeated sample points, summation order), so that our numbers agree
/// with the reference's to the last bits wherever that is practical.
enum NumPy {
    /// `np.linspace(start, stop, count)`: `i · ((stop − start) / (count − 1)) + start`, and the last
    /// sample set to `stop` exactly (NumPy's `linspace`).
    static func linspace(_ start: Double, _ stop: Double, _ count: Int) -> [Double] {
        precondition(count >= 0, "linspace: negative count \(count)")
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }

    /// `np.interp(x, xp, fp, left, right)` for one point, `xp` non-decreasing and not empty.
    ///
    /// As NumPy's `arr_interp`: below `xp[0]` gives `left`, above the last sample gives `right`;
    /// otherwise `j` is the last index with `xp[j] <= x` (so among repeated sample points the last
    /// one counts), `x == xp[j]` returns `fp[j]`, and in between the value is
    /// `slope · (x − xp[j]) + fp[j]` with `slope = (fp[j+1] − fp[j]) / (xp[j+1] − xp[j])`.
    static func interp(_ x: Double, _ xp: [Double], _ fp: [Double], left: Double, right: Double) -> Double {
        precondition(!xp.isEmpty && xp.count == fp.count, "interp: \(xp.count) sample points, \(fp.count) values")
        let last = xp.count - 1
        if x > xp[last] { return right }
        if x < xp[0] { return left }
        // Upper bound: the first index whose sample point exceeds x; j is the one before it.
        var low = 0
        var high = xp.count
        while low < high {
            let middle = low + (high - low) / 2
            if x >= xp[middle] { low = middle + 1 } else { high = middle }
        }
        let j = low - 1
        if j == last || xp[j] == x { return fp[j] }
        let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
        return slope * (x - xp[j]) + fp[j]
    }

    /// `np.interp` at many points, with `left` and `right` defaulting to the end values as NumPy's.
    static func interp(
        _ x: [Double], _ xp: [Double], _ fp: [Double], left: Double? = nil, right: Double? = nil
    )
        -> [Double]
    {
        let left = left ?? fp[0]
        let right = right ?? fp[fp.count - 1]
        return x.map { interp($0, xp, fp, left: left, right: right) }
    }

    /// `np.add.reduce` over a contiguous float64 array: NumPy's pairwise summation (a plain loop
    /// under 8 values, eight running sums up to 128, halves above), which gives the same bits.
    static func sum(_ values: ArraySlice<Double>) -> Double {
        let count = values.count
        let base = values.startIndex
        if count < 8 {
            var total = -0.0
            for value in values { total += value }
            return total
        }
        if count <= 128 {
            var partial = Array(values[base..<base + 8])
            let blocked = count - count % 8
            var index = 8
            while index < blocked {
                for lane in 0..<8 { partial[lane] += values[base + index + lane] }
                index += 8
            }
            var total =
                ((partial[0] + partial[1]) + (partial[2] + partial[3]))
                + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
            while index < count {
                total += values[base + index]
                index += 1
            }
            return total
        }
        var half = count / 2
        half -= half % 8
        return sum(values[base..<base + half]) + sum(values[(base + half)...])
    }

    static func sum(_ values: [Double]) -> Double { sum(values[...]) }

    /// `np.mean` of a float64 array: the pairwise sum divided by the count (0 values give NaN, as NumPy).
    static func mean(_ values: [Double]) -> Double { sum(values) / Double(values.count) }

    /// `np.trapezoid(y, x)` (`np.trapz` in NumPy 1.x): the pairwise sum of
    /// `(x[i+1] − x[i]) · (y[i+1] + y[i]) / 2`.
    static func trapezoid(_ y: [Double], _ x: [Double]) -> Double {
        precondition(x.count == y.count, "trapezoid: \(y.count) values, \(x.count) sample points")
        guard y.count > 1 else { return 0 }
        let terms = (0..<(y.count - 1)).map { (i: Int) -> Double in
            let width: Double = x[i + 1] - x[i]
            let height: Double = y[i + 1] + y[i]
            return width * height / 2.0
        }
        return sum(terms)
    }
}
