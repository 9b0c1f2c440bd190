import Foundation
import Pose
import PoseData
import Synth
import Testing

@testable import AutoLabel

/// A tiny synthetic data set (a third of the faces unlabelled) with its truth, in a temporary folder.
func tinyDataSet(images: Int = 12, size: Int = 64) async throws -> (folder: URL, data: URL, truth: URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refine-\(UUID())")
    var options = SynthDataset.Options()
    (options.images, options.imageSize, options.unlabeledFraction, options.faces, options.seed) = (images, size, 0.34, 1...2, 4)
    let summary = try await SynthDataset.write(options: options, to: folder.appendingPathComponent("data"))
    return (folder, URL(fileURLWithPath: summary.data), URL(fileURLWithPath: summary.truth))
}

/// A refiner of a new run in `folder`.
func startRefiner(_ folder: URL, data: URL, settings: RefineSettings) throws -> Refiner {
    try Refiner(run: try RefinementRun.create(in: folder, data: data, settings: settings))
}

/// The refiner of the run in `folder`, to continue it.
func resumeRefiner(_ folder: URL) throws -> Refiner {
    try Refiner(run: try RefinementRun.open(folder, access: .readWrite))
}

func tinySettings(truth: URL?) -> RefineSettings {
    var settings = RefineSettings()
    settings.iterations = 2
    var training = TrainingConfig()
    (training.epochs, training.imageSize, training.batchSize, training.workers) = (1, 64, 4, 1)
    (training.warmupEpochs, training.closeMosaic) = (0, 0)
    settings.training = training
    // an untrained model is never confident: take what it finds so labels are generated
    (settings.autolabel.confidence, settings.autolabel.imageSize, settings.autolabel.batchSize) = (0.0001, 64, 4)
    settings.truth = truth?.path
    settings.stopBelow = .labels(0)
    return settings
}

/// The bytes of every file under `folder`, by path.
func fingerprint(_ folder: URL) throws -> [String: Data] {
    var contents: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)!
    for case let url as URL in enumerator where !url.hasDirectoryPath {
        contents[url.path] = try Data(contentsOf: url)
    }
    return contents
}

@Suite(.serialized) struct `Refinement run` {
    @Test func `two iterations leave the input untouched and agree across ledger, summary and label files`() async throws {
        let (folder, data, truth) = try await tinyDataSet()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = try fingerprint(folder.appendingPathComponent("data"))
        let run = folder.appendingPathComponent("run")
        let refiner = try startRefiner(run, data: data, settings: tinySettings(truth: truth))
        let summary = try await refiner.refine()
        #expect(try fingerprint(folder.appendingPathComponent("data")) == before)
        #expect(summary.iterations.map(\.index) == [0, 1, 2])

        let ledger = try refiner.run.ledger.labels()
        for iteration in summary.iterations {
            // Table 1 counts = ledger counts = label lines on disk
            let dataset = try Dataset.load(refiner.run.dataYAML(iteration.index))
            for (split, counts) in [(Split.train, iteration.train), (.val, iteration.val)] {
                let lines = try dataset.entries(split).reduce(0) { $0 + $1.instances.count }
                #expect(lines == counts.labels, "iteration \(iteration.index) \(split)")
                #expect(ledger.filter { $0.image.split == split && $0.iteration <= iteration.index }.count == counts.labels)
                #expect(dataset.images(split).images.count == counts.images)
            }
            #expect(iteration.ownValidation != nil && iteration.fixedValidation != nil)
            #expect(iteration.quality != nil)
        }
        #expect(summary.iterations[1].train.added + summary.iterations[1].val.added > 0)
        // originals are kept byte for byte in every iteration's data set
        let original = try Dataset.load(data)
        for image in original.images(.train).images {
            let originalText = (try? String(contentsOf: image.labelURL, encoding: .utf8)) ?? ""
            let last = try Dataset.load(refiner.run.dataYAML(2))
            let copy = last.images(.train).images.first { $0.relativePath == image.relativePath }!
            let copied = (try? String(contentsOf: copy.labelURL, encoding: .utf8)) ?? ""
            #expect(copied.hasPrefix(originalText))
        }
        // every generated label came from the previous iteration's weights and has a confidence
        for row in ledger where row.iteration > 0 {
            #expect(row.score != nil && row.model == "iter\(row.iteration - 1)/train/weights/best.safetensors")
        }
        #expect(try refiner.run.figureSamples(count: 2).allSatisfy { $0.labels.count == 3 })
    }

    @Test func `a finished run refuses a new start and resumes to the same summary`() async throws {
        let (folder, data, _) = try await tinyDataSet(images: 8)
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        var settings = tinySettings(truth: nil)
        settings.iterations = 1
        let first = try await startRefiner(run, data: data, settings: settings).refine()
        #expect(throws: RefinementRun.Failure.alreadyARun(run.standardizedFileURL.path)) {
            try startRefiner(run, data: data, settings: settings)
        }
        let again = try await resumeRefiner(run).refine()
        #expect(again == first)
    }

    @Test func `the default protocol stops when an iteration adds fewer labels than asked`() async throws {
        let (folder, data, _) = try await tinyDataSet(images: 8)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: nil)
        settings.autolabel.confidence = 1  // nothing is that confident
        settings.stopBelow = .labels(1)
        let summary = try await startRefiner(folder.appendingPathComponent("run"), data: data, settings: settings).refine()
        #expect(summary.iterations.map(\.index) == [0])
        #expect(summary.stoppedBecause == "iteration 1 added 0 labels, fewer than --stop-below 1")
        #expect(summary.stoppingPass == StoppingPass(index: 1, added: 0, quality: nil))
    }

    @Test func `the labels of the pass that stops the run are measured against the truth with the earlier ones`() async throws {
        let (folder, data, truth) = try await tinyDataSet(images: 8)
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: truth)
        settings.stopBelow = .labels(100_000)
        let run = folder.appendingPathComponent("run")
        let summary = try await startRefiner(run, data: data, settings: settings).refine()
        #expect(summary.iterations.map(\.index) == [0])
        let stopping = try #require(summary.stoppingPass)
        let generated = try RefinementRun.open(run).ledger.labels().filter { $0.iteration == 1 }
        #expect(stopping.index == 1 && stopping.added == generated.count && stopping.added > 0)
        // iteration 0 generated nothing: the quality is the stopping pass's labels alone
        let quality = try #require(stopping.quality)
        #expect(quality.generated == generated.count && quality.unlabelledFaces > 0 && quality.correct <= quality.generated)
    }
}

@Suite struct `Stop threshold` {
    @Test func `a count or a percentage of the existing labels, written as the user types it`() {
        #expect(StopThreshold("30") == .labels(30))
        #expect(StopThreshold("2%") == .percent(2))
        #expect(StopThreshold("2.5%") == .percent(2.5))
        for bad in ["-1", "x", "150%", "%", "2 %", ""] { #expect(StopThreshold(bad) == nil, "\(bad)") }
        #expect(StopThreshold.percent(2).description == "2%" && StopThreshold.labels(30).description == "30")
    }

    @Test func `2% of 1467 labels is 29.34: a pass adding 27 stops the run, one adding 30 does not`() {
        let minimum = StopThreshold.percent(2).minimumLabels(existing: 1467)
        #expect(abs(minimum - 29.34) < 1e-9)
        #expect(27 < minimum && 30 > minimum)
        #expect(StopThreshold.labels(30).minimumLabels(existing: 1467) == 30)
    }
}
