import Foundation
import Testing

@testable import Imaging
@testable import Loader
@testable import PoseData

/// Writes `count` JPEGs of the given sizes with one labelled object each into a temporary folder.
func loaderImages(_ sizes: [(Int, Int)]) throws -> (folder: URL, images: [LabelledImage]) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loader-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let images = try sizes.enumerated().map { index, size -> LabelledImage in
        let url = folder.appendingPathComponent("\(index).jpg")
        try ImageCodec.write(dottedImage(width: size.0, height: size.1, dots: [(size.0 / 2, size.1 / 2)]), to: url)
        let object = PoseInstance(
            box: BoundingBox(centerX: 0.5, centerY: 0.5, width: 0.5, height: 0.5), keypoints: [Keypoint(x: 0.5, y: 0.5)])
        return LabelledImage(url: url, instances: [object])
    }
    return (folder, images)
}

func collect(_ queue: BatchQueue) async -> [Batch] {
    var batches: [Batch] = []
    while let batch = await queue.next() { batches.append(batch) }
    return batches
}

@Suite struct `Batch loader` {
    @Test func `training batches are the same for a seed whatever the worker count`() async throws {
        let (folder, images) = try loaderImages(Array(repeating: (80, 60), count: 7))
        defer { try? FileManager.default.removeItem(at: folder) }
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: 64, flipIndex: [0])
        let one = await collect(
            BatchLoader(images: images, imageSize: 64, batchSize: 3, seed: 5, workers: 1).trainingBatches(epoch: 2, augmenter: augmenter))
        let two = await collect(
            BatchLoader(images: images, imageSize: 64, batchSize: 3, seed: 5, workers: 2, cacheImages: true).trainingBatches(
                epoch: 2, augmenter: augmenter))
        #expect(one.map(\.count) == [3, 3, 1])
        #expect(one.map(\.pixels) == two.map(\.pixels) && one.map(\.instances) == two.map(\.instances))
        #expect(one[0].width == 64 && one[0].height == 64 && one[0].pixels.count == 3 * 3 * 64 * 64)
        let otherEpoch = await collect(
            BatchLoader(images: images, imageSize: 64, batchSize: 3, seed: 5).trainingBatches(epoch: 3, augmenter: augmenter))
        #expect(otherEpoch.map(\.pixels) != one.map(\.pixels))
    }

    @Test func `the bounded image cache evicts the lowest rank and changes no batch`() async throws {
        let cache = FittedImageCache(capacity: 2)
        let image = BatchLoader.Fitted(
            sample: AugmentedSample(image: RGBImage(width: 1, height: 1), instances: []), originalWidth: 1, originalHeight: 1)
        cache.keep(image, of: 0, rank: 5)
        cache.keep(image, of: 1, rank: 3)
        cache.keep(image, of: 9, rank: nil)  // validation: not kept
        #expect(cache.lookup(1, rank: 6) != nil)  // now ranked 6, above image 0
        cache.keep(image, of: 2, rank: 7)
        #expect(
            cache.lookup(0, rank: nil) == nil && cache.lookup(1, rank: nil) != nil && cache.lookup(9, rank: nil) == nil && cache.count == 2)

        let (folder, images) = try loaderImages(Array(repeating: (48, 40), count: 20))
        defer { try? FileManager.default.removeItem(at: folder) }
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: 32, flipIndex: [0])
        let bounded = BatchLoader(images: images, imageSize: 32, batchSize: 1, seed: 4, workers: 1)
        let everything = BatchLoader(images: images, imageSize: 32, batchSize: 1, seed: 4, workers: 1, cacheImages: true)
        for epoch in 0..<2 {
            let a = await collect(bounded.trainingBatches(epoch: epoch, augmenter: augmenter))
            let b = await collect(everything.trainingBatches(epoch: epoch, augmenter: augmenter))
            #expect(a.map(\.pixels) == b.map(\.pixels) && a.map(\.instances) == b.map(\.instances))
        }
        #expect(bounded.cache.count == 10 && everything.cache.count == 20)  // 8 · batch + 2 batches in flight
    }

    @Test func `validation batches are rectangles sorted by aspect ratio, padded half a stride`() async throws {
        // aspect ratios h/w: 0.75, 0.5, 1.0
        let (folder, images) = try loaderImages([(80, 60), (128, 64), (50, 50)])
        defer { try? FileManager.default.removeItem(at: folder) }
        let batches = await collect(BatchLoader(images: images, imageSize: 64, batchSize: 2, seed: 0).validationBatches())
        // batch 1: ratios 0.5 and 0.75 → [0.75, 1] · 64 / 32 + 0.5 → ceil → (2, 3) · 32 = 64 × 96 (h × w)
        #expect(batches.map(\.count) == [2, 1])
        #expect(batches[0].files.map(\.lastPathComponent) == ["1.jpg", "0.jpg"])
        #expect(batches[0].width == 96 && batches[0].height == 64)
        #expect(batches[1].width == 96 && batches[1].height == 96)
        // 128 × 64 fitted to 64 × 32, not scaled up, centred in 96 × 64: gain 0.5 from the original
        let placement = batches[0].placements[0]
        #expect(placement.gain == 0.5 && placement.left == 16 && placement.top == 16)
        #expect(batches[0].originalSizes[0] == (128, 64))
        let label = batches[0].instances[0][0]
        #expect(Swift.abs(label.box.centerX - 0.5) < 1e-9 && Swift.abs(label.box.width - 32.0 / 96) < 1e-9)
    }

    @Test func `an unreadable image is skipped and counted, never a crash`() async throws {
        var (folder, images) = try loaderImages([(40, 40), (40, 40)])
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("broken.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2]).write(to: broken)
        images.append(LabelledImage(url: broken, instances: []))
        let loader = BatchLoader(images: images, imageSize: 32, batchSize: 4, seed: 0)
        let batches = await collect(loader.validationBatches())
        #expect(batches.map(\.count) == [2])
        #expect(loader.unreadableImages.keys.map(\.lastPathComponent) == ["broken.jpg"])
    }
}
