import Foundation
import PoseData

/// CVAT's "CVAT for images 1.1" XML, for faces: per face a `<box>` of its class and a
/// `<skeleton>` of the layout's points, tied by one `group_id`. A point with visibility 0 is
/// `outside="1"`, one with visibility 1 `occluded="1"`. Coordinates are pixels, written in Swift's
/// shortest exact form (CVAT rounds to 2 decimals when it exports; facelabel keeps sub-pixels).
/// The box carries the ledger label it came from in an attribute, `facelabel_id`, so an import
/// finds it again; a face a person drew has none.
public enum CVATXML {
    /// The skeleton label's name.
    public static let skeletonName = "landmarks"
    /// The box attribute that holds the ledger label id.
    public static let idAttribute = "facelabel_id"

    public struct Face: Sendable, Equatable {
        public var instance: PoseInstance
        /// The ledger label id and its version when exported, when the face came from facelabel.
        public var id: LabelReference?
        /// `auto` for a model's labels, `manual` for a person's (CVAT's `source`).
        public var source: String

        public init(instance: PoseInstance, id: LabelReference?, source: String) {
            (self.instance, self.id, self.source) = (instance, id, source)
        }
    }

    /// A ledger label and the number of decisions it had when exported, written `id:version`.
    public struct LabelReference: Sendable, Equatable, LosslessStringConvertible {
        public var id: Int64
        public var version: Int

        public init(id: Int64, version: Int) { (self.id, self.version) = (id, version) }

        public init?(_ text: String) {
            let parts = text.split(separator: ":")
            guard parts.count == 2, let id = Int64(parts[0]), let version = Int(parts[1]), version >= 0 else { return nil }
            (self.id, self.version) = (id, version)
        }

        public var description: String { "\(id):\(version)" }
    }

    public struct Image: Sendable, Equatable {
        /// The image's name: `split/path` for facelabel's files.
        public var name: String
        public var width: Int
        public var height: Int
        public var faces: [Face]

        public init(name: String, width: Int, height: Int, faces: [Face]) {
            (self.name, self.width, self.height, self.faces) = (name, width, height, faces)
        }
    }

    // MARK: Writing

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// The document: the labels in `<meta>` (each class a rectangle label with the id attribute,
    /// and the skeleton with one `points` label per keypoint), then the images.
    public static func document(_ images: [Image], classNames: [String], pointNames: [String], taskName: String) -> String {
        var lines = [#"<?xml version="1.0" encoding="utf-8"?>"#, "<annotations>", "  <version>1.1</version>", "  <meta>", "    <task>"]
        lines += [
            "      <name>\(escaped(taskName))</name>", "      <size>\(images.count)</size>", "      <mode>annotation</mode>",
            "      <labels>",
        ]
        for name in classNames {
            lines += [
                "        <label>", "          <name>\(escaped(name))</name>", "          <type>rectangle</type>", "          <attributes>",
                "            <attribute>", "              <name>\(idAttribute)</name>", "              <mutable>False</mutable>",
                "              <input_type>text</input_type>", "              <default_value></default_value>",
                "              <values></values>",
                "            </attribute>", "          </attributes>", "        </label>",
            ]
        }
        let circles = pointNames.enumerated().map { index, name in
            #"<circle r="1.5" cx="\#(10 + index % 10 * 8)" cy="\#(10 + index / 10 * 8)" data-type="element node" "#
                + #"data-element-id="\#(index + 1)" data-node-id="\#(index + 1)" data-label-name="\#(escaped(name))"></circle>"#
        }.joined()
        lines += [
            "        <label>", "          <name>\(skeletonName)</name>", "          <type>skeleton</type>", "          <attributes>",
            "          </attributes>",
            "          <svg>\(escaped(circles))</svg>", "        </label>",
        ]
        for name in pointNames {
            lines += [
                "        <label>", "          <name>\(escaped(name))</name>", "          <type>points</type>", "          <attributes>",
                "          </attributes>",
                "          <parent>\(skeletonName)</parent>", "        </label>",
            ]
        }
        lines += ["      </labels>", "    </task>", "  </meta>"]
        for (index, image) in images.enumerated() {
            lines.append(#"  <image id="\#(index)" name="\#(escaped(image.name))" width="\#(image.width)" height="\#(image.height)">"#)
            let (w, h) = (Double(image.width), Double(image.height))
            for (position, face) in image.faces.enumerated() {
                let (box, group) = (face.instance.box, position + 1)
                lines.append(
                    #"    <box label="\#(escaped(classNames[face.instance.classIndex]))" source="\#(face.source)" occluded="0" "#
                        + #"xtl="\#(number(box.minX * w))" ytl="\#(number(box.minY * h))" xbr="\#(number(box.maxX * w))" "#
                        + #"ybr="\#(number(box.maxY * h))" z_order="0" group_id="\#(group)">"#
                )
                if let id = face.id { lines.append(#"      <attribute name="\#(idAttribute)">\#(id)</attribute>"#) }
                lines.append("    </box>")
                lines.append(#"    <skeleton label="\#(skeletonName)" source="\#(face.source)" z_order="0" group_id="\#(group)">"#)
                for (point, name) in zip(face.instance.keypoints, pointNames) {
                    let (outside, occluded) = (point.visibility <= 0 ? 1 : 0, point.visibility > 0 && point.visibility < 1.5 ? 1 : 0)
                    lines.append(
                        #"      <points label="\#(escaped(name))" source="\#(face.source)" outside="\#(outside)" "#
                            + #"occluded="\#(occluded)" points="\#(number(point.x * w)),\#(number(point.y * h))">"#
                    )
                    lines.append("      </points>")
                }
                lines.append("    </skeleton>")
            }
            lines.append("  </image>")
        }
        lines.append("</annotations>")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Reading

    /// Reads a CVAT for images 1.1 file: its images with their faces (a box and the skeleton of
    /// its group; a skeleton alone gets the extent of its points as its box).
    ///
    /// - Throws: ``DataProblem`` naming the file, the line and what is wrong.
    public static func read(_ url: URL, classNames: [String], pointNames: [String]) throws -> [Image] {
        try parse(InputFile.exchange.read(url)!, file: url.path, classNames: classNames, pointNames: pointNames)
    }

    public static func parse(_ data: Data, file: String, classNames: [String], pointNames: [String]) throws -> [Image] {
        var reader = Reader(file: file, classNames: classNames, pointNames: pointNames)
        do {
            try XMLReader.read(data) { event, line in try reader.handle(event, line: line) }
        } catch let failure as XMLReader.Failure {
            throw DataProblem(file: file, line: failure.line, reason: .malformed(failure.message))
        }
        guard reader.sawRoot else { throw DataProblem(file: file, reason: .malformed("not a CVAT file: no <annotations>")) }
        return reader.images
    }

    /// The 1-based line of the first byte that is not UTF-8, or nil when all of `data` is.
    static func firstInvalidUTF8Line(_ data: Data) -> Int? {
        var decoder = UTF8()
        var bytes = data.makeIterator()
        var line = 1
        while true {
            switch decoder.decode(&bytes) {
            case .scalarValue(let scalar): if scalar == "\n" { line += 1 }
            case .emptyInput: return nil
            case .error: return line
            }
        }
    }

    /// Collects each image's boxes and skeletons from the XML events, then pairs them by group.
    struct Reader {
        let file: String
        let classNames: [String]
        let pointIndex: [String: Int]
        var images: [Image] = []
        var sawRoot = false

        /// A `<box>` element read: its class, corners in pixels, group, source and ledger label.
        struct BoxElement { var classIndex: Int; var rect: [Double]; var group: String?; var source: String; var id: LabelReference? }
        /// A `<skeleton>` element read: its group, source and points.
        struct SkeletonElement { var group: String?; var source: String; var points: [Keypoint?] }
        var image: (name: String, width: Int, height: Int)?
        var boxes: [BoxElement] = []
        var skeletons: [SkeletonElement] = []
        /// The text of the `facelabel_id` attribute being read, if one is.
        var idText: String?

        init(file: String, classNames: [String], pointNames: [String]) {
            self.file = file
            self.classNames = classNames
            pointIndex = Dictionary(uniqueKeysWithValues: pointNames.enumerated().map { ($0.element, $0.offset) })
        }

        func fault(_ line: Int, _ text: String) -> DataProblem { DataProblem(file: file, line: line, reason: .malformed(text)) }

        func number(_ attributes: [String: String], _ key: String, in element: String, line: Int) throws -> Double {
            guard let text = attributes[key], let value = Double(text), value.isFinite else {
                throw fault(line, "<\(element)> needs a number in \(key), found '\(attributes[key] ?? "")'")
            }
            return value
        }

        mutating func handle(_ event: XMLReader.Event, line: Int) throws {
            switch event {
            case .start(let element, let attributes): try start(element, attributes, line: line)
            case .text(let text): if idText != nil { idText! += text }
            case .end(let element): try end(element, line: line)
            }
        }

        mutating func start(_ element: String, _ attributes: [String: String], line: Int) throws {
            switch element {
            case "annotations": sawRoot = true
            case "image":
                guard let name = attributes["name"], let width = attributes["width"].flatMap(Int.init),
                    let height = attributes["height"].flatMap(Int.init),
                    width > 0, height > 0
                else { throw fault(line, "<image> needs a name and a positive width and height") }
                (image, boxes, skeletons) = ((name, width, height), [], [])
            case "box":
                guard image != nil else { throw fault(line, "<box> outside an <image>") }
                let label = attributes["label"] ?? ""
                guard let classIndex = classNames.firstIndex(of: label) else {
                    throw fault(line, "<box> of label '\(label)', not one of the classes \(classNames)")
                }
                let corners = try ["xtl", "ytl", "xbr", "ybr"].map { try number(attributes, $0, in: "box", line: line) }
                if let rotation = attributes["rotation"].flatMap(Double.init), rotation != 0 {
                    throw fault(line, "<box> is rotated; faces are upright boxes")
                }
                boxes.append(
                    BoxElement(
                        classIndex: classIndex, rect: corners, group: attributes["group_id"], source: attributes["source"] ?? "manual",
                        id: nil))
            case "attribute" where attributes["name"] == CVATXML.idAttribute && !boxes.isEmpty:
                idText = ""
            case "skeleton":
                guard image != nil else { throw fault(line, "<skeleton> outside an <image>") }
                skeletons.append(
                    SkeletonElement(
                        group: attributes["group_id"], source: attributes["source"] ?? "manual",
                        points: Array(repeating: nil, count: pointIndex.count)))
            case "points" where !skeletons.isEmpty:
                let label = attributes["label"] ?? ""
                guard let index = pointIndex[label] else { throw fault(line, "<points> of label '\(label)', not a keypoint of the layout") }
                guard let (w, h) = image.map({ (Double($0.width), Double($0.height)) }) else { return }
                let pair = (attributes["points"] ?? "").split(separator: ",").compactMap { Double($0) }
                guard pair.count == 2, pair.allSatisfy(\.isFinite) else {
                    throw fault(line, "<points label=\"\(label)\"> needs one point x,y, found '\(attributes["points"] ?? "")'")
                }
                let outside = attributes["outside"] == "1"
                let occluded = attributes["occluded"] == "1"
                skeletons[skeletons.count - 1].points[index] = Keypoint(
                    x: min(max(pair[0] / w, 0), 1), y: min(max(pair[1] / h, 0), 1), visibility: outside ? 0 : (occluded ? 1 : 2))
            default: break
            }
        }

        mutating func end(_ element: String, line: Int) throws {
            switch element {
            case "attribute" where idText != nil:
                let text = idText!.trimmingCharacters(in: .whitespacesAndNewlines)
                idText = nil
                guard text.isEmpty || LabelReference(text) != nil else {
                    throw fault(line, "\(CVATXML.idAttribute) '\(text)' is not a label reference (id:version)")
                }
                boxes[boxes.count - 1].id = LabelReference(text)
            case "image": try finishImage(line: line)
            default: break
            }
        }

        /// Pairs the image's boxes and skeletons by group (in order when there are no groups).
        mutating func finishImage(line: Int) throws {
            guard let (name, width, height) = image else { return }
            let (w, h) = (Double(width), Double(height))
            var unpaired = skeletons
            var faces: [Face] = []
            for box in boxes {
                let match =
                    box.group.flatMap { group in unpaired.firstIndex { $0.group == group } }
                    ?? (box.group == nil ? unpaired.firstIndex { $0.group == nil } : nil)
                let skeleton = match.map { unpaired.remove(at: $0) }
                let absent = Keypoint(x: 0, y: 0, visibility: 0)
                let keypoints = skeleton?.points.map { $0 ?? absent } ?? Array(repeating: absent, count: pointIndex.count)
                let clamp = { (v: Double, limit: Double) in min(max(v, 0), limit) }
                let bounds = BoundingBox(
                    minX: clamp(box.rect[0], w) / w, minY: clamp(box.rect[1], h) / h, maxX: clamp(box.rect[2], w) / w,
                    maxY: clamp(box.rect[3], h) / h)
                guard bounds.maxX > bounds.minX, bounds.maxY > bounds.minY else { throw fault(line, "image '\(name)': a box of no area") }
                faces.append(
                    Face(
                        instance: PoseInstance(classIndex: box.classIndex, box: bounds, keypoints: keypoints), id: box.id,
                        source: box.source))
            }
            for lone in unpaired {
                // a skeleton a person drew without a box: the extent of its points
                let placed = lone.points.compactMap { $0 }.filter { $0.visibility > 0 }
                guard placed.count >= 2, let minX = placed.map(\.x).min(), let maxX = placed.map(\.x).max(),
                    let minY = placed.map(\.y).min(),
                    let maxY = placed.map(\.y).max(), maxX > minX, maxY > minY
                else { throw fault(line, "image '\(name)': a skeleton without its box, and too few points to place one") }
                let keypoints = lone.points.map { $0 ?? Keypoint(x: 0, y: 0, visibility: 0) }
                faces.append(
                    Face(
                        instance: PoseInstance(
                            classIndex: 0, box: BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY), keypoints: keypoints),
                        id: nil, source: lone.source))
            }
            images.append(Image(name: name, width: width, height: height, faces: faces))
            image = nil
        }
    }
}
