import Foundation
import FuzzDriver
import FuzzHarnesses

/// libFuzzer's entry point for the PoseData parsers: `FUZZ_TARGET` names the harness (a key of
/// ``FuzzHarness/targets``), read once at start-up.
nonisolated(unsafe) let harness: (UnsafeRawBufferPointer) -> Void = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let harness = FuzzHarness.targets[name] else {
        fatalError("FUZZ_TARGET must be one of \(FuzzHarness.targets.keys.sorted()), not '\(name)'")
    }
    return harness
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    harness(UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: count))
    return 0
}

@_cdecl("FuzzParsers_main")
func entryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    LibFuzzer.run(argc, argv, fuzzOneInput)
}
