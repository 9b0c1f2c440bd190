import Foundation
import Pose
import Testing

@testable import AutoLabel
@testable import Interchange
@testable import PoseData

/// A face of two points on a 200 x 100 image, the second invisible (values exact in binary, so that
/// percentages and pixels convert back exactly).
let twoPointFace = PoseInstance(
    classIndex: 0, box: BoundingBox(minX: 0.25, minY: 0.125, maxX: 0.75, maxY: 0.875),
    keypoints: [Keypoint(x: 0.3125, y: 0.5, visibility: 2), Keypoint(x: 0, y: 0, visibility: 0)])

@Suite struct `Label Studio and CVAT formats` {
    @Test func `a face goes to Label Studio as a box in percent and its visible points tied to it`() throws {
        let regions = LabelStudio.regions(
            of: twoPointFace, id: "L7", className: "face", pointNames: ["eye", "nose"], width: 200, height: 100, score: 0.8)
        #expect(regions.count == 2)
        #expect(
            regions[0].type == "rectanglelabels" && regions[0].id == "L7" && regions[0].fromName == "face" && regions[0].toName == "image")
        #expect(regions[0].value == LabelStudio.Value(x: 25, y: 12.5, width: 50, height: 75, rotation: 0, rectanglelabels: ["face"]))
        #expect(regions[0].originalWidth == 200 && regions[0].originalHeight == 100 && regions[0].score == 0.8)
        #expect(regions[1].type == "keypointlabels" && regions[1].parentID == "L7" && regions[1].value?.keypointlabels == ["eye"])
        #expect(regions[1].value?.x == 31.25 && regions[1].value?.y == 50)
        let json = String(
            decoding: try LabelStudio.json([
                LabelStudio.Task(
                    data: .init(image: "/data/local-files/?d=a.jpg", facelabel: nil),
                    predictions: [.init(modelVersion: "v", score: 0.8, result: regions)])
            ]), as: UTF8.self)
        for key in [
            #""from_name":"face""#, #""parentID":"L7""#, #""model_version":"v""#, #""original_width":200"#, #""rectanglelabels":["face"]"#,
        ] {
            #expect(json.contains(key), "\(key)")
        }
        let back = try LabelStudio.faces(in: regions, classNames: ["face"], pointNames: ["eye", "nose"], file: "f", task: "t")
        #expect(back == [LabelStudio.Face(id: "L7", instance: twoPointFace)])
        let config = LabelStudio.labellingConfig(classNames: ["face"], pointNames: ["eye", "nose"])
        #expect(config.contains(#"<RectangleLabels name="face" toName="image">"#))
        #expect(config.contains(#"<Label value="eye" model_index="0"/>"#) && config.contains(#"<Label value="nose" model_index="1"/>"#))
    }

    /// A Label Studio JSON export as its documentation and exports show it: a person object in
    /// completed_by, an `origin` on each region, a relation item, a cancelled and an older
    /// annotation, and the task's predictions listed by id (what Label Studio 1.23 writes).
    static let labelStudioExport = #"""
        [{"id": 3, "data": {"image": "/data/local-files/?d=run/a.jpg", "facelabel": {"split": "train", "path": "a.jpg"}},
          "annotations": [
            {"id": 11, "was_cancelled": false, "created_at": "2025-05-02T13:40:45.998046Z", "completed_by": {"id": 1, "email": "ann@clinic.org"},
             "result": [{"id": "old", "type": "rectanglelabels", "from_name": "face", "to_name": "image",
                         "value": {"x": 1, "y": 1, "width": 2, "height": 2, "rotation": 0, "rectanglelabels": ["face"]}}]},
            {"id": 12, "was_cancelled": false, "created_at": "2025-05-03T09:00:00.000000Z", "lead_time": 17.2, "completed_by": {"id": 1, "email": "ann@clinic.org"},
             "result": [
               {"id": "hplPm0Szvc", "type": "rectanglelabels", "origin": "manual", "from_name": "face", "to_name": "image",
                "original_width": 200, "original_height": 100, "image_rotation": 0,
                "value": {"x": 25, "y": 12.5, "width": 50, "height": 75, "rotation": 0, "rectanglelabels": ["face"]}},
               {"id": "YuLAREYKpq", "type": "keypointlabels", "origin": "manual", "parentID": "hplPm0Szvc", "from_name": "keypoints",
                "to_name": "image", "original_width": 200, "original_height": 100, "image_rotation": 0,
                "value": {"x": 31.25, "y": 50, "width": 0.5, "keypointlabels": ["eye"]}},
               {"from_id": "YuLAREYKpq", "to_id": "hplPm0Szvc", "type": "relation", "direction": "right"}]},
            {"id": 13, "was_cancelled": true, "created_at": "2025-05-04T09:00:00.000000Z", "completed_by": 2, "result": []}],
          "predictions": [1, 4]}]
        """#

    @Test func `a JSON-min export is read with each point tied to the face whose box holds it`() throws {
        // two faces, the second overlapping the first's corner; the nose lies in both, nearer the second's centre
        let minimal = #"""
            [{"image": "/data/local-files/?d=a.jpg", "id": 3, "facelabel": {"split": "train", "path": "a.jpg", "labels": {"L7": 7}},
              "face": [{"x": 25, "y": 12.5, "width": 50, "height": 75, "rotation": 0, "rectanglelabels": ["face"], "original_width": 200, "original_height": 100},
                       {"x": 60, "y": 70, "width": 30, "height": 28, "rotation": 0, "rectanglelabels": ["face"], "original_width": 200, "original_height": 100}],
              "keypoints": [{"x": 31.25, "y": 50, "width": 0.5, "keypointlabels": ["eye"], "original_width": 200, "original_height": 100},
                            {"x": 72, "y": 84, "width": 0.5, "keypointlabels": ["nose"], "original_width": 200, "original_height": 100}],
              "annotator": 7, "annotation_id": 12, "created_at": "2026-12-07T11:01:50Z", "lead_time": null}]
            """#
        let task = try #require(try LabelStudio.decode(Data(minimal.utf8), file: "min.json").first)
        #expect(task.regionIDsLost && task.data.facelabel?.labels == ["L7": 7])
        let answer = try #require(task.latestAnnotation)
        #expect(answer.completedBy == "user 7" && answer.id == 12)
        let faces = try LabelStudio.faces(in: answer.result, classNames: ["face"], pointNames: ["eye", "nose"], file: "f", task: "t")
        #expect(faces.count == 2 && faces[0].instance == twoPointFace)
        #expect(faces[1].instance.keypoints[1].visibility > 0 && faces[1].instance.keypoints[0].visibility == 0)
        // a point in no face's box is an error naming the file, the task and the point
        let stray = minimal.replacingOccurrences(of: #""x": 72, "y": 84"#, with: #""x": 5, "y": 5"#)
        let error = #expect(throws: DataProblem.self) { try LabelStudio.decode(Data(stray.utf8), file: "min.json") }
        let reason = "[0]: keypoints[1] (nose) lies in no face's box"
        #expect(error?.description.contains("min.json") == true && error?.description.contains(reason) == true)
    }

    @Test func `a Label Studio export reads its latest answer that is not cancelled`() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(Self.labelStudioExport.utf8).write(to: url)
        let task = try #require(try LabelStudio.read(url).first)
        let answer = try #require(task.latestAnnotation)
        #expect(answer.id == 12 && answer.completedBy == "ann@clinic.org")
        let faces = try LabelStudio.faces(in: answer.result, classNames: ["face"], pointNames: ["eye", "nose"], file: "f", task: "t")
        #expect(faces.map(\.instance) == [twoPointFace])
        // a point without its face, or of a name the layout lacks, is refused with the task named
        let orphan = LabelStudio.Region(
            id: "p", type: "keypointlabels", fromName: "keypoints", toName: "image", originalWidth: 1, originalHeight: 1, score: nil,
            value: .init(x: 1, y: 1, width: 0.5, keypointlabels: ["eye"]))
        let error = #expect(throws: DataProblem.self) {
            try LabelStudio.faces(in: [orphan], classNames: ["face"], pointNames: ["eye"], file: "f", task: "task 3")
        }
        #expect(error?.description == "f: task 3: 1 keypoints belong to no face (no parentID): group them under their face's box")
    }

    /// CVAT for images 1.1 as its documentation shows a skeleton: a box and a skeleton in one
    /// group, a point occluded, one outside, sub-pixel and 2-decimal coordinates.
    static let cvatExport = #"""
        <?xml version="1.0" encoding="utf-8"?>
        <annotations>
          <version>1.1</version>
          <meta><task><id>1</id><name>faces</name><labels>
            <label><name>face</name><type>rectangle</type><attributes></attributes></label>
            <label><name>landmarks</name><type>skeleton</type><attributes></attributes><svg></svg></label>
            <label><name>eye</name><type>points</type><attributes></attributes><parent>landmarks</parent></label>
            <label><name>nose</name><type>points</type><attributes></attributes><parent>landmarks</parent></label>
          </labels></task></meta>
          <image id="0" name="train/a.jpg" width="200" height="100">
            <skeleton label="landmarks" source="manual" z_order="0" group_id="1">
              <points label="eye" source="manual" outside="0" occluded="1" points="62.5,50.00">
              </points>
              <points label="nose" source="manual" outside="1" occluded="0" points="100.00,50.00">
              </points>
            </skeleton>
            <box label="face" source="manual" occluded="0" xtl="50.00" ytl="12.5" xbr="150.00" ybr="87.50" z_order="0" group_id="1">
              <attribute name="facelabel_id">42:1</attribute>
            </box>
          </image>
        </annotations>
        """#

    @Test func `a CVAT file reads each box with the skeleton of its group, outside and occluded points as visibility`() throws {
        let images = try CVATXML.parse(Data(Self.cvatExport.utf8), file: "a.xml", classNames: ["face"], pointNames: ["eye", "nose"])
        #expect(images.count == 1 && images[0].name == "train/a.jpg" && images[0].width == 200)
        var expected = twoPointFace
        expected.keypoints[0].visibility = 1
        expected.keypoints[1] = Keypoint(x: 0.5, y: 0.5, visibility: 0)
        #expect(images[0].faces == [CVATXML.Face(instance: expected, id: CVATXML.LabelReference(id: 42, version: 1), source: "manual")])
        // our writer's output reads back to the same faces, coordinates unrounded
        let written = CVATXML.document(images, classNames: ["face"], pointNames: ["eye", "nose"], taskName: "t")
        #expect(written.contains(#"<points label="eye" source="manual" outside="0" occluded="1" points="62.5,50">"#))
        #expect(written.contains(#"<skeleton label="landmarks" source="manual" z_order="0" group_id="1">"#))
        #expect(try CVATXML.parse(Data(written.utf8), file: "b.xml", classNames: ["face"], pointNames: ["eye", "nose"]) == images)
        let bad = Self.cvatExport.replacingOccurrences(of: "label=\"nose\"", with: "label=\"chin\"")
        let error = #expect(throws: DataProblem.self) {
            try CVATXML.parse(Data(bad.utf8), file: "a.xml", classNames: ["face"], pointNames: ["eye", "nose"])
        }
        #expect(error?.description == "a.xml:14: <points> of label 'chin', not a keypoint of the layout")
        // bytes that are not UTF-8 (Foundation's parser traps on them in a name: found by fuzzing)
        var broken = Data(Self.cvatExport.utf8)
        broken.replaceSubrange(broken.range(of: Data("<task>".utf8))!, with: Data([0x3C, 0xFF, 0xFE, 0x3E]))
        let notText = #expect(throws: DataProblem.self) {
            try CVATXML.parse(broken, file: "a.xml", classNames: ["face"], pointNames: ["eye", "nose"])
        }
        #expect(notText?.description == "a.xml:4: not UTF-8 text")
    }
}

@Suite struct `XML reader` {
    func events(_ text: String) throws -> [String] {
        var seen: [String] = []
        try XMLReader.read(Data(text.utf8)) { event, line in
            switch event {
            case .start(let name, let attributes):
                seen.append(
                    "\(line) <\(name) \(attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))>")
            case .end(let name): seen.append("\(line) </\(name)>")
            case .text(let text): if !text.allSatisfy(\.isWhitespace) { seen.append("\(line) '\(text)'") }
            }
        }
        return seen
    }

    func failure(_ text: String) -> String? {
        do {
            _ = try events(text)
            return nil
        } catch {
            return (error as? XMLReader.Failure).map { "\($0.line): \($0.message)" }
        }
    }

    @Test func `elements, attributes, references, comments, CDATA and instructions read as XML defines them`() throws {
        let text = """
            <?xml version="1.0" encoding="utf-8"?>
            <!-- a comment -->
            <a x='1' y="&lt;&amp;&#x41;&#66;&quot;">
              <b/>text &gt; more<![CDATA[<raw & kept>]]><?pi data?>
            </a>
            """
        #expect(try events(text) == ["3 <a x=1 y=<&AB\">", "4 <b >", "4 </b>", "4 'text > more'", "4 '<raw & kept>'", "5 </a>"])
    }

    @Test(arguments: [
        ("<a><b></a>", "1: not valid XML: </a> closes <b>"),
        ("<a>", "1: not valid XML: the text ends inside <a>"),
        ("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>", "1: not valid XML: a DOCTYPE or declaration is not accepted here"),
        ("<a x=1/>", "1: not valid XML: attribute x of <a> has no quoted value"),
        ("<a x='1' x='2'/>", "1: not valid XML: attribute x appears twice in <a>"),
        ("<a>&bogus;</a>", "1: not valid XML: unknown reference &bogus;"),
        ("<a/><b/>", "1: not valid XML: a second root element <b>"),
        ("<a>\n<?pi", "2: not valid XML: the text ends inside a processing instruction"),
        ("text", "1: not valid XML: text outside the root element"),
    ])
    func `malformed XML is a failure with its line`(text: String, message: String) {
        #expect(failure(text) == message)
    }
}

@Suite(.serialized) struct `Review round trips through labelling tools` {
    @Test func `edits made in Label Studio and CVAT come back as decisions, and an unedited round trip changes no label`() async throws {
        let (folder, data, _) = try await tinyDataSet()
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = tinySettings(truth: nil)
        settings.iterations = 1
        let run = folder.appendingPathComponent("run")
        let refiner = try startRefiner(run, data: data, settings: settings)
        _ = try await refiner.refine()
        let ledger = refiner.run.ledger
        let linesBefore = try ledger.labels().map(\.line)

        // Label Studio: the tasks go out, come back unanswered: nothing changes
        let (config, images) = try ReviewExchange.images(of: refiner.run, iteration: 1)
        let tasks = ReviewExchange.labelStudioTasks(images, config: config, documentRoot: folder, modelVersion: "t")
        #expect(
            tasks.allSatisfy {
                $0.data.image.hasPrefix("/data/local-files/?d=run/iter0/data/images/")
                    || $0.data.image.hasPrefix("/data/local-files/?d=data/images/")
            })
        #expect(tasks.allSatisfy { task in task.predictions?.first?.score == task.predictions?.first?.result.compactMap(\.score).min() })
        var untouched = try ReviewExchange.importLabelStudio(tasks, into: refiner.run, reviewer: nil, fallback: "ann", file: "t.json")
        #expect(untouched.unanswered == tasks.count && untouched.accepted + untouched.corrected + untouched.rejected + untouched.added == 0)
        #expect(try ledger.labels(matching: ReviewFilter()).allSatisfy { $0.version == 0 })

        // three tasks answered: one as it was, one with a point moved, one with a face removed and one drawn
        var answered = Array(tasks.prefix(3))
        for index in answered.indices {
            var result = answered[index].predictions![0].result
            if index == 1, let point = result.firstIndex(where: { $0.type == "keypointlabels" }) { result[point].value?.x! += 1 }
            if index == 2 {
                let removed = result.first { $0.type == "rectanglelabels" }!.id!
                result.removeAll { $0.id == removed || $0.parentID == removed }
                result += LabelStudio.regions(
                    of: twoPointFace, id: "new", className: "face", pointNames: ReviewExchange.pointNames(config), width: 64, height: 64,
                    score: nil)
            }
            answered[index].annotations = [
                LabelStudio.Annotation(id: index, result: result, createdAt: "2026-01-01", completedBy: "ann@clinic.org")
            ]
        }
        let roundTrip = try LabelStudio.read(
            try { () -> URL in
                let url = folder.appendingPathComponent("export.json")
                try LabelStudio.json(answered).write(to: url)
                return url
            }())
        // the file names its reviewer for the first two tasks; --reviewer, when given, wins for the third
        let edited = try ReviewExchange.importLabelStudio(
            Array(roundTrip.prefix(2)), into: refiner.run, reviewer: nil, fallback: "ann", file: "export.json")
        let named = try ReviewExchange.importLabelStudio(
            Array(roundTrip.suffix(1)), into: refiner.run, reviewer: "lee", fallback: "ann", file: "export.json")
        let faces = answered.map { task in task.predictions![0].result.filter { $0.type == "rectanglelabels" }.count }
        #expect(edited.corrected == 1 && named.rejected == 1 && named.added == 1, "\(edited) \(named)")
        #expect(edited.accepted + named.accepted == faces.reduce(0, +) - 2, "\(edited) \(named)")
        let decided = try ledger.labels(matching: ReviewFilter())
        #expect(decided.filter { $0.status == .corrected }.allSatisfy { $0.reviewer == "ann@clinic.org" })
        #expect(decided.filter { $0.status == .rejected }.map(\.reviewer) == ["lee"])
        // importing the same answers again decides nothing twice: the labels moved on
        let again = try ReviewExchange.importLabelStudio(roundTrip, into: refiner.run, reviewer: nil, fallback: "ann", file: "export.json")
        #expect(again.accepted == 0 && again.corrected == 0 && !again.conflicts.isEmpty)

        // CVAT, on images Label Studio did not touch: the file as exported accepts, and corrects nothing
        let decidedImages = Set(answered.map { $0.data.facelabel!.path })
        let rest = images.filter { !decidedImages.contains($0.key.path) }
        let document = ReviewExchange.cvatDocument(Array(rest.prefix(2)), config: config, taskName: "t")
        let parsed = try CVATXML.parse(
            Data(document.utf8), file: "a.xml", classNames: config.names, pointNames: ReviewExchange.pointNames(config))
        let unedited = try ReviewExchange.importCVAT(parsed, into: refiner.run, iteration: 1, reviewer: "bob", file: "a.xml")
        #expect(
            unedited.corrected == 0 && unedited.rejected == 0 && unedited.added == 0
                && unedited.accepted == rest.prefix(2).reduce(0) { $0 + $1.labels.count })
        // an edited CVAT file: a point pushed outside, a face deleted
        var edits = try CVATXML.parse(
            Data(ReviewExchange.cvatDocument(Array(rest.dropFirst(2).prefix(2)), config: config, taskName: "t").utf8), file: "b.xml",
            classNames: config.names, pointNames: ReviewExchange.pointNames(config))
        edits[0].faces[0].instance.keypoints[0].visibility = 0
        edits[1].faces.removeFirst()
        let cvat = try ReviewExchange.importCVAT(
            try CVATXML.parse(
                Data(CVATXML.document(edits, classNames: config.names, pointNames: ReviewExchange.pointNames(config), taskName: "t").utf8),
                file: "c.xml", classNames: config.names, pointNames: ReviewExchange.pointNames(config)),
            into: refiner.run, iteration: 1, reviewer: "bob", file: "c.xml")
        #expect(cvat.corrected == 1 && cvat.rejected == 1, "\(cvat)")
        // no label line was changed by any of it: corrections live in the ledger's decisions
        #expect(
            try ledger.labels().filter { $0.iteration <= 1 && $0.status != .corrected && $0.status != .added }.map(\.line).allSatisfy(
                linesBefore.contains))
        untouched = try ReviewExchange.importLabelStudio(tasks.suffix(1), into: refiner.run, reviewer: nil, fallback: "ann", file: "t.json")
        #expect(untouched.unanswered == 1)
    }
}
