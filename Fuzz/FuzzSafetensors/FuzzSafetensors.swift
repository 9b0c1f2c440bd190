import Foundation
import FuzzDriver
import Torch

/// libFuzzer's entry point: bytes through the safetensors reader (header length, JSON header,
/// dtypes, shapes and offsets, and the tensors of a file it accepts). The replay test of its finds
/// is in TorchTests.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    _ = try? Safetensors.decode(Data(bytes: start, count: count), path: "fuzz.safetensors")
    return 0
}

@_cdecl("FuzzSafetensors_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    LibFuzzer.run(argc, argv, fuzzOneInput)
}
