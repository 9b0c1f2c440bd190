import ArgumentParser
import Foundation
import Torch

/// `--fast-decode`, with a command's default.
struct DecodingOption<Defaults: CommandDefaults>: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: """
            Decode large JPEGs at the smallest DCT scale (1/2, 1/4, 1/8) that keeps their long side at \
            least --imgsz: several times faster on camera photos; results are mapped back to full-size \
            pixels, but those pixels differ a little from the reference's full-size decode.
            """)
    var fastDecode: Bool = Defaults.fastDecode
}

/// How images are loaded for training and validation: `--workers` and `--fast-decode`.
struct LoaderOptions<Defaults: CommandDefaults>: ParsableArguments {
    @Option(help: "Data-loading tasks (default: 2 on a CPU, which shares its cores with the network; min(8, cores) on a GPU).")
    var workers: Int?
    @OptionGroup var decoding: DecodingOption<Defaults>

    var fastDecode: Bool { decoding.fastDecode }

    func validate() throws {
        if let workers { try OptionCheck.workers(workers) }
    }

    /// `--workers`, or the default for `device`: on a CPU the loader and the network share the
    /// cores, so 2; a GPU leaves the cores to the loader, which must keep up with it (the reference's rule).
    func workers(on device: Device) -> Int {
        workers ?? (device == .cpu ? 2 : min(8, ProcessInfo.processInfo.activeProcessorCount))
    }
}
