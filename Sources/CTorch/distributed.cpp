// Process groups over PyTorch's c10d: a TCPStore rendezvous and Gloo or NCCL collectives.
// Built with USE_C10D_GLOO where the gloo headers were found (Package.swift), and with
// USE_C10D_NCCL in a CUDA build that has nccl.h; otherwise every call but `available` fails.
#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "internal.h"

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

using ctorch::unwrap;

namespace {

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)

struct Group {
  c10::intrusive_ptr<c10d::Store> store;  // the caller's blobs, under "<prefix>/blob/"
  c10::intrusive_ptr<c10d::Backend> backend;
  int world_size;
};

Group &group_of(ctorch_process_group handle) { return *static_cast<Group *>(handle.ptr); }

c10::intrusive_ptr<c10d::Backend> make_backend(const ctorch_process_group_options &options,
                                               const c10::intrusive_ptr<c10d::Store> &store) {
  auto timeout = std::chrono::milliseconds(options.timeout_ms);
  switch (options.backend) {
    case CTORCH_BACKEND_GLOO: {
#ifdef USE_C10D_GLOO
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      if (options.interface != nullptr) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(options.interface));
      } else if (options.hostname != nullptr) {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(options.hostname));
      } else {
        gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      return c10::make_intrusive<c10d::ProcessGroupGloo>(store, options.rank, options.world_size, gloo);
#else
      break;
#endif
    }
    case CTORCH_BACKEND_NCCL: {
#ifdef USE_C10D_NCCL
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, options.rank, options.world_size, nccl);
#else
      break;
#endif
    }
  }
  TORCH_CHECK(false, "this build of facelabel has no ", options.backend == CTORCH_BACKEND_NCCL ? "NCCL" : "Gloo",
              " process group");
}

/// Consecutive runs of tensors of one dtype and device, at most `bucket_bytes` each (at least one
/// tensor), so that each run travels as one flat tensor.
std::vector<std::vector<at::Tensor>> buckets(const ctorch_tensor *handles, int64_t count, int64_t bucket_bytes) {
  std::vector<std::vector<at::Tensor>> result;
  int64_t bytes = 0;
  for (int64_t i = 0; i < count; ++i) {
    const at::Tensor &tensor = unwrap(handles[i]);
    TORCH_CHECK(tensor.defined(), "a collective was given an undefined tensor (position ", i, ")");
    int64_t size = tensor.numel() * static_cast<int64_t>(tensor.element_size());
    bool fits = !result.empty() && result.back().front().scalar_type() == tensor.scalar_type() &&
                result.back().front().device() == tensor.device() && bytes + size <= bucket_bytes;
    if (!fits) {
      result.emplace_back();
      bytes = 0;
    }
    result.back().push_back(tensor);
    bytes += size;
  }
  return result;
}

/// Runs `collective` on each bucket's flat tensor and writes the results back in place.
template <typename Collective>
void bucketed(const ctorch_tensor *handles, int64_t count, int64_t bucket_bytes, Collective collective) {
  at::NoGradGuard no_grad;
  for (auto &bucket : buckets(handles, count, bucket_bytes)) {
    if (bucket.size() == 1 && bucket.front().is_contiguous()) {
      collective(bucket.front());
      continue;
    }
    std::vector<at::Tensor> flat_parts;
    flat_parts.reserve(bucket.size());
    for (auto &tensor : bucket) flat_parts.push_back(tensor.reshape({-1}));
    at::Tensor flat = at::cat(flat_parts);
    collective(flat);
    int64_t offset = 0;
    for (auto &tensor : bucket) {
      tensor.copy_(flat.narrow(0, offset, tensor.numel()).view(tensor.sizes()));
      offset += tensor.numel();
    }
  }
}

#endif

}  // namespace

extern "C" {

bool ctorch_process_group_available(ctorch_backend backend) {
  switch (backend) {
    case CTORCH_BACKEND_GLOO:
#ifdef USE_C10D_GLOO
      return true;
#else
      return false;
#endif
    case CTORCH_BACKEND_NCCL:
#ifdef USE_C10D_NCCL
      return true;
#else
      return false;
#endif
  }
  return false;
}

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)

ctorch_error *ctorch_process_group_create(ctorch_process_group *out, const ctorch_process_group_options *options) {
  CTORCH_GUARD({
    TORCH_CHECK(options->world_size >= 1 && options->rank >= 0 && options->rank < options->world_size,
                "rank ", options->rank, " is not within a world of size ", options->world_size);
    c10d::TCPStoreOptions store_options;
    store_options.port = options->store_port;
    store_options.isServer = options->host_store;
    store_options.numWorkers = options->world_size;
    store_options.waitWorkers = true;  // a joining member counts itself in; the host waits for all
    store_options.timeout = std::chrono::milliseconds(options->timeout_ms);
    store_options.multiTenant = true;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(options->store_host, store_options);
    std::string prefix = options->key_prefix == nullptr ? "" : options->key_prefix;
    auto backend_store = c10::make_intrusive<c10d::PrefixStore>(prefix + "/pg", tcp);
    auto blob_store = c10::make_intrusive<c10d::PrefixStore>(prefix + "/blob", tcp);
    auto backend = make_backend(*options, backend_store);
    *out = ctorch_process_group{new Group{blob_store, backend, options->world_size}};
  });
}

void ctorch_process_group_free(ctorch_process_group group) { delete static_cast<Group *>(group.ptr); }

ctorch_error *ctorch_process_group_allreduce(ctorch_process_group group, const ctorch_tensor *tensors, int64_t count,
                                             ctorch_reduce_op op, int64_t bucket_bytes) {
  CTORCH_GUARD({
    Group &g = group_of(group);
    c10d::AllreduceOptions reduce;
    reduce.reduceOp = op == CTORCH_REDUCE_MAX ? c10d::ReduceOp(c10d::ReduceOp::MAX) : c10d::ReduceOp(c10d::ReduceOp::SUM);
    bucketed(tensors, count, bucket_bytes, [&](at::Tensor &flat) {
      std::vector<at::Tensor> list{flat};
      g.backend->allreduce(list, reduce)->wait();
      if (op == CTORCH_REDUCE_AVERAGE) flat.div_(g.world_size);  // Gloo has no AVG
    });
  });
}

ctorch_error *ctorch_process_group_broadcast(ctorch_process_group group, const ctorch_tensor *tensors, int64_t count,
                                             int32_t root, int64_t bucket_bytes) {
  CTORCH_GUARD({
    Group &g = group_of(group);
    c10d::BroadcastOptions broadcast;
    broadcast.rootRank = root;
    bucketed(tensors, count, bucket_bytes, [&](at::Tensor &flat) {
      std::vector<at::Tensor> list{flat};
      g.backend->broadcast(list, broadcast)->wait();
    });
  });
}

ctorch_error *ctorch_process_group_barrier(ctorch_process_group group) {
  CTORCH_GUARD(group_of(group).backend->barrier()->wait());
}

ctorch_error *ctorch_store_set(ctorch_process_group group, const char *key, const void *data, size_t size) {
  CTORCH_GUARD({
    auto bytes = static_cast<const uint8_t *>(data);
    group_of(group).store->set(key, std::vector<uint8_t>(bytes, bytes + size));
  });
}

ctorch_error *ctorch_store_get(void **data, size_t *size, ctorch_process_group group, const char *key) {
  CTORCH_GUARD({
    std::vector<uint8_t> value = group_of(group).store->get(key);
    void *copy = std::malloc(value.empty() ? 1 : value.size());
    if (copy == nullptr) throw std::bad_alloc();
    if (!value.empty()) std::memcpy(copy, value.data(), value.size());
    *data = copy;
    *size = value.size();
  });
}

#else

static ctorch_error *no_process_group() {
  return ctorch::make_error(CTORCH_ERROR_NOT_IMPLEMENTED,
                            "this build of facelabel has no process group (built without the gloo headers)");
}

ctorch_error *ctorch_process_group_create(ctorch_process_group *, const ctorch_process_group_options *) {
  return no_process_group();
}
void ctorch_process_group_free(ctorch_process_group) {}
ctorch_error *ctorch_process_group_allreduce(ctorch_process_group, const ctorch_tensor *, int64_t, ctorch_reduce_op,
                                             int64_t) {
  return no_process_group();
}
ctorch_error *ctorch_process_group_broadcast(ctorch_process_group, const ctorch_tensor *, int64_t, int32_t, int64_t) {
  return no_process_group();
}
ctorch_error *ctorch_process_group_barrier(ctorch_process_group) { return no_process_group(); }
ctorch_error *ctorch_store_set(ctorch_process_group, const char *, const void *, size_t) { return no_process_group(); }
ctorch_error *ctorch_store_get(void **, size_t *, ctorch_process_group, const char *) { return no_process_group(); }

#endif

}  // extern "C"
