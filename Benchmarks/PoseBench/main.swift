// Speed and parity of the model, printed as JSON lines beside the reference's (`Scripts/bench-pose.sh`):
//   train-speed   steady-state training images/s and peak RSS (the reference's `train-speed`)
//   infer-speed   network and whole-predict ms per image (the reference's `infer-speed`)
//   forward       largest difference between our decoded head outputs and the reference's `forward`
import ArgumentParser
import Foundation
import Pose
import PoseData
import Torch

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
    static let configuration = CommandConfiguration(subcommands: [TrainSpeed.self, InferSpeed.self, Forward.self])
}

struct Common: ParsableArguments {
    @Option var data: String
    @Option var scale = "n"
    @Option var threads = 2
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
        Torch.setThreadCount(common.threads)
        let dataset = try Dataset.load(URL(fileURLWithPath: common.data))
        let shape = dataset.config.keypointShape
        let modelConfig = PoseModelConfig(
            scale: ModelScale(rawValue: common.scale)!, classCount: 1, keypointCount: shape.count, keypointDimensions: shape.dimensions)
        var config = TrainingConfig()
        (config.epochs, config.imageSize, config.batchSize, config.workers) = (1, imgsz, batch, workers)
        let loader = BatchLoader(images: dataset.labelledImages(.train).images, imageSize: imgsz, batchSize: batch, seed: 0, workers: workers)
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
            "what": "train-speed", "impl": "facelabel", "imgsz": imgsz, "batch": batch, "threads": common.threads,
            "img_per_s": Double(batch) / perBatch, "s_per_batch": perBatch, "batches_measured": steady.count - 1,
            "peak_rss_mb": peakResidentMegabytes(),
        ])
    }
}

struct InferSpeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "infer-speed")
    @OptionGroup var common: Common
    @Option var imgsz = 640
    @Option(parsing: .upToNextOption) var batch: [Int] = [1, 16]
    @Option var seconds = 10.0

    func run() async throws {
        Torch.setThreadCount(common.threads)
        let dataset = try Dataset.load(URL(fileURLWithPath: common.data))
        let shape = dataset.config.keypointShape
        let model = PoseModel(
            PoseModelConfig(
                scale: ModelScale(rawValue: common.scale)!, classCount: 1, keypointCount: shape.count,
                keypointDimensions: shape.dimensions))
        model.foldBatchNorm()
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
                "what": "infer-speed", "impl": "facelabel", "imgsz": imgsz, "batch": size, "net_ms_per_img": network,
            ]
            if !files.isEmpty {
                let predictor = Predictor(model: model, imageSize: imgsz)
                let source = Array(Array(repeating: files, count: size / files.count + 1).joined().prefix(size))
                result["predict_ms_per_img"] = try timed { _ = try predictor.predict(source, batchSize: size) }
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
