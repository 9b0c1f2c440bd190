"""The Python torch side of `make bench-torch`: the same measurements as Benchmarks/TorchBench."""
import json
import sys
import time

import torch

threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
torch.set_num_threads(threads)

a, b = torch.tensor([1.0]), torch.tensor([2.0])
calls = 200_000
for _ in range(10_000):
    a + b
start = time.perf_counter()
for _ in range(calls):
    a + b
print(json.dumps({"bench": "tiny_op_us", "impl": "python", "value": (time.perf_counter() - start) / calls * 1e6}))

batch, channels, size = 8, 64, 80
g = torch.Generator().manual_seed(0)
x = torch.randn(batch, channels, size, size, generator=g).requires_grad_()
w = (torch.randn(channels, channels, 3, 3, generator=g) * 0.05).requires_grad_()
forward_flops = 2.0 * batch * channels * channels * 9 * size * size


def conv_step():
    torch.nn.functional.conv2d(x, w, padding=1).sum().backward()
    x.grad = None
    w.grad = None


conv_step()
repeats = 8
start = time.perf_counter()
for _ in range(repeats):
    conv_step()
elapsed = time.perf_counter() - start
print(json.dumps({"bench": "conv_gflops", "impl": "python", "value": 3 * forward_flops * repeats / elapsed / 1e9}))
