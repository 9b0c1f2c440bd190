#!/usr/bin/env python3
"""Where float32 inference time goes: each convolution of the reference's fused yolov8n-pose (K=51)
at 640, timed alone with its real input shape, the reference's way (NCHW input, torch's conv2d,
then SiLU) and facelabel's (channels-last input, weight reordered once for oneDNN, SiLU fused:
mkldnn::_convolution_pointwise, what facelabel's ConvBlock calls). Both sums bound what either
network can reach: the rest of a forward pass is concatenation, upsampling, pooling and the head's
1×1 outputs. Prints one line per convolution, then the sums and the GFLOP/s of the largest.

Usage: conv_layers.py BENCH_DIR [BATCH]   (with the bench venv's python)
"""
import sys
import tempfile
import time

bench, batch = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
sys.path.insert(0, bench)
import ultra_env  # noqa: E402

torch = ultra_env.setup(threads=2)
import torch.nn.functional as F  # noqa: E402
from ultralytics.nn.modules import Conv  # noqa: E402
from ultralytics.nn.tasks import PoseModel  # noqa: E402

config = ultra_env.pose_yaml(kpt_shape=(51, 3), out_dir=tempfile.mkdtemp())
model = PoseModel(config, ch=3, nc=1, data_kpt_shape=(51, 3), verbose=False).fuse(verbose=False).eval()
inputs = []
hooks = [m.register_forward_hook(lambda m, i, o: inputs.append((m, i[0].clone())))
         for m in model.modules() if isinstance(m, Conv)]
with torch.inference_mode():
    model(torch.rand(batch, 3, 640, 640))
for hook in hooks:
    hook.remove()


def milliseconds(run, seconds=0.3):
    run(), run()
    start, repeats = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        run()
        repeats += 1
    return (time.perf_counter() - start) / repeats * 1000


totals, largest = [0.0, 0.0], (0.0, "", 0.0)
with torch.inference_mode():
    for module, x in inputs:
        conv = module.conv
        geometry = (list(conv.padding), list(conv.stride), [1, 1], conv.groups)
        reference = milliseconds(lambda: F.silu(F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding)))
        nhwc = x.contiguous(memory_format=torch.channels_last)
        packed = torch.ops.mkldnn._reorder_convolution_weight(conv.weight, *geometry, list(x.shape))
        ours = milliseconds(lambda: torch.ops.mkldnn._convolution_pointwise(nhwc, packed, conv.bias, *geometry, "swish", [], None))
        totals[0] += reference
        totals[1] += ours
        name = f"{tuple(x.shape)} {conv.kernel_size[0]}x{conv.kernel_size[1]}/{conv.stride[0]} -> {conv.out_channels}"
        out_h, out_w = x.shape[2] // conv.stride[0], x.shape[3] // conv.stride[1]
        gflop = 2 * batch * out_h * out_w * conv.out_channels * conv.in_channels * conv.kernel_size[0] ** 2 / 1e9
        if reference + ours > largest[0]:
            largest = (reference + ours, name, gflop / (ours / 1000))
        print(f"{name:42s} reference {reference:6.2f} ms   facelabel {ours:6.2f} ms")
print(f"sum over {len(inputs)} convolutions, batch {batch}: reference {totals[0]:.1f} ms, facelabel {totals[1]:.1f} ms")
print(f"slowest: {largest[1]}, facelabel at {largest[2]:.0f} GFLOP/s")
