import Foundation

/// Reading and writing YOLO-pose label files: one `class cx cy w h x1 y1 [v1] ... xK yK [vK]` line
/// per object, every value normalised to [0, 1] by the image's width (x) or height (y).
///
/// ```swift
/// let shape = KeypointShape(count: 51, dimensions: 3)
/// let faces = try LabelFile.read(url, keypointShape: shape, classCount: 1)
/// try LabelFile.write(faces, to: outURL, keypointShape: shape)
/// ```
public enum LabelFile {
    /// How far a coordinate may lie outside [0, 1] (rounding in the tool that wrote it) before the
    /// line is rejected. Values within it are clamped to [0, 1], because the reference rejects any
    /// keypoint above 1 and any value below 0.
    public static let defaultTolerance = 1e-3

    /// The result of parsing a label file leniently: the good lines and a problem for each bad one.
    public struct Parsed: Sendable, Hashable {
        public var instances: [PoseInstance]
        /// The 1-based line of each instance.
        public var lines: [Int]
        public var problems: [DataProblem]
    }

    /// Parses label text. Blank lines are skipped; a bad line becomes a problem and is left out;
    /// a repeated line is reported and kept once (as the reference does).
    ///
    /// - Parameters:
    ///   - file: the name used in problems.
    ///   - classCount: the number of classes (`names` of the data set), or nil to accept any.
    public static func parse(
        _ text: String, file: String, keypointShape shape: KeypointShape, classCount: Int?,
        tolerance: Double = defaultTolerance
    ) -> Parsed {
        var parsed = Parsed(instances: [], lines: [], problems: [])
        var firstLineOf: [DuplicateKey: Int] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let key = DuplicateKey(fields)
            if let first = firstLineOf[key] {
                parsed.problems.append(DataProblem(file: file, line: lineNumber, reason: .duplicateLine(firstLine: first)))
                continue
            }
            firstLineOf[key] = lineNumber
            switch parseLine(fields, shape: shape, classCount: classCount, tolerance: tolerance) {
            case .success(let instance):
                parsed.instances.append(instance)
                parsed.lines.append(lineNumber)
            case .failure(let failure):
                parsed.problems += failure.reasons.map { DataProblem(file: file, line: lineNumber, reason: $0) }
            }
        }
        return parsed
    }

    /// Reads a label file strictly: any problem (including a repeated line) throws ``DataProblems``
    /// listing all of them. A missing file is an image without objects and reads as `[]`.
    public static func read(
        _ url: URL, keypointShape shape: KeypointShape, classCount: Int?, tolerance: Double = defaultTolerance
    ) throws -> [PoseInstance] {
        guard let parsed = try parse(contentsOf: url, keypointShape: shape, classCount: classCount, tolerance: tolerance)
        else { return [] }
        if !parsed.problems.isEmpty { throw DataProblems(parsed.problems) }
        return parsed.instances
    }

    /// Reads and parses a label file leniently; nil when the file does not exist.
    public static func parse(
        contentsOf url: URL, keypointShape shape: KeypointShape, classCount: Int?,
        tolerance: Double = defaultTolerance
    ) throws -> Parsed? {
        let text: String?
        do throws(DataProblem) {
            text = try InputFile.labels.text(url, missingIsNil: true)
        } catch {
            if error.reason == .notText { return Parsed(instances: [], lines: [], problems: [error]) }
            throw DataProblems([error])
        }
        return text.map { parse($0, file: url.path, keypointShape: shape, classCount: classCount, tolerance: tolerance) }
    }

    /// The text of a label file: one line per instance, each ending in a newline.
    ///
    /// - Parameter decimals: nil writes each value in the shortest form that reads back exactly;
    ///   a number rounds to that many decimals (trailing zeros dropped).
    public static func format(
        _ instances: [PoseInstance], keypointShape shape: KeypointShape, decimals: Int? = nil
    )
        -> String
    {
        var text = ""
        text.reserveCapacity(instances.count * (4 + shape.count * shape.dimensions) * 12)
        func field(_ value: Double) {
            text += " "
            text += formatNumber(value, decimals: decimals)
        }
        for instance in instances {
            precondition(
                instance.keypoints.count == shape.count,
                "LabelFile.format: \(instance.keypoints.count) keypoints for kpt_shape [\(shape.count), \(shape.dimensions)]")
            text += String(instance.classIndex)
            for value in [instance.box.centerX, instance.box.centerY, instance.box.width, instance.box.height] { field(value) }
            for point in instance.keypoints {
                field(point.x)
                field(point.y)
                if shape.dimensions == 3 { field(point.visibility) }
            }
            text += "\n"
        }
        return text
    }

    /// Writes a label file atomically (temporary file in the same folder, then rename).
    public static func write(
        _ instances: [PoseInstance], to url: URL, keypointShape shape: KeypointShape, decimals: Int? = nil
    ) throws {
        try AtomicFile.write(format(instances, keypointShape: shape, decimals: decimals), to: url)
    }

    // MARK: - Internals

    /// What makes two lines the same label: their numbers as float32, as the reference compares
    /// them (`np.unique` over the float32 label array), so `0.1` and `0.10` are one label; a line
    /// with a field that is not a number compares by its text.
    enum DuplicateKey: Hashable {
        case numbers([UInt32])
        case text(String)

        init(_ fields: [Substring]) {
            var bits: [UInt32] = []
            bits.reserveCapacity(fields.count)
            for field in fields {
                guard let value = Float(field) else {
                    self = .text(fields.joined(separator: " "))
                    return
                }
                bits.append((value + 0).bitPattern)  // + 0 makes -0 the same as 0
            }
            self = .numbers(bits)
        }
    }

    static func parseLine(
        _ fields: [Substring], shape: KeypointShape, classCount: Int?, tolerance: Double
    ) -> Result<PoseInstance, LineFailure> {
        guard fields.count == shape.fieldsPerLine else {
            return .failure(LineFailure([.fieldCount(found: fields.count, keypoints: shape.count, dimensions: shape.dimensions)]))
        }
        var values = [Double](repeating: 0, count: fields.count)
        var reasons: [DataProblem.Reason] = []
        for (index, field) in fields.enumerated() {
            guard let value = Double(field) else {
                reasons.append(.notANumber(field: index + 1, text: String(field)))
                continue
            }
            guard value.isFinite else {
                reasons.append(.notFinite(field: index + 1, text: String(field)))
                continue
            }
            values[index] = value
        }
        if !reasons.isEmpty { return .failure(LineFailure(reasons)) }

        let classValue = values[0]
        let classIndex = Int(exactly: classValue)
        if classIndex == nil || classIndex! < 0 || (classCount.map { classIndex! >= $0 } ?? false) {
            reasons.append(.badClass(text: String(fields[0]), classCount: classCount))
        }
        func unit(_ value: Double) -> Double? {
            value >= -tolerance && value <= 1 + tolerance ? min(max(value, 0), 1) : nil
        }
        var box = [Double](repeating: 0, count: 4)
        for (slot, name) in ["cx", "cy", "w", "h"].enumerated() {
            let value = values[1 + slot]
            if let clamped = unit(value), slot < 2 || value > 0 {
                box[slot] = clamped
            } else {
                reasons.append(.boxOutOfRange(name: name, value: value))
            }
        }
        var keypoints: [Keypoint] = []
        keypoints.reserveCapacity(shape.count)
        for point in 0..<shape.count {
            let base = 5 + point * shape.dimensions
            var keypoint = Keypoint(x: 0, y: 0, visibility: 2)
            if let x = unit(values[base]) {
                keypoint.x = x
            } else {
                reasons.append(.keypointOutOfRange(index: point, axis: "x", value: values[base]))
            }
            if let y = unit(values[base + 1]) {
                keypoint.y = y
            } else {
                reasons.append(.keypointOutOfRange(index: point, axis: "y", value: values[base + 1]))
            }
            if shape.dimensions == 3 {
                let visibility = values[base + 2]
                if (visibility >= 0 && visibility <= 1) || visibility == 2 {
                    keypoint.visibility = visibility
                } else {
                    reasons.append(.badVisibility(index: point, value: visibility))
                }
            }
            keypoints.append(keypoint)
        }
        if !reasons.isEmpty { return .failure(LineFailure(reasons)) }
        let instance = PoseInstance(
            classIndex: classIndex!, box: BoundingBox(centerX: box[0], centerY: box[1], width: box[2], height: box[3]),
            keypoints: keypoints)
        return .success(instance)
    }

    struct LineFailure: Error {
        var reasons: [DataProblem.Reason]
        init(_ reasons: [DataProblem.Reason]) { self.reasons = reasons }
    }

    /// A number as a label field: whole numbers without a fraction ("0", "2"), others in Swift's
    /// shortest exact form ("0.4375") or rounded to `decimals`.
    static func formatNumber(_ value: Double, decimals: Int?) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        guard let decimals else { return value.description }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
