/// libFuzzer's own driver, for the fuzz executables: SwiftPM gives an executable the entry point
/// `<Module>_main` instead of `main`, so libFuzzer's `main` is not the one that runs, and each
/// executable's entry point starts the driver with ``run(_:_:_:)``.
public enum LibFuzzer {
    /// One input: libFuzzer's `LLVMFuzzerTestOneInput` signature.
    public typealias Test = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    @_silgen_name("LLVMFuzzerRunDriver")
    static func runDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ test: Test
    ) -> CInt

    /// Parses libFuzzer's options from the command line and fuzzes `test` with them.
    public static func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ test: Test) -> CInt {
        var (count, arguments) = (argc, argv)
        return runDriver(&count, &arguments, test)
    }
}
