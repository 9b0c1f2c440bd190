// Neural-network ops, autograd, and the in-place ops used by optimizers, BatchNorm and EMA.
#include "internal.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/Context.h>

using ctorch::bound;
using ctorch::optional;
using ctorch::scalar;
using ctorch::sizes;
using ctorch::unwrap;
using ctorch::wrap;

namespace {

int64_t reduction(ctorch_reduction value) {
  switch (value) {
    case CTORCH_REDUCTION_NONE: return at::Reduction::None;
    case CTORCH_REDUCTION_MEAN: return at::Reduction::Mean;
    case CTORCH_REDUCTION_SUM: return at::Reduction::Sum;
  }
  TORCH_CHECK_VALUE(false, "unknown reduction ", static_cast<int>(value));
}

/// Calls a registered operator that ATen has no C++ function for (oneDNN's fused ops), boxed.
at::Tensor call_operator(const char *name, const char *overload, c10::Stack stack) {
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
  op.callBoxed(&stack);
  return stack.at(0).toTensor();
}

std::vector<int64_t> pair(const int64_t *values) { return {values[0], values[1]}; }

}  // namespace

extern "C" {

// ---- Neural-network ops ----------------------------------------------------------------------

ctorch_error *ctorch_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                            const int64_t *stride, const int64_t *padding, const int64_t *dilation, int64_t groups) {
  CTORCH_RETURN(at::conv2d(unwrap(input), unwrap(weight), optional(bias), sizes(stride, 2), sizes(padding, 2),
                           sizes(dilation, 2), groups))
}

bool ctorch_has_onednn(void) { return at::hasMKLDNN(); }

ctorch_error *ctorch_onednn_pack_conv_weight(ctorch_tensor *out, ctorch_tensor weight, const int64_t *stride,
                                             const int64_t *padding, int64_t groups, const int64_t *input_size) {
  c10::IValue size = input_size ? c10::IValue(sizes(input_size, 4).vec()) : c10::IValue();
  CTORCH_RETURN(call_operator("mkldnn::_reorder_convolution_weight", "",
                              {unwrap(weight), pair(padding), pair(stride), std::vector<int64_t>{1, 1}, groups, size}))
}

ctorch_error *ctorch_onednn_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor packed_weight,
                                   ctorch_tensor bias, const int64_t *stride, const int64_t *padding, int64_t groups,
                                   ctorch_fused_activation activation) {
  const char *attr = activation == CTORCH_FUSED_SILU ? "swish" : "none";
  CTORCH_RETURN(call_operator("mkldnn::_convolution_pointwise", "",
                              {unwrap(input), unwrap(packed_weight), optional(bias), pair(padding), pair(stride),
                               std::vector<int64_t>{1, 1}, groups, std::string(attr),
                               c10::List<std::optional<at::Scalar>>(), c10::IValue()}))
}

bool ctorch_has_nnpack(void) { return at::_nnpack_available(); }

ctorch_error *ctorch_nnpack_conv2d(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                                   const int64_t *padding, ctorch_fused_activation activation) {
  CTORCH_RETURN(([&] {
    const at::Tensor x = unwrap(input).contiguous();
    std::vector<at::Tensor> images;
    for (int64_t i = 0; i < x.size(0); ++i) {
      images.push_back(at::_nnpack_spatial_convolution(x.narrow(0, i, 1), unwrap(weight), optional(bias),
                                                       sizes(padding, 2), std::vector<int64_t>{1, 1}));
    }
    at::Tensor y = images.size() == 1 ? images[0] : at::cat(images);
    return activation == CTORCH_FUSED_SILU ? at::silu_(y) : y;
  }()))
}

ctorch_error *ctorch_batch_norm(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor weight, ctorch_tensor bias,
                                ctorch_tensor running_mean, ctorch_tensor running_var, bool training, double momentum,
                                double eps) {
  CTORCH_RETURN(at::batch_norm(unwrap(input), optional(weight), optional(bias), optional(running_mean),
                               optional(running_var), training, momentum, eps, /*cudnn_enabled=*/true))
}

ctorch_error *ctorch_max_pool2d(ctorch_tensor *out, ctorch_tensor input, const int64_t *kernel,
                                const int64_t *stride, const int64_t *padding, bool ceil_mode) {
  const int64_t dilation[2] = {1, 1};
  CTORCH_RETURN(at::max_pool2d(unwrap(input), sizes(kernel, 2), sizes(stride, 2), sizes(padding, 2),
                               sizes(dilation, 2), ceil_mode))
}

ctorch_error *ctorch_upsample_nearest2d(ctorch_tensor *out, ctorch_tensor input, double scale_h, double scale_w) {
  CTORCH_GUARD({
    auto &x = unwrap(input);
    TORCH_CHECK_VALUE(x.dim() == 4, "upsample_nearest2d expects a 4-d input, got ", x.dim(), " dims");
    std::vector<int64_t> size = {static_cast<int64_t>(std::floor(x.size(2) * scale_h)),
                                 static_cast<int64_t>(std::floor(x.size(3) * scale_w))};
    *out = wrap(at::upsample_nearest2d(x, size, scale_h, scale_w));
  })
}

ctorch_error *ctorch_softmax(ctorch_tensor *out, ctorch_tensor input, int64_t dim) {
  CTORCH_RETURN(unwrap(input).softmax(dim))
}
ctorch_error *ctorch_log_softmax(ctorch_tensor *out, ctorch_tensor input, int64_t dim) {
  CTORCH_RETURN(unwrap(input).log_softmax(dim))
}

ctorch_error *ctorch_binary_cross_entropy_with_logits(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor target,
                                                      ctorch_tensor weight, ctorch_tensor pos_weight,
                                                      ctorch_reduction mode) {
  CTORCH_RETURN(at::binary_cross_entropy_with_logits(unwrap(input), unwrap(target), optional(weight),
                                                     optional(pos_weight), reduction(mode)))
}

ctorch_error *ctorch_cross_entropy(ctorch_tensor *out, ctorch_tensor input, ctorch_tensor target,
                                   ctorch_reduction mode) {
  CTORCH_RETURN(at::cross_entropy_loss(unwrap(input), unwrap(target), {}, reduction(mode)))
}

// ---- Autograd --------------------------------------------------------------------------------

ctorch_error *ctorch_set_requires_grad(ctorch_tensor tensor, bool requires_grad) {
  CTORCH_GUARD(unwrap(tensor).set_requires_grad(requires_grad))
}

ctorch_error *ctorch_backward(ctorch_tensor tensor, ctorch_tensor gradient, bool retain_graph) {
  CTORCH_GUARD(unwrap(tensor).backward(optional(gradient), retain_graph))
}

ctorch_error *ctorch_grad(ctorch_tensor *out, ctorch_tensor tensor) {
  CTORCH_GUARD({
    const auto &grad = unwrap(tensor).grad();
    *out = grad.defined() ? wrap(grad) : ctorch_tensor{nullptr};
  })
}

ctorch_error *ctorch_zero_grad(ctorch_tensor tensor) { CTORCH_GUARD(unwrap(tensor).mutable_grad().reset()) }
ctorch_error *ctorch_detach(ctorch_tensor *out, ctorch_tensor tensor) { CTORCH_RETURN(unwrap(tensor).detach()) }

// ---- In place --------------------------------------------------------------------------------

ctorch_error *ctorch_copy_(ctorch_tensor tensor, ctorch_tensor source) {
  CTORCH_GUARD(unwrap(tensor).copy_(unwrap(source)))
}
ctorch_error *ctorch_zero_(ctorch_tensor tensor) { CTORCH_GUARD(unwrap(tensor).zero_()) }
ctorch_error *ctorch_fill_(ctorch_tensor tensor, ctorch_scalar value) { CTORCH_GUARD(unwrap(tensor).fill_(scalar(value))) }
ctorch_error *ctorch_add_(ctorch_tensor tensor, ctorch_tensor other, ctorch_scalar alpha) {
  CTORCH_GUARD(unwrap(tensor).add_(unwrap(other), scalar(alpha)))
}
ctorch_error *ctorch_add_scalar_(ctorch_tensor tensor, ctorch_scalar value) {
  CTORCH_GUARD(unwrap(tensor).add_(scalar(value)))
}
ctorch_error *ctorch_mul_(ctorch_tensor tensor, ctorch_tensor other) { CTORCH_GUARD(unwrap(tensor).mul_(unwrap(other))) }
ctorch_error *ctorch_mul_scalar_(ctorch_tensor tensor, ctorch_scalar value) {
  CTORCH_GUARD(unwrap(tensor).mul_(scalar(value)))
}
ctorch_error *ctorch_div_(ctorch_tensor tensor, ctorch_tensor other) { CTORCH_GUARD(unwrap(tensor).div_(unwrap(other))) }
ctorch_error *ctorch_addcmul_(ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value) {
  CTORCH_GUARD(unwrap(tensor).addcmul_(unwrap(a), unwrap(b), scalar(value)))
}
ctorch_error *ctorch_addcdiv_(ctorch_tensor tensor, ctorch_tensor a, ctorch_tensor b, ctorch_scalar value) {
  CTORCH_GUARD(unwrap(tensor).addcdiv_(unwrap(a), unwrap(b), scalar(value)))
}
ctorch_error *ctorch_lerp_(ctorch_tensor tensor, ctorch_tensor end, ctorch_scalar weight) {
  CTORCH_GUARD(unwrap(tensor).lerp_(unwrap(end), scalar(weight)))
}
ctorch_error *ctorch_sigmoid_(ctorch_tensor tensor) { CTORCH_GUARD(unwrap(tensor).sigmoid_()) }
ctorch_error *ctorch_clamp_(ctorch_tensor tensor, const double *min, const double *max) {
  CTORCH_GUARD(unwrap(tensor).clamp_(bound(min), bound(max)))
}

ctorch_error *ctorch_foreach_mul_scalar_(const ctorch_tensor *list, int64_t count, ctorch_scalar value) {
  CTORCH_GUARD(at::_foreach_mul_(ctorch::tensors(list, count), scalar(value)))
}
ctorch_error *ctorch_foreach_add_(const ctorch_tensor *list, const ctorch_tensor *others, int64_t count,
                                  ctorch_scalar alpha) {
  CTORCH_GUARD(at::_foreach_add_(ctorch::tensors(list, count), ctorch::tensors(others, count), scalar(alpha)))
}
ctorch_error *ctorch_foreach_lerp_(const ctorch_tensor *list, const ctorch_tensor *ends, int64_t count,
                                   ctorch_scalar weight) {
  CTORCH_GUARD(at::_foreach_lerp_(ctorch::tensors(list, count), ctorch::tensors(ends, count), scalar(weight)))
}
ctorch_error *ctorch_fused_adamw_(const ctorch_tensor *params, const ctorch_tensor *grads, const ctorch_tensor *averages,
                                  const ctorch_tensor *squares, int64_t count, int64_t step, double lr, double beta1,
                                  double beta2, double weight_decay, double eps) {
  CTORCH_GUARD({
    auto values = ctorch::tensors(params, count);
    auto moments = ctorch::tensors(averages, count);
    auto moments2 = ctorch::tensors(squares, count);
    std::vector<at::Tensor> gradients;
    gradients.reserve(count);
    for (int64_t i = 0; i < count; ++i) {
      TORCH_CHECK(values[i].is_contiguous() && moments[i].is_contiguous() && moments2[i].is_contiguous(),
                  "fused AdamW needs contiguous parameters and moments");
      gradients.push_back(unwrap(grads[i]).contiguous());  // the kernel reads every tensor as one flat array
    }
    // the step count lives beside the parameters: the CUDA kernel reads it on the device
    auto step_options = at::TensorOptions().dtype(at::kFloat).device(count > 0 ? values[0].device() : at::kCPU);
    std::vector<at::Tensor> steps(count, at::scalar_tensor(static_cast<double>(step), step_options));
    at::_fused_adamw_(values, gradients, moments, moments2, {}, steps, lr, beta1, beta2, weight_decay, eps,
                      /*amsgrad=*/false, /*maximize=*/false, std::nullopt, std::nullopt);
  })
}
ctorch_error *ctorch_foreach_mul_tensor_(const ctorch_tensor *list, int64_t count, ctorch_tensor factor) {
  CTORCH_GUARD(at::_foreach_mul_(ctorch::tensors(list, count), unwrap(factor)))
}
ctorch_error *ctorch_amp_unscale_(const ctorch_tensor *grads, int64_t count, ctorch_tensor found_inf,
                                  ctorch_tensor inverse_scale) {
  CTORCH_GUARD(at::_amp_foreach_non_finite_check_and_unscale_(ctorch::tensors(grads, count), unwrap(found_inf),
                                                             unwrap(inverse_scale)))
}
ctorch_error *ctorch_amp_update_scale_(ctorch_tensor scale, ctorch_tensor growth_tracker, ctorch_tensor found_inf,
                                       double growth, double backoff, int64_t interval) {
  CTORCH_GUARD(at::_amp_update_scale_(unwrap(scale), unwrap(growth_tracker), unwrap(found_inf), growth, backoff, interval))
}
ctorch_error *ctorch_foreach_norm(ctorch_tensor *out, const ctorch_tensor *list, int64_t count) {
  CTORCH_GUARD({
    auto norms = at::_foreach_norm(ctorch::tensors(list, count), 2);
    for (size_t i = 0; i < norms.size(); ++i) out[i] = wrap(std::move(norms[i]));
  })
}

}  // extern "C"
