extension KeyedDecodingContainer {
    /// The value under `key`, or `fallback` when the file was written by an earlier version that
    /// did not have the setting (so that a run started before an upgrade still resumes).
    public func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
