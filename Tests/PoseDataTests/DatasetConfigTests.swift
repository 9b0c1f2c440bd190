import Foundation
import Testing

@testable import PoseData

@Suite struct DatasetConfigTests {
    @Test func `a reference-style pose yaml reads with a names map`() throws {
        let text = """
            # COCO8-pose style
            path: ../datasets/coco8-pose
            train: images/train
            val: images/val
            test:

            kpt_shape: [17, 3]
            flip_idx: [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
            names:
              0: person
            download: https://example.invalid/coco8-pose.zip
            """
        let config = try DatasetConfig.parse(text, file: "data.yaml")
        #expect(config.path == "../datasets/coco8-pose")
        #expect(config.train == ["images/train"] && config.val == ["images/val"] && config.test == [])
        #expect(config.keypointShape == KeypointShape(count: 17, dimensions: 3))
        #expect(config.flipIndex == [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15])
        #expect(config.names == ["person"])
        #expect(config.keypointSigmas == nil)
    }

    @Test func `names as a list, nc alone and the validation key are accepted`() throws {
        let listed = try DatasetConfig.parse(
            "train: [a, b.txt]\nvalidation: v\nkpt_shape: [2, 2]\nnames: [face, hand]\n", file: "d.yaml")
        #expect(listed.train == ["a", "b.txt"] && listed.val == ["v"] && listed.names == ["face", "hand"])
        let counted = try DatasetConfig.parse("train: t\nval: v\nkpt_shape: [2, 3]\nnc: 2\n", file: "d.yaml")
        #expect(counted.names == ["class0", "class1"])
    }

    @Test func `writing and reading back gives the same config`() throws {
        let config = DatasetConfig(
            path: "/data/faces", train: ["images/train", "extra/list.txt"], val: ["images/val"], test: ["images/test"],
            keypointShape: KeypointShape(count: 3, dimensions: 3), flipIndex: [1, 0, 2],
            names: ["face", "yes", "1"], keypointSigmas: [0.025, 0.035, 0.1])
        let yaml = config.yaml()
        #expect(try DatasetConfig.parse(yaml, file: "out.yaml") == config)
        #expect(yaml.contains("kpt_shape: [3, 3]\n") && yaml.contains("flip_idx: [1, 0, 2]\n"))
        #expect(yaml.contains("  0: face\n") && yaml.contains("  1: 'yes'\n") && yaml.contains("  2: '1'\n"))

        let minimal = DatasetConfig(
            train: ["t"], val: ["v"], keypointShape: KeypointShape(count: 51, dimensions: 2), names: ["face"])
        #expect(try DatasetConfig.parse(minimal.yaml(), file: "m.yaml") == minimal)
        #expect(minimal.yaml() == "train: t\nval: v\nkpt_shape: [51, 2]\nnames:\n  0: face\n")
    }

    @Test func `every problem of a yaml is reported with its line`() {
        let text = """
            train: images/train
            kpt_shape: [2, 4]
            flip_idx: [0, 0]
            names: {0: face, 2: hand}
            kpt_oks_sigmas: [0.1, -1]
            """
        let error = #expect(throws: DataProblems.self) { try DatasetConfig.parse(text, file: "data.yaml") }
        #expect(
            error?.problems.map(\.description) == [
                "data.yaml: missing required key 'val'",
                "data.yaml:2: 'kpt_shape' must be [K, 2] or [K, 3] with 0 < K ≤ 4096",
                "data.yaml:3: 'flip_idx' is not a permutation of 0...1",
                "data.yaml:4: 'names' class numbers must be 0...1",
                "data.yaml:5: 'kpt_oks_sigmas' must be a list of positive numbers",
            ])
    }

    @Test func `a flip index of the wrong length and a missing shape are reported`() {
        let error = #expect(throws: DataProblems.self) {
            try DatasetConfig.parse("train: t\nval: v\nkpt_shape: [3, 3]\nflip_idx: [1, 0]\nnames: [a]\n", file: "d.yaml")
        }
        #expect(error?.problems.map(\.description) == ["d.yaml:4: 'flip_idx' has 2 entries for 3 keypoints"])
        let missing = #expect(throws: DataProblems.self) { try DatasetConfig.parse("train: t\nval: v\n", file: "d.yaml") }
        #expect(
            missing?.problems.map(\.description) == [
                "d.yaml: missing required key 'kpt_shape'", "d.yaml: missing required key 'names'",
            ])
    }

    @Test func `invalid YAML names its line`() {
        let error = #expect(throws: DataProblems.self) {
            try DatasetConfig.parse("train: t\nval: [v\nkpt_shape: [1, 2]\n", file: "d.yaml")
        }
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.line != nil)
        #expect(error?.description.hasPrefix("d.yaml:") == true)
        #expect(error?.description.contains("invalid YAML") == true)
    }
}

/// Issue 20 (found by fuzzing): a split given as an empty path, however spelled, is refused.
@Suite struct `Empty split paths` {
    @Test func `an empty path is refused as a bad value, alone or in a list`() {
        for yaml in ["train: a\nval: [b, \"\"]\n", "train: [\"\"]\nval: b\n"] {
            let error = #expect(throws: DataProblems.self) {
                try DatasetConfig.parse(yaml + "kpt_shape: [3, 3]\nnames: {0: face}\n", file: "d.yaml")
            }
            #expect(
                error?.problems.contains { if case .badValue(_, "has an entry that is not a path") = $0.reason { true } else { false } }
                    == true, "\(yaml)")
        }
    }
}

/// Issue 20 (found by fuzzing): YAML 1.1 reads `nc: 4:05...` as a base-60 number; a class or
/// keypoint count no data set has is refused instead of allocated.
@Suite struct `Absurd counts` {
    @Test func `an enormous nc or K is a bad value`() {
        for (yaml, key) in [("nc: 4:0555555555555555555\n", "nc"), ("nc: 10001\n", "nc")] {
            let error = #expect(throws: DataProblems.self) {
                try DatasetConfig.parse("train: a\nval: b\nkpt_shape: [2, 2]\n" + yaml, file: "d.yaml")
            }
            #expect(error?.problems.map(\.reason) == [.badValue(key: key, reason: "must be a whole number from 1 to 10000")])
        }
        let error = #expect(throws: DataProblems.self) {
            try DatasetConfig.parse("train: a\nval: b\nkpt_shape: [4097, 3]\nnc: 1\n", file: "d.yaml")
        }
        #expect(error?.problems.map(\.reason) == [.badValue(key: "kpt_shape", reason: "must be [K, 2] or [K, 3] with 0 < K ≤ 4096")])
        #expect((try? DatasetConfig.parse("train: a\nval: b\nkpt_shape: [468, 3]\nnc: 10000\n", file: "d.yaml"))?.names.count == 10000)
    }
}
