import Foundation
import PoseData

extension RefinementRun {
    /// Up to `count` images for Figure 2: those that gained the most labels, each with its labels
    /// at every evaluated iteration.
    public func figureSamples(count: Int = 4) throws -> [FigureSample] {
        guard let last = try ledger.summaries().map(\.index).last else { return [] }
        let byImage = Dictionary(grouping: try ledger.labels().filter { $0.status != .rejected }, by: \.image)
        let files = Dictionary(uniqueKeysWithValues: try Dataset.load(inputData).keyedImages().map { ($0.key, $0.image.url) })
        func generated(_ key: ImageKey) -> Int { byImage[key]!.filter { $0.iteration > 0 }.count }
        let chosen = byImage.keys.sorted().sorted { generated($0) > generated($1) }.prefix(count)
        return chosen.compactMap { key in
            guard let file = files[key] else { return nil }
            let labels = byImage[key]!
            return FigureSample(
                image: file,
                labels: (0...last).map { k in
                    labels.filter { $0.iteration <= k }.map {
                        FigureSample.Label(instance: $0.current, addedBy: $0.iteration == 0 ? nil : $0.iteration)
                    }
                })
        }
    }
}
