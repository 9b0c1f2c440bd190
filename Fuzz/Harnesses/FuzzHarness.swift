import Foundation
import PoseData

/// What each fuzz target does with one input, shared by the libFuzzer executable (Fuzz/FuzzParsers)
/// and by the test that replays the inputs fuzzing once crashed on (Fuzz/regressions/). A harness may
/// throw nothing and must never crash: a crash, a hang or a failed invariant is a bug.
public enum FuzzHarness {
    /// YOLO-pose label text through the line parser, for two keypoint layouts; the instances it
    /// accepts, written back, parse again to the same instances (lines that only became equal by
    /// being clamped into the image then count once, as the reference's reading does).
    public static func labelFile(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        for shape in [KeypointShape(count: 3, dimensions: 3), KeypointShape(count: 2, dimensions: 2)] {
            let parsed = LabelFile.parse(text, file: "fuzz.txt", keypointShape: shape, classCount: 4)
            let written = LabelFile.format(parsed.instances, keypointShape: shape)
            let again = LabelFile.parse(written, file: "fuzz.txt", keypointShape: shape, classCount: 4)
            var distinct: [PoseInstance] = []
            for instance in parsed.instances where !distinct.contains(instance) { distinct.append(instance) }
            precondition(
                again.instances == distinct && again.problems.allSatisfy { if case .duplicateLine = $0.reason { true } else { false } },
                "label round trip changed: \(written)")
        }
    }

    /// iBUG `.pts` text through the parser.
    public static func pts(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = try? PtsFile.parse(text, file: "fuzz.pts")
        _ = try? PtsFile.parse(text, file: "fuzz.pts", allowedCounts: [68])
    }

    /// COCO keypoints JSON through the streaming reader (JSONStream) and its validation, both
    /// passes; every instance it hands over lies in its image.
    public static func coco(_ bytes: UnsafeRawBufferPointer) {
        let reader = COCOReader(Data(bytes), file: "fuzz.json")
        guard var labels = try? reader.header() else { return }
        let images = labels.images.indices
        try? reader.annotations(into: &labels) { image, instance in
            precondition(images.contains(image), "COCO: image \(image) out of range")
            let box = instance.box
            precondition(
                0 <= box.minX && box.minX < box.maxX && box.maxX <= 1 && 0 <= box.minY && box.minY < box.maxY && box.maxY <= 1,
                "COCO: box \(box) outside its image")
        }
    }

    /// data.yaml text through the reader; a configuration it accepts is written back as a yaml that
    /// reads as the same configuration.
    public static func dataYAML(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let config = try? DatasetConfig.parse(text, file: "fuzz.yaml") else { return }
        let again = try? DatasetConfig.parse(config.yaml(), file: "written.yaml")
        precondition(again == config, "data.yaml round trip changed:\n\(config.yaml())")
    }

    /// Bytes through the image header reader and the JPEG and PNG decoders (CImageCodecs), with a
    /// small pixel limit so that a large declared size is refused, not allocated.
    public static func image(_ bytes: UnsafeRawBufferPointer) {
        let data = Data(bytes)
        _ = try? ImageCodec.info(data, name: "fuzz")
        _ = try? ImageCodec.decode(data, name: "fuzz", options: ImageDecodeOptions(maxPixels: 4_000_000))
    }

    /// The harness of each fuzz target of the PoseData parsers, by target name (`FUZZ_TARGET`, and
    /// the folders of Fuzz/seeds, Fuzz/dicts and Fuzz/regressions).
    public static let targets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "labels": labelFile, "pts": pts, "coco": coco, "yaml": dataYAML, "images": image,
    ]
}
