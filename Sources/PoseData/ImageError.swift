/// Why an image could not be read or written. Its description is `file: reason`. It lives with the
/// data set types because a data set's problems include its unreadable images (``DataProblem``).
public struct ImageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// The file could not be opened or read.
        case unreadable(String)
        /// Not a JPEG or PNG file; the associated value names what was found.
        case unsupportedFormat(String)
        /// The decoder rejected the data (corrupt or truncated); the associated value is its message.
        case corrupt(String)
        /// The image has more pixels than the limit allows.
        case tooLarge(width: Int, height: Int, maxPixels: Int)
        /// The encoder failed.
        case encodingFailed(String)

        public var description: String {
            switch self {
            case .unreadable(let why): "cannot read the file: \(why)"
            case .unsupportedFormat(let what): "unsupported image format (\(what)); JPEG and PNG are supported"
            case .corrupt(let why): "corrupt or truncated image: \(why)"
            case .tooLarge(let width, let height, let maxPixels):
                "image of \(width)x\(height) pixels exceeds the limit of \(maxPixels) pixels"
            case .encodingFailed(let why): "cannot encode the image: \(why)"
            }
        }
    }

    /// The file (or a name for in-memory data).
    public var file: String
    public var reason: Reason

    public init(file: String, reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}
