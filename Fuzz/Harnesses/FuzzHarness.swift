import Foundation
import Imaging
import Interchange
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

    /// A Label Studio JSON export through its decoder and the reading of each answer's faces (for
    /// a 3-point layout); every face read lies in its image.
    public static func labelStudio(_ bytes: UnsafeRawBufferPointer) {
        guard let tasks = try? LabelStudio.decode(Data(bytes), file: "fuzz.json") else { return }
        for task in tasks {
            for regions in [task.latestAnnotation?.result ?? []] + (task.predictions ?? []).map(\.result) {
                guard
                    let faces = try? LabelStudio.faces(
                        in: regions, classNames: ["face"], pointNames: ["a", "b", "c"], file: "fuzz.json", task: "t")
                else { continue }
                for face in faces { precondition(inImage(face.instance), "Label Studio: face \(face.instance) outside its image") }
            }
        }
    }

    /// CVAT for images XML through the reader (for a 3-point layout); every face read lies in its image.
    public static func cvat(_ bytes: UnsafeRawBufferPointer) {
        guard let images = try? CVATXML.parse(Data(bytes), file: "fuzz.xml", classNames: ["face"], pointNames: ["a", "b", "c"]) else {
            return
        }
        for face in images.flatMap(\.faces) { precondition(inImage(face.instance), "CVAT: face \(face.instance) outside its image") }
    }

    static func inImage(_ instance: PoseInstance) -> Bool {
        let box = instance.box
        return 0 <= box.minX && box.minX <= box.maxX && box.maxX <= 1 && 0 <= box.minY && box.minY <= box.maxY && box.maxY <= 1
            && instance.keypoints.allSatisfy { (0...1).contains($0.x) && (0...1).contains($0.y) }
    }

    /// The harness of each fuzz target of the PoseData parsers, by target name (`FUZZ_TARGET`, and
    /// the folders of Fuzz/seeds, Fuzz/dicts and Fuzz/regressions).
    /// Bytes through the restricted unpickler of PyTorch checkpoints and the reading of a
    /// checkpoint from what it rebuilt; every tensor it hands over has as many strides as sizes.
    public static func pickle(_ bytes: UnsafeRawBufferPointer) {
        guard let document = try? Unpickler.load(Array(bytes)), let checkpoint = try? TorchCheckpoint.read(document) else { return }
        for (name, tensor) in checkpoint.tensors {
            precondition(tensor.size.count == tensor.stride.count && tensor.offset >= 0, "pickle: tensor \(name) is malformed")
        }
    }

    public static let targets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "labels": labelFile, "pts": pts, "coco": coco, "yaml": dataYAML, "images": image, "labelstudio": labelStudio, "cvat": cvat,
        "pickle": pickle,
    ]
}
