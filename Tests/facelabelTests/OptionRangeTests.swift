import Foundation
import Testing

/// Every numeric option of every command, given values out of its range (below, above, zero where
/// it matters): each is refused before any work with an error naming the option, and exit status
/// 64 (EX_USAGE), never a trap (issue 29: `val --conf 1.5` stopped with "Illegal instruction").
@Suite struct `Options out of range` {
    /// One command line whose `option` has a value out of range.
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var option: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// The command lines: each command with its required arguments (placeholders: nothing is read
    /// before the options are checked), then one option and one bad value.
    static let cases: [Case] = {
        let fractions = ["-0.1", "1.5"]
        let imageSizes = ["0", "7", "4128"]
        let batches = ["0", "-1", "1025"]
        let workers = ["0", "-3", "257"]
        let customScales = ["0.33,99,1024", "0,0.25,1024", "0.33,0.25,4", "0.33,0.25,1024.5"]
        let commands: [(prefix: [String], options: [(String, [String])])] = [
            (
                ["train", "--data", "d.yaml"],
                [
                    ("--epochs", ["0", "-1"]), ("--imgsz", imageSizes + ["31", "100", "64000"]), ("--batch", batches), ("--nbs", ["0"]),
                    ("--lr0", ["0", "-1", "1.5"]),
                    ("--lrf", ["0", "2"]), ("--momentum", fractions), ("--weight-decay", ["-1", "2"]), ("--warmup-epochs", ["-1", "nan"]),
                    ("--warmup-momentum", fractions), ("--warmup-bias-lr", fractions), ("--close-mosaic", ["-1"]), ("--patience", ["-1"]),
                    ("--workers", workers), ("--box", ["-1", "nan"]), ("--cls", ["-1"]), ("--dfl", ["-1"]), ("--pose", ["-1"]),
                    ("--kobj", ["-1"]),
                    ("--hsv-h", ["-2", "1.5"]), ("--hsv-s", fractions), ("--hsv-v", fractions), ("--degrees", ["-1", "181"]),
                    ("--translate", fractions), ("--scale", fractions), ("--shear", ["-1", "90"]), ("--perspective", fractions),
                    ("--flipud", fractions), ("--fliplr", ["3", "-0.5"]), ("--mosaic", ["7", "-1"]), ("--threads", ["0", "257"]),
                    ("--seed", ["-1"]), ("--model", customScales),
                ]
            ),
            (
                ["val", "--data", "d.yaml", "--weights", "w.safetensors"],
                [
                    ("--imgsz", imageSizes), ("--batch", batches), ("--conf", fractions), ("--iou", ["-1", "1.5"]), ("--workers", workers),
                    ("--eyes", ["1", "-1,2", "3,3"]), ("--threads", ["0"]),
                ]
            ),
            (
                ["predict", "--weights", "w.safetensors", "--source", "s.jpg"],
                [
                    ("--imgsz", imageSizes), ("--batch", batches), ("--conf", fractions), ("--iou", fractions),
                    ("--max-det", ["0", "30001"]), ("--dist-timeout", ["0", "86401"]),
                ]
            ),
            (
                ["autolabel", "--data", "d.yaml", "--weights", "w.safetensors", "--out", "o"],
                [
                    ("--imgsz", imageSizes), ("--batch", batches), ("--conf", fractions), ("--nms-iou", fractions),
                    ("--merge-iou", fractions),
                    ("--kpt-conf", fractions), ("--conf-single", fractions), ("--max-disagreement", ["0", "-1", "nan"]),
                ]
            ),
            (
                ["refine", "--data", "d.yaml"],
                [
                    ("--iterations", ["-1", "1001"]), ("--conf", fractions), ("--iou", fractions), ("--merge-iou", fractions),
                    ("--kpt-conf", fractions), ("--conf-single", fractions), ("--max-disagreement", ["0"]),
                    ("--stop-below", ["-1", "150%"]), ("--model", customScales),
                    ("--epochs", ["0"]), ("--imgsz", ["7"]), ("--batch", ["0"]), ("--lr0", ["-1"]), ("--fliplr", ["3"]),
                ]
            ),
            (
                ["calibrate", "--data", "d.yaml", "--weights", "w.safetensors"],
                [
                    ("--imgsz", imageSizes), ("--batch", batches), ("--target-precision", ["0", "-0.1", "1.5"]), ("--kpt-conf", fractions),
                    ("--conf-single", fractions),
                ]
            ),
            (
                ["measure", "--weights", "w.safetensors", "--source", "s.jpg"],
                [
                    ("--imgsz", imageSizes), ("--conf", fractions), ("--iou", fractions), ("--kpt-conf", fractions),
                    ("--mm-per-px", ["0", "-1"]),
                ]
            ),
            (
                ["demo"],
                [
                    ("--images", ["0", "3"]), ("--imgsz", ["100", "0"]), ("--unlabeled", fractions), ("--iterations", ["-1"]),
                    ("--epochs", ["0"]),
                    ("--batch", batches), ("--conf", ["2", "-1"]), ("--model", customScales),
                ]
            ),
            (
                ["synth", "--out", "o"],
                [
                    ("--images", ["0", "-5"]), ("--imgsz", ["16", "9000"]), ("--unlabeled", fractions), ("--val-fraction", fractions),
                    ("--faces", ["-1", "3-1", "60"]),
                ]
            ),
            (["check", "d.yaml"], [("--workers", workers)]),
            (
                ["import", "300w", "--src", "s", "--out", "o"],
                [("--box-margin", ["-1"]), ("--val-fraction", fractions), ("--workers", workers)]
            ),
            (["import", "coco", "--json", "a.json", "--images", "i", "--out", "o"], [("--val-fraction", fractions)]),
            (["export", "labelstudio", "--run", "r", "--out", "o.json"], [("--iteration", ["0", "-1"])]),
            (["export", "cvat", "--run", "r", "--out", "o.xml"], [("--iteration", ["0"])]),
            (
                ["export", "onnx", "--weights", "w.safetensors"],
                [("--imgsz", imageSizes + ["100"]), ("--batch", batches), ("--opset", ["12", "22"])]
            ),
            (["import", "cvat", "--run", "r", "--file", "f.xml"], [("--iteration", ["0"])]),
            (["review", "r"], [("--port", ["-1", "65536"]), ("--iteration", ["0"]), ("--audit", ["0", "-5"])]),
            (["review", "r", "--audit", "10"], [("--audit-images", ["-1"])]),
            (
                ["audit", "r"],
                [("--iteration", ["0"]), ("--width", ["0", "1.5", "-0.1"]), ("--rehearse", ["0"]), ("--seeds", ["0", "10001"])]
            ),
            (["calibrate", "--from-review", "r"], [("--target-precision", ["0", "1.5"])]),
        ]
        return commands.flatMap { command in
            command.options.flatMap { option, values in
                // --nms-iou is another spelling of --iou, which the error names
                values.map { Case(arguments: command.prefix + ["\(option)=\($0)"], option: option == "--nms-iou" ? "--iou" : option) }
            }
        }
    }()

    @Test(arguments: cases) func `is refused with an error naming the option`(_ line: Case) throws {
        let result = try runFaceLabel(line.arguments)
        #expect(result.status == 64, "\(line.testDescription): status \(result.status)\n\(result.errors)")
        #expect(result.errors.hasPrefix("Error: ") && result.errors.contains(line.option), "\(line.testDescription): \(result.errors)")
    }
}
