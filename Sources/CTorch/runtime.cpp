// Errors, runtime settings, generators, tensor lifetime, properties and creation.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/DeviceAccelerator.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/GradMode.h>

#include <dlfcn.h>

#include <sstream>
#include <string>

// The one libtorch version check: the sources use only API present in every supported release.
#if __has_include(<torch/headeronly/version.h>)
#include <torch/headeronly/version.h>
#else
#include <torch/csrc/api/include/torch/version.h>
#endif
static_assert(TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 11 && TORCH_VERSION_MINOR <= 13,
              "ctorch supports libtorch 2.11 to 2.13; this libtorch is " TORCH_VERSION);

#include "internal.h"

namespace ctorch {

ctorch_error *make_error(ctorch_error_kind kind, const char *message) {
  auto *error = static_cast<ctorch_error *>(std::malloc(sizeof(ctorch_error)));
  if (error == nullptr) return nullptr;  // Nothing better can be done without memory.
  error->kind = kind;
  error->message = strdup(message == nullptr ? "" : message);
  return error;
}

ctorch_error *error_from_current_exception() {
  try {
    throw;
  } catch (const c10::OutOfMemoryError &e) {
    return make_error(CTORCH_ERROR_OUT_OF_MEMORY, e.what_without_backtrace());
  } catch (const c10::IndexError &e) {
    return make_error(CTORCH_ERROR_INDEX, e.what_without_backtrace());
  } catch (const c10::ValueError &e) {
    return make_error(CTORCH_ERROR_VALUE, e.what_without_backtrace());
  } catch (const c10::TypeError &e) {
    return make_error(CTORCH_ERROR_TYPE, e.what_without_backtrace());
  } catch (const c10::NotImplementedError &e) {
    return make_error(CTORCH_ERROR_NOT_IMPLEMENTED, e.what_without_backtrace());
  } catch (const c10::Error &e) {
    return make_error(CTORCH_ERROR_OTHER, e.what_without_backtrace());
  } catch (const std::bad_alloc &e) {
    return make_error(CTORCH_ERROR_OUT_OF_MEMORY, e.what());
  } catch (const std::exception &e) {
    return make_error(CTORCH_ERROR_OTHER, e.what());
  } catch (...) {
    return make_error(CTORCH_ERROR_OTHER, "unknown C++ exception");
  }
}

}  // namespace ctorch

using ctorch::options;
using ctorch::sizes;
using ctorch::unwrap;
using ctorch::wrap;

extern "C" {

void ctorch_error_free(ctorch_error *error) {
  if (error == nullptr) return;
  std::free(error->message);
  std::free(error);
}

void ctorch_free(void *pointer) { std::free(pointer); }

// ---- Runtime ---------------------------------------------------------------------------------

void ctorch_set_num_threads(int32_t count) { at::set_num_threads(count); }
int32_t ctorch_get_num_threads(void) { return at::get_num_threads(); }
ctorch_error *ctorch_set_num_interop_threads(int32_t count) { CTORCH_GUARD(at::set_num_interop_threads(count)) }
void ctorch_manual_seed(uint64_t seed) { at::manual_seed(seed); }
int32_t ctorch_cuda_device_count(void) {
  return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().deviceCount()) : 0;
}
bool ctorch_cuda_is_available(void) { return ctorch_cuda_device_count() > 0; }
bool ctorch_grad_mode_is_enabled(void) { return c10::GradMode::is_enabled(); }
void ctorch_grad_mode_set_enabled(bool enabled) { c10::GradMode::set_enabled(enabled); }

}  // extern "C"

namespace {

c10::DeviceType device_type(ctorch_device_type type) { return type == CTORCH_CUDA ? at::kCUDA : at::kCPU; }

/// The CUDA driver API, read through dlopen: its C ABI is fixed, so the same code works with every
/// driver and needs no CUDA headers (the CPU wheel has none).
struct CudaDriver {
  using Init = int (*)(unsigned);
  using DeviceGet = int (*)(int *, int);
  using DeviceGetName = int (*)(char *, int, int);
  using DeviceTotalMem = int (*)(size_t *, int);
  using DeviceGetAttribute = int (*)(int *, int, int);
  Init init = nullptr;
  DeviceGet device_get = nullptr;
  DeviceGetName device_get_name = nullptr;
  DeviceTotalMem device_total_mem = nullptr;
  DeviceGetAttribute device_get_attribute = nullptr;
  bool ready = false;

  CudaDriver() {
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return;
    init = reinterpret_cast<Init>(dlsym(library, "cuInit"));
    device_get = reinterpret_cast<DeviceGet>(dlsym(library, "cuDeviceGet"));
    device_get_name = reinterpret_cast<DeviceGetName>(dlsym(library, "cuDeviceGetName"));
    device_total_mem = reinterpret_cast<DeviceTotalMem>(dlsym(library, "cuDeviceTotalMem_v2"));
    device_get_attribute = reinterpret_cast<DeviceGetAttribute>(dlsym(library, "cuDeviceGetAttribute"));
    ready = init && device_get && device_get_name && device_total_mem && device_get_attribute && init(0) == 0;
  }

  static const CudaDriver &shared() {
    static const CudaDriver driver;
    return driver;
  }
};

// CUdevice_attribute values of the driver API (cuda.h): compute capability major and minor.
constexpr int kComputeCapabilityMajor = 75;
constexpr int kComputeCapabilityMinor = 76;

}  // namespace

extern "C" {

bool ctorch_autocast_enter(ctorch_device_type device, ctorch_dtype dtype) {
  auto type = device_type(device);
  bool previous = at::autocast::is_autocast_enabled(type);
  at::autocast::set_autocast_dtype(type, static_cast<at::ScalarType>(dtype));
  at::autocast::set_autocast_enabled(type, true);
  at::autocast::increment_nesting();
  return previous;
}

void ctorch_autocast_exit(ctorch_device_type device, bool previously_enabled, ctorch_dtype previous_dtype) {
  auto type = device_type(device);
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(type, previously_enabled);
  at::autocast::set_autocast_dtype(type, static_cast<at::ScalarType>(previous_dtype));
}

ctorch_dtype ctorch_autocast_dtype(ctorch_device_type device) {
  return static_cast<ctorch_dtype>(at::autocast::get_autocast_dtype(device_type(device)));
}

const char *ctorch_torch_version(void) { return TORCH_VERSION; }

const char *ctorch_library_path(void) {
  static const std::string path = [] {
    Dl_info info;
    auto symbol = reinterpret_cast<void *>(&at::set_num_threads);
    return dladdr(symbol, &info) != 0 && info.dli_fname != nullptr ? std::string(info.dli_fname) : std::string();
  }();
  return path.c_str();
}

const char *ctorch_cpu_capability(void) {
  static const std::string capability = at::get_cpu_capability();
  return capability.c_str();
}

int32_t ctorch_get_num_interop_threads(void) { return at::get_num_interop_threads(); }
// libtorch_cuda registers its hooks under this name when it loads (a GPU or not)
bool ctorch_has_cuda_build(void) { return at::CUDAHooksRegistry()->Has("CUDAHooks"); }
int64_t ctorch_cudnn_version(void) {
  return ctorch_has_cuda_build() && at::detail::getCUDAHooks().compiledWithCuDNN() ? at::detail::getCUDAHooks().versionCuDNN() : 0;
}
int64_t ctorch_cuda_runtime_version(void) {
  return ctorch_has_cuda_build() ? at::detail::getCUDAHooks().versionCUDART() : 0;
}

ctorch_error *ctorch_cuda_device_properties(int32_t index, char *name, size_t name_capacity, uint64_t *total_memory,
                                            int32_t *major, int32_t *minor) {
  CTORCH_GUARD({
    const auto &driver = CudaDriver::shared();
    TORCH_CHECK(driver.ready, "no CUDA driver (libcuda.so.1) could be loaded and initialised");
    int device = 0;
    TORCH_CHECK_INDEX(driver.device_get(&device, index) == 0, "no CUDA device ", index);
    size_t bytes = 0;
    int capability_major = 0;
    int capability_minor = 0;
    TORCH_CHECK(driver.device_get_name(name, static_cast<int>(name_capacity), device) == 0 &&
                    driver.device_total_mem(&bytes, device) == 0 &&
                    driver.device_get_attribute(&capability_major, kComputeCapabilityMajor, device) == 0 &&
                    driver.device_get_attribute(&capability_minor, kComputeCapabilityMinor, device) == 0,
                "the CUDA driver could not describe device ", index);
    *total_memory = bytes;
    *major = capability_major;
    *minor = capability_minor;
  })
}

ctorch_error *ctorch_device_synchronize(ctorch_device where) {
  CTORCH_GUARD(if (where.type == CTORCH_CUDA) at::accelerator::synchronizeDevice(ctorch::device(where).index()))
}

ctorch_error *ctorch_device_peak_memory(uint64_t *out, ctorch_device where) {
  CTORCH_GUARD({
    *out = 0;
    if (where.type == CTORCH_CUDA) {
      auto stats = at::accelerator::getDeviceStats(std::max<c10::DeviceIndex>(ctorch::device(where).index(), 0));
      *out = static_cast<uint64_t>(stats.allocated_bytes[0].peak);  // [0]: all pools together
    }
  })
}

ctorch_error *ctorch_device_reset_peak_memory(ctorch_device where) {
  CTORCH_GUARD(if (where.type == CTORCH_CUDA) at::accelerator::resetPeakStats(std::max<c10::DeviceIndex>(ctorch::device(where).index(), 0)))
}

void ctorch_set_cudnn_benchmark(bool enabled) { at::globalContext().setBenchmarkCuDNN(enabled); }
void ctorch_set_cudnn_tf32(bool enabled) { at::globalContext().setAllowTF32CuDNN(enabled); }
void ctorch_set_deterministic(bool enabled) {
  at::globalContext().setDeterministicCuDNN(enabled);
  at::globalContext().setDeterministicAlgorithms(enabled, /*warn_only=*/true);  // as the reference: warn on ops without one
}

bool ctorch_cpu_has_native_bfloat16(void) {
  // oneDNN's own check (cpuinfo: AVX512-BF16 or AMX), registered as an operator without a C++ header
  auto op = c10::Dispatcher::singleton().findSchema({"mkldnn::_is_mkldnn_bf16_supported", ""});
  if (!op) return false;
  c10::Stack stack;
  op->callBoxed(&stack);
  return stack.at(0).toBool();
}

ctorch_error *ctorch_generator_new(ctorch_generator *out, uint64_t seed) {
  CTORCH_GUARD(*out = ctorch_generator{new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed))})
}

void ctorch_generator_free(ctorch_generator generator) { delete static_cast<at::Generator *>(generator.ptr); }

// ---- Lifetime and properties -----------------------------------------------------------------

void ctorch_tensor_free(ctorch_tensor tensor) { delete static_cast<at::Tensor *>(tensor.ptr); }
ctorch_tensor ctorch_tensor_retain(ctorch_tensor tensor) { return wrap(unwrap(tensor)); }
int64_t ctorch_tensor_dim(ctorch_tensor tensor) { return unwrap(tensor).dim(); }

int64_t ctorch_tensor_sizes(ctorch_tensor tensor, int64_t *values, int64_t capacity) {
  auto shape = unwrap(tensor).sizes();
  auto dim = static_cast<int64_t>(shape.size());
  for (int64_t i = 0; i < dim && i < capacity; ++i) values[i] = shape[static_cast<size_t>(i)];
  return dim;
}

int64_t ctorch_tensor_numel(ctorch_tensor tensor) { return unwrap(tensor).numel(); }
ctorch_dtype ctorch_tensor_dtype(ctorch_tensor tensor) { return static_cast<ctorch_dtype>(unwrap(tensor).scalar_type()); }

ctorch_device ctorch_tensor_device(ctorch_tensor tensor) {
  auto where = unwrap(tensor).device();
  return ctorch_device{where.is_cuda() ? CTORCH_CUDA : CTORCH_CPU, where.index()};
}

bool ctorch_tensor_is_contiguous(ctorch_tensor tensor) { return unwrap(tensor).is_contiguous(); }
bool ctorch_tensor_is_channels_last(ctorch_tensor tensor) {
  auto &t = unwrap(tensor);
  return t.dim() == 4 && t.is_contiguous(at::MemoryFormat::ChannelsLast);
}
bool ctorch_tensor_requires_grad(ctorch_tensor tensor) { return unwrap(tensor).requires_grad(); }
bool ctorch_tensor_is_defined(ctorch_tensor tensor) { return tensor.ptr != nullptr && unwrap(tensor).defined(); }
bool ctorch_tensor_is_same(ctorch_tensor a, ctorch_tensor b) { return unwrap(a).is_same(unwrap(b)); }

char *ctorch_tensor_description(ctorch_tensor tensor) {
  try {
    std::ostringstream stream;
    stream << unwrap(tensor);
    return strdup(stream.str().c_str());
  } catch (...) {
    return strdup("<tensor that cannot be printed>");
  }
}

// ---- Creation --------------------------------------------------------------------------------

ctorch_error *ctorch_from_data(ctorch_tensor *out, const void *data, size_t byte_count, const int64_t *shape,
                               int64_t dim, ctorch_dtype dtype, bool pinned) {
  CTORCH_GUARD({
    auto host = options(dtype, ctorch_device{CTORCH_CPU, -1}).pinned_memory(pinned && ctorch_cuda_device_count() > 0);
    auto tensor = at::empty(sizes(shape, dim), host);
    auto expected = static_cast<size_t>(tensor.numel()) * tensor.element_size();
    TORCH_CHECK_VALUE(expected == byte_count, "from_data: shape ", tensor.sizes(), " of ",
                      tensor.scalar_type(), " needs ", expected, " bytes but ", byte_count, " were given");
    if (byte_count > 0) std::memcpy(tensor.data_ptr(), data, byte_count);
    *out = wrap(std::move(tensor));
  })
}

ctorch_error *ctorch_copy_to_data(ctorch_tensor tensor, void *data, size_t byte_count) {
  CTORCH_GUARD({
    auto source = unwrap(tensor).detach().to(at::kCPU).contiguous();
    auto expected = static_cast<size_t>(source.numel()) * source.element_size();
    TORCH_CHECK_VALUE(expected == byte_count, "copy_to_data: tensor of shape ", source.sizes(), " has ",
                      expected, " bytes but the buffer has ", byte_count);
    if (byte_count > 0) std::memcpy(data, source.data_ptr(), byte_count);
  })
}

ctorch_error *ctorch_item(double *out, ctorch_tensor tensor) { CTORCH_GUARD(*out = unwrap(tensor).item<double>()) }
ctorch_error *ctorch_item_int(int64_t *out, ctorch_tensor tensor) { CTORCH_GUARD(*out = unwrap(tensor).item<int64_t>()) }

ctorch_error *ctorch_zeros(ctorch_tensor *out, const int64_t *shape, int64_t dim, ctorch_dtype dtype,
                           ctorch_device where) {
  CTORCH_RETURN(at::zeros(sizes(shape, dim), options(dtype, where)))
}

ctorch_error *ctorch_ones(ctorch_tensor *out, const int64_t *shape, int64_t dim, ctorch_dtype dtype,
                          ctorch_device where) {
  CTORCH_RETURN(at::ones(sizes(shape, dim), options(dtype, where)))
}

ctorch_error *ctorch_full(ctorch_tensor *out, const int64_t *shape, int64_t dim, ctorch_scalar value,
                          ctorch_dtype dtype, ctorch_device where) {
  CTORCH_RETURN(at::full(sizes(shape, dim), ctorch::scalar(value), options(dtype, where)))
}

ctorch_error *ctorch_arange(ctorch_tensor *out, ctorch_scalar start, ctorch_scalar end, ctorch_scalar step,
                            ctorch_dtype dtype, ctorch_device where) {
  CTORCH_RETURN(at::arange(ctorch::scalar(start), ctorch::scalar(end), ctorch::scalar(step), options(dtype, where)))
}

ctorch_error *ctorch_linspace(ctorch_tensor *out, double start, double end, int64_t steps, ctorch_dtype dtype,
                              ctorch_device where) {
  CTORCH_RETURN(at::linspace(start, end, steps, options(dtype, where)))
}

}  // extern "C"

namespace {

/// Random tensors are drawn on the CPU with the given generator (libtorch's default when
/// absent), then moved: the same seed gives the same values on every device.
template <typename Draw>
ctorch_error *draw(ctorch_tensor *out, ctorch_generator generator, ctorch_dtype dtype, ctorch_device where,
                   Draw draw_values) {
  CTORCH_GUARD({
    std::optional<at::Generator> source;
    if (generator.ptr != nullptr) source = *static_cast<at::Generator *>(generator.ptr);
    auto cpu = options(dtype, ctorch_device{CTORCH_CPU, -1});
    *out = wrap(draw_values(source, cpu).to(ctorch::device(where)));
  })
}

}  // namespace

extern "C" {

ctorch_error *ctorch_rand(ctorch_tensor *out, const int64_t *shape, int64_t dim, ctorch_generator generator,
                          ctorch_dtype dtype, ctorch_device where) {
  return draw(out, generator, dtype, where, [&](auto source, auto cpu) { return at::rand(sizes(shape, dim), source, cpu); });
}

ctorch_error *ctorch_randn(ctorch_tensor *out, const int64_t *shape, int64_t dim, ctorch_generator generator,
                           ctorch_dtype dtype, ctorch_device where) {
  return draw(out, generator, dtype, where, [&](auto source, auto cpu) { return at::randn(sizes(shape, dim), source, cpu); });
}

ctorch_error *ctorch_randint(ctorch_tensor *out, int64_t low, int64_t high, const int64_t *shape, int64_t dim,
                             ctorch_generator generator, ctorch_dtype dtype, ctorch_device where) {
  return draw(out, generator, dtype, where,
              [&](auto source, auto cpu) { return at::randint(low, high, sizes(shape, dim), source, cpu); });
}

ctorch_error *ctorch_randperm(ctorch_tensor *out, int64_t n, ctorch_generator generator, ctorch_device where) {
  return draw(out, generator, CTORCH_INT64, where, [&](auto source, auto cpu) { return at::randperm(n, source, cpu); });
}

ctorch_error *ctorch_zeros_like(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(at::zeros_like(unwrap(tensor))) }
ctorch_error *ctorch_ones_like(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(at::ones_like(unwrap(tensor))) }
ctorch_error *ctorch_full_like(ctorch_tensor *out, ctorch_tensor tensor, ctorch_scalar value) {
  CTORCH_RETURN(at::full_like(unwrap(tensor), ctorch::scalar(value)))
}

// ---- Conversion and copies -------------------------------------------------------------------

ctorch_error *ctorch_to_dtype(ctorch_tensor *out, ctorch_tensor tensor, ctorch_dtype dtype) {
  CTORCH_RETURN(unwrap(tensor).to(static_cast<at::ScalarType>(dtype)))
}
ctorch_error *ctorch_to_device(ctorch_tensor *out, ctorch_tensor tensor, ctorch_device where, bool non_blocking) {
  CTORCH_RETURN(unwrap(tensor).to(ctorch::device(where), /*non_blocking=*/non_blocking))
}
ctorch_error *ctorch_pin_memory(ctorch_tensor *out, ctorch_tensor tensor) {
  CTORCH_RETURN(at::hasCUDA() && ctorch_cuda_device_count() > 0 ? unwrap(tensor).pin_memory() : unwrap(tensor))
}
bool ctorch_tensor_is_pinned(ctorch_tensor tensor) {
  return at::hasCUDA() && ctorch_cuda_device_count() > 0 && unwrap(tensor).is_pinned();
}
ctorch_error *ctorch_set_data(ctorch_tensor tensor, ctorch_tensor source) {
  CTORCH_GUARD(unwrap(tensor).set_data(unwrap(source)))
}
ctorch_error *ctorch_clone(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(unwrap(tensor).clone()) }
ctorch_error *ctorch_contiguous(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(unwrap(tensor).contiguous()) }
ctorch_error *ctorch_channels_last(ctorch_tensor *out, ctorch_tensor tensor) {
  CTORCH_RETURN(unwrap(tensor).contiguous(at::MemoryFormat::ChannelsLast))
}

}  // extern "C"
