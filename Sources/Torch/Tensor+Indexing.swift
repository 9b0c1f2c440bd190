import CTorch

/// One entry of a subscript: `x[.all, 2]`, `x[.range(0, 4)]`, `x[mask]`.
public enum TensorIndex {
    /// The whole dimension (Python's `:`).
    case all
    /// One position; the dimension is removed.
    case at(Int)
    /// Positions `start..<end` every `step`; `end == nil` runs to the end.
    case range(Int, Int?, step: Int = 1)
    /// A boolean mask or an int64 index tensor (advanced indexing, as in PyTorch).
    case tensor(Tensor)
}

extension TensorIndex: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .at(value) }
}

extension Tensor {
    /// PyTorch-style indexing. Basic entries (`.all`, `.at`, `.range`) give views; tensor entries
    /// gather copies.
    public subscript(_ indices: TensorIndex...) -> Tensor { index(indices) }

    /// Elements where `mask` (bool, broadcast to the leading dims) is true: `x[mask]`.
    public subscript(mask mask: Tensor) -> Tensor { index([.tensor(mask)]) }

    private func index(_ indices: [TensorIndex]) -> Tensor {
        var result = self
        var dim = 0
        var advanced: [Tensor?] = []
        for entry in indices {
            switch entry {
            case .all:
                dim += 1
                advanced.append(nil)
            case .at(let position):
                result = result.select(dim: dim, position)
            case .range(let start, let end, let step):
                result = result.slice(dim: dim, start: start, end: end, step: step)
                dim += 1
                advanced.append(nil)
            case .tensor(let tensor):
                advanced.append(tensor)
                dim += 1
            }
        }
        guard advanced.contains(where: { $0 != nil }) else { return result }
        // Basic entries already applied; a `nil` keeps that dimension whole.
        let handles = advanced.map { $0?.handle ?? ctorch_tensor(ptr: nil) }
        let source = result
        return withExtendedLifetime(advanced) {
            handles.withUnsafeBufferPointer { list in
                Tensor.make("index", [source] + advanced.compactMap { $0 }) {
                    ctorch_index($0, source.handle, list.baseAddress, Int64(list.count))
                }
            }
        }
    }

    /// Writes `values` at the positions the index tensors select (`x[i, j] = v`), adding them
    /// instead when `accumulate`. In place: use for targets and buffers, not for parameters.
    public func indexPutInPlace(_ indices: [Tensor?], _ values: Tensor, accumulate: Bool = false) {
        let handles = indices.map { $0?.handle ?? ctorch_tensor(ptr: nil) }
        withExtendedLifetime(indices) {
            handles.withUnsafeBufferPointer { list in
                check("indexPutInPlace", [self, values] + indices.compactMap { $0 }) {
                    ctorch_index_put_(handle, list.baseAddress, Int64(list.count), values.handle, accumulate)
                }
            }
        }
    }

    /// The slice at `index` along `dim`, with that dimension removed (a view).
    public func select(dim: Int, _ index: Int) -> Tensor {
        Tensor.make("select", [self]) { ctorch_select($0, handle, Int64(dim), Int64(index)) }
    }

    /// `length` elements from `start` along `dim` (a view).
    public func narrow(dim: Int, start: Int, length: Int) -> Tensor {
        Tensor.make("narrow", [self]) { ctorch_narrow($0, handle, Int64(dim), Int64(start), Int64(length)) }
    }

    /// Elements `start..<end` every `step` along `dim` (a view); `end == nil` runs to the end.
    public func slice(dim: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        Tensor.make("slice", [self]) {
            ctorch_slice($0, handle, Int64(dim), Int64(start), end.map(Int64.init) ?? Int64.max, Int64(step))
        }
    }

    /// The entries at the int64 positions `index` along `dim`.
    public func indexSelect(dim: Int, _ index: Tensor) -> Tensor {
        Tensor.make("indexSelect", [self, index]) { ctorch_index_select($0, handle, Int64(dim), index.handle) }
    }

    /// `out[i][j] = self[i][index[i][j]]` for `dim == 1`, and likewise for other dims.
    public func gather(dim: Int, _ index: Tensor) -> Tensor {
        Tensor.make("gather", [self, index]) { ctorch_gather($0, handle, Int64(dim), index.handle) }
    }

    /// A copy with `source` written at `index` along `dim`.
    public func scatter(dim: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        Tensor.make("scatter", [self, index, source]) {
            ctorch_scatter($0, handle, Int64(dim), index.handle, source.handle)
        }
    }

    /// A copy with `source` added at `index` along `dim`.
    public func scatterAdd(dim: Int, _ index: Tensor, _ source: Tensor) -> Tensor {
        Tensor.make("scatterAdd", [self, index, source]) {
            ctorch_scatter_add($0, handle, Int64(dim), index.handle, source.handle)
        }
    }

    /// A copy with `value` where `mask` is true.
    public func maskedFill(_ mask: Tensor, _ value: Scalar) -> Tensor {
        Tensor.make("maskedFill", [self, mask]) { ctorch_masked_fill($0, handle, mask.handle, value.c) }
    }

    /// The elements where `mask` is true, as a 1-d tensor.
    public func maskedSelect(_ mask: Tensor) -> Tensor {
        Tensor.make("maskedSelect", [self, mask]) { ctorch_masked_select($0, handle, mask.handle) }
    }

    /// `a` where `condition` is true, else `b` (broadcasting).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        make("where", [condition, a, b]) { ctorch_where($0, condition.handle, a.handle, b.handle) }
    }

    /// The positions of the non-zero elements, `[count, rank]` int64.
    public func nonzero() -> Tensor { Tensor.make("nonzero", [self]) { ctorch_nonzero($0, handle) } }
}
