"""Checks that a safetensors file written by facelabel loads in Python with the expected values."""
import sys

import torch
from safetensors import safe_open

path = sys.argv[1]
with safe_open(path, framework="pt") as f:
    assert f.metadata() == {"writer": "facelabel"}, f.metadata()
    got = {k: f.get_tensor(k) for k in f.keys()}
expected = {
    "model.0.conv.weight": torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 8,
    "model.0.bn.num_batches_tracked": torch.tensor(5, dtype=torch.int64),
    "half": torch.tensor([0.5, -2.0], dtype=torch.float16),
    "mask": torch.tensor([True, False]),
    "bytes": torch.tensor([1, 2, 250], dtype=torch.uint8),
    "ints": torch.tensor([[-1, 2]], dtype=torch.int32),
    "doubles": torch.tensor([0.1], dtype=torch.float64),
}
assert set(got) == set(expected), sorted(got)
for name, value in expected.items():
    assert got[name].dtype == value.dtype and torch.equal(got[name], value), (name, got[name], value)
print(f"{path}: {len(got)} tensors load in Python with the expected values")
