// Speed and parity of the model, printed as JSON lines beside the reference's (`Scripts/bench-pose.sh`):
//   train-speed   steady-state training images/s and peak RSS (the reference's `train-speed`)
//   infer-speed   network and whole-predict ms per image (the reference's `infer-speed`)
//   forward       largest difference between our decoded head outputs and the reference's `forward`
//   step-profile  milliseconds per training step in each phase (forward, loss, backward, optimizer and EMA)
//   loader-speed  loader images/s with the training augmentation, and JPEG decode ms at full and reduced scale
//   measure-accuracy  periocular measurements of predictions against the truth labels' (MAE, p95, faces/s)
//   decode-speed  decode and resize of one photo to the network size: full decode with OpenCV's resize, and the DCT-scaled fast decode
//   predict-speed whole-predict images/s over a folder of photos, with and without the fast decode
//   label-quality one labelling pass with the chosen filters, its labels measured against the truth
import ArgumentParser
import AutoLabel
import Foundation
import Imaging
import Loader
import Pose
import PoseData
import PoseMetrics
import Synth
import Torch
import TorchNN

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

@main
struct PoseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(subcommands: [
        TrainSpeed.self, StepProfile.self, InferSpeed.self, Forward.self, LoaderSpeed.self, MeasureAccuracy.self, DecodeSpeed.self,
        PredictSpeed.self, LabelQualityBench.self,
    ])
}

struct Common: ParsableArguments {
    @Option var data: String
    @Option var scale = "n"
    @Option var threads = 2
    @Flag(inversion: .prefixedNo, help: "Mixed-precision training (bfloat16 where the CPU has it).") var amp = false

    /// Sets the thread count and loads the data set with the model layout it needs (one class).
    func setUp() throws -> (Dataset, PoseModelConfig) {
        Torch.setThreadCount(threads)
        let dataset = try Dataset.load(URL(fileURLWithPath: data))
        let shape = dataset.config.keypointShape
        guard let scale = ModelScale(scale) else { throw ValidationError("--scale must be n, s, m, l, x or depth,width,max_channels") }
        return (dataset, PoseModelConfig(scale: scale, classCount: 1, keypointCount: shape.count, keypointDimensions: shape.dimensions))
    }
}

struct TrainSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train-speed")
    @OptionGroup var common: Common
    @Option var imgsz = 320
    @Option var batch = 16
    @Option var workers = 2
    @Option var warmup = 3
    @Option var measure = 8

    final class Clock: TrainingObserver {
        var times: [Double] = []
        func batchFinished(epoch: Int, batch: Int, batches: Int, runningLoss: LossItems) {
            times.append(Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
        }
    }

    func run() async throws {
        let (dataset, modelConfig) = try common.setUp()
        var config = TrainingConfig()
        (config.epochs, config.imageSize, config.batchSize, config.workers, config.mixedPrecision) = (1, imgsz, batch, workers, common.amp)
        let loader = BatchLoader(
            images: dataset.labelledImages(.train).images, imageSize: imgsz, batchSize: batch, seed: 0, workers: workers)
        let trainer = Trainer(
            model: PoseModel(modelConfig), loss: PoseLoss(config: modelConfig), config: config, loader: loader,
            flipIndex: dataset.config.flipIndex)
        let clock = Clock()
        trainer.observers = [clock]
        try await trainer.train()
        let steady = Array(clock.times.dropFirst(warmup).prefix(measure + 1))
        guard steady.count >= 2 else { throw ValidationError("too few batches: use a larger data set") }
        let perBatch = (steady.last! - steady.first!) / Double(steady.count - 1)
        emit([
            "what": "train-speed", "impl": "facelabel", "imgsz": imgsz, "batch": batch, "threads": common.threads, "amp": common.amp,
            "autocast": trainer.autocastType?.description ?? "none",
            "img_per_s": Double(batch) / perBatch, "s_per_batch": perBatch, "batches_measured": steady.count - 1,
            "peak_rss_mb": peakResidentMegabytes(),
        ])
    }
}

struct StepProfile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step-profile", abstract: "Time each phase of a training step on one augmented batch, repeated.")
    @OptionGroup var common: Common
    @Option var imgsz = 320
    @Option var batch = 16
    @Option var steps = 12

    func run() async throws {
        let (dataset, modelConfig) = try common.setUp()
        var config = TrainingConfig()
        (config.imageSize, config.batchSize, config.mixedPrecision) = (imgsz, batch, common.amp)
        let loader = BatchLoader(images: dataset.labelledImages(.train).images, imageSize: imgsz, batchSize: batch, seed: 0, workers: 2)
        let (model, loss) = (PoseModel(modelConfig), PoseLoss(config: modelConfig))
        let trainer = Trainer(model: model, loss: loss, config: config, loader: loader, flipIndex: dataset.config.flipIndex)
        let augmenter = Augmenter(settings: config.augmentation, imageSize: imgsz, flipIndex: dataset.config.flipIndex)
        guard let batch = await loader.trainingBatches(epoch: 0, augmenter: augmenter).next() else { throw ValidationError("no batch") }
        let (images, targets) = (batch.imageTensor(), batch.targets(keypointDimensions: modelConfig.keypointDimensions))
        var totals = [Double](repeating: 0, count: 4)
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
        for step in 0..<(steps + 2) {
            let t0 = now()
            let raw = trainer.forward(images)
            let t1 = now()
            let (total, _) = loss(raw, targets: targets, imageSize: (batch.height, batch.width), model: model)
            let t2 = now()
            total.backward()
            let t3 = now()
            clipGradientNorm(model.store.trainableParameters, maxNorm: 10)
            trainer.optimizer.step()
            trainer.optimizer.zeroGrad()
            trainer.ema.update()
            let t4 = now()
            guard step >= 2 else { continue }
            for (k, value) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].enumerated() { totals[k] += value }
        }
        let ms = totals.map { $0 / Double(steps) }
        emit([
            "what": "step-profile", "impl": "facelabel", "imgsz": imgsz, "batch": self.batch, "threads": common.threads,
            "autocast": trainer.autocastType?.description ?? "none",
            "forward_ms": ms[0], "loss_ms": ms[1], "backward_ms": ms[2], "optimizer_ema_ms": ms[3], "step_ms": ms.reduce(0, +),
        ])
    }
}

struct InferSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "infer-speed")
    @OptionGroup var common: Common
    @Option var imgsz = 640
    @Option(parsing: .upToNextOption) var batch: [Int] = [1, 16]
    @Option var seconds = 10.0
    @Flag(help: "bfloat16 inference (facelabel's --half).") var half = false

    func run() async throws {
        let (dataset, modelConfig) = try common.setUp()
        let model = PoseModel(modelConfig)
        if let fallback = model.prepareForInference(half: half) {
            FileHandle.standardError.write(Data("warning: --half: \(fallback)\n".utf8))
        }
        let files = (dataset.images(.train).images + dataset.images(.val).images).map(\.url)
        for size in batch {
            let input = Tensor.rand([size, 3, imgsz, imgsz], generator: Generator(seed: 0))
            func timed(_ body: () throws -> Void) rethrows -> Double {
                for _ in 0..<2 { try body() }
                var repeats = 0
                let start = Date()
                while Date().timeIntervalSince(start) < seconds {
                    try body()
                    repeats += 1
                }
                return Date().timeIntervalSince(start) / Double(repeats) / Double(size) * 1000
            }
            let network = withNoGrad { timed { _ = model.decode(model(input, mode: .eval)) } }
            var result: [String: Any] = [
                "what": "infer-speed", "impl": "facelabel", "imgsz": imgsz, "batch": size, "net_ms_per_img": network, "half": half,
                "precision": model.evaluationType.description,
            ]
            if !files.isEmpty {
                let predictor = Predictor(model: model, imageSize: imgsz)
                let source = Array(Array(repeating: files, count: size / files.count + 1).joined().prefix(size))
                result["predict_ms_per_img"] = try timed { _ = try predictor.predict(source, batchSize: size) }
                // the part of whole predict before the network: JPEG decode and letterbox
                result["decode_letterbox_ms_per_img"] = try timed {
                    for url in source { _ = try ImageCodec.decode(contentsOf: url).letterboxed(width: imgsz, height: imgsz) }
                }
            }
            result["peak_rss_mb"] = peakResidentMegabytes()
            emit(result)
        }
    }
}

struct Forward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare decoded head outputs with the reference's `forward` file.")
    @Option var weights: String
    @Option var reference: String

    func run() async throws {
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        let file = try Safetensors.read(from: URL(fileURLWithPath: reference))
        guard let input = file["input"], let expected = file["output"] else { throw ValidationError("\(reference) needs input and output") }
        let output = withNoGrad { model.decode(model(input.to(.float32), mode: .eval)) }
        let difference = (output - expected.to(.float32)).abs()
        let boxes = difference.narrow(dim: 1, start: 0, length: 4)
        let rest = difference.narrow(dim: 1, start: 4, length: difference.size(1) - 4)
        emit([
            "what": "forward", "shape": output.shape, "max_abs_diff": difference.max().item(),
            "max_abs_diff_boxes_px": boxes.max().item(), "max_abs_diff_scores_keypoints": rest.max().item(),
            "max_rel_diff": (difference / (expected.abs() + 1)).max().item(),
        ])
    }
}

struct LoaderSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loader-speed",
        abstract: "Loader throughput (mosaic + affine + HSV + flip) and JPEG decode time, on JPEGs it writes (default 1280×960).")
    @Option var imgsz = 640
    @Option var batch = 16
    @Option var workers = 2
    @Option var images = 48
    @Option var width = 1280
    @Option var height = 960

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loader-speed-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = SynthDataset.Options(imageSize: max(width, height), seed: 0)
        var labelled: [LabelledImage] = []
        for index in 0..<images {
            let sample = try SynthDataset.sample(index, options: options)
            let image = sample.image.resized(width: width, height: height)
            let url = folder.appendingPathComponent("\(index).jpg")
            try ImageCodec.encodeJPEG(image, quality: 90).write(to: url)
            labelled.append(LabelledImage(url: url, instances: sample.truth))
        }
        func milliseconds(_ body: () throws -> Void) rethrows -> Double {
            let start = Date()
            for _ in 0..<10 { try body() }
            return Date().timeIntervalSince(start) / 10 * 1000
        }
        let full = try milliseconds { _ = try ImageCodec.decode(contentsOf: labelled[0].url) }
        var reducedOptions = ImageDecodeOptions()
        reducedOptions.minimumLongSide = imgsz
        let reduced = try milliseconds { _ = try ImageCodec.decode(contentsOf: labelled[0].url, options: reducedOptions) }

        let loader = BatchLoader(images: labelled, imageSize: imgsz, batchSize: batch, seed: 0, workers: workers)
        let augmenter = Augmenter(settings: AugmentationSettings(), imageSize: imgsz, flipIndex: FaceLandmarks.flipIndex)
        let start = Date()
        var produced = 0
        for epoch in 0..<2 {
            let queue = loader.trainingBatches(epoch: epoch, augmenter: augmenter)
            while let next = await queue.next() { produced += next.count }
        }
        let seconds = Date().timeIntervalSince(start)
        emit([
            "what": "loader-speed", "imgsz": imgsz, "source": "\(width)x\(height) JPEG", "workers": workers,
            "img_per_s": Double(produced) / seconds, "decode_full_ms": full, "decode_reduced_ms": reduced,
        ])
    }
}

/// The median of `repeats` timings of `body`, in milliseconds.
func medianMilliseconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[times.count / 2]
}

struct DecodeSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-speed",
        abstract: "Decode one photo and resize it so its long side is --imgsz (load_image's rule), exactly and fast.")
    @Option var image: String
    @Option var imgsz = 640
    @Option var repeats = 7

    func run() throws {
        let url = URL(fileURLWithPath: image)
        func fitted(_ image: RGBImage) -> RGBImage {
            let gain = Double(imgsz) / Double(max(image.width, image.height))
            return image.resized(
                width: min(Int((Double(image.width) * gain).rounded(.up)), imgsz),
                height: min(Int((Double(image.height) * gain).rounded(.up)), imgsz))
        }
        let full = try ImageCodec.decode(contentsOf: url)
        let decode = try medianMilliseconds(repeats) { _ = try ImageCodec.decode(contentsOf: url) }
        let resize = medianMilliseconds(repeats) { _ = fitted(full) }
        let fast = try medianMilliseconds(repeats) { _ = fitted(try ImageCodec.decode(contentsOf: url, forLongSide: imgsz).image) }
        emit([
            "what": "decode-speed", "impl": "facelabel", "image": "\(full.width)x\(full.height)", "imgsz": imgsz,
            "decode_ms": decode, "resize_ms": resize, "exact_ms": decode + resize, "fast_ms": fast,
        ])
    }
}

struct PredictSpeed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict-speed", abstract: "Whole predict (decode, letterbox, network, NMS) over the photos of a folder, batch 1.")
    @Option var source: String
    @Option var weights: String
    @Option var imgsz = 640
    @Option var threads = 2
    @Flag(inversion: .prefixedNo) var fastDecode = true

    func run() throws {
        Torch.setThreadCount(threads)
        let files = Dataset.imageFiles(under: URL(fileURLWithPath: source))
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        model.foldBatchNorm()
        let predictor = Predictor(model: model, imageSize: imgsz, fastDecode: fastDecode)
        _ = try predictor.predict([files[0]])  // warm-up
        let start = Date()
        var faces = 0
        for file in files { faces += try predictor.predict([file])[0].detections.count }
        let seconds = Date().timeIntervalSince(start)
        emit([
            "what": "predict-speed", "impl": "facelabel", "fast_decode": fastDecode, "images": files.count, "imgsz": imgsz,
            "img_per_s": Double(files.count) / seconds, "detections": faces, "peak_rss_mb": peakResidentMegabytes(),
        ])
    }
}

struct LabelQualityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label-quality",
        abstract:
            """
            One labelling pass with the chosen filters: precision, recall and NME of the labels against the truth, by face size, and \
            the seconds.
            """
    )
    @Option var data: String
    @Option var truth: String
    @Option var weights: String
    @Option var imgsz = 320
    @Option var conf: Float = 0.7
    @Option var maxDisagreement: Double?
    @Option var confSingle: Float = 0.9
    @Flag(inversion: .prefixedNo) var fuseViews = true
    @Option var shapeCheck = "off"
    @Flag(inversion: .prefixedNo) var closerLook = true
    @Flag(inversion: .prefixedNo) var overlapCheck = true
    @Option var calibrated: String?
    @Option var threads = 2
    @Option var name = ""

    func run() throws {
        Torch.setThreadCount(threads)
        let dataset = try Dataset.load(URL(fileURLWithPath: data))
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        var settings = AutolabelSettings(
            confidence: conf, imageSize: imgsz, maxDisagreement: maxDisagreement, singleViewConfidence: confSingle, fusesViews: fuseViews,
            shapeCheck: ShapeCheck(rawValue: shapeCheck) ?? .off, closerLook: closerLook, checksOverlap: overlapCheck)
        if let calibrated {
            let file = try JSONDecoder().decode(Calibration.File.self, from: Data(contentsOf: URL(fileURLWithPath: calibrated)))
            settings.confidence = file.conf
            settings.maxDisagreement = file.maxDisagreement
            settings.singleViewConfidence = file.confSingle
        }
        let started = Date()
        let pass = try Autolabeler(settings: settings).label(dataset, model: model)
        let seconds = Date().timeIntervalSince(started)
        let measure = try LabelQualityMeasure(truthData: URL(fileURLWithPath: truth))
        var images: [LabelQualityMeasure.Image] = []
        var bySize: [String: [LabelQualityMeasure.Image]] = [:]
        let generated = Dictionary(grouping: pass.generated, by: \.image)
        for (split, entries) in pass.existing {
            for (image, existing) in entries {
                let info = try ImageCodec.info(contentsOf: image.url)
                let key = ImageKey(split, image.relativePath)
                let labels = generated[key] ?? []
                images.append(
                    LabelQualityMeasure.Image(
                        key: key, width: info.width, height: info.height, originals: existing.labels,
                        generated: labels.map { ($0.instance, Double($0.confidence)) }))
                // face size buckets by the generated box's longer side in pixels
                for label in labels {
                    let side = max(label.instance.box.width * Double(info.width), label.instance.box.height * Double(info.height))
                    let bucket = side < 48 ? "small (<48 px)" : side < 96 ? "medium (48-96 px)" : "large (>=96 px)"
                    bySize[bucket, default: []].append(
                        LabelQualityMeasure.Image(
                            key: key, width: info.width, height: info.height, originals: existing.labels,
                            generated: [(label.instance, Double(label.confidence))]))
                }
            }
        }
        let quality = measure.measure(images)
        var dropped: [String: Int] = [:]
        for label in pass.dropped { dropped[label.measures.decision.rawValue, default: 0] += 1 }
        var sizes: [String: Any] = [:]
        for (bucket, items) in bySize {
            let q = measure.measure(items)
            sizes[bucket] = ["labels": q.generated, "nme": q.nme as Any]
        }
        emit([
            "what": "label-quality", "name": name, "conf": settings.confidence, "max_disagreement": settings.maxDisagreement as Any,
            "shape_check": settings.shapeCheck.rawValue, "closer_look": closerLook, "fuse_views": fuseViews, "overlap_check": overlapCheck,
            "generated": quality.generated,
            "correct": quality.correct, "unlabelled_faces": quality.unlabelledFaces, "precision": quality.precision as Any,
            "recall": quality.recall as Any,
            "nme": quality.nme as Any, "seconds": seconds, "dropped": dropped, "nme_by_size": sizes,
            "flagged": pass.generated.filter { $0.measures.decision == .flagged }.count,
        ])
    }
}
