import Foundation

/// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3, from the FNV reference): a
/// fast, stable hash of bytes (duplicate images in `check`, per-file random streams in the
/// importers). Not for security.
public enum FNV1a {
    public static func hash(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in raw {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            return hash
        }
    }
}
