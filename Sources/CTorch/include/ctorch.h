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
/* Autocast on one device type (thread-local, as torch.autocast(device_type, dtype)): convolutions
 * and matmuls run in `dtype` inside the region. ctorch_autocast_enter returns whether autocast was
 * on before for that device type, for ctorch_autocast_exit, which restores it and clears the cast
 * cache when the outermost region ends. ctorch_cpu_has_native_bfloat16 says whether this CPU
 * computes bfloat16 in hardware (AVX512-BF16 or AMX), i.e. whether bfloat16 autocast makes it
 * faster. */
bool ctorch_autocast_enter(ctorch_device_type device, ctorch_dtype dtype);
void ctorch_autocast_exit(ctorch_device_type device, bool previously_enabled, ctorch_dtype previous_dtype);
ctorch_dtype ctorch_autocast_dtype(ctorch_device_type device);
bool ctorch_cpu_has_native_bfloat16(void);

/* ---- What this libtorch is (`facelabel env`) ---------------------------------------------- */
/* The libtorch version these sources were compiled against ("2.13.0"); a static string. */
const char *ctorch_torch_version(void);
/* The file of the loaded libtorch_cpu (dladdr), or "" when unknown; a static string. */
const char *ctorch_library_path(void);
/* The SIMD level ATen dispatches its CPU kernels to ("AVX512", "AVX2", "DEFAULT"); static. */
const char *ctorch_cpu_capability(void);
int32_t ctorch_get_num_interop_threads(void);
/* Whether this libtorch was built with CUDA (libtorch_cuda is loaded), whatever the GPUs. */
bool ctorch_has_cuda_build(void);
/* cuDNN's version as libtorch reports it (e.g. 92000), 0 without cuDNN; the CUDA runtime's, 0 without. */
int64_t ctorch_cudnn_version(void);
int64_t ctorch_cuda_runtime_version(void);
/* One GPU as the CUDA driver describes it (read through libcuda.so.1, whose API never changes):
 * `name` gets a NUL-terminated name of at most `name_capacity` bytes. Errors when no driver or no
 * such device. */
ctorch_error *ctorch_cuda_device_properties(int32_t index, char *name, size_t name_capacity, uint64_t *total_memory,
                                            int32_t *major, int32_t *minor);
/* Waits for the device's queued work. The peak bytes the caching allocator held on a device since
 * the last reset (0 on the CPU), and its reset. */
ctorch_error *ctorch_device_synchronize(ctorch_device device);
ctorch_error *ctorch_device_peak_memory(uint64_t *out, ctorch_device device);
ctorch_error *ctorch_device_reset_peak_memory(ctorch_device device);
/* cuDNN algorithm search (torch.backends.cudnn.benchmark) and deterministic algorithms
 * (torch.use_deterministic_algorithms(warn_only=True), with cudnn.deterministic, as the reference
 * sets them: an op without a deterministic kernel warns and runs). */
void ctorch_set_cudnn_benchmark(bool enabled);
/* TensorFloat-32 in cuDNN's float32 convolutions (torch.backends.cudnn.allow_tf32, on by default
 * in libtorch): 10-bit mantissas, faster, but float32 results then differ from the CPU's. */
void ctorch_set_cudnn_tf32(bool enabled);
void ctorch_set_deterministic(bool enabled);

ctorch_error *ctorch_generator_new(ctorch_generator *out, uint64_t seed);
void ctorch_generator_free(ctorch_generator generator);

/* ---- Process groups (PyTorch's c10d) ------------------------------------------------------- */
/* A group of `world_size` processes that reduce and broadcast tensors with each other over c10d:
 * a TCPStore for the rendezvous (hosted by this process when `host_store`, otherwise joined), keys
 * prefixed with `key_prefix`, and Gloo (CPU tensors) or NCCL (CUDA tensors) for the collectives.
 * Every process must issue the same collectives in the same order. A collective or store read that
 * does not complete within `timeout_ms`, or whose peer has gone, returns an error.
 * ctorch_process_group_available says whether this build has the backend (Gloo needs the gloo
 * headers at build time, NCCL a CUDA build with nccl.h). */
typedef struct { void *ptr; } ctorch_process_group;
typedef enum { CTORCH_BACKEND_GLOO = 0, CTORCH_BACKEND_NCCL = 1 } ctorch_backend;
typedef enum { CTORCH_REDUCE_SUM = 0, CTORCH_REDUCE_AVERAGE = 1, CTORCH_REDUCE_MAX = 2 } ctorch_reduce_op;
typedef struct {
  const char *store_host;
  uint16_t store_port;
  bool host_store;
  const char *key_prefix;
  int32_t rank;
  int32_t world_size;
  ctorch_backend backend;
  int64_t timeout_ms;
  /* Gloo: the network interface to use (GLOO_SOCKET_IFNAME), else the address `hostname` resolves
   * to, else (both NULL) the address this machine's host name resolves to. */
  const char *interface;
  const char *hostname;
} ctorch_process_group_options;
bool ctorch_process_group_available(ctorch_backend backend);
ctorch_error *ctorch_process_group_create(ctorch_process_group *out, const ctorch_process_group_options *options);
void ctorch_process_group_free(ctorch_process_group group);
/* In place on every process: each tensor becomes the reduction of that tensor over the group
 * (undefined tensors are not allowed). Tensors of one dtype are flattened into buckets of at most
 * `bucket_bytes` (at least one tensor each), one collective per bucket. */
ctorch_error *ctorch_process_group_allreduce(ctorch_process_group group, const ctorch_tensor *tensors, int64_t count,
                                             ctorch_reduce_op op, int64_t bucket_bytes);
/* In place: every process's tensors become those of process `root` (bucketed as above). */
ctorch_error *ctorch_process_group_broadcast(ctorch_process_group group, const ctorch_tensor *tensors, int64_t count,
                                             int32_t root, int64_t bucket_bytes);
ctorch_error *ctorch_process_group_barrier(ctorch_process_group group);
/* Small byte blobs through the group's store (under its key prefix). ctorch_store_get waits for the
 * key up to the timeout and writes a malloc'ed copy (free it with ctorch_free). */
ctorch_error *ctorch_store_set(ctorch_process_group group, const char *key, const void *data, size_t size);
ctorch_error *ctorch_store_get(void **data, size_t *size, ctorch_process_group group, const char *key);

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

/* ---- PyTorch archives ---------------------------------------------------------------------- */
/* The zip archive that torch.save writes (libtorch's reader: records are named without the
 * archive's top folder, e.g. "data.pkl" and "data/0"). ctorch_archive_read copies a record into a
 * malloc'ed buffer (free it with ctorch_free); ctorch_archive_storage reads one into a new 1-D CPU
 * tensor of `dtype`, refusing a record that is not a whole number of values. */
typedef struct { void *ptr; } ctorch_archive;
ctorch_error *ctorch_archive_open(ctorch_archive *out, const char *path);
void ctorch_archive_free(ctorch_archive archive);
bool ctorch_archive_has_record(ctorch_archive archive, const char *name);
ctorch_error *ctorch_archive_read(void **data, size_t *size, ctorch_archive archive, const char *name);
ctorch_error *ctorch_archive_storage(ctorch_tensor *out, ctorch_archive archive, const char *name, ctorch_dtype dtype);
/* A new contiguous tensor of `sizes` whose element i0..in sits at `offset` + sum(ik * strides[k])
 * of the 1-D `storage` (a tensor rebuilt from a storage); an element past its end is an error. */
ctorch_error *ctorch_strided_copy(ctorch_tensor *out, ctorch_tensor storage, const int64_t *sizes,
                                  const int64_t *strides, int64_t dim, int64_t offset);

/* ---- Creation ---------------------------------------------------------------------------- */
/* Copies `byte_count` bytes of packed, row-major `dtype` values into a new CPU tensor, in
 * page-locked memory when `pinned` and a GPU is usable (a GPU then copies it without blocking). */
ctorch_error *ctorch_from_data(ctorch_tensor *out, const void *data, size_t byte_count, const int64_t *sizes,
                               int64_t dim, ctorch_dtype dtype, bool pinned);
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
/* With `non_blocking`, a copy from pinned host memory to a GPU (or back) is queued on the device's
 * stream and returns at once, as Tensor.to(device, non_blocking=True). */
ctorch_error *ctorch_to_device(ctorch_tensor *out, ctorch_tensor tensor, ctorch_device device, bool non_blocking);
/* A copy in page-locked host memory, which a GPU copies from without blocking; the tensor itself
 * when libtorch has no CUDA (pinning then buys nothing). */
ctorch_error *ctorch_pin_memory(ctorch_tensor *out, ctorch_tensor tensor);
bool ctorch_tensor_is_pinned(ctorch_tensor tensor);
/* Points `tensor` at `source`'s data (which may live on another device), keeping the tensor's
 * identity: every handle to it, and autograd's view of it as a leaf, follow (`param.data = ...`). */
ctorch_error *ctorch_set_data(ctorch_tensor tensor, ctorch_tensor source);
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
ctorch_error *ctorch_rsqrt(ctorch_tensor *out, ctorch_tensor tensor);
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
 * own layout (an opaque tensor that only ctorch_onednn_conv2d reads) for inputs of input_size
 * ([N, C, H, W]; NULL: oneDNN's guess, which may make every call reorder the weight again);
 * ctorch_onednn_conv2d is a convolution (dilation 1) with the activation applied in the same pass.
 * No autograd. */
typedef enum { CTORCH_FUSED_NONE = 0, CTORCH_FUSED_SILU = 1 } ctorch_fused_activation;
bool ctorch_has_onednn(void);
ctorch_error *ctorch_onednn_pack_conv_weight(ctorch_tensor *out, ctorch_tensor weight, const int64_t *stride,
                                             const int64_t *padding, int64_t groups, const int64_t *input_size);
ctorch_error *ctorch_onednn_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor packed_weight,
                                   ctorch_tensor bias, const int64_t *stride, const int64_t *padding, int64_t groups,
                                   ctorch_fused_activation activation);
/* NNPACK's inference convolution (CPU, float32, stride 1, dilation 1, groups 1; Winograd or FFT
 * kernels, chosen by NNPACK), then the activation, on a contiguous [N, C, H, W] result. Images are
 * convolved one at a time: NNPACK picks another algorithm for a batch, and an image's result must
 * not depend on the batch it came in. ctorch_has_nnpack initialises NNPACK and says whether it runs
 * on this CPU. No autograd. */
bool ctorch_has_nnpack(void);
ctorch_error *ctorch_nnpack_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                                   const int64_t *padding, ctorch_fused_activation activation);
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
/* Multiplies every tensor by the one-element `factor` tensor, without reading it on the host. */
ctorch_error *ctorch_foreach_mul_tensor_(const ctorch_tensor *tensors, int64_t count, ctorch_tensor factor);
/* Mixed-precision loss scaling (torch.amp.GradScaler's two kernels). unscale: multiplies each
 * gradient by `inverse_scale` (one element) and sets `found_inf` (one float element) to 1 when any
 * value is inf or NaN. update_scale: on found_inf the scale is multiplied by `backoff` and the
 * tracker reset; otherwise the tracker (int32) counts up and, reaching `interval`, the scale is
 * multiplied by `growth` and the tracker reset. All in place, on the tensors' device. */
ctorch_error *ctorch_amp_unscale_(const ctorch_tensor *grads, int64_t count, ctorch_tensor found_inf,
                                  ctorch_tensor inverse_scale);
ctorch_error *ctorch_amp_update_scale_(ctorch_tensor scale, ctorch_tensor growth_tracker, ctorch_tensor found_inf,
                                       double growth, double backoff, int64_t interval);
/* The 2-norm of each tensor, as one handle per tensor into `out` (caller provides `count` slots). */
ctorch_error *ctorch_foreach_norm(ctorch_tensor *out, const ctorch_tensor *tensors, int64_t count);

#ifdef __cplusplus
}
#endif

#endif
