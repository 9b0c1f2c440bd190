#!/usr/bin/env python3
"""The reference's `val` with 8.1.14's average precision, the rule facelabel follows (fact sheet §6).

The bench's Ultralytics is 8.4.190, whose compute_ap pads the recall curve with its last value and
the precision curve with 0 at that recall, so precision drops to zero at the highest recall reached.
8.1.14 pads recall with 1.0 and precision with 0.0, so the envelope falls linearly from the last
point to (1, 0). Everything else in the validator is unchanged. Prints one JSON line like reference.py.

Usage: val_8114.py BENCH_DIR DATA.yaml WEIGHTS.safetensors IMGSZ
"""
import sys
import types

bench, data, weights, imgsz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, bench)
import ultra_env  # noqa: E402

ultra_env.setup(threads=2)
import numpy as np  # noqa: E402
import ultralytics.utils.metrics as metrics  # noqa: E402


def compute_ap_8114(recall, precision):
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    x = np.linspace(0, 1, 101)
    return np.trapezoid(np.interp(x, mrec, mpre), x), mpre, mrec


metrics.compute_ap = compute_ap_8114
import reference  # noqa: E402

reference.cmd_val(types.SimpleNamespace(data=data, weights=weights, imgsz=imgsz, batch=16, scale="n"))
