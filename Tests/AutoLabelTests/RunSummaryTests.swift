import Foundation
import Testing

@testable import AutoLabel

@Suite struct `Run summary` {
    @Test func `an iteration's total is its train and val labels`() {
        let iteration = IterationSummary(
            index: 1, train: SplitCounts(images: 10, labels: 14, added: 3), val: SplitCounts(images: 3, labels: 4, added: 1),
            ownValidation: nil, fixedValidation: nil, quality: nil, labellingSeconds: 1, trainingSeconds: 2)
        #expect(iteration.totalLabels == 18)
    }
}
