// Private helpers of the ctorch implementation: handle conversion and exception capture.
#pragma once

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "ctorch.h"

namespace ctorch {

inline at::Tensor &unwrap(ctorch_tensor handle) { return *static_cast<at::Tensor *>(handle.ptr); }

/// An undefined at::Tensor for a NULL handle (an optional argument that was left out).
inline at::Tensor optional(ctorch_tensor handle) {
  return handle.ptr == nullptr ? at::Tensor() : unwrap(handle);
}

inline ctorch_tensor wrap(at::Tensor tensor) { return ctorch_tensor{new at::Tensor(std::move(tensor))}; }

inline at::Scalar scalar(ctorch_scalar value) {
  return value.is_integral ? at::Scalar(value.integer) : at::Scalar(value.real);
}

inline c10::Device device(ctorch_device value) {
  auto type = value.type == CTORCH_CUDA ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  return c10::Device(type, static_cast<c10::DeviceIndex>(value.index));
}

inline at::TensorOptions options(ctorch_dtype dtype, ctorch_device where) {
  return at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(device(where));
}

/// An optional bound (clamp's min or max): NULL means none.
inline std::optional<at::Scalar> bound(const double *value) {
  return value == nullptr ? std::nullopt : std::optional<at::Scalar>(*value);
}

inline at::IntArrayRef sizes(const int64_t *values, int64_t count) {
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

inline std::vector<at::Tensor> tensors(const ctorch_tensor *handles, int64_t count) {
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) result.push_back(unwrap(handles[i]));
  return result;
}

/// Hands a list of tensors to the caller as a malloc'ed array of owned handles.
inline void hand_out(ctorch_tensor **out, int64_t *out_count, std::vector<at::Tensor> list) {
  auto *array = static_cast<ctorch_tensor *>(std::malloc(sizeof(ctorch_tensor) * (list.empty() ? 1 : list.size())));
  if (array == nullptr) throw std::bad_alloc();
  for (size_t i = 0; i < list.size(); ++i) array[i] = wrap(std::move(list[i]));
  *out = array;
  *out_count = static_cast<int64_t>(list.size());
}

ctorch_error *make_error(ctorch_error_kind kind, const char *message);
ctorch_error *error_from_current_exception();

}  // namespace ctorch

/// Wraps a function body so that any C++ exception becomes a returned ctorch_error.
#define CTORCH_GUARD(...)                               \
  try {                                                 \
    __VA_ARGS__;                                        \
    return nullptr;                                     \
  } catch (...) {                                       \
    return ctorch::error_from_current_exception();      \
  }

/// The body of an op that writes one new tensor to `out`.
#define CTORCH_RETURN(...) CTORCH_GUARD(*out = ctorch::wrap(__VA_ARGS__))
