import ArgumentParser
import Foundation
import Interchange
import Pose
import PoseData

/// `facelabel export coco|labelstudio|cvat|weights`: labels in other formats, or weights in another precision.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export labels to another annotation format or labelling tool, or weights to float16.",
        subcommands: [ExportCOCOCommand.self, ExportLabelStudioCommand.self, ExportCVATCommand.self, ExportWeightsCommand.self])
}

/// `facelabel export weights --weights W --out W16 [--half]`: a copy of a weights file (float16 with --half).
struct ExportWeightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights", abstract: "Copy a weights file, as float16 with --half (half the size).")

    @Option(help: "Weights (.safetensors).") var weights: String
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
