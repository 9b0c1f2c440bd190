import CTorch
import Foundation

/// The zip archive that PyTorch's `torch.save` writes (since PyTorch 1.6): `data.pkl`, the pickle
/// of the saved object, and one record below `data/` per tensor storage. Read by libtorch's own
/// reader; what the pickle means is for its caller.
public final class TorchArchive {
    private let handle: ctorch_archive
    public let path: String

    /// Opens `url`; an unreadable file or one that is not such an archive throws.
    public init(_ url: URL) throws(TorchError) {
        var out = ctorch_archive(ptr: nil)
        try attempt("open \(url.path)") { ctorch_archive_open(&out, url.path) }
        handle = out
        path = url.path
    }

    deinit { ctorch_archive_free(handle) }

    public func has(_ record: String) -> Bool { ctorch_archive_has_record(handle, record) }

    /// The bytes of `record` (e.g. `data.pkl`).
    public func bytes(of record: String) throws(TorchError) -> [UInt8] {
        try mallocedBytes("read \(record) of \(path)") { data, size in ctorch_archive_read(data, size, handle, record) }
    }

    /// The values of `record` as a 1-D tensor of `dtype`.
    public func storage(_ record: String, dtype: DType) throws(TorchError) -> Tensor {
        var out = ctorch_tensor(ptr: nil)
        try attempt("read \(record) of \(path)") { ctorch_archive_storage(&out, handle, record, dtype.c) }
        return Tensor(handle: out)
    }
}

extension Tensor {
    /// A new contiguous tensor of `size` whose elements sit at `offset` plus the index times
    /// `stride` in this 1-D tensor (how PyTorch rebuilds a tensor from its storage); throws when
    /// an element would lie past the end.
    public func stridedCopy(size: [Int], stride: [Int], offset: Int) throws(TorchError) -> Tensor {
        guard size.count == stride.count else {
            throw TorchError(kind: .value, operation: "stridedCopy", message: "\(size.count) sizes but \(stride.count) strides")
        }
        var out = ctorch_tensor(ptr: nil)
        let (sizes, strides) = (size.map(Int64.init), stride.map(Int64.init))
        try attempt("stridedCopy(\(size), \(stride), \(offset))") {
            ctorch_strided_copy(&out, handle, sizes, strides, Int64(size.count), Int64(offset))
        }
        return Tensor(handle: out)
    }
}
