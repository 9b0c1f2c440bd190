"""Writes the golden fixtures that the Swift tests compare against, with torch 2.13.0+cpu.

Run through `make goldens` (Scripts/goldens/run.sh), which uses the same CPU wheel the binding
links. Every fixture is a safetensors file, so reading it also exercises our safetensors reader on
a file written by the Python `safetensors` package.
"""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

root = Path(sys.argv[1])
torch.manual_seed(0)
t = {}


def record(prefix, **tensors):
    for name, value in tensors.items():
        t[f"{prefix}.{name}"] = value.detach().contiguous().clone()


def with_grads(prefix, fn, **inputs):
    """Records inputs, the output, an upstream gradient and the gradient of every input."""
    leaves = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    out = fn(**leaves)
    upstream = torch.randn_like(out)
    out.backward(upstream)
    record(prefix, **inputs, output=out, upstream=upstream)
    for k, v in leaves.items():
        if v.grad is not None:
            record(prefix, **{f"grad_{k}": v.grad})


# conv2d: stride, padding, groups, bias (a YOLO-like 3x3 stride-2 conv and a grouped one)
with_grads("conv2d_s2", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
           x=torch.randn(2, 4, 9, 9), w=torch.randn(6, 4, 3, 3), b=torch.randn(6))
with_grads("conv2d_groups", lambda x, w: F.conv2d(x, w, None, stride=1, padding=(0, 1), groups=2),
           x=torch.randn(1, 4, 6, 5), w=torch.randn(6, 2, 3, 3))

# batch norm with the reference's eps 0.001 and momentum 0.03, train and eval
x = torch.randn(4, 3, 5, 5) * 2 + 1
weight, bias = torch.randn(3), torch.randn(3)
mean, var = torch.randn(3), torch.rand(3) + 0.5
running_mean, running_var = mean.clone(), var.clone()
with_grads("batchnorm_train",
           lambda x, weight, bias: F.batch_norm(x, running_mean, running_var, weight, bias, True, 0.03, 0.001),
           x=x, weight=weight, bias=bias)
record("batchnorm_train", running_mean_before=mean, running_var_before=var,
       running_mean_after=running_mean, running_var_after=running_var)
with_grads("batchnorm_eval", lambda x, weight, bias: F.batch_norm(x, mean, var, weight, bias, False, 0.03, 0.001),
           x=x, weight=weight, bias=bias)
record("batchnorm_eval", running_mean=mean, running_var=var)

# max pool: SPPF's 5/1/2 and a 2/2 pool; nearest upsample x2
with_grads("maxpool_k5", lambda x: F.max_pool2d(x, 5, 1, 2), x=torch.randn(1, 2, 7, 7))
with_grads("maxpool_k2", lambda x: F.max_pool2d(x, 2, 2), x=torch.randn(1, 2, 6, 6))
with_grads("upsample", lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest"), x=torch.randn(1, 2, 3, 4))

with_grads("softmax", lambda x: F.softmax(x, dim=1), x=torch.randn(3, 5))
with_grads("log_softmax", lambda x: F.log_softmax(x, dim=1), x=torch.randn(3, 5))
with_grads("bce_none", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
           x=torch.randn(4, 6) * 3, y=torch.rand(4, 6))
with_grads("bce_mean", lambda x, y: F.binary_cross_entropy_with_logits(x, y), x=torch.randn(4, 6) * 3,
           y=torch.rand(4, 6))
with_grads("cross_entropy", lambda x, y: F.cross_entropy(x, y), x=torch.randn(5, 4), y=torch.tensor([0, 3, 1, 2, 3]))


def optimizer_steps(prefix, make):
    """Two steps from the same start with recorded gradients, so momentum/moments matter."""
    p = torch.nn.Parameter(torch.randn(4, 3))
    opt = make([p])
    record(prefix, start=p)
    for step in range(2):
        g = torch.randn(4, 3)
        p.grad = g.clone()
        opt.step()
        record(prefix, **{f"grad{step}": g, f"after{step}": p})


optimizer_steps("sgd", lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.937, nesterov=True, weight_decay=5e-4))
optimizer_steps("adamw", lambda ps: torch.optim.AdamW(ps, lr=0.002, betas=(0.9, 0.999), weight_decay=0.01))

meta = {"generator": "Scripts/goldens/goldens.py", "torch": torch.__version__}
save_file(t, str(root / "Tests/TorchTestSupport/Fixtures/goldens.safetensors"), metadata=meta)

# Every dtype the binding handles, written by the Python safetensors package.
dtypes = {
    "f32": torch.tensor([[1.5, -2.25], [3.0, 1e-3]], dtype=torch.float32),
    "f64": torch.tensor([1.0 / 3.0, -7.0], dtype=torch.float64),
    "f16": torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -0.5], dtype=torch.bfloat16),
    "i64": torch.tensor([-(2**40), 7], dtype=torch.int64),
    "i32": torch.tensor([[-3], [2**30]], dtype=torch.int32),
    "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "empty": torch.zeros(0, 3),
}
save_file(dtypes, str(root / "Tests/TorchTestSupport/Fixtures/python_written.safetensors"), metadata={"writer": "python"})
print(f"wrote {len(t)} golden tensors")
