import ArgumentParser

/// Which detections a command keeps: `--conf` and the NMS IoU.
struct DetectionOptions<Defaults: CommandDefaults>: ParsableArguments {
    @Option(help: "Keep detections scoring at least this (0 to 1).") var conf: Float = Defaults.confidence
    @Option(
        name: [.customLong("iou"), .customLong("nms-iou")],
        help: "NMS IoU threshold (0 to 1): a box overlapping a higher-scored one of its class by more is suppressed.")
    var iou: Float = 0.7

    func validate() throws {
        try OptionCheck.fraction(conf, "--conf")
        try OptionCheck.fraction(iou, "--iou")
    }
}

/// `--kpt-conf`: below it a predicted keypoint is taken as not seen.
struct KeypointConfidenceOption: ParsableArguments {
    @Option(help: "Keypoints under this confidence (0 to 1) get visibility 0 and are not measured on.") var kptConf: Float = 0.5

    func validate() throws { try OptionCheck.fraction(kptConf, "--kpt-conf") }
}
