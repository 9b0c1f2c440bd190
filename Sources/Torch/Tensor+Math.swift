import CTorch

// Elementwise arithmetic with broadcasting, comparisons and math functions.

extension Tensor {
    @inline(__always)
    static func binary(
        _ operation: StaticString, _ a: Tensor, _ b: Tensor,
        _ call: (UnsafeMutablePointer<ctorch_tensor>, ctorch_tensor, ctorch_tensor) -> UnsafeMutablePointer<ctorch_error>?
    ) -> Tensor {
        make(operation, [a, b]) { call($0, a.handle, b.handle) }
    }

    @inline(__always)
    static func binary(
        _ operation: StaticString, _ a: Tensor, _ b: Scalar,
        _ call: (UnsafeMutablePointer<ctorch_tensor>, ctorch_tensor, ctorch_scalar) -> UnsafeMutablePointer<ctorch_error>?
    ) -> Tensor {
        make(operation, [a]) { call($0, a.handle, b.c) }
    }

    @inline(__always)
    func unary(
        _ operation: StaticString,
        _ call: (UnsafeMutablePointer<ctorch_tensor>, ctorch_tensor) -> UnsafeMutablePointer<ctorch_error>?
    ) -> Tensor {
        Tensor.make(operation, [self]) { call($0, handle) }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary("add", a, b, ctorch_add) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary("sub", a, b, ctorch_sub) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary("mul", a, b, ctorch_mul) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary("div", a, b, ctorch_div) }
    public static func + (a: Tensor, b: Scalar) -> Tensor { binary("add", a, b, ctorch_add_scalar) }
    public static func - (a: Tensor, b: Scalar) -> Tensor { binary("sub", a, b, ctorch_sub_scalar) }
    public static func * (a: Tensor, b: Scalar) -> Tensor { binary("mul", a, b, ctorch_mul_scalar) }
    public static func / (a: Tensor, b: Scalar) -> Tensor { binary("div", a, b, ctorch_div_scalar) }
    public static func + (a: Scalar, b: Tensor) -> Tensor { binary("add", b, a, ctorch_add_scalar) }
    public static func - (a: Scalar, b: Tensor) -> Tensor { binary("rsub", b, a, ctorch_rsub_scalar) }
    public static func * (a: Scalar, b: Tensor) -> Tensor { binary("mul", b, a, ctorch_mul_scalar) }
    public static func / (a: Scalar, b: Tensor) -> Tensor { binary("rdiv", b, a, ctorch_rdiv_scalar) }
    public static prefix func - (a: Tensor) -> Tensor { a.unary("neg", ctorch_neg) }

    public static func .== (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_EQ) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_NE) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_LT) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_LE) }
    public static func .> (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_GT) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { compare(a, b, CTORCH_GE) }
    public static func .== (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_EQ) }
    public static func .!= (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_NE) }
    public static func .< (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_LT) }
    public static func .<= (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_LE) }
    public static func .> (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_GT) }
    public static func .>= (a: Tensor, b: Scalar) -> Tensor { compare(a, b, CTORCH_GE) }

    /// Elementwise logical and / or / not of boolean tensors.
    public static func .& (a: Tensor, b: Tensor) -> Tensor { binary("logicalAnd", a, b, ctorch_logical_and) }
    public static func .| (a: Tensor, b: Tensor) -> Tensor { binary("logicalOr", a, b, ctorch_logical_or) }
    public static prefix func .! (a: Tensor) -> Tensor { a.unary("logicalNot", ctorch_logical_not) }

    private static func compare(_ a: Tensor, _ b: Tensor, _ comparison: ctorch_comparison) -> Tensor {
        make("compare", [a, b]) { ctorch_compare($0, a.handle, b.handle, comparison) }
    }

    private static func compare(_ a: Tensor, _ b: Scalar, _ comparison: ctorch_comparison) -> Tensor {
        make("compare", [a]) { ctorch_compare_scalar($0, a.handle, b.c, comparison) }
    }

    public func pow(_ exponent: Tensor) -> Tensor { Tensor.binary("pow", self, exponent, ctorch_pow) }
    public func pow(_ exponent: Scalar) -> Tensor { Tensor.binary("pow", self, exponent, ctorch_pow_scalar) }
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { binary("maximum", a, b, ctorch_maximum) }
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { binary("minimum", a, b, ctorch_minimum) }

    /// Matrix product with broadcasting over leading dimensions.
    public func matmul(_ other: Tensor) -> Tensor { Tensor.binary("matmul", self, other, ctorch_matmul) }

    /// Values limited to `[min, max]`; a `nil` bound is open.
    /// `self + value · a · b` (broadcasting), in one pass.
    public func addcmul(_ a: Tensor, _ b: Tensor, value: Scalar = 1) -> Tensor {
        Tensor.make("addcmul", [self, a, b]) { ctorch_addcmul($0, handle, a.handle, b.handle, value.c) }
    }

    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        withBounds(min, max) { low, high in Tensor.make("clamped", [self]) { ctorch_clamp($0, handle, low, high) } }
    }

    public func abs() -> Tensor { unary("abs", ctorch_abs) }
    public func sqrt() -> Tensor { unary("sqrt", ctorch_sqrt) }
    /// `1 / √x`, rounded once.
    public func rsqrt() -> Tensor { unary("rsqrt", ctorch_rsqrt) }
    public func exp() -> Tensor { unary("exp", ctorch_exp) }
    public func log() -> Tensor { unary("log", ctorch_log) }
    public func atan() -> Tensor { unary("atan", ctorch_atan) }
    public func sin() -> Tensor { unary("sin", ctorch_sin) }
    public func cos() -> Tensor { unary("cos", ctorch_cos) }
    public func tanh() -> Tensor { unary("tanh", ctorch_tanh) }
    public func floor() -> Tensor { unary("floor", ctorch_floor) }
    public func ceil() -> Tensor { unary("ceil", ctorch_ceil) }
    /// Rounds half to even, as PyTorch.
    public func round() -> Tensor { unary("round", ctorch_round) }
    public func sigmoid() -> Tensor { unary("sigmoid", ctorch_sigmoid) }
    /// x · sigmoid(x)
    public func silu() -> Tensor { unary("silu", ctorch_silu) }
    public func relu() -> Tensor { unary("relu", ctorch_relu) }
}

/// Calls `body` with pointers to the optional bounds (NULL for `nil`).
func withBounds<R>(_ min: Double?, _ max: Double?, _ body: (UnsafePointer<Double>?, UnsafePointer<Double>?) -> R) -> R {
    var low = min ?? 0
    var high = max ?? 0
    return withUnsafePointer(to: &low) { lowPointer in
        withUnsafePointer(to: &high) { highPointer in
            body(min == nil ? nil : lowPointer, max == nil ? nil : highPointer)
        }
    }
}
