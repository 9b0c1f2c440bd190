import Foundation

/// Label text gathered per image in files on disk, in bounded memory, for readers that meet an
/// image's labels scattered through a large file (a COCO file lists annotations in any order).
/// Text is buffered and appended to its image's file whenever the buffers hold `flushBytes`; the
/// files live in a hidden folder beside the output, on its file system, so that
/// ``DatasetWriter`` moves them into the data set instead of copying them.
package final class LabelSpool {
    let folder: URL
    let flushBytes: Int
    private var buffers: [Int: [UInt8]] = [:]
    private var buffered = 0
    private var written = Set<Int>()

    /// A spool in a new hidden folder beside `output`.
    package init(beside output: URL, flushBytes: Int = 8 << 20) throws {
        let output = output.standardizedFileURL
        let parent = output.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        folder = parent.appendingPathComponent(".\(output.lastPathComponent).spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        self.flushBytes = flushBytes
    }

    /// Adds `text` (whole lines) to the labels of image `image`.
    package func append(_ text: String, to image: Int) throws {
        buffers[image, default: []].append(contentsOf: text.utf8)
        buffered += text.utf8.count
        if buffered >= flushBytes { try flush() }
    }

    /// Writes what is buffered and returns the file of each image that has labels.
    package func finish() throws -> [Int: URL] {
        try flush()
        return Dictionary(uniqueKeysWithValues: written.map { ($0, file(of: $0)) })
    }

    /// Deletes the folder and whatever is still in it.
    package func remove() { try? FileManager.default.removeItem(at: folder) }

    private func file(of image: Int) -> URL { folder.appendingPathComponent("\(image).txt") }

    private func flush() throws {
        for (image, bytes) in buffers {
            let path = file(of: image).path
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard descriptor >= 0 else {
                throw DataProblem(file: path, reason: .io("cannot write: \(String(cString: strerror(errno)))"))
            }
            defer { close(descriptor) }
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                guard count > 0 else {
                    throw DataProblem(file: path, reason: .io("cannot write: \(String(cString: strerror(errno)))"))
                }
                offset += count
            }
            written.insert(image)
        }
        buffers.removeAll(keepingCapacity: false)
        buffered = 0
    }
}
