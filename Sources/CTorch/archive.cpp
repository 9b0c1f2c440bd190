// PyTorch's zip archives (torch.save since 1.6), read by libtorch's own reader.
#include <caffe2/serialize/inline_container.h>

#include "internal.h"

using namespace ctorch;

namespace {
caffe2::serialize::PyTorchStreamReader &reader(ctorch_archive archive) {
  return *static_cast<caffe2::serialize::PyTorchStreamReader *>(archive.ptr);
}
}  // namespace

ctorch_error *ctorch_archive_open(ctorch_archive *out, const char *path) {
  CTORCH_GUARD(*out = ctorch_archive{new caffe2::serialize::PyTorchStreamReader(std::string(path))})
}

void ctorch_archive_free(ctorch_archive archive) {
  delete static_cast<caffe2::serialize::PyTorchStreamReader *>(archive.ptr);
}

bool ctorch_archive_has_record(ctorch_archive archive, const char *name) {
  try {
    return reader(archive).hasRecord(name);
  } catch (...) {
    return false;
  }
}

ctorch_error *ctorch_archive_read(void **data, size_t *size, ctorch_archive archive, const char *name) {
  CTORCH_GUARD({
    auto [record, length] = reader(archive).getRecord(name);
    void *copy = std::malloc(length > 0 ? length : 1);
    TORCH_CHECK(copy != nullptr, "archive_read: cannot allocate ", length, " bytes");
    if (length > 0) std::memcpy(copy, record.get(), length);
    *data = copy;
    *size = length;
  })
}

ctorch_error *ctorch_archive_storage(ctorch_tensor *out, ctorch_archive archive, const char *name, ctorch_dtype dtype) {
  CTORCH_GUARD({
    auto &source = reader(archive);
    auto length = source.getRecordSize(name);
    auto element = c10::elementSize(static_cast<at::ScalarType>(dtype));
    TORCH_CHECK_VALUE(length % element == 0, "record ", name, " holds ", length, " bytes, not a whole number of ",
                      static_cast<at::ScalarType>(dtype), " values");
    auto tensor = at::empty({static_cast<int64_t>(length / element)}, options(dtype, ctorch_device{CTORCH_CPU, -1}));
    if (length > 0) source.getRecord(name, tensor.data_ptr(), length);
    *out = wrap(std::move(tensor));
  })
}

ctorch_error *ctorch_strided_copy(ctorch_tensor *out, ctorch_tensor storage, const int64_t *shape,
                                  const int64_t *strides, int64_t dim, int64_t offset) {
  CTORCH_GUARD({
    auto &source = unwrap(storage);
    TORCH_CHECK_VALUE(source.dim() == 1 && source.is_contiguous(), "strided_copy: the storage must be 1-D and contiguous");
    TORCH_CHECK_VALUE(offset >= 0, "strided_copy: offset ", offset, " is negative");
    // the last element read, which must lie inside the storage
    int64_t last = offset;
    bool empty = false;
    for (int64_t k = 0; k < dim; ++k) {
      TORCH_CHECK_VALUE(shape[k] >= 0 && strides[k] >= 0, "strided_copy: negative size or stride");
      if (shape[k] == 0) empty = true;
      else TORCH_CHECK_VALUE((shape[k] - 1) <= (INT64_MAX - last) / std::max<int64_t>(strides[k], 1),
                             "strided_copy: sizes and strides overflow");
      if (shape[k] > 0) last += (shape[k] - 1) * strides[k];
    }
    TORCH_CHECK_VALUE(empty || last < source.numel(), "strided_copy: element ", last, " lies past the storage's ",
                      source.numel(), " values");
    *out = wrap(source.as_strided(sizes(shape, dim), sizes(strides, dim), offset).clone(at::MemoryFormat::Contiguous));
  })
}
