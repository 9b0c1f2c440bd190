/// The defaults that differ between commands, each stated once here; the shared option groups take
/// them as a type parameter (`ModelOptions<PredictDefaults>`), so that `--help` shows each
/// command's own.
protocol CommandDefaults {
    /// `--imgsz`: the network's input size.
    static var imageSize: Int { get }
    /// `--batch`: images per forward pass (per training step for `train` and `refine`).
    static var batch: Int { get }
    /// `--conf`: the lowest detection score kept.
    static var confidence: Float { get }
    /// `--fast-decode`: whether large JPEGs are decoded at a reduced scale.
    static var fastDecode: Bool { get }
}

extension CommandDefaults {
    /// The reference's default size.
    static var imageSize: Int { 640 }
}

/// `predict`: the reference's predict defaults (conf 0.25, batch 1); camera photos decode fast.
enum PredictDefaults: CommandDefaults {
    static let batch = 1
    static let confidence: Float = 0.25
    static let fastDecode = true
}

/// `val`: the reference's val defaults (conf 0.001, batch 32); full-size decoding, so that the
/// metrics are the reference's.
enum ValDefaults: CommandDefaults {
    static let batch = 32
    static let confidence: Float = 0.001
    static let fastDecode = false
}

/// `autolabel`: the paper's 0.7; pseudo-labels promise no pixel parity, so camera photos decode fast.
enum AutolabelDefaults: CommandDefaults {
    static let batch = 8
    static let confidence: Float = 0.7
    static let fastDecode = true
}

/// `calibrate`: judges what `autolabel` would keep, with `autolabel`'s decoding and batch.
enum CalibrateDefaults: CommandDefaults {
    static let batch = AutolabelDefaults.batch
    static let confidence = AutolabelDefaults.confidence
    static let fastDecode = AutolabelDefaults.fastDecode
}

/// `train` and `refine`: the reference's training defaults; full-size decoding, as the reference trains.
enum TrainDefaults: CommandDefaults {
    static let batch = 16
    static let confidence = AutolabelDefaults.confidence
    static let fastDecode = false
}

/// `measure`: `predict`'s detection.
enum MeasureDefaults: CommandDefaults {
    static let batch = 8
    static let confidence = PredictDefaults.confidence
    static let fastDecode = true
}

/// `demo`: small images and a lower threshold, so that minutes of fine-tuning show the method.
enum DemoDefaults: CommandDefaults {
    static let imageSize = 256
    static let batch = TrainDefaults.batch
    /// After minutes of fine-tuning, the bundled model scores most real faces between 0.4 and 0.8.
    static let confidence: Float = 0.5
    static let fastDecode = false
}
