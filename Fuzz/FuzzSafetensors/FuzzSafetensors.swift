import Foundation
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

/// libFuzzer's own driver, started from the executable's entry point (SwiftPM names it
/// `FuzzSafetensors_main`, so libFuzzer's `main` is not the one that runs).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("FuzzSafetensors_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var (count, arguments) = (argc, argv)
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}
