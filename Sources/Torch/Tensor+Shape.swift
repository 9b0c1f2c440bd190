import CTorch

extension Tensor {
    /// The same values in `shape` (one entry may be -1); a view when possible, else a copy.
    public func reshaped(_ shape: [Int]) -> Tensor {
        withSizes(shape) { sizes, rank in Tensor.make("reshaped", [self]) { ctorch_reshape($0, handle, sizes, rank) } }
    }

    /// A view with `shape`; traps when the memory layout does not allow one.
    public func view(_ shape: [Int]) -> Tensor {
        withSizes(shape) { sizes, rank in Tensor.make("view", [self]) { ctorch_view($0, handle, sizes, rank) } }
    }

    /// The dimensions reordered: dimension `i` of the result is dimension `order[i]` of `self`.
    public func permuted(_ order: [Int]) -> Tensor {
        withSizes(order) { dims, rank in Tensor.make("permuted", [self]) { ctorch_permute($0, handle, dims, rank) } }
    }

    public func transposed(_ dim0: Int, _ dim1: Int) -> Tensor {
        Tensor.make("transposed", [self]) { ctorch_transpose($0, handle, Int64(dim0), Int64(dim1)) }
    }

    /// Removes every dimension of size 1, or only `dim` when given.
    public func squeezed(dim: Int? = nil) -> Tensor {
        if let dim {
            return Tensor.make("squeezed", [self]) { ctorch_squeeze_dim($0, handle, Int64(dim)) }
        }
        return Tensor.make("squeezed", [self]) { ctorch_squeeze($0, handle) }
    }

    /// Inserts a dimension of size 1 at `dim`.
    public func unsqueezed(_ dim: Int) -> Tensor {
        Tensor.make("unsqueezed", [self]) { ctorch_unsqueeze($0, handle, Int64(dim)) }
    }

    /// Merges dimensions `start...end` into one.
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        Tensor.make("flattened", [self]) { ctorch_flatten($0, handle, Int64(start), Int64(end)) }
    }

    /// A broadcast view with `shape` (-1 keeps a dimension).
    public func expanded(_ shape: [Int]) -> Tensor {
        withSizes(shape) { sizes, rank in Tensor.make("expanded", [self]) { ctorch_expand($0, handle, sizes, rank) } }
    }

    /// The tensor tiled `repeats[i]` times along dimension `i`.
    public func repeated(_ repeats: [Int]) -> Tensor {
        withSizes(repeats) { sizes, rank in Tensor.make("repeated", [self]) { ctorch_repeat($0, handle, sizes, rank) } }
    }

    /// Concatenates along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        withHandles(tensors) { handles, count in make("cat", tensors) { ctorch_cat($0, handles, count, Int64(dim)) } }
    }

    /// Stacks along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) -> Tensor {
        withHandles(tensors) { handles, count in make("stack", tensors) { ctorch_stack($0, handles, count, Int64(dim)) } }
    }

    /// Views of consecutive pieces of the given sizes along `dim`.
    public func split(_ sizes: [Int], dim: Int = 0) -> [Tensor] {
        withSizes(sizes) { pieces, count in
            Tensor.makeList("split", [self]) { ctorch_split($0, $1, handle, pieces, count, Int64(dim)) }
        }
    }

    /// Up to `chunks` views of equal size (the last may be smaller) along `dim`.
    public func chunk(_ chunks: Int, dim: Int = 0) -> [Tensor] {
        Tensor.makeList("chunk", [self]) { ctorch_chunk($0, $1, handle, Int64(chunks), Int64(dim)) }
    }

    /// A copy with the order of elements reversed along `dims`.
    public func flipped(_ dims: [Int]) -> Tensor {
        withSizes(dims) { axes, count in Tensor.make("flipped", [self]) { ctorch_flip($0, handle, axes, count) } }
    }
}
