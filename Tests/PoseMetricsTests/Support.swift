import Foundation
import Testing

@testable import PoseMetrics

/// Expects `actual` within `atol + rtol·|expected|` of `expected`, element by element, and reports
/// the largest deviation and its index.
func expectClose(
    _ actual: [Double], _ expected: [Double], rtol: Double = 0, atol: Double = 1e-12,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record("shapes differ: [\(actual.count)] vs [\(expected.count)]", sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, deviation: Double)?
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        let deviation = abs(a - e)
        if !(deviation <= atol + rtol * abs(e)), deviation > worst?.deviation ?? -1 || deviation.isNaN {
            worst = (index, deviation)
        }
    }
    if let worst {
        Issue.record(
            "[\(actual.count)]: largest deviation \(worst.deviation) at \(worst.index): \(actual[worst.index]) vs \(expected[worst.index])",
            sourceLocation: sourceLocation)
    }
}

func expectClose(
    _ actual: Double, _ expected: Double, rtol: Double = 0, atol: Double = 1e-12,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose([actual], [expected], rtol: rtol, atol: atol, sourceLocation: sourceLocation)
}

func expectClose(
    _ actual: Double?, _ expected: Double, rtol: Double = 0, atol: Double = 1e-12,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual else {
        Issue.record("nil, expected \(expected)", sourceLocation: sourceLocation)
        return
    }
    expectClose([actual], [expected], rtol: rtol, atol: atol, sourceLocation: sourceLocation)
}

/// A box from its corners.
func box(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float) -> PixelBox {
    PixelBox(x1: x1, y1: y1, x2: x2, y2: y2)
}

/// The URL of a committed fixture.
func fixture(_ name: String) -> URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
}
