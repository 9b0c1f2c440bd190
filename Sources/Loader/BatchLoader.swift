import Foundation
import Imaging
import PoseData
import Synchronization

/// An image of a split with its labels, ready for the loader.
public struct LabelledImage: Sendable, Hashable {
    public var url: URL
    /// Normalised labels (empty for an image without objects).
    public var instances: [PoseInstance]

    public init(url: URL, instances: [PoseInstance]) {
        self.url = url
        self.instances = instances
    }
}

extension Dataset {
    /// The images of `split` with their labels read leniently: bad label lines are left out and
    /// returned as problems, which the caller reports.
    public func labelledImages(_ split: Split) -> (images: [LabelledImage], problems: [DataProblem]) {
        let (images, listProblems) = self.images(split)
        var problems = listProblems
        let labelled = images.map { image -> LabelledImage in
            do {
                let parsed = try LabelFile.parse(
                    contentsOf: image.labelURL, keypointShape: config.keypointShape, classCount: config.names.count)
                problems += parsed?.problems ?? []
                return LabelledImage(url: image.url, instances: parsed?.instances ?? [])
            } catch {
                // too large or unreadable: the image counts as unlabelled
                problems += (error as? DataProblems)?.problems ?? [DataProblem(file: image.labelURL.path, reason: .io("\(error)"))]
                return LabelledImage(url: image.url, instances: [])
            }
        }
        return (labelled, problems)
    }
}

/// A batch of equally sized images in the network's layout, with their labels.
public struct Batch: Sendable {
    /// Images `[B, height, width, 3]` as interleaved RGB bytes, each image's own layout.
    public var pixels: [UInt8]
    public var width: Int
    public var height: Int
    /// Normalised labels of each image, relative to the batch's image size.
    public var instances: [[PoseInstance]]
    public var files: [URL]
    /// Width and height of each original image.
    public var originalSizes: [(width: Int, height: Int)]
    /// How each original image was placed in the batch: scaled by `gain`, then padded.
    public var placements: [LetterboxPlacement]

    public var count: Int { files.count }
}

/// Produces training and validation batches from decoded, augmented images on parallel workers.
///
/// Every random draw of sample `i` in epoch `e` comes from a generator seeded by (seed, e, i), and
/// batches are delivered in order, so the batches of a seed are the same whatever the thread
/// timing. Mosaic partners are drawn from the whole split with that generator (the reference
/// draws them from a buffer of recently loaded images, which measured worse: docs/training.md,
/// "The loader"). Decoded images are kept, as many as the reference's buffer holds, so most
/// partners are not decoded again.
public final class BatchLoader: Sendable {
    public let images: [LabelledImage]
    public let imageSize: Int
    public let batchSize: Int
    public let seed: UInt64
    public let workers: Int
    /// Decode JPEGs at a reduced DCT scale no smaller than `imageSize` (``ImageCodec/decode(contentsOf:forLongSide:)``).
    public let fastDecode: Bool
    let cache: FittedImageCache
    private let failures = Mutex<[URL: String]>([:])

    /// - Parameters:
    ///   - cacheImages: keep every decoded, resized image in memory after its first use (otherwise
    ///     as many as the reference's mosaic buffer holds, the least recently used leaving first).
    ///     Either way an image is kept resized to `imageSize`, never at its full size.
    ///   - fastDecode: decode large JPEGs at a reduced DCT scale (faster; the pixels then differ a
    ///     little from the reference's full-size decode and resize).
    public init(
        images: [LabelledImage], imageSize: Int, batchSize: Int, seed: UInt64, workers: Int = 2, cacheImages: Bool = false,
        fastDecode: Bool = false
    ) {
        precondition(batchSize >= 1 && workers >= 1, "batch size and workers must be at least 1")
        self.images = images
        self.imageSize = imageSize
        self.batchSize = batchSize
        self.seed = seed
        self.workers = workers
        self.fastDecode = fastDecode
        // the reference's buffer length, min(images, 8 · batch, 1000), and the batches in flight
        cache = FittedImageCache(capacity: cacheImages ? nil : min(images.count, 8 * batchSize, 1000) + (workers + 1) * batchSize)
    }

    /// Images that could not be decoded so far, with the reason; they are skipped.
    public var unreadableImages: [URL: String] { failures.withLock { $0 } }

    public var batchesPerEpoch: Int { (images.count + batchSize - 1) / batchSize }

    /// A decoded image resized so its long side is `imageSize`, and its original size.
    struct Fitted: Sendable {
        var sample: AugmentedSample
        var originalWidth: Int
        var originalHeight: Int
    }

    /// Image `index` decoded and fitted, or nil (recorded) when it cannot be read. Training passes
    /// a `rank`, the position over all epochs of the sample that uses the image, which decides how
    /// long the bounded cache keeps it.
    func fitted(_ index: Int, rank: Int? = nil) -> Fitted? {
        if let cached = cache.lookup(index, rank: rank) { return cached }
        let item = images[index]
        let decoded: ScaledImage
        do {
            decoded = try ImageCodec.decode(contentsOf: item.url, forLongSide: fastDecode ? imageSize : nil)
        } catch {
            failures.withLock { $0[item.url] = error.description }
            return nil
        }
        let image = decoded.image
        let sample = Augmenter.fitted(
            AugmentedSample(
                image: image, instances: item.instances.map { PixelInstance($0, width: image.width, height: image.height) }),
            longSide: imageSize)
        let fitted = Fitted(sample: sample, originalWidth: decoded.width, originalHeight: decoded.height)
        cache.keep(fitted, of: index, rank: rank)
        return fitted
    }

    /// The order of the training images in `epoch`: a permutation seeded by (seed, epoch).
    public func order(epoch: Int) -> [Int] {
        var random = SeededRandom(seed: seed, stream: UInt64(epoch) << 32)
        var order = Array(images.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.int(0...i)) }
        return order
    }

    /// The training batches of `epoch`, augmented by `augmenter`, in order; with several ranks,
    /// rank `rank`'s slice of each.
    ///
    /// Data-parallel training splits every batch of the one-process run into `ranks` equal slices
    /// and rank r takes slice r, so the ranks together see exactly the one-process batches (each
    /// image's augmentation depends only on the seed, the epoch and the image). As PyTorch's
    /// `DistributedSampler` does, the epoch's order is first padded to a multiple of `ranks` by
    /// repeating its start, so that every slice of the last batch has as many images.
    public func trainingBatches(epoch: Int, augmenter: Augmenter, rank: Int = 0, of ranks: Int = 1) -> BatchQueue {
        precondition(ranks >= 1 && (0..<ranks).contains(rank) && batchSize % ranks == 0, "the batch must split evenly over the ranks")
        let order = self.order(epoch: epoch)
        var positions = [Int](repeating: 0, count: order.count)
        for (position, index) in order.enumerated() { positions[index] = position }
        let padded = order.isEmpty ? [] : (0..<(order.count + ranks - 1) / ranks * ranks).map { order[$0 % order.count] }
        let groups = stride(from: 0, to: padded.count, by: batchSize).map { start in
            let batch = padded[start..<min(start + batchSize, padded.count)]
            let slice = batch.count / ranks
            return Array(batch.dropFirst(rank * slice).prefix(slice))
        }
        return stream(groups) { [self, positions] index in
            let stream = (UInt64(epoch) << 32) | UInt64(index + 1)
            var random = SeededRandom(seed: seed, stream: stream)
            var partnerRandom = SeededRandom(seed: ~seed, stream: stream)
            let partners = (0..<3).map { _ in partnerRandom.int(0...(images.count - 1)) }
            let rank = epoch * order.count + positions[index]
            guard let item = fitted(index, rank: rank) else { return nil }
            let result = augmenter(
                item.sample,
                partners: {
                    partners.compactMap { self.fitted($0, rank: rank)?.sample }.padded(to: 3, with: item.sample)
                }, random: &random)
            let size = (item.originalWidth, item.originalHeight)
            return (result, LetterboxPlacement(gain: 1, padX: 0, padY: 0, left: 0, top: 0), size)
        }
    }

    /// Validation batches (reference §6.1): images sorted by aspect ratio, each batch letterboxed
    /// (never scaled up) to the smallest multiple of 32 that holds its images, plus half a stride;
    /// with several ranks, rank `rank`'s share: batches rank, rank + ranks, rank + 2 ranks, ….
    public func validationBatches(rank: Int = 0, of ranks: Int = 1) -> BatchQueue {
        precondition(ranks >= 1 && (0..<ranks).contains(rank), "rank \(rank) of \(ranks)")
        let plan = ValidationPlan(images: images, imageSize: imageSize, batchSize: batchSize, aspectRatio: aspectRatio)
        let groups = plan.groups.enumerated().filter { $0.offset % ranks == rank }.map(\.element)
        return stream(groups) { [self] index in
            guard let item = fitted(index) else { return nil }
            let shape = plan.shape(ofImage: index)
            let sample = item.sample
            var (image, placement) = sample.image.letterboxed(width: shape.width, height: shape.height, scaleUp: false)
            let instances = sample.instances.map { $0.scaled(placement.gain, dx: placement.padX, dy: placement.padY) }
            // original pixels → batch pixels: the fit to imageSize, then the letterbox
            placement.gain *= Double(sample.image.width) / Double(item.originalWidth)
            return (AugmentedSample(image: image, instances: instances), placement, (item.originalWidth, item.originalHeight))
        }
    }

    /// Height / width of image `index` without decoding all of it.
    private func aspectRatio(_ index: Int) -> Double {
        guard let info = try? ImageCodec.info(contentsOf: images[index].url) else { return 1 }
        return Double(info.height) / Double(max(info.width, 1))  // as displayed
    }

    /// The batches of `groups`, built on up to `workers` tasks at a time, at most `workers`
    /// batches ahead of the consumer.
    private func stream(_ groups: [[Int]], makeSample: @escaping @Sendable (Int) -> Made?) -> BatchQueue {
        BatchQueue(count: groups.count, prefetch: workers) { [self] position in collate(groups[position], makeSample) }
    }

    /// One sample as it enters a batch: the image and labels, how the original was placed, and
    /// the original's width and height.
    typealias Made = (sample: AugmentedSample, placement: LetterboxPlacement, original: (Int, Int))

    private func collate(_ indices: [Int], _ makeSample: (Int) -> Made?) -> Batch {
        let samples = indices.compactMap { index in makeSample(index).map { (index, $0) } }
        let width = samples.first?.1.sample.image.width ?? imageSize
        let height = samples.first?.1.sample.image.height ?? imageSize
        return Batch(
            pixels: RGBImage.concatenatedPixels(samples.map(\.1.sample.image)), width: width, height: height,
            instances: samples.map { $0.1.sample.normalisedInstances },
            files: samples.map { images[$0.0].url }, originalSizes: samples.map { $0.1.original },
            placements: samples.map { $0.1.placement })
    }
}

/// Batches delivered in order, each built by a task started when it comes within `prefetch` of
/// the consumer: the loader never runs further ahead than that.
public final class BatchQueue {
    private let count: Int
    private let prefetch: Int
    private let make: @Sendable (Int) -> Batch
    private var tasks: [Int: Task<Batch, Never>] = [:]
    private var position = 0

    init(count: Int, prefetch: Int, make: @escaping @Sendable (Int) -> Batch) {
        self.count = count
        self.prefetch = max(prefetch, 1)
        self.make = make
    }

    public var batchCount: Int { count }

    /// The next batch, or nil after the last.
    public func next() async -> Batch? {
        guard position < count else { return nil }
        for ahead in position..<min(position + prefetch + 1, count) where tasks[ahead] == nil {
            let make = self.make
            tasks[ahead] = Task.detached { make(ahead) }
        }
        let batch = await tasks.removeValue(forKey: position)!.value
        position += 1
        return batch
    }

    deinit { for task in tasks.values { task.cancel() } }
}

/// Decoded, fitted images kept for reuse: all of them (no capacity), or those with a rank, at most
/// `capacity`, the lowest rank leaving first. The training loader ranks an image by the latest
/// sample that used it, so the least recently used goes.
final class FittedImageCache: Sendable {
    let capacity: Int?
    private let entries = Mutex<[Int: (rank: Int, fitted: BatchLoader.Fitted)]>([:])

    init(capacity: Int?) { self.capacity = capacity }

    var count: Int { entries.withLock { $0.count } }

    /// The kept image `index`, its rank raised to `rank` when that is later.
    func lookup(_ index: Int, rank: Int?) -> BatchLoader.Fitted? {
        entries.withLock { entries in
            guard let entry = entries[index] else { return nil }
            if let rank, rank > entry.rank { entries[index]!.rank = rank }
            return entry.fitted
        }
    }

    func keep(_ fitted: BatchLoader.Fitted, of index: Int, rank: Int?) {
        guard let capacity else { return entries.withLock { $0[index] = (rank ?? 0, fitted) } }
        guard let rank, capacity > 0 else { return }
        entries.withLock { entries in
            entries[index] = (max(rank, entries[index]?.rank ?? rank), fitted)
            if entries.count > capacity, let lowest = entries.min(by: { $0.value.rank < $1.value.rank })?.key {
                entries[lowest] = nil
            }
        }
    }
}

/// The rectangular batches of validation (reference §6.1).
struct ValidationPlan {
    let groups: [[Int]]
    private let shapes: [Int: (width: Int, height: Int)]

    init(images: [LabelledImage], imageSize: Int, batchSize: Int, aspectRatio: (Int) -> Double) {
        let ratios = images.indices.map(aspectRatio)
        let order = images.indices.sorted { (ratios[$0], $0) < (ratios[$1], $1) }
        var groups: [[Int]] = []
        var shapes: [Int: (width: Int, height: Int)] = [:]
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let group = Array(order[start..<min(start + batchSize, order.count)])
            let groupRatios = group.map { ratios[$0] }
            let (minimum, maximum) = (groupRatios.min()!, groupRatios.max()!)
            // [h, w] relative to imgsz: [max_ar, 1] if all ar < 1, [1, 1/min_ar] if all ar > 1, else [1, 1]
            let relative: (h: Double, w: Double) = maximum < 1 ? (maximum, 1) : minimum > 1 ? (1, 1 / minimum) : (1, 1)
            func side(_ fraction: Double) -> Int { Int((fraction * Double(imageSize) / 32 + 0.5).rounded(.up)) * 32 }
            for index in group { shapes[index] = (side(relative.w), side(relative.h)) }
            groups.append(group)
        }
        self.groups = groups
        self.shapes = shapes
    }

    func shape(ofImage index: Int) -> (width: Int, height: Int) { shapes[index]! }
}

extension Array {
    /// The array with `element` appended until it has `count` elements.
    func padded(to count: Int, with element: Element) -> [Element] {
        self + Array(repeating: element, count: Swift.max(0, count - self.count))
    }
}
