// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// libtorch comes from `LIBTORCH` when set (as in other libtorch bindings), otherwise from the copy
/// that `Scripts/bootstrap.sh` unpacks from the torch wheel into `.deps/libtorch`.
let libtorch = Context.environment["LIBTORCH"] ?? "\(Context.packageDirectory)/.deps/libtorch"

let package = Package(
    name: "facelabel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "facelabel", targets: ["facelabel"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "TorchNN", targets: ["TorchNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags(["-I\(libtorch)/include", "-Wno-deprecated-declarations"]),
                // The torch wheels since 2.7 are built with the new libstdc++ ABI; it must match.
                .define("_GLIBCXX_USE_CXX11_ABI", to: "1"),
            ],
            linkerSettings: [
                .unsafeFlags(["-L\(libtorch)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib"]),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
            ]
        ),
        .target(name: "Torch", dependencies: ["CTorch"]),
        .target(name: "TorchNN", dependencies: ["Torch"]),
        .executableTarget(
            name: "facelabel",
            dependencies: [
                "TorchNN",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "TorchBench",
            dependencies: ["TorchNN"],
            path: "Benchmarks/TorchBench"
        ),
        .testTarget(name: "TorchTests", dependencies: ["Torch"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TorchNNTests", dependencies: ["TorchNN"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx20
)
