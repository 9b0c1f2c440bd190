/*
 * ctorch: a plain-C interface over libtorch (ATen + autograd), the only C++ in facelabel.
 *
 * Conventions
 * - Handles are one-field structs so that each kind is a distinct type in Swift.
 * - Every fallible call returns `ctorch_error *`: NULL on success, otherwise an error the caller
 *   frees with `ctorch_error_free`. Results go to the leading out-parameters, which are written
 *   only on success. No C++ exception ever leaves this library.
 * - Ownership: a handle written to an out-parameter is owned by the caller (+1) and must be freed
 *   exactly once with `ctorch_tensor_free` / `ctorch_generator_free`. Handle arguments are borrowed.
 *   Arrays of handles returned through `ctorch_tensor **` are malloc'ed; free the array with
 *   `ctorch_free` after taking ownership of (or freeing) each handle in it.
 * - Data is always copied in and out; no tensor ever aliases caller memory.
 * - The library keeps no state of its own. Grad mode is libtorch's thread-local flag.
 */
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { void *ptr; } ctorch_tensor;
typedef struct { void *ptr; } ctorch_generator;

/* Values match c10::ScalarType. */
typedef enum {
  CTORCH_UINT8 = 0,
  CTORCH_INT32 = 3,
  CTORCH_INT64 = 4,
  CTORCH_FLOAT16 = 5,
  CTORCH_FLOAT32 = 6,
  CTORCH_FLOAT64 = 7,
  CTORCH_BOOL = 11,
  CTORCH_BFLOAT16 = 15,
} ctorch_dtype;

typedef enum { CTORCH_CPU = 0, CTORCH_CUDA = 1 } ctorch_device_type;

typedef struct {
  ctorch_device_type type;
  int32_t index; /* -1: the current device of that type */
} ctorch_device;

/* A number passed to an op; integral scalars keep integer tensors integral. */
typedef struct {
  bool is_integral;
  int64_t integer;
  double real;
} ctorch_scalar;

typedef enum {
  CTORCH_ERROR_OTHER = 0,
  CTORCH_ERROR_OUT_OF_MEMORY = 1,
  CTORCH_ERROR_INDEX = 2,
  CTORCH_ERROR_VALUE = 3,
  CTORCH_ERROR_TYPE = 4,
  CTORCH_ERROR_NOT_IMPLEMENTED = 5,
} ctorch_error_kind;

typedef struct ctorch_error {
  ctorch_error_kind kind;
  char *message; /* libtorch's message, without its C++ backtrace */
} ctorch_error;

typedef enum { CTORCH_REDUCTION_NONE = 0, CTORCH_REDUCTION_MEAN = 1, CTORCH_REDUCTION_SUM = 2 } ctorch_reduction;

void ctorch_error_free(ctorch_error *error);
void ctorch_free(void *pointer);

/* ---- Runtime ---------------------------------------------------------------------------- */
void ctorch_set_num_threads(int32_t count);
int32_t ctorch_get_num_threads(void);
ctorch_error *ctorch_set_num_interop_threads(int32_t count);
void ctorch_manual_seed(uint64_t seed);
bool ctorch_cuda_is_available(void);
int32_t ctorch_cuda_device_count(void);
bool ctorch_grad_mode_is_enabled(void);
void ctorch_grad_mode_set_enabled(bool enabled);
/* CPU autocast (thread-local, as torch.autocast("cpu", dtype)): convolutions and matmuls run in
 * `dtype` inside the region. ctorch_autocast_enter returns whether autocast was on before, for
 * ctorch_autocast_exit, which restores it and clears the cast cache when the outermost region ends.
 * ctorch_cpu_has_native_bfloat16 says whether this CPU computes bfloat16 in hardware
 * (AVX512-BF16 or AMX), i.e. whether bfloat16 autocast makes it faster. */
bool ctorch_autocast_enter(ctorch_dtype dtype);
void ctorch_autocast_exit(bool previously_enabled, ctorch_dtype previous_dtype);
ctorch_dtype ctorch_autocast_dtype(void);
bool ctorch_cpu_has_native_bfloat16(void);

ctorch_error *ctorch_generator_new(ctorch_generator *out, uint64_t seed);
void ctorch_generator_free(ctorch_generator generator);

/* ---- Tensor lifetime and properties ------------------------------------------------------ */
void ctorch_tensor_free(ctorch_tensor tensor);
/* A new handle to the same tensor (shares storage and autograd identity). */
ctorch_tensor ctorch_tensor_retain(ctorch_tensor tensor);
int64_t ctorch_tensor_dim(ctorch_tensor tensor);
/* Writes min(dim, capacity) sizes; returns dim. */
int64_t ctorch_tensor_sizes(ctorch_tensor tensor, int64_t *sizes, int64_t capacity);
int64_t ctorch_tensor_numel(ctorch_tensor tensor);
ctorch_dtype ctorch_tensor_dtype(ctorch_tensor tensor);
ctorch_device ctorch_tensor_device(ctorch_tensor tensor);
bool ctorch_tensor_is_contiguous(ctorch_tensor tensor);
bool ctorch_tensor_is_channels_last(ctorch_tensor tensor);
bool ctorch_tensor_requires_grad(ctorch_tensor tensor);
bool ctorch_tensor_is_defined(ctorch_tensor tensor);
/* True when both handles refer to the same TensorImpl. */
bool ctorch_tensor_is_same(ctorch_tensor a, ctorch_tensor b);
/* A printable description (libtorch's `operator<<`); free with ctorch_free. */
char *ctorch_tensor_description(ctorch_tensor tensor);

/* ---- Creation ---------------------------------------------------------------------------- */
/* Copies `byte_count` bytes of packed, row-major `dtype` values. */
ctorch_error *ctorch_from_data(ctorch_tensor *out, const void *data, size_t byte_count, const int64_t *sizes,
                               int64_t dim, ctorch_dtype dtype);
/* Copies the tensor's values (converted to contiguous CPU) into `data`, which has `byte_count` bytes. */
ctorch_error *ctorch_copy_to_data(ctorch_tensor tensor, void *data, size_t byte_count);
ctorch_error *ctorch_item(double *out, ctorch_tensor tensor);
ctorch_error *ctorch_item_int(int64_t *out, ctorch_tensor tensor);
ctorch_error *ctorch_zeros(ctorch_tensor *out, const int64_t *sizes, int64_t dim, ctorch_dtype dtype,
                           ctorch_device device);
ctorch_error *ctorch_ones(ctorch_tensor *out, const int64_t *sizes, int64_t dim, ctorch_dtype dtype,
                          ctorch_device device);
ctorch_error *ctorch_full(ctorch_tensor *out, const int64_t *sizes, int64_t dim, ctorch_scalar value,
                          ctorch_dtype dtype, ctorch_device device);
ctorch_error *ctorch_arange(ctorch_tensor *out, ctorch_scalar start, ctorch_scalar end, ctorch_scalar step,
                            ctorch_dtype dtype, ctorch_device device);
ctorch_error *ctorch_linspace(ctorch_tensor *out, double start, double end, int64_t steps, ctorch_dtype dtype,
                              ctorch_device device);
/* `generator` may have a NULL ptr: then libtorch's default generator is used. */
ctorch_error *ctorch_rand(ctorch_tensor *out, const int64_t *sizes, int64_t dim, ctorch_generator generator,
                          ctorch_dtype dtype, ctorch_device device);
ctorch_error *ctorch_randn(ctorch_tensor *out, const int64_t *sizes, int64_t dim, ctorch_generator generator,
                           ctorch_dtype dtype, ctorch_device device);
ctorch_error *ctorch_randint(ctorch_tensor *out, int64_t low, int64_t high, const int64_t *sizes, int64_t dim,
                             ctorch_generator generator, ctorch_dtype dtype, ctorch_device device);
ctorch_error *ctorch_randperm(ctorch_tensor *out, int64_t n, ctorch_generator generator, ctorch_device device);
ctorch_error *ctorch_zeros_like(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_ones_like(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_full_like(ctorch_tensor *out, ctorch_tensor tensor, ctorch_scalar value);

/* ---- Conversion and copies --------------------------------------------------------------- */
ctorch_error *ctorch_to_dtype(ctorch_tensor *out, ctorch_tensor tensor, ctorch_dtype dtype);
ctorch_error *ctorch_to_device(ctorch_tensor *out, ctorch_tensor tensor, ctorch_device device);
ctorch_error *ctorch_clone(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_contiguous(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_channels_last(ctorch_tensor *out, ctorch_tensor tensor);

/* ---- Shape ------------------------------------------------------------------------------- */
ctorch_error *ctorch_reshape(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *sizes, int64_t dim);
ctorch_error *ctorch_view(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *sizes, int64_t dim);
ctorch_error *ctorch_permute(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *order, int64_t dim);
ctorch_error *ctorch_transpose(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim0, int64_t dim1);
ctorch_error *ctorch_squeeze(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_squeeze_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim);
ctorch_error *ctorch_unsqueeze(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim);
ctorch_error *ctorch_flatten(ctorch_tensor *out, ctorch_tensor tensor, int64_t start_dim, int64_t end_dim);
ctorch_error *ctorch_expand(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *sizes, int64_t dim);
ctorch_error *ctorch_repeat(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *repeats, int64_t dim);
ctorch_error *ctorch_cat(ctorch_tensor *out, const ctorch_tensor *tensors, int64_t count, int64_t dim);
ctorch_error *ctorch_stack(ctorch_tensor *out, const ctorch_tensor *tensors, int64_t count, int64_t dim);
ctorch_error *ctorch_split(ctorch_tensor **out, int64_t *out_count, ctorch_tensor tensor, const int64_t *sizes,
                           int64_t count, int64_t dim);
ctorch_error *ctorch_chunk(ctorch_tensor **out, int64_t *out_count, ctorch_tensor tensor, int64_t chunks,
                           int64_t dim);
ctorch_error *ctorch_flip(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count);

/* ---- Indexing ---------------------------------------------------------------------------- */
ctorch_error *ctorch_select(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t index);
ctorch_error *ctorch_narrow(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t start, int64_t length);
ctorch_error *ctorch_slice(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, int64_t start, int64_t end,
                           int64_t step);
ctorch_error *ctorch_index_select(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index);
/* `indices[i]` with a NULL ptr stands for a full slice (Python's `:`). */
ctorch_error *ctorch_index(ctorch_tensor *out, ctorch_tensor tensor, const ctorch_tensor *indices, int64_t count);
ctorch_error *ctorch_index_put_(ctorch_tensor tensor, const ctorch_tensor *indices, int64_t count,
                                ctorch_tensor values, bool accumulate);
ctorch_error *ctorch_gather(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index);
ctorch_error *ctorch_scatter(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index,
                             ctorch_tensor source);
ctorch_error *ctorch_scatter_add(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, ctorch_tensor index,
                                 ctorch_tensor source);
ctorch_error *ctorch_masked_fill(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor mask, ctorch_scalar value);
ctorch_error *ctorch_masked_select(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor mask);
ctorch_error *ctorch_where(ctorch_tensor *out, ctorch_tensor condition, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_nonzero(ctorch_tensor *out, ctorch_tensor tensor);

/* ---- Elementwise ------------------------------------------------------------------------- */
ctorch_error *ctorch_add(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_sub(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_mul(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_div(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_add_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
ctorch_error *ctorch_sub_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
ctorch_error *ctorch_mul_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
ctorch_error *ctorch_div_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
/* b - a, b / a */
ctorch_error *ctorch_rsub_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
ctorch_error *ctorch_rdiv_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b);
ctorch_error *ctorch_pow(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor exponent);
ctorch_error *ctorch_pow_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar exponent);
ctorch_error *ctorch_maximum(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_minimum(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_matmul(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
/* tensor + value * a * b */
ctorch_error *ctorch_addcmul(ctorch_tensor *out, ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value);
/* Pass NULL for an absent bound. */
ctorch_error *ctorch_clamp(ctorch_tensor *out, ctorch_tensor tensor, const double *min, const double *max);

ctorch_error *ctorch_neg(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_abs(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_sqrt(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_exp(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_log(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_atan(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_sin(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_cos(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_tanh(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_floor(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_ceil(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_round(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_sigmoid(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_silu(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_relu(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_logical_not(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_logical_and(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);
ctorch_error *ctorch_logical_or(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b);

typedef enum { CTORCH_EQ = 0, CTORCH_NE, CTORCH_LT, CTORCH_LE, CTORCH_GT, CTORCH_GE } ctorch_comparison;
ctorch_error *ctorch_compare(ctorch_tensor *out, ctorch_tensor a, ctorch_tensor b, ctorch_comparison comparison);
ctorch_error *ctorch_compare_scalar(ctorch_tensor *out, ctorch_tensor a, ctorch_scalar b,
                                    ctorch_comparison comparison);

/* ---- Reductions -------------------------------------------------------------------------- */
ctorch_error *ctorch_sum(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_sum_dims(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count,
                              bool keepdim);
ctorch_error *ctorch_mean(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_mean_dims(ctorch_tensor *out, ctorch_tensor tensor, const int64_t *dims, int64_t count,
                               bool keepdim);
ctorch_error *ctorch_prod(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_max(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_min(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_max_dim(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                             bool keepdim);
ctorch_error *ctorch_min_dim(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                             bool keepdim);
ctorch_error *ctorch_argmax(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim);
ctorch_error *ctorch_topk(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t k,
                          int64_t dim, bool largest, bool sorted);
ctorch_error *ctorch_sort(ctorch_tensor *values, ctorch_tensor *indices, ctorch_tensor tensor, int64_t dim,
                          bool descending, bool stable);
ctorch_error *ctorch_cumsum(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim);
ctorch_error *ctorch_any(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_any_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim);
ctorch_error *ctorch_all(ctorch_tensor *out, ctorch_tensor tensor);
ctorch_error *ctorch_all_dim(ctorch_tensor *out, ctorch_tensor tensor, int64_t dim, bool keepdim);
/* The p-norm of all elements. */
ctorch_error *ctorch_norm(ctorch_tensor *out, ctorch_tensor tensor, double p);

/* ---- Neural-network ops ------------------------------------------------------------------ */
/* `bias` may have a NULL ptr. stride, padding and dilation are (height, width) pairs. */
ctorch_error *ctorch_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                            const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups);
/* oneDNN's fused inference convolution (CPU). ctorch_has_onednn says whether this libtorch has
 * oneDNN; ctorch_onednn_pack_conv_weight reorders a [O, I/groups, kH, kW] weight once into oneDNN's
 * own layout (an opaque tensor that only ctorch_onednn_conv2d reads); ctorch_onednn_conv2d is a
 * convolution (dilation 1) with the activation applied in the same pass. No autograd. */
typedef enum { CTORCH_FUSED_NONE = 0, CTORCH_FUSED_SILU = 1 } ctorch_fused_activation;
bool ctorch_has_onednn(void);
ctorch_error *ctorch_onednn_pack_conv_weight(ctorch_tensor *out, ctorch_tensor weight, const int64_t *stride,
                                             const int64_t *padding, int64_t groups);
ctorch_error *ctorch_onednn_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor packed_weight,
                                   ctorch_tensor bias, const int64_t *stride, const int64_t *padding, int64_t groups,
                                   ctorch_fused_activation activation);
/* Updates running_mean / running_var in place when training (momentum as in torch.nn). Any of
 * weight, bias, running_mean, running_var may have a NULL ptr. */
ctorch_error *ctorch_batch_norm(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                                ctorch_tensor running_mean, ctorch_tensor running_var, bool training, double momentum,
                                double eps);
ctorch_error *ctorch_max_pool2d(ctorch_tensor *out, ctorch_tensor input, const int64_t *kernel,
                                const int64_t *stride, const int64_t *padding, bool ceil_mode);
ctorch_error *ctorch_upsample_nearest2d(ctorch_tensor *out, ctorch_tensor input, double scale_h, double scale_w);
ctorch_error *ctorch_softmax(ctorch_tensor *out, ctorch_tensor input, int64_t dim);
ctorch_error *ctorch_log_softmax(ctorch_tensor *out, ctorch_tensor input, int64_t dim);
/* `weight` and `pos_weight` may have a NULL ptr. */
ctorch_error *ctorch_binary_cross_entropy_with_logits(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor target,
                                                      ctorch_tensor weight, ctorch_tensor pos_weight,
                                                      ctorch_reduction reduction);
/* `target` holds class indices (int64). */
ctorch_error *ctorch_cross_entropy(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor target,
                                   ctorch_reduction reduction);

/* ---- Autograd ---------------------------------------------------------------------------- */
ctorch_error *ctorch_set_requires_grad(ctorch_tensor tensor, bool requires_grad);
/* `gradient` may have a NULL ptr for a scalar output. */
ctorch_error *ctorch_backward(ctorch_tensor tensor, ctorch_tensor gradient, bool retain_graph);
/* Writes a handle with a NULL ptr when the tensor has no gradient. */
ctorch_error *ctorch_grad(ctorch_tensor *out, ctorch_tensor tensor);
/* Drops the accumulated gradient (as `tensor.grad = None`). */
ctorch_error *ctorch_zero_grad(ctorch_tensor tensor);
ctorch_error *ctorch_detach(ctorch_tensor *out, ctorch_tensor tensor);

/* ---- In place (optimizers, BatchNorm, EMA) ----------------------------------------------- */
ctorch_error *ctorch_copy_(ctorch_tensor tensor, ctorch_tensor source);
ctorch_error *ctorch_zero_(ctorch_tensor tensor);
ctorch_error *ctorch_fill_(ctorch_tensor tensor, ctorch_scalar value);
/* tensor += alpha * other */
ctorch_error *ctorch_add_(ctorch_tensor tensor, ctorch_tensor other, ctorch_scalar alpha);
ctorch_error *ctorch_add_scalar_(ctorch_tensor tensor, ctorch_scalar value);
ctorch_error *ctorch_mul_(ctorch_tensor tensor, ctorch_tensor other);
ctorch_error *ctorch_mul_scalar_(ctorch_tensor tensor, ctorch_scalar value);
ctorch_error *ctorch_div_(ctorch_tensor tensor, ctorch_tensor other);
/* tensor += value * a * b, tensor += value * a / b */
ctorch_error *ctorch_addcmul_(ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value);
ctorch_error *ctorch_addcdiv_(ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value);
/* tensor += weight * (end - tensor) */
ctorch_error *ctorch_lerp_(ctorch_tensor tensor, ctorch_tensor end, ctorch_scalar weight);
ctorch_error *ctorch_clamp_(ctorch_tensor tensor, const double *min, const double *max);
ctorch_error *ctorch_sigmoid_(ctorch_tensor tensor);

/* Multi-tensor variants over `count` tensors at once (one call, no per-tensor allocation). */
ctorch_error *ctorch_foreach_mul_scalar_(const ctorch_tensor *tensors, int64_t count, ctorch_scalar value);
ctorch_error *ctorch_foreach_add_(const ctorch_tensor *tensors, const ctorch_tensor *others, int64_t count,
                                  ctorch_scalar alpha);
ctorch_error *ctorch_foreach_lerp_(const ctorch_tensor *tensors, const ctorch_tensor *ends, int64_t count,
                                   ctorch_scalar weight);
/* One AdamW step (decoupled weight decay) over `count` parameters that have all stepped `step` times
   (1-based): torch's fused kernel, one pass over each parameter, its gradient and its two moments.
   Parameters and moments must be contiguous. */
ctorch_error *ctorch_fused_adamw_(const ctorch_tensor *params, const ctorch_tensor *grads, const ctorch_tensor *averages,
                                  const ctorch_tensor *squares, int64_t count, int64_t step, double lr, double beta1,
                                  double beta2, double weight_decay, double eps);
/* The 2-norm of each tensor, as one handle per tensor into `out` (caller provides `count` slots). */
ctorch_error *ctorch_foreach_norm(ctorch_tensor *out, const ctorch_tensor *tensors, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
