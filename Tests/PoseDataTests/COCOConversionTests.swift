import Foundation
import Testing

@testable import Imaging
@testable import Interchange
@testable import PoseData
@testable import Synth

@Suite struct COCOConversionTests {
    /// Every instance of two entry lists matches to within `tolerance` (normalised units).
    func expectSameLabels(
        _ a: [DatasetWriter.Entry], _ b: [DatasetWriter.Entry], tolerance: Double = 1e-9,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(a.map(\.relativePath) == b.map(\.relativePath), sourceLocation: sourceLocation)
        var largest = 0.0
        for (x, y) in zip(a, b) {
            #expect(x.instances.count == y.instances.count, sourceLocation: sourceLocation)
            for (p, q) in zip(x.instances, y.instances) {
                #expect(p.classIndex == q.classIndex && p.keypoints.count == q.keypoints.count, sourceLocation: sourceLocation)
                let values = { (i: PoseInstance) -> [Double] in
                    let box = [i.box.centerX, i.box.centerY, i.box.width, i.box.height]
                    return box + i.keypoints.flatMap { [$0.x, $0.y, $0.visibility] }
                }
                for (u, v) in zip(values(p), values(q)) { largest = max(largest, abs(u - v)) }
            }
        }
        #expect(largest <= tolerance, "largest difference \(largest)", sourceLocation: sourceLocation)
    }

    /// Writes a COCO object with each top-level key and each element of its lists on a line of its
    /// own, in the order images, annotations, categories: with one image, `images[0]` is on line 3
    /// and `annotations[i]` on line 6 + i.
    func writeJSON(_ object: [String: Any], to url: URL) throws {
        var lines = ["{"]
        let keys = ["images", "annotations", "categories"].filter { object[$0] != nil }
        for (position, key) in keys.enumerated() {
            let elements = try (object[key] as! [Any]).map {
                String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self)
            }
            lines.append("\"\(key)\": [")
            lines.append(contentsOf: elements.enumerated().map { $0.offset < elements.count - 1 ? $0.element + "," : $0.element })
            lines.append(position < keys.count - 1 ? "]," : "]")
        }
        lines.append("}")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
    }

    @Test func `YOLO to COCO to YOLO gives the same labels`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let yaml = try makeSmallDataset(in: scratch.appendingPathComponent("data"))
        let original = try Dataset.load(yaml)
        for split in [Split.train, .val] {
            let json = scratch.appendingPathComponent("\(split).json")
            let exported = try COCOConversion.export(data: yaml, split: split, to: json)
            #expect(exported.images == (split == .train ? 3 : 1))
            let out = scratch.appendingPathComponent("back-\(split)")
            let imported = try COCOConversion.importDataset(
                json: json, images: original.root.appendingPathComponent("images/\(split)"), output: out,
                options: .init(split: split))
            #expect(imported.annotations == exported.annotations)
            let back = try Dataset.load(out.appendingPathComponent("data.yaml"))
            #expect(back.config.keypointShape == original.config.keypointShape)
            #expect(back.config.flipIndex == original.config.flipIndex)
            #expect(back.config.names == original.config.names)
            // Within 1e-9, well inside the 1e-6 the issue asks for.
            expectSameLabels(try back.entries(split), try original.entries(split))
        }
    }

    @Test func `an imported 300-W face set round-trips with its scheme's names`() async throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let summary = try await Import300W.run(
            source: fixture("300w"), output: scratch.appendingPathComponent("faces"), options: .init(valFraction: 0))
        let yaml = URL(fileURLWithPath: summary.data)
        let json = scratch.appendingPathComponent("faces.json")
        try COCOConversion.export(data: yaml, split: .train, to: json)
        // Without the flip_idx extension the names alone give the 51-point flip index.
        var document = try COCOKeypoints.read(json)
        #expect(document.categories[0].keypoints == KeypointScheme.face51.names)
        document.categories[0].flipIndex = nil
        try document.json().write(to: json)
        try COCOConversion.importDataset(
            json: json, images: scratch.appendingPathComponent("faces/images/train"),
            output: scratch.appendingPathComponent("back"), options: .init(split: .train))
        let back = try Dataset.load(scratch.appendingPathComponent("back/data.yaml"))
        #expect(back.config.flipIndex == FaceLandmarks.flipIndex)
        expectSameLabels(try back.entries(.train), try Dataset.load(yaml).entries(.train))
    }

    @Test func `the exported JSON has COCO's fields in pixels`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let yaml = try makeSmallDataset(in: scratch)
        let json = scratch.appendingPathComponent("train.json")
        try COCOConversion.export(data: yaml, split: .train, to: json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let images = try #require(object["images"] as? [[String: Any]])
        #expect(images.map { $0["file_name"] as? String } == ["a.jpg", "c.jpg", "sub/b.png"])
        #expect(images[0]["id"] as? Int == 1 && images[0]["width"] as? Int == 32 && images[0]["height"] as? Int == 24)
        let category = try #require((object["categories"] as? [[String: Any]])?.first)
        #expect(category["id"] as? Int == 1 && category["name"] as? String == "face")
        #expect(category["keypoints"] as? [String] == ["kp_0", "kp_1"])
        #expect(category["flip_idx"] as? [Int] == [1, 0])
        #expect(category["skeleton"] as? [[Int]] == [])
        let annotations = try #require(object["annotations"] as? [[String: Any]])
        #expect(annotations.count == 3)
        // a.jpg (32×24): "0 0.5 0.5 0.4 0.4 0.4 0.4 2 0.6 0.4 2".
        let first = annotations[0]
        #expect(first["image_id"] as? Int == 1 && first["category_id"] as? Int == 1 && first["iscrowd"] as? Int == 0)
        let bbox = try #require(first["bbox"] as? [Double])
        #expect(zip(bbox, [9.6, 7.2, 12.8, 9.6]).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(abs((first["area"] as? Double ?? 0) - 12.8 * 9.6) < 1e-9)
        let keypoints = try #require(first["keypoints"] as? [Double])
        #expect(zip(keypoints, [12.8, 9.6, 2, 19.2, 9.6, 2]).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(first["num_keypoints"] as? Int == 2)
        // sub/b.png's second face has one unlabelled point.
        #expect(annotations[2]["num_keypoints"] as? Int == 1)
        // An existing file is kept unless overwriting.
        #expect(throws: DataProblem.self) { try COCOConversion.export(data: yaml, split: .train, to: json) }
        #expect(try COCOConversion.export(data: yaml, split: .train, to: json, overwrite: true).annotations == 3)
    }

    @Test func `confidences become visibility 2 in COCO`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let yaml = try makeSmallDataset(in: scratch)
        let label = scratch.appendingPathComponent("labels/val/d.txt")
        try AtomicFile.write("0 0.5 0.5 0.5 0.5 0.45 0.4 0.83 0.55 0.4 0\n", to: label)
        let json = scratch.appendingPathComponent("val.json")
        let summary = try COCOConversion.export(data: yaml, split: .val, to: json)
        #expect(summary.confidencesAsVisible == 1)
        let document = try COCOKeypoints.read(json)
        #expect(document.annotations[0].keypoints[2] == 2 && document.annotations[0].keypoints[5] == 0)
        #expect(document.annotations[0].numKeypoints == 1)
    }

    /// A valid document with one 20×10 image `a.png` and one annotation of two points; `change`
    /// edits its JSON object before it is written.
    func makeDocument(in folder: URL, _ change: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        try ImageCodec.write(gradientImage(width: 20, height: 10), to: folder.appendingPathComponent("images/a.png"))
        var object: [String: Any] = [
            "images": [["id": 7, "file_name": "a.png", "width": 20, "height": 10]],
            "annotations": [
                [
                    "id": 1, "image_id": 7, "category_id": 3, "bbox": [2, 1, 10, 6], "area": 60, "iscrowd": 0,
                    "keypoints": [4, 3, 2, 8, 3, 1], "num_keypoints": 2,
                ]
            ],
            "categories": [["id": 3, "name": "face", "keypoints": ["left_eye", "right_eye"], "skeleton": [[1, 2]]]],
        ]
        change(&object)
        let url = folder.appendingPathComponent("a.json")
        try writeJSON(object, to: url)
        return url
    }

    func importProblems(_ change: @escaping (inout [String: Any]) -> Void) throws -> [String] {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let json = try makeDocument(in: scratch, change)
        let out = scratch.appendingPathComponent("out")
        defer { #expect(!FileManager.default.fileExists(atPath: out.path)) }
        do {
            try COCOConversion.importDataset(json: json, images: scratch.appendingPathComponent("images"), output: out)
            return []
        } catch let error as DataProblems {
            return error.problems.map { $0.description.replacingOccurrences(of: json.path, with: "a.json") }
        } catch let error as DataProblem {
            return [error.description.replacingOccurrences(of: json.path, with: "a.json")]
        }
    }

    @Test func `a labelling tool's file imports with classes, flip index and pixels converted`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let json = try makeDocument(in: scratch)
        let summary = try COCOConversion.importDataset(
            json: json, images: scratch.appendingPathComponent("images"), output: scratch.appendingPathComponent("out"),
            options: .init(valFraction: 0))
        #expect(summary.classes == ["face"] && summary.keypoints == 2 && summary.hasFlipIndex)
        #expect(summary.images == 1 && summary.annotations == 1 && summary.trainImages == 1)
        let dataset = try Dataset.load(scratch.appendingPathComponent("out/data.yaml"))
        #expect(dataset.config.flipIndex == [1, 0])
        #expect(
            try dataset.entries(.train).first?.instances == [
                PoseInstance(
                    classIndex: 0, box: BoundingBox(minX: 2 / 20, minY: 1 / 10, maxX: 12 / 20, maxY: 7 / 10),
                    keypoints: [Keypoint(x: 4 / 20, y: 3 / 10, visibility: 2), Keypoint(x: 8 / 20, y: 3 / 10, visibility: 1)])
            ])
    }

    @Test func `structural faults name the JSON path`() throws {
        #expect(
            try importProblems { object in
                var annotation = (object["annotations"] as! [[String: Any]])[0]
                annotation["bbox"] = nil
                object["annotations"] = [annotation]
            } == ["a.json:6: annotations[0] has no 'bbox'"])
        #expect(
            try importProblems { object in
                var image = (object["images"] as! [[String: Any]])[0]
                image["width"] = "wide"
                object["images"] = [image]
            } == ["a.json:3: images[0].width: expected a whole number"])
        #expect(try importProblems { $0["categories"] = nil } == ["a.json: the top level has no 'categories'"])
    }

    @Test func `a file that is not JSON is reported as such`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let url = scratch.appendingPathComponent("bad.json")
        try Data("{\"images\": [".utf8).write(to: url)
        let error = #expect(throws: DataProblem.self) { try COCOKeypoints.read(url) }
        #expect(error?.description.hasPrefix("\(url.path): not valid JSON") == true)
    }

    @Test func `bad values are all reported with their annotation and nothing is written`() throws {
        let problems = try importProblems { object in
            object["annotations"] = [
                ["id": 1, "image_id": 7, "category_id": 3, "bbox": [2, 1, 10, 6], "keypoints": [4, 3, 2, 8, 3]],
                ["id": 2, "image_id": 8, "category_id": 3, "bbox": [2, 1, 10, 6], "keypoints": [4, 3, 2, 8, 3, 1]],
                ["id": 3, "image_id": 7, "category_id": 4, "bbox": [2, 1, 10, 6], "keypoints": [4, 3, 2, 8, 3, 1]],
                ["id": 4, "image_id": 7, "category_id": 3, "bbox": [2, 1, 0, 6], "keypoints": [4, 3, 2, 8, 3, 1]],
                ["id": 5, "image_id": 7, "category_id": 3, "bbox": [2, 1, 10, 6], "keypoints": [4, 3, 3, 8, 3, 1]],
                ["id": 5, "image_id": 7, "category_id": 3, "bbox": [30, 1, 10, 6], "keypoints": [4, 3, 2, 8, 3, 1]],
            ]
        }
        #expect(
            problems == [
                "a.json:6: annotations[0] (id 1): keypoints has 5 values; expected 6 (x, y, v for 2 points)",
                "a.json:7: annotations[1] (id 2): image_id 8 is not in 'images'",
                "a.json:8: annotations[2] (id 3): category_id 4 is not in 'categories'",
                "a.json:9: annotations[3] (id 4): bbox width and height must be positive, found 0.0 x 6.0",
                "a.json:10: annotations[4] (id 5): keypoint 0 has visibility 3.0; COCO allows 0, 1 or 2",
                "a.json:11: annotations[5] (id 5): the id is used by an earlier annotation",
                "a.json:11: annotations[5] (id 5): bbox [30.0, 1.0, 10.0, 6.0] lies outside the 20x10 image",
            ])
    }

    @Test func `a syntax fault names its line, and the top-level keys may come in any order`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // categories after annotations, as some tools write them
        let json = try makeDocument(in: scratch)
        let summary = try COCOConversion.importDataset(
            json: json, images: scratch.appendingPathComponent("images"), output: scratch.appendingPathComponent("out"))
        #expect(summary.annotations == 1)
        var text = try String(contentsOf: json, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"iscrowd\":0", with: "\"iscrowd\":O")
        try Data(text.utf8).write(to: json)
        let error = #expect(throws: DataProblem.self) {
            try COCOConversion.importDataset(
                json: json, images: scratch.appendingPathComponent("images"), output: scratch.appendingPathComponent("again"))
        }
        #expect(error?.description == "\(json.path):6: not valid JSON: expected a value, found 'O'")
    }

    @Test func `a file of many faulty annotations lists the first hundred and counts the rest`() throws {
        let problems = try importProblems { object in
            object["annotations"] = (1...150).map { id in
                ["id": id, "image_id": 8, "category_id": 3, "bbox": [2, 1, 10, 6], "keypoints": [4, 3, 2, 8, 3, 1]]
            }
        }
        #expect(problems.count == COCOLabels.listedProblems + 1)
        #expect(problems[99] == "a.json:105: annotations[99] (id 100): image_id 8 is not in 'images'")
        #expect(problems.last == "a.json: 50 more faulty annotations not listed")
    }

    @Test func `the spool keeps each image's lines in order across flushes`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let spool = try LabelSpool(beside: scratch.appendingPathComponent("out"), flushBytes: 10)
        for line in 0..<20 { try spool.append("line \(line)\n", to: line % 3 == 0 ? 0 : 5) }
        let files = try spool.finish()
        #expect(Set(files.keys) == [0, 5])
        let first = try String(contentsOf: try #require(files[0]), encoding: .utf8)
        #expect(first == stride(from: 0, to: 20, by: 3).map { "line \($0)\n" }.joined())
        spool.remove()
        #expect(!FileManager.default.fileExists(atPath: spool.folder.path))
    }

    @Test func `categories must share one keypoint layout`() throws {
        #expect(
            try importProblems { object in
                object["categories"] = [
                    ["id": 3, "name": "face", "keypoints": ["left_eye", "right_eye"]],
                    ["id": 4, "name": "cat", "keypoints": ["nose"]], ["id": 5, "name": "box"],
                ]
            } == [
                "a.json: categories[1] (id 4): has 1 keypoints, the first category 2; all must have the same",
                "a.json: categories[2] (id 5): has no 'keypoints' names; a pose data set needs them",
            ])
    }

    @Test func `a missing image or one of another size is an error`() throws {
        #expect(
            try importProblems { object in
                object["images"] = [["id": 7, "file_name": "b.png", "width": 20, "height": 10]]
            }.map { $0.replacing(#/ in .*$/#, with: " in IMAGES") } == [
                "a.json: images[0] (id 7): 'b.png' is not in IMAGES"
            ])
        let problems = try importProblems { object in
            object["images"] = [["id": 7, "file_name": "sub/a.png", "width": 10, "height": 20]]
        }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("a.json: images[0] (id 7): the JSON says 10x20 but ") == true)
        #expect(problems.first?.hasSuffix("/images/a.png is 20x10") == true)
    }

    @Test func `crowds are left out and outside points become unlabelled`() throws {
        let scratch = try makeScratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let json = try makeDocument(in: scratch) { object in
            object["annotations"] = [
                ["id": 1, "image_id": 7, "category_id": 3, "bbox": [-2, 1, 10, 6], "keypoints": [4, 3, 2, 21, 3, 2]],
                ["id": 2, "image_id": 7, "category_id": 3, "bbox": [0, 0, 20, 10], "keypoints": [0, 0, 0, 0, 0, 0], "iscrowd": 1],
            ]
        }
        let summary = try COCOConversion.importDataset(
            json: json, images: scratch.appendingPathComponent("images"), output: scratch.appendingPathComponent("out"),
            options: .init(split: .val))
        #expect(summary.crowdAnnotations == 1 && summary.annotations == 1)
        #expect(summary.pointsOutsideImage == 1 && summary.boxesClamped == 1)
        #expect(summary.valImages == 1 && summary.trainImages == 0)
        let dataset = try Dataset.load(scratch.appendingPathComponent("out/data.yaml"))
        let face = try #require(try dataset.entries(.val).first?.instances.first)
        #expect(face.box == BoundingBox(minX: 0, minY: 1 / 10, maxX: 8 / 20, maxY: 7 / 10))
        #expect(face.keypoints[1] == Keypoint(x: 1, y: 3 / 10, visibility: 0))
    }
}
