import CTorch

extension Tensor {
    /// The sum of all elements (0-d), or over `dims`.
    public func sum(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        guard let dims else { return unary("sum", ctorch_sum) }
        return withSizes(dims) { axes, count in
            Tensor.make("sum", [self]) { ctorch_sum_dims($0, handle, axes, count, keepDim) }
        }
    }

    /// The sum over one dimension.
    public func sum(dim: Int, keepDim: Bool = false) -> Tensor { sum(dims: [dim], keepDim: keepDim) }

    /// The mean of all elements (0-d), or over `dims`.
    public func mean(dims: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        guard let dims else { return unary("mean", ctorch_mean) }
        return withSizes(dims) { axes, count in
            Tensor.make("mean", [self]) { ctorch_mean_dims($0, handle, axes, count, keepDim) }
        }
    }

    /// The mean over one dimension.
    public func mean(dim: Int, keepDim: Bool = false) -> Tensor { mean(dims: [dim], keepDim: keepDim) }

    public func prod() -> Tensor { unary("prod", ctorch_prod) }

    /// The largest element (0-d).
    public func max() -> Tensor { unary("max", ctorch_max) }
    /// The smallest element (0-d).
    public func min() -> Tensor { unary("min", ctorch_min) }

    /// The largest values along `dim` and their positions.
    public func max(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("max", [self]) { ctorch_max_dim($0, $1, handle, Int64(dim), keepDim) }
    }

    /// The smallest values along `dim` and their positions.
    public func min(dim: Int, keepDim: Bool = false) -> (values: Tensor, indices: Tensor) {
        Tensor.makePair("min", [self]) { ctorch_min_dim($0, $1, handle, Int64(dim), keepDim) }
    }

    public func argmax(dim: Int, keepDim: Bool = false) -> Tensor {
        Tensor.make("argmax", [self]) { ctorch_argmax($0, handle, Int64(dim), keepDim) }
    }

    /// The `k` largest (or smallest) values along `dim` and their positions.
    public func topk(
        _ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true
    ) -> (
        values: Tensor, indices: Tensor
    ) {
        Tensor.makePair("topk", [self]) { ctorch_topk($0, $1, handle, Int64(k), Int64(dim), largest, sorted) }
    }

    /// Values sorted along `dim` and their original positions.
    public func sorted(
        dim: Int = -1, descending: Bool = false, stable: Bool = false
    ) -> (
        values: Tensor, indices: Tensor
    ) {
        Tensor.makePair("sorted", [self]) { ctorch_sort($0, $1, handle, Int64(dim), descending, stable) }
    }

    public func cumsum(dim: Int) -> Tensor {
        Tensor.make("cumsum", [self]) { ctorch_cumsum($0, handle, Int64(dim)) }
    }

    /// Whether any element is non-zero (0-d bool), or along `dim`.
    public func any(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        guard let dim else { return unary("any", ctorch_any) }
        return Tensor.make("any", [self]) { ctorch_any_dim($0, handle, Int64(dim), keepDim) }
    }

    /// Whether every element is non-zero (0-d bool), or along `dim`.
    public func all(dim: Int? = nil, keepDim: Bool = false) -> Tensor {
        guard let dim else { return unary("all", ctorch_all) }
        return Tensor.make("all", [self]) { ctorch_all_dim($0, handle, Int64(dim), keepDim) }
    }

    /// The p-norm of all elements (0-d).
    public func norm(p: Double = 2) -> Tensor { Tensor.make("norm", [self]) { ctorch_norm($0, handle, p) } }
}
