import Foundation
import PoseData
import PoseMetrics

/// A reviewer who audits with the truth in hand (a synthetic run, whose truth `synth` writes): it
/// accepts a generated label that found a face no original label covers with its landmarks within
/// 10% of the inter-ocular distance, corrects one whose landmarks are further off (to the truth's
/// points), rejects one that found no such face, and marks every face no label found. Its audits
/// show whether the intervals of ``AuditEstimate`` hold the truth's figures
/// (`facelabel audit --rehearse`, and the tests).
public struct ScriptedReviewer {
    /// What it decides on a generated label.
    public enum Verdict: Equatable {
        case accept
        case correct(PoseInstance)
        case reject
    }

    public let iteration: Int
    /// The truth's figures for the labels the audit samples from, as generated.
    public let truth: LabelQuality
    let labels: [Int64]
    let images: [(id: Int64, key: ImageKey)]
    let verdicts: [Int64: Verdict]
    let missed: [ImageKey: [PoseInstance]]
    /// How far each correction moves the points (pixels, NME), by label.
    let corrections: [Int64: (pixels: Double, nme: Double?)]

    /// Judges every generated label of iteration `iteration`'s data set (iterations 1…k, as
    /// generated) and every image the passes labelled against the truth data set `truthData`.
    public init(run: RefinementRun, iteration: Int, truthData: URL) throws {
        self.iteration = iteration
        let measure = try LabelQualityMeasure(truthData: truthData)
        (labels, images) = try run.ledger.auditPopulation(iteration: iteration, splits: try run.settings().labelledSplits)
        let population = Set(labels)
        let all = Dictionary(grouping: try run.ledger.labels(), by: \.image)
        let sizes = try run.imageSizes()
        let eyeCorners = EyeCorners.standard(keypointCount: run.ledger.keypointShape.count)
        var (verdicts, missed, corrections) = ([Int64: Verdict](), [ImageKey: [PoseInstance]](), [Int64: (Double, Double?)]())
        var judged: [LabelQualityMeasure.Image] = []
        for (_, key) in images {
            let found = all[key] ?? []
            let generated = found.filter { population.contains($0.id) }
            let (width, height) = sizes[key] ?? (1, 1)
            let image = LabelQualityMeasure.Image(
                key: key, width: width, height: height, originals: found.filter { $0.iteration == 0 }.map(\.current),
                generated: generated.map { ($0.instance, $0.score ?? 0) })
            judged.append(image)
            let judgement = measure.judge(image)
            missed[key] = judgement.missed
            for (index, label) in generated.enumerated() {
                guard let (face, nme) = judgement.matches[index] else {
                    verdicts[label.id] = .reject
                    continue
                }
                if let nme, nme <= LabelQualityMeasure.rightLabelNME {
                    verdicts[label.id] = .accept
                } else {
                    var corrected = label.instance
                    corrected.keypoints = face.keypoints
                    verdicts[label.id] = .correct(corrected)
                    corrections[label.id] = RefinementRun.correction(
                        from: label.instance, to: corrected, width: width, height: height, eyeCorners: eyeCorners)
                }
            }
        }
        (self.verdicts, self.missed, self.corrections) = (verdicts, missed, corrections)
        truth = measure.measure(judged)
    }

    public func verdict(_ label: Int64) -> Verdict? { verdicts[label] }

    /// The faces of `image` that no label found.
    public func missedFaces(_ image: ImageKey) -> [PoseInstance] { missed[image] ?? [] }

    /// What an audit of `labelCount` labels and `imageCount` images drawn with `seed` (as
    /// ``Ledger/drawAudit(iteration:labels:images:seed:splits:)`` draws them) would count, when
    /// this reviewer decides every item, without writing anything.
    public func tally(labels labelCount: Int, images imageCount: Int, seed: UInt64) -> AuditTally {
        var tally = AuditTally(iteration: iteration, population: labels.count, images: images.count)
        for id in Ledger.shuffled(labels, seed: seed, stream: 1).prefix(labelCount) {
            switch verdicts[id] {
            case .accept: tally.accepted += 1
            case .correct:
                tally.corrected += 1
                if let moved = corrections[id] {
                    tally.correctionPixels.append(moved.pixels)
                    if let nme = moved.nme { tally.correctionNMEs.append(nme) }
                }
            case .reject, nil: tally.rejected += 1
            }
        }
        let keys = Dictionary(uniqueKeysWithValues: images.map { ($0.id, $0.key) })
        for id in Ledger.shuffled(images.map(\.id), seed: seed, stream: 2).prefix(imageCount) {
            tally.missedByImage.append(missedFaces(keys[id]!).count)
        }
        return tally
    }

    /// Decides every item of `items` in `ledger` as a person would in the audit page: each label
    /// accepted, corrected or rejected, each missed face marked on its image and the image checked.
    public func audit(_ items: [AuditItem], in ledger: Ledger, reviewer: String) throws {
        for item in items where !item.done {
            switch item.kind {
            case .label:
                guard let id = item.labelId, let label = try ledger.label(id), let verdict = verdicts[id] else { continue }
                switch verdict {
                case .accept: try ledger.decide(id, .accepted, reviewer: reviewer, version: label.version, source: Ledger.auditSource)
                case .reject: try ledger.decide(id, .rejected, reviewer: reviewer, version: label.version, source: Ledger.auditSource)
                case .correct(let instance):
                    try ledger.decide(
                        id, .corrected, corrected: instance, reviewer: reviewer, version: label.version, source: Ledger.auditSource)
                }
            case .image:
                for face in missedFaces(item.image) {
                    try ledger.addLabel(face, on: item.image, iteration: iteration, reviewer: reviewer, source: Ledger.auditSource)
                }
                try ledger.setChecked(item.id, by: reviewer)
            }
        }
    }
}
