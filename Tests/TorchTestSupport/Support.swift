import Foundation
import Testing
import Torch

/// Expects two tensors to have the same shape and values within `atol + rtol·|expected|`,
/// reporting the shapes, the largest deviation and where it is.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("shape \(actual.shape) != expected \(expected.shape). \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        return
    }
    let a = actual.toArray(of: Double.self)
    let b = expected.toArray(of: Double.self)
    var worst = (index: -1, excess: 0.0, deviation: 0.0)
    for i in a.indices {
        let deviation = Swift.abs(a[i] - b[i])
        let excess = deviation - (atol + rtol * Swift.abs(b[i]))
        if excess > worst.excess || (a[i].isNaN != b[i].isNaN) { worst = (i, Swift.max(excess, 1), deviation) }
    }
    if worst.index >= 0 {
        let i = worst.index
        Issue.record(
            "values differ (shape \(actual.shape)): largest deviation \(worst.deviation) at flat index \(i): \(a[i]) vs \(b[i]). \(comment?.rawValue ?? "")",
            sourceLocation: sourceLocation)
    }
}

/// Checks the autograd gradient of `function` against central finite differences in float64.
///
/// The scalar checked is `sum(function(inputs) · upstream)` for a fixed random `upstream`, so every
/// output element contributes. Inputs should be small (each element costs two evaluations).
public func expectGradientsMatchFiniteDifferences(
    _ inputs: [Tensor], step: Double = 1e-6, tolerance: Double = 1e-6, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ function: ([Tensor]) -> Tensor
) {
    let leaves = inputs.map { $0.to(.float64).detached().clone().requiringGrad() }
    let output = function(leaves)
    let upstream = Tensor.randn(output.shape, generator: Generator(seed: 7), dtype: .float64)
    (output * upstream).sum().backward()
    withNoGrad {
        for (position, leaf) in leaves.enumerated() {
            guard let analytic = leaf.grad else {
                Issue.record("input \(position) got no gradient. \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
                continue
            }
            let values = leaf.toArray(of: Double.self)
            var numeric = [Double](repeating: 0, count: values.count)
            func evaluate(_ changed: [Double]) -> Double {
                var arguments = leaves.map { $0.detached() }
                arguments[position] = Tensor(changed, shape: leaf.shape)
                return (function(arguments) * upstream).sum().item()
            }
            for j in values.indices {
                var plus = values
                plus[j] += step
                var minus = values
                minus[j] -= step
                numeric[j] = (evaluate(plus) - evaluate(minus)) / (2 * step)
            }
            expectClose(
                analytic, Tensor(numeric, shape: leaf.shape), rtol: tolerance, atol: tolerance,
                "gradient of input \(position). \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        }
    }
}

/// The fixtures in `Tests/TorchTestSupport/Fixtures`, written by `Scripts/goldens/` with torch 2.13.
public enum Goldens {
    /// The URL of fixture `name`.safetensors.
    public static func url(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
    }

    public static func load(_ name: String = "goldens") throws -> Safetensors.Contents {
        try Safetensors.read(from: url(name))
    }
}

extension Safetensors.Contents {
    /// The tensor `name`, failing the test when it is missing.
    public func required(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Tensor {
        try #require(self[name], "fixture has no tensor \(name)", sourceLocation: sourceLocation)
    }
}

/// The resident set size of this process in bytes (Linux), for leak checks.
public func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}
