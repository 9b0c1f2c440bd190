import ArgumentParser
import Foundation
import PoseData
import Synth

/// `facelabel synth --out DIR`: the built-in synthetic face data set.
struct Synth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic face data set with exact 51-point landmarks.",
        discussion: """
            Draws faces of varied size, pose, skin tone, hair, expression and occlusion on cluttered \
            backgrounds and writes a YOLO-pose data set in which a fraction of the faces is left \
            unlabelled, with every face in truth/ (its own data.yaml). The same options give \
            byte-identical files.
            """)

    @Option(help: "Output folder (must not exist unless --overwrite).")
    var out: String

    @Option(help: "Number of images.")
    var images = 200

    @Option(help: "Image width and height in pixels (32 to 8192).")
    var imgsz = 320

    /// The largest image drawn: 8192² RGB pixels take 192 MiB, and several are drawn at once.
    static let maximumImageSize = 8192

    @Option(help: "Faces per image, as N or MIN-MAX (at most 50).")
    var faces = "1-4"

    /// More faces than fit side by side on an image would only overlap.
    static let maximumFaces = 50

    @Option(help: "Fraction of faces left unlabelled (they stay in truth/).")
    var unlabeled = 0.3

    @Option(help: "Fraction of images in the val split.")
    var valFraction = 0.2

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(
        help:
            """
            Draw every face's upper lids at this opening, R[,L] (R for the image-left eye; 0.01 almost shut, 0.13 wide open) instead \
            of a random one: lid geometry known for measurements.
            """
    )
    var eyeOpening: String?

    @Flag(help: "Replace the output folder if it exists.")
    var overwrite = false

    @Flag(help: "Print the summary as one JSON object on stdout.")
    var json = false

    func validate() throws {
        try OptionCheck.atLeast(images, 1, "--images", atMost: 1_000_000)
        try OptionCheck.atLeast(imgsz, 32, "--imgsz", atMost: Self.maximumImageSize)
        try OptionCheck.fraction(unlabeled, "--unlabeled")
        try OptionCheck.fraction(valFraction, "--val-fraction")
        _ = try faceRange()
        _ = try eyeOpenings()
    }

    /// `--eye-opening R[,L]` as the two eyes' openings (L = R when one value is given).
    func eyeOpenings() throws -> [Double]? {
        guard let eyeOpening else { return nil }
        let values = eyeOpening.split(separator: ",").map { Double($0) }
        guard (1...2).contains(values.count), values.allSatisfy({ $0.map { (0.005...0.2).contains($0) } ?? false }) else {
            throw ValidationError("--eye-opening must be R or R,L with each in [0.005, 0.2], not '\(eyeOpening)'.")
        }
        return [values[0]!, values.last!!]
    }

    func faceRange() throws -> ClosedRange<Int> {
        let parts = faces.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 1, let count = parts[0], (0...Self.maximumFaces).contains(count) { return count...count }
        if parts.count == 2, let low = parts[0], let high = parts[1], low >= 0, low <= high, high <= Self.maximumFaces { return low...high }
        throw ValidationError("--faces must be N or MIN-MAX with 0 <= MIN <= MAX <= \(Self.maximumFaces), not '\(faces)'.")
    }

    func run() async throws {
        var options = SynthDataset.Options(
            images: images, imageSize: imgsz, faces: try faceRange(), unlabeledFraction: unlabeled,
            valFraction: valFraction, seed: seed)
        options.eyeOpening = try eyeOpenings()
        let isTerminal = isatty(STDERR_FILENO) != 0
        let summary = try await SynthDataset.write(
            options: options, to: URL(fileURLWithPath: out), overwrite: overwrite,
            progress: { done, total in
                if isTerminal {
                    FileHandle.standardError.write(Data("\rsynth \(done)/\(total)\(done == total ? "\n" : "")".utf8))
                } else if done == total || done % max(1, total / 10) == 0 {
                    FileHandle.standardError.write(Data("synth \(done)/\(total)\n".utf8))
                }
            })
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(
                "\(summary.images) images (\(summary.trainImages) train, \(summary.valImages) val), \(summary.faces) faces: "
                    + "\(summary.labelledFaces) labelled, \(summary.unlabelledFaces) unlabelled\n"
                    + "data:  \(summary.data)\ntruth: \(summary.truth)")
        }
    }
}
