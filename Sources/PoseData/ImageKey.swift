import Foundation

/// One image of a data set: its split and its path below `images/<split>/`, written `split/path`
/// (`train/sub/a.jpg`). The ledger, the review page, the exchange files and the truth all name an
/// image this way.
public struct ImageKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var split: Split
    /// The image's path below `images/<split>/` (``Dataset/Image/relativePath``).
    public var path: String

    public init(_ split: Split, _ path: String) {
        self.split = split
        self.path = path
    }

    /// Reads `split/path`; nil when the text does not start with a split and a slash, or has no path.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/"), let split = Split(rawValue: String(text[..<slash])) else { return nil }
        let path = String(text[text.index(after: slash)...])
        guard !path.isEmpty else { return nil }
        self.init(split, path)
    }

    public var description: String { "\(split.rawValue)/\(path)" }

    /// By split name, then path: the order of the ledger's listings.
    public static func < (a: ImageKey, b: ImageKey) -> Bool {
        (a.split.rawValue, a.path) < (b.split.rawValue, b.path)
    }

    /// Encoded as its `split/path` text.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = ImageKey(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not split/path"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Dataset {
    /// The images of `splits` with their keys, split by split in ``images(_:)``'s order; entries
    /// that are missing are left out (``images(_:)`` reports them).
    public func keyedImages(_ splits: [Split] = [.train, .val]) -> [(key: ImageKey, image: Image)] {
        splits.flatMap { split in images(split).images.map { (ImageKey(split, $0.relativePath), $0) } }
    }
}
