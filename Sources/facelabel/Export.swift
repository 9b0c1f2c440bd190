import ArgumentParser
import Foundation
import Interchange
import Pose
import PoseData

/// `facelabel export coco|labelstudio|cvat|weights|onnx`: labels in other formats, weights in another
/// precision, or a model for deployment.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export labels to another annotation format or labelling tool, weights to float16, or a model to ONNX.",
        subcommands: [
            ExportCOCOCommand.self, ExportLabelStudioCommand.self, ExportCVATCommand.self, ExportWeightsCommand.self,
            ExportONNXCommand.self,
        ])
}

/// `facelabel export onnx --weights W [--imgsz 640 | --imgsz H W] [--batch 1 | --dynamic] [--half] [--opset 17]`.
struct ExportONNXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onnx",
        abstract: "Write the model as an ONNX file in the reference's output layout, for deployment.",
        discussion: """
            Input 'images' [B, 3, H, W]: RGB in 0-1, float32. Output 'output0' [B, 4 + nc + K*D, anchors]: \
            box centre x, y, width, height in input pixels, class scores after the sigmoid, then each \
            keypoint's x, y in input pixels (and visibility after the sigmoid); no NMS. BatchNorm is \
            folded into the convolutions. The metadata names the classes, kpt_shape, imgsz and stride \
            as the reference's export does. docs/deploy.md shows how to decode it.
            """)

    @Option(help: "Weights (.safetensors or a PyTorch .pt).") var weights: String
    @Option(help: "The ONNX file to write (default: the weights' name with .onnx; must not exist unless --overwrite).")
    var out: String?
    @Option(parsing: .upToNextOption, help: "Input size: one value (square) or height and width, multiples of 32.")
    var imgsz: [Int] = [640]
    @Option(help: "Fixed batch size (at most 1024).") var batch = 1
    @Flag(help: "Batch, height and width given at run time (the reference's dynamic=True).") var dynamic = false
    @Flag(help: "Store the weights as float16 (half the file; the graph still computes in float32).") var half = false
    @Option(help: "ONNX operator set version (13 to 21).") var opset = 17
    @Option(help: "A data.yaml whose class names the metadata carries (default: a .pt's own names, else face, or class0, class1, ...).")
    var data: String?
    @Flag(help: "Replace the output file if it exists.") var overwrite = false

    func validate() throws {
        guard (1...2).contains(imgsz.count) else { throw ValidationError("--imgsz takes one or two values, not \(imgsz.count).") }
        for size in imgsz { try OptionCheck.imageSize(size) }
        try OptionCheck.batch(batch)
        if dynamic && batch != 1 {
            throw ValidationError("--dynamic and --batch \(batch) exclude each other: a dynamic batch is given at run time.")
        }
        try OptionCheck.atLeast(opset, ONNXExportOptions.opsets.lowerBound, "--opset", atMost: ONNXExportOptions.opsets.upperBound)
    }

    func run() async throws {
        let weightsURL = URL(fileURLWithPath: weights)
        let output = URL(fileURLWithPath: out ?? weightsURL.deletingPathExtension().appendingPathExtension("onnx").path)
        if !overwrite && FileManager.default.fileExists(atPath: output.path) {
            throw ValidationError("\(output.path) exists: choose another --out, or --overwrite.")
        }
        let contents = try PoseModel.readWeights(weightsURL)
        let model = try PoseModel.load(contents, path: weightsURL.path)
        let classes = model.config.classCount
        let names =
            try data.map { try DatasetConfig.read(contentsOf: URL(fileURLWithPath: $0)).names }
            ?? PoseModel.classNames(in: contents).flatMap { $0.count == classes ? $0 : nil }
            ?? (classes == 1 ? ["face"] : (0..<classes).map { "class\($0)" })
        guard names.count == classes else {
            throw ValidationError("\(data ?? ""): \(names.count) class names for a model of \(classes) classes.")
        }
        let (height, width) = (imgsz[0], imgsz.count == 2 ? imgsz[1] : imgsz[0])
        let options = ONNXExportOptions(
            imageSize: (height, width), batch: batch, dynamic: dynamic, halfWeights: half, opset: opset, names: names,
            metadata: [
                "version": "facelabel \(Env.version) (commit \(Env.commit))",
                "date": ISO8601DateFormatter().string(from: Date()), "source": weightsURL.lastPathComponent,
            ])
        let (input, graphOutput) = try model.exportONNX(to: output, options: options)
        let size = (try? FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int) ?? 0
        note("input \(input) float32, output \(graphOutput), opset \(opset)\(half ? ", float16 weights" : "")")
        note(String(format: "wrote %@ (%.1f MB)", output.path, Double(size) / 1e6))
        print(output.path)
    }
}

/// `facelabel export weights --weights W --out W16 [--half]`: a copy of a weights file (float16 with --half).
struct ExportWeightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights", abstract: "Copy a weights file, as float16 with --half (half the size).")

    @Option(help: "Weights (.safetensors or a PyTorch .pt).") var weights: String
    @Option(help: "The file to write.") var out: String
    @Flag(help: "Store floating-point tensors as float16.") var half = false

    func run() async throws {
        let model = try PoseModel.load(URL(fileURLWithPath: weights))
        try model.save(
            to: URL(fileURLWithPath: out), metadata: ["source": URL(fileURLWithPath: weights).lastPathComponent],
            floatType: half ? .float16 : nil)
        print(out)
    }
}

/// `facelabel export coco --data DATA.yaml --out F.json [--split val]`.
struct ExportCOCOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coco",
        abstract: "Write one split of a data set as a COCO keypoints JSON file.",
        discussion: """
            Class k becomes category k+1 with the keypoint names and skeleton of the data set's \
            layout (the 51- or 68-point face, COCO's person, or kp_0, kp_1, ...) and its flip_idx. \
            Boxes and points are written in pixels without rounding, so 'import coco' gives the \
            same labels back. file_name is relative to the split's image folder.
            """)

    @Option(help: "The data set's data.yaml.")
    var data: String

    @Option(help: "The JSON file to write (must not exist unless --overwrite).")
    var out: String

    @Option(help: "The split to export: train, val or test.")
    var split = Split.val

    @Flag(help: "Replace the output file if it exists.")
    var overwrite = false

    @Flag(help: "Print the summary as one JSON object on stdout.")
    var json = false

    func run() async throws {
        let output = ConversionCommand.self
        let summary = try await output.failingOnProblems {
            try COCOConversion.export(
                data: URL(fileURLWithPath: data), split: split, to: URL(fileURLWithPath: out), overwrite: overwrite)
        }
        if summary.confidencesAsVisible > 0 {
            let confidences = output.counted(summary.confidencesAsVisible, "point confidence", "point confidences")
            output.warn("\(confidences) written as visibility 2 (COCO allows 0, 1, 2)")
        }
        if json {
            print(try output.json(summary))
            return
        }
        print("\(summary.split): \(summary.images) images, \(summary.annotations) annotations")
        print("\(summary.categories) categories of \(summary.keypoints) points")
        print("wrote \(summary.output)")
    }
}
