#!/usr/bin/env python3
"""Where float32 time goes: each convolution of the reference's yolov8n-pose (K=51), timed alone with
its real input shape. Both sums bound what either network can reach: the rest of a pass is
BatchNorm, SiLU, concatenation, upsampling, pooling and the head's 1×1 outputs.

Inference (default): the fused model at 640, the reference's way (NCHW input, torch's conv2d, then
SiLU) and facelabel's (channels-last input, weight reordered once for oneDNN, SiLU fused:
mkldnn::_convolution_pointwise, what facelabel's ConvBlock calls; on an AVX2 CPU, 3×3 stride-1
convolutions with at least 128 outputs on maps of at least 40×40 run on NNPACK instead, an image at
a time, then SiLU, as ConvBlock.usesNNPACK decides). The sum of oneDNN alone is printed too.
Training (--train): the model at 320, forward and backward (input and weight gradients; no input
gradient for the first layer, whose input is the image), NCHW as the reference trains and
channels-last as facelabel does.

Prints one line per convolution, then the sums and the GFLOP/s of the slowest.
Usage: conv_layers.py BENCH_DIR [BATCH] [--train]   (with the bench venv's python; BATCH defaults
to 1, or 16 with --train)
"""
import sys
import tempfile
import time

arguments = [a for a in sys.argv[1:] if a != "--train"]
training = "--train" in sys.argv[1:]
bench = arguments[0]
batch = int(arguments[1]) if len(arguments) > 1 else (16 if training else 1)
imgsz = 320 if training else 640
sys.path.insert(0, bench)
import ultra_env  # noqa: E402

torch = ultra_env.setup(threads=2)
import torch.nn.functional as F  # noqa: E402
from ultralytics.nn.modules import Conv  # noqa: E402
from ultralytics.nn.tasks import PoseModel  # noqa: E402

config = ultra_env.pose_yaml(kpt_shape=(51, 3), out_dir=tempfile.mkdtemp())
model = PoseModel(config, ch=3, nc=1, data_kpt_shape=(51, 3), verbose=False)
if not training:
    model = model.fuse(verbose=False).eval()
inputs = []
hooks = [m.register_forward_hook(lambda m, i, o: inputs.append((m.conv, i[0].detach().clone())))
         for m in model.modules() if isinstance(m, Conv)]
with torch.no_grad():
    model(torch.rand(batch, 3, imgsz, imgsz))
for hook in hooks:
    hook.remove()


def milliseconds(run, seconds=0.3):
    run(), run()
    start, repeats = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        run()
        repeats += 1
    return (time.perf_counter() - start) / repeats * 1000


nnpack_favoured = torch._nnpack_available() and torch.backends.cpu.get_cpu_capability() == "AVX2"


def uses_nnpack(conv, x):
    """facelabel's rule (ConvBlock.usesNNPACK): wide 3×3 stride-1 convolutions on large maps, on AVX2."""
    return (nnpack_favoured and conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.groups == 1
            and conv.out_channels >= 128 and x.shape[2] * x.shape[3] >= 40 * 40)


def inference_times(conv, x):
    """Milliseconds of one forward: the reference's way, facelabel's, and facelabel's with oneDNN alone."""
    geometry = (list(conv.padding), list(conv.stride), [1, 1], conv.groups)
    with torch.inference_mode():
        reference = milliseconds(lambda: F.silu(F.conv2d(x, conv.weight, conv.bias, conv.stride, conv.padding)))
        nhwc = x.contiguous(memory_format=torch.channels_last)
        packed = torch.ops.mkldnn._reorder_convolution_weight(conv.weight, *geometry, list(x.shape))
        onednn = milliseconds(lambda: torch.ops.mkldnn._convolution_pointwise(nhwc, packed, conv.bias, *geometry, "swish", [], None))
        if not uses_nnpack(conv, x):
            return reference, onednn, onednn
        ours = milliseconds(lambda: F.silu(torch.cat([
            torch._nnpack_spatial_convolution(image, conv.weight, conv.bias, list(conv.padding), [1, 1])
            for image in x.split(1)]), inplace=True))
    return reference, ours, onednn


def training_times(conv, x):
    """Milliseconds of one forward and backward, NCHW (the reference's way) and channels-last (facelabel's)."""
    times = []
    for layout in (torch.contiguous_format, torch.channels_last):
        source = x.contiguous(memory_format=layout).requires_grad_(x.shape[1] != 3)
        weight = conv.weight.detach().clone().requires_grad_()
        gradient = torch.randn_like(F.conv2d(source, weight, None, conv.stride, conv.padding))
        times.append(milliseconds(lambda: F.conv2d(source, weight, None, conv.stride, conv.padding).backward(gradient)))
    reference, ours = times
    return reference, ours, ours  # training has no NNPACK layers: facelabel's way is oneDNN's alone


totals, slowest = [0.0, 0.0, 0.0], (0.0, "", 0.0)
for conv, x in inputs:
    reference, ours, onednn = (training_times if training else inference_times)(conv, x)
    totals[0] += reference
    totals[1] += ours
    totals[2] += onednn
    name = f"{tuple(x.shape)} {conv.kernel_size[0]}x{conv.kernel_size[1]}/{conv.stride[0]} -> {conv.out_channels}"
    out_h, out_w = x.shape[2] // conv.stride[0], x.shape[3] // conv.stride[1]
    gflop = 2 * batch * out_h * out_w * conv.out_channels * conv.in_channels * conv.kernel_size[0] ** 2 / 1e9
    if training:  # the backward computes the weight gradient and, past the first layer, the input gradient
        gflop *= 3 if x.shape[1] != 3 else 2
    if reference + ours > slowest[0]:
        slowest = (reference + ours, name, gflop / (ours / 1000))
    kernel = " (NNPACK)" if not training and uses_nnpack(conv, x) else ""
    print(f"{name:42s} reference {reference:7.2f} ms   facelabel {ours:7.2f} ms{kernel}")
what = "forward and backward" if training else "forward"
print(f"sum over {len(inputs)} convolutions ({what}, {imgsz} px, batch {batch}): reference {totals[0]:.1f} ms, facelabel {totals[1]:.1f} ms"
      + ("" if training else f" (oneDNN alone {totals[2]:.1f} ms)"))
print(f"slowest: {slowest[1]}, facelabel at {slowest[2]:.0f} GFLOP/s")
