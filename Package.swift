// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// libtorch comes from `LIBTORCH` when set (a libtorch folder, or a Python installation's
/// `site-packages/torch`, CPU or CUDA, as in other libtorch bindings), otherwise from what
/// `Scripts/bootstrap.sh` unpacked: the CPU wheel's into `.deps/libtorch`, or with `TORCH=cuda` the
/// CUDA wheel's into `.deps/torch-cuda/torch`, beside the nvidia runtime wheels (`nvidia/*/lib`) its
/// libraries find through their own RPATH.
let libtorch =
    Context.environment["LIBTORCH"]
    ?? (Context.environment["TORCH"] == "cuda"
        ? "\(Context.packageDirectory)/.deps/torch-cuda/torch" : "\(Context.packageDirectory)/.deps/libtorch")

/// A CUDA libtorch is linked even though no symbol of it is called: loading libtorch_cuda is what
/// registers CUDA with ATen. A linker that drops unused libraries (`--as-needed`) would leave CUDA
/// unregistered and no GPU usable, so these two are linked with `--no-as-needed`.
let cudaLibraries =
    FileManager.default.fileExists(atPath: "\(libtorch)/lib/libtorch_cuda.so")
    ? ["--push-state", "--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "--pop-state"].flatMap { ["-Xlinker", $0] } : []

/// With `CTORCH_SHARED=<folder holding libctorch.so>`, CTorch is not compiled into the binary but
/// linked as that shared library, looked up in `lib/` beside the binary: how Scripts/device-check.sh
/// makes a binary that runs on a GPU machine against a libctorch compiled there, for its own libtorch.
let sharedCTorch = Context.environment["CTORCH_SHARED"]

/// `FACELABEL_SANITIZE=1` (make fuzz, make test-asan): builds whose allocator is AddressSanitizer's,
/// so tcmalloc stays out; `FACELABEL_FUZZ=1` adds the libFuzzer targets in Fuzz/.
let sanitizing = Context.environment["FACELABEL_SANITIZE"] != nil
let fuzzing = Context.environment["FACELABEL_FUZZ"] != nil

/// tcmalloc in place of glibc's malloc: glibc hands the large blocks of freed tensors back to the
/// kernel and faults them in again, zeroed, on every step (about 15% of a training step); tcmalloc
/// keeps them for reuse. The runtime library alone (Debian's libtcmalloc-minimal4) has no unversioned
/// name to link against, hence the exact file.
let tcmalloc = LinkerSetting.unsafeFlags(
    sanitizing ? [] : ["-Xlinker", "-l:libtcmalloc_minimal.so.4"], .when(platforms: [.linux]))

/// The libFuzzer executables (Scripts/fuzz.sh builds and runs them): one for the parsers of outside input,
/// which `FUZZ_TARGET` selects, and one for safetensors.
let fuzzTargets: [Target] =
    fuzzing
    ? [
        ("FuzzParsers", "FuzzHarnesses"), ("FuzzSafetensors", "Torch"),
    ].map { name, library in
        .executableTarget(name: name, dependencies: [.target(name: library), "FuzzDriver"], path: "Fuzz/\(name)")
    } + [.target(name: "FuzzDriver", path: "Fuzz/Driver")]  // calls into libFuzzer, so only in fuzz builds
    : []

/// c10d's Gloo process group (Sources/CTorch/distributed.cpp) needs the gloo headers, which the torch
/// wheels leave out: Debian's libgloo-dev has them (Scripts/bootstrap.sh installs it); gloo itself is
/// the copy inside libtorch. A build without them has no process group and runs in one process only.
let glooHeaders = FileManager.default.fileExists(atPath: "/usr/include/gloo/config.h")

/// NCCL's process group, in a CUDA build: nccl.h and the CUDA headers it needs come from the nvidia
/// wheels unpacked beside torch (`nvidia/*/include`).
let nvidiaIncludes =
    cudaLibraries.isEmpty
    ? []
    : ((try? FileManager.default.contentsOfDirectory(atPath: "\(libtorch)/../nvidia")) ?? []).sorted()
        .map { "\(libtorch)/../nvidia/\($0)/include" }.filter { FileManager.default.fileExists(atPath: $0) }
let ncclHeaders = nvidiaIncludes.contains { FileManager.default.fileExists(atPath: "\($0)/nccl.h") }

/// What distributed.cpp is compiled with: the backends whose headers are there, and libtorch's C++
/// API headers that c10d's include.
let processGroupSettings: [CXXSetting] =
    (glooHeaders ? [.define("USE_C10D_GLOO")] : []) + (ncclHeaders ? [.define("USE_C10D_NCCL")] : [])
    + (glooHeaders || ncclHeaders
        ? [.unsafeFlags(["-I\(libtorch)/include/torch/csrc/api/include"] + nvidiaIncludes.map { "-I\($0)" })] : [])

let ctorch: Target =
    if sharedCTorch != nil {
        .systemLibrary(name: "CTorch", path: "Sources/CTorchShared")
    } else {
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(["-I\(libtorch)/include", "-Wno-deprecated-declarations"]),
                // The torch wheels since 2.7 are built with the new libstdc++ ABI; it must match.
                .define("_GLIBCXX_USE_CXX11_ABI", to: "1"),
            ] + processGroupSettings,
            linkerSettings: [
                .unsafeFlags(["-L\(libtorch)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib"]),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
                .unsafeFlags(cudaLibraries),
                tcmalloc,
            ]
        )
    }

let torchLinkerSettings: [LinkerSetting] =
    sharedCTorch.map { folder in [.unsafeFlags(["-L\(folder)", "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN/lib"]), tcmalloc] } ?? []

let package = Package(
    name: "facelabel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "facelabel", targets: ["facelabel"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
        .library(name: "PoseData", targets: ["PoseData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // the review app's HTTP server (SwiftNIO's HTTP/1.1); its optional traits are left off
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // ONNX files (`export onnx`) are protobuf messages
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        ctorch,
        .target(name: "Torch", dependencies: ["CTorch"], linkerSettings: torchLinkerSettings),
        // The commit the binary was built from (commit.h, written by Scripts/bootstrap.sh).
        .target(name: "CBuildInfo"),
        .target(name: "TorchNN", dependencies: ["Torch"]),
        // JPEG (libjpeg-turbo) and PNG (libspng) behind a small C API whose errors are return values.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("spng")]
        ),
        // Labels and data sets: data.yaml, label files, derived data sets written atomically. No images, no Torch.
        .target(name: "PoseData", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Images: decoding as OpenCV's imread, OpenCV-exact resampling, drawing.
        .target(name: "Imaging", dependencies: ["PoseData", "CImageCodecs"]),
        // Augmentation and the training and validation loader; `check`, which reads what they will.
        .target(name: "Loader", dependencies: ["PoseData", "Imaging"]),
        // Other formats and tools: 300-W, COCO keypoints (streamed), Label Studio, CVAT, PyTorch checkpoints' pickles.
        .target(name: "Interchange", dependencies: ["PoseData", "Imaging"]),
        // The synthetic face data set with exact landmarks.
        .target(name: "Synth", dependencies: ["PoseData", "Imaging"]),
        // ONNX's protobuf schema as Swift types, generated by Scripts/onnx/generate-proto.sh and committed.
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(
            name: "Pose", dependencies: ["TorchNN", "PoseData", "Imaging", "Loader", "Interchange", "PoseMetrics", "ONNXProto"]),
        .target(name: "PoseMetrics"),
        // Periocular measurements from landmarks: plain Swift values, no Torch.
        .target(name: "Measure", dependencies: ["PoseData", "Imaging"]),
        .target(
            name: "AutoLabel",
            dependencies: [
                "Pose", "PoseData", "Imaging", "Loader", "Interchange", "PoseMetrics", "Torch",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The local review web app: a thin HTTP server over the ledger, and its page.
        .target(
            name: "Review",
            dependencies: [
                "AutoLabel", "PoseData", "Imaging", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
            ],
            // the page's HTML, CSS and JavaScript, compiled into the binary (it needs no files beside it)
            resources: [.embedInCode("Page/index.html"), .embedInCode("Page/review.css"), .embedInCode("Page/review.js")]),
        .executableTarget(
            name: "facelabel",
            dependencies: [
                "AutoLabel",
                "Review",
                "CBuildInfo",
                "Measure",
                "Pose",
                "PoseData",
                "Imaging",
                "Loader",
                "Interchange",
                "Synth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "TorchBench",
            dependencies: ["TorchNN"],
            path: "Benchmarks/TorchBench"
        ),
        .executableTarget(
            name: "PoseBench",
            dependencies: [
                "Pose", "TorchNN", "Measure", "AutoLabel", "Synth", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/PoseBench"
        ),
        .target(
            name: "TorchTestSupport", dependencies: ["Torch"], path: "Tests/TorchTestSupport",
            resources: [.copy("Fixtures")]),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TorchTestSupport"]),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN", "TorchTestSupport"]),
        .testTarget(
            name: "PoseTests", dependencies: ["Pose", "Synth", "TorchTestSupport", "ONNXProto"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "facelabelTests",
            dependencies: [
                "facelabel", "Pose", "PoseData", "Imaging", "Synth", "Torch", "AutoLabel", "BrowserTestSupport", "TorchTestSupport",
            ]),
        .target(name: "BrowserTestSupport", path: "Tests/BrowserTestSupport"),
        // What each fuzz target does with an input, for the fuzzers and the test that replays their finds.
        .target(name: "FuzzHarnesses", dependencies: ["PoseData", "Imaging", "Interchange"], path: "Fuzz/Harnesses"),
        .testTarget(name: "AutoLabelTests", dependencies: ["AutoLabel", "Synth", "BrowserTestSupport"]),
        // The data modules' tests (PoseData, Imaging, Loader, Interchange, Synth) share their fixtures.
        .testTarget(
            name: "PoseDataTests", dependencies: ["PoseData", "Imaging", "Loader", "Interchange", "Synth", "FuzzHarnesses"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "MeasureTests", dependencies: ["Measure", "PoseData", "Imaging", "Synth", "BrowserTestSupport"]),
        .testTarget(name: "PoseMetricsTests", dependencies: ["PoseMetrics"], resources: [.copy("Fixtures")]),
    ] + fuzzTargets,
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx20
)
