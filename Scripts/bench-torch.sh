#!/usr/bin/env bash
# The binding against Python torch 2.13 (the same wheel), interleaved in one sitting, twice each;
# prints every measurement and the ratios (higher = Swift better). Usage: Scripts/bench-torch.sh [--threads N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.deps/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" safetensors numpy
fi
swift build -c release --product TorchBench >&2
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
results="$(mktemp)"
for round in 1 2; do
  .build/release/TorchBench "$@" | tee -a "$results"
  "$venv/bin/python" Benchmarks/torch_bench.py "$@" | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, sys
from collections import defaultdict
best = defaultdict(dict)
for line in open(sys.argv[1]):
    r = json.loads(line)
    better = min if r["bench"] == "tiny_op_us" else max
    key = r["impl"]
    best[r["bench"]][key] = better(best[r["bench"]].get(key, r["value"]), r["value"])
tiny, conv = best["tiny_op_us"], best["conv_gflops"]
print(f"tiny op (a + b, 1 element): swift {tiny['swift']:.2f} us, python {tiny['python']:.2f} us, "
      f"ratio python/swift {tiny['python'] / tiny['swift']:.2f}")
print(f"conv2d 3x3 64->64 80x80 b8 fwd+bwd: swift {conv['swift']:.1f} GFLOP/s, python {conv['python']:.1f} GFLOP/s, "
      f"ratio swift/python {conv['swift'] / conv['python']:.2f}")
PY
rm -f "$results"
