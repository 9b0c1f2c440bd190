import Testing

@testable import PoseMetrics

@Suite struct NumPyTests {
    @Test func `linspace ends exactly at its stop`() {
        let grid = NumPy.linspace(0, 1, 101)
        #expect(grid.count == 101 && grid[0] == 0 && grid[100] == 1 && grid[1] == 0.01)
        #expect(NumPy.linspace(0, 1, 1000)[999] == 1)
        #expect(NumPy.linspace(0, 1, 1000)[1] == 1.0 / 999.0)
    }

    @Test func `interp takes the last of repeated sample points`() {
        let xp = [0.0, 1, 1, 2]
        let fp = [0.0, 5, 7, 9]
        #expect(NumPy.interp([1], xp, fp) == [7])
        #expect(NumPy.interp([0.5, 1.5], xp, fp) == [2.5, 8])
    }

    @Test func `interp uses left and right outside the samples and the end values by default`() {
        let xp = [0.0, 1]
        let fp = [3.0, 4]
        #expect(NumPy.interp([-1, 2], xp, fp) == [3, 4])
        #expect(NumPy.interp([-1, 2], xp, fp, left: 0, right: 10) == [0, 10])
        #expect(NumPy.interp([-1, 0.5, 2], [0.5], [6], left: 1, right: 2) == [1, 6, 2])
    }

    @Test func `sums are pairwise like NumPy's`() {
        // np.sum([0.1] * 10) == 1.0; a plain loop gives 0.9999999999999999.
        #expect(NumPy.sum(Array(repeating: 0.1, count: 10)) == 1.0)
        // np.sum([0.1 * i for i in range(200)]) == 1990.0; a plain loop gives 1990.0000000000002.
        #expect(NumPy.sum((0..<200).map { 0.1 * Double($0) }) == 1990.0)
    }

    @Test func `trapezoid integrates a line exactly`() {
        let x = NumPy.linspace(0, 1, 101)
        #expect(abs(NumPy.trapezoid(x, x) - 0.5) < 1e-15)
        #expect(NumPy.trapezoid([5], [1]) == 0)
    }
}
