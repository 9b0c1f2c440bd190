// Shape, indexing, elementwise and reduction ops.
#include "internal.h"

using ctorch::bound;
using ctorch::optional;
using ctorch::scalar;
using ctorch::sizes;
using ctorch::unwrap;
using ctorch::wrap;

namespace {

c10::List<std::optional<at::Tensor>> index_list(const ctorch_tensor *indices, int64_t count) {
  c10::List<std::optional<at::Tensor>> list;
  list.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (indices[i].ptr == nullptr) {
      list.push_back(std::nullopt);
    } else {
      list.push_back(unwrap(indices[i]));
    }
  }
  return list;
}

at::Tensor compare(const at::Tensor &a, const at::Scalar &b, ctorch_comparison comparison) {
  switch (comparison) {
    case CTORCH_EQ: return a.eq(b);
    case CTORCH_NE: return a.ne(b);
    case CTORCH_LT: return a.lt(b);
    case CTORCH_LE: return a.le(b);
    case CTORCH_GT: return a.gt(b);
    case CTORCH_GE: return a.ge(b);
  }
  TORCH_CHECK_VALUE(false, "unknown comparison ", static_cast<int>(comparison));
}

at::Tensor compare(const at::Tensor &a, const at::Tensor &b, ctorch_comparison comparison) {
  switch (comparison) {
    case CTORCH_EQ: return a.eq(b);
    case CTORCH_NE: return a.ne(b);
    case CTORCH_LT: return a.lt(b);
    case CTORCH_LE: return a.le(b);
    case CTORCH_GT: return a.gt(b);
    case CTORCH_GE: return a.ge(b);
  }
  TORCH_CHECK_VALUE(false, "unknown comparison ", static_cast<int>(comparison));
}

}  // namespace

#define CTORCH_UNARY(name, expression) \
  ctorch_error *ctorch_##name(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(expression) }

#define CTORCH_BINARY(name, expression) \
  ctorch_error *ctorch_##name(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b) { CTORCH_RETURN(expression) }

#define CTORCH_BINARY_SCALAR(name, expression) \
  ctorch_error *ctorch_##name(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b) { CTORCH_RETURN(expression) }

extern "C" {

// ---- Shape -----------------------------------------------------------------------------------

ctorch_error *ctorch_reshape(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *shape, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).reshape(sizes(shape, dim)))
}
ctorch_error *ctorch_view(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *shape, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).view(sizes(shape, dim)))
}
ctorch_error *ctorch_permute(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *order, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).permute(sizes(order, dim)))
}
ctorch_error *ctorch_transpose(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim0, int64_t dim1) {
  CTORCH_RETURN(unwrap(tensor).transpose(dim0, dim1))
}
CTORCH_UNARY(squeeze, unwrap(tensor).squeeze())
ctorch_error *ctorch_squeeze_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).squeeze(dim))
}
ctorch_error *ctorch_unsqueeze(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).unsqueeze(dim))
}
ctorch_error *ctorch_flatten(ctorch_tensor *out, ctorch_tensor tensor, int64_t start_dim, int64_t end_dim) {
  CTORCH_RETURN(unwrap(tensor).flatten(start_dim, end_dim))
}
ctorch_error *ctorch_expand(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *shape, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).expand(sizes(shape, dim)))
}
ctorch_error *ctorch_repeat(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *repeats, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).repeat(sizes(repeats, dim)))
}
ctorch_error *ctorch_cat(ctorch_tensor *out, const ctorch_tensor *list, int64_t count, int64_t dim) {
  CTORCH_RETURN(at::cat(ctorch::tensors(list, count), dim))
}
ctorch_error *ctorch_stack(ctorch_tensor *out, const ctorch_tensor *list, int64_t count, int64_t dim) {
  CTORCH_RETURN(at::stack(ctorch::tensors(list, count), dim))
}
ctorch_error *ctorch_split(ctorch_tensor **out, int64_t *out_count, ctorch_tensor tensor, const int64_t *split_sizes,
                           int64_t count, int64_t dim) {
  CTORCH_GUARD(ctorch::hand_out(out, out_count, unwrap(tensor).split_with_sizes(sizes(split_sizes, count), dim)))
}
ctorch_error *ctorch_chunk(ctorch_tensor **out, int64_t *out_count, ctorch_tensor tensor, int64_t chunks,
                           int64_t dim) {
  CTORCH_GUARD(ctorch::hand_out(out, out_count, unwrap(tensor).chunk(chunks, dim)))
}
ctorch_error *ctorch_flip(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count) {
  CTORCH_RETURN(unwrap(tensor).flip(sizes(dims, count)))
}

// ---- Indexing --------------------------------------------------------------------------------

ctorch_error *ctorch_select(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t index) {
  CTORCH_RETURN(unwrap(tensor).select(dim, index))
}
ctorch_error *ctorch_narrow(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t start, int64_t length) {
  CTORCH_RETURN(unwrap(tensor).narrow(dim, start, length))
}
ctorch_error *ctorch_slice(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t start, int64_t end,
                           int64_t step) {
  CTORCH_RETURN(unwrap(tensor).slice(dim, start, end, step))
}
ctorch_error *ctorch_index_select(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index) {
  CTORCH_RETURN(unwrap(tensor).index_select(dim, unwrap(index)))
}
ctorch_error *ctorch_index(ctorch_tensor *out, ctorch_tensor tensor, const ctorch_tensor *indices, int64_t count) {
  CTORCH_RETURN(unwrap(tensor).index(index_list(indices, count)))
}
ctorch_error *ctorch_index_put_(ctorch_tensor tensor, const ctorch_tensor *indices, int64_t count,
                                ctorch_tensor values, bool accumulate) {
  CTORCH_GUARD(unwrap(tensor).index_put_(index_list(indices, count), unwrap(values), accumulate))
}
ctorch_error *ctorch_gather(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index) {
  CTORCH_RETURN(unwrap(tensor).gather(dim, unwrap(index)))
}
ctorch_error *ctorch_scatter(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index,
                             ctorch_tensor source) {
  CTORCH_RETURN(unwrap(tensor).scatter(dim, unwrap(index), unwrap(source)))
}
ctorch_error *ctorch_scatter_add(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index,
                                 ctorch_tensor source) {
  CTORCH_RETURN(unwrap(tensor).scatter_add(dim, unwrap(index), unwrap(source)))
}
ctorch_error *ctorch_masked_fill(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor mask, ctorch_scalar value) {
  CTORCH_RETURN(unwrap(tensor).masked_fill(unwrap(mask), scalar(value)))
}
ctorch_error *ctorch_masked_select(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor mask) {
  CTORCH_RETURN(unwrap(tensor).masked_select(unwrap(mask)))
}
ctorch_error *ctorch_addcmul(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value) {
  CTORCH_RETURN(at::addcmul(unwrap(tensor), unwrap(a), unwrap(b), scalar(value)))
}
ctorch_error *ctorch_where(ctorch_tensor *out, ctorch_tensor condition, ctorch_tensor a, ctorch_tensor b) {
  CTORCH_RETURN(at::where(unwrap(condition), unwrap(a), unwrap(b)))
}
CTORCH_UNARY(nonzero, unwrap(tensor).nonzero())

// ---- Elementwise -----------------------------------------------------------------------------

CTORCH_BINARY(add, unwrap(a) + unwrap(b))
CTORCH_BINARY(sub, unwrap(a) - unwrap(b))
CTORCH_BINARY(mul, unwrap(a) * unwrap(b))
CTORCH_BINARY(div, unwrap(a) / unwrap(b))
CTORCH_BINARY_SCALAR(add_scalar, unwrap(a) + scalar(b))
CTORCH_BINARY_SCALAR(sub_scalar, unwrap(a) - scalar(b))
CTORCH_BINARY_SCALAR(mul_scalar, unwrap(a) * scalar(b))
CTORCH_BINARY_SCALAR(div_scalar, unwrap(a) / scalar(b))
CTORCH_BINARY_SCALAR(rsub_scalar, at::rsub(unwrap(a), scalar(b)))
CTORCH_BINARY_SCALAR(rdiv_scalar, unwrap(a).reciprocal() * scalar(b))
CTORCH_BINARY(pow, unwrap(a).pow(unwrap(b)))
CTORCH_BINARY_SCALAR(pow_scalar, unwrap(a).pow(scalar(b)))
CTORCH_BINARY(maximum, at::maximum(unwrap(a), unwrap(b)))
CTORCH_BINARY(minimum, at::minimum(unwrap(a), unwrap(b)))
CTORCH_BINARY(matmul, at::matmul(unwrap(a), unwrap(b)))
CTORCH_BINARY(logical_and, at::logical_and(unwrap(a), unwrap(b)))
CTORCH_BINARY(logical_or, at::logical_or(unwrap(a), unwrap(b)))

ctorch_error *ctorch_clamp(ctorch_tensor *out, ctorch_tensor tensor, const double *min, const double *max) {
  CTORCH_RETURN(at::clamp(unwrap(tensor), bound(min), bound(max)))
}

CTORCH_UNARY(neg, unwrap(tensor).neg())
CTORCH_UNARY(abs, unwrap(tensor).abs())
CTORCH_UNARY(sqrt, unwrap(tensor).sqrt())
CTORCH_UNARY(rsqrt, unwrap(tensor).rsqrt())
CTORCH_UNARY(exp, unwrap(tensor).exp())
CTORCH_UNARY(log, unwrap(tensor).log())
CTORCH_UNARY(atan, unwrap(tensor).atan())
CTORCH_UNARY(sin, unwrap(tensor).sin())
CTORCH_UNARY(cos, unwrap(tensor).cos())
CTORCH_UNARY(tanh, unwrap(tensor).tanh())
CTORCH_UNARY(floor, unwrap(tensor).floor())
CTORCH_UNARY(ceil, unwrap(tensor).ceil())
CTORCH_UNARY(round, unwrap(tensor).round())
CTORCH_UNARY(sigmoid, unwrap(tensor).sigmoid())
CTORCH_UNARY(silu, at::silu(unwrap(tensor)))
CTORCH_UNARY(relu, unwrap(tensor).relu())
CTORCH_UNARY(logical_not, unwrap(tensor).logical_not())

ctorch_error *ctorch_compare(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b, ctorch_comparison comparison) {
  CTORCH_RETURN(compare(unwrap(a), unwrap(b), comparison))
}
ctorch_error *ctorch_compare_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b,
                                    ctorch_comparison comparison) {
  CTORCH_RETURN(compare(unwrap(a), scalar(b), comparison))
}

// ---- Reductions ------------------------------------------------------------------------------

CTORCH_UNARY(sum, unwrap(tensor).sum())
CTORCH_UNARY(mean, unwrap(tensor).mean())
CTORCH_UNARY(prod, unwrap(tensor).prod())
CTORCH_UNARY(max, unwrap(tensor).max())
CTORCH_UNARY(min, unwrap(tensor).min())
CTORCH_UNARY(any, unwrap(tensor).any())
CTORCH_UNARY(all, unwrap(tensor).all())

ctorch_error *ctorch_sum_dims(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count,
                              bool keepdim) {
  CTORCH_RETURN(unwrap(tensor).sum(sizes(dims, count), keepdim))
}
ctorch_error *ctorch_mean_dims(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count,
                               bool keepdim) {
  CTORCH_RETURN(unwrap(tensor).mean(sizes(dims, count), keepdim))
}
ctorch_error *ctorch_max_dim(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                             bool keepdim) {
  CTORCH_GUARD({
    auto [maxima, positions] = unwrap(tensor).max(dim, keepdim);
    *values = wrap(maxima);
    *indices = wrap(positions);
  })
}
ctorch_error *ctorch_min_dim(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                             bool keepdim) {
  CTORCH_GUARD({
    auto [minima, positions] = unwrap(tensor).min(dim, keepdim);
    *values = wrap(minima);
    *indices = wrap(positions);
  })
}
ctorch_error *ctorch_argmax(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim) {
  CTORCH_RETURN(unwrap(tensor).argmax(dim, keepdim))
}
ctorch_error *ctorch_topk(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t k,
                          int64_t dim, bool largest, bool sorted) {
  CTORCH_GUARD({
    auto [top, positions] = unwrap(tensor).topk(k, dim, largest, sorted);
    *values = wrap(top);
    *indices = wrap(positions);
  })
}
ctorch_error *ctorch_sort(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                          bool descending, bool stable) {
  CTORCH_GUARD({
    auto [ordered, positions] = unwrap(tensor).sort(stable, dim, descending);
    *values = wrap(ordered);
    *indices = wrap(positions);
  })
}
ctorch_error *ctorch_cumsum(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim) {
  CTORCH_RETURN(unwrap(tensor).cumsum(dim))
}
ctorch_error *ctorch_any_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim) {
  CTORCH_RETURN(unwrap(tensor).any(dim, keepdim))
}
ctorch_error *ctorch_all_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim) {
  CTORCH_RETURN(unwrap(tensor).all(dim, keepdim))
}
ctorch_error *ctorch_norm(ctorch_tensor *out, ctorch_tensor tensor, double p) {
  CTORCH_RETURN(at::linalg_vector_norm(unwrap(tensor), p))
}

}  // extern "C"
