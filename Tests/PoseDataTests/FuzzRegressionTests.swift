import Foundation
import FuzzHarnesses
import Testing

/// The inputs fuzzing found a crash, a hang or a broken invariant with (issue 20), replayed through
/// the same harnesses `make fuzz` runs: each must now go through without one. Fuzz/regressions/<target>/
/// holds them; the seeds go through too, so that every harness runs in every `make test`.
@Suite struct `Fuzz regressions` {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardizedFileURL

    static func files(_ folder: String, _ target: String) -> [URL] {
        let directory = fuzz.appendingPathComponent(folder).appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzHarness.targets.keys.sorted())
    func `every kept input goes through its harness`(target: String) throws {
        let harness = try #require(FuzzHarness.targets[target])
        #expect(FileManager.default.fileExists(atPath: Self.fuzz.appendingPathComponent("dicts/\(target).dict").path))
        for file in Self.files("regressions", target) + Self.files("seeds", target) {
            let data = try Data(contentsOf: file)
            data.withUnsafeBytes { harness($0) }
        }
    }
}
