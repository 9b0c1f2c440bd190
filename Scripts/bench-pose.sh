#!/usr/bin/env bash
# facelabel against the reference implementation (../shared/bench, Ultralytics on the same CPU torch)
# in one sitting, interleaved: training images/s and peak RSS at 320 (batch 16), inference ms/image
# at 640 (batch 1 and 16, network and whole predict; the faster of two rounds). Prints every JSON
# line, then the ratios.
# facelabel runs both ways: by default (float32) and in mixed-precision training (--amp) and bfloat16
# inference (--half); the reference on a CPU always runs float32 (its amp and half apply on CUDA only).
# Usage: Scripts/bench-pose.sh [DATA.yaml]   (default: a synthetic set of 240 images at 320 px)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/../shared/bench"
cd "$root"
bash "$bench/setup-reference.sh" >&2
py="${FACELABEL_BENCH_VENV:-$HOME/.cache/facelabel-bench/venv}/bin/python"
swift build -c release --product PoseBench >&2
swift build -c release --product facelabel >&2
data="${1:-}"
if [ -z "$data" ]; then
  data="$root/.build/bench-data/data.yaml"
  [ -f "$data" ] || .build/release/facelabel synth --out "$root/.build/bench-data" --images 240 --imgsz 320 --seed 0 >&2
fi
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# which machine the figures come from: an AVX512 figure and an AVX2 one are not comparable
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
facts="$(.build/release/facelabel env --json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["cpu_capability"], "native bfloat16" if e["cpu_bfloat16"] else "no native bfloat16")')"
echo "machine: $cpu, $(nproc) cores, SIMD $facts, commit $(git rev-parse --short HEAD)"
results="$(mktemp)"
for round in 1 2; do
  .build/release/PoseBench train-speed --data "$data" --imgsz 320 --batch 16 | tee -a "$results"
  "$py" "$bench/reference.py" train-speed --data "$data" --imgsz 320 --batch 16 2>/dev/null | tee -a "$results"
  .build/release/PoseBench train-speed --data "$data" --imgsz 320 --batch 16 --amp | tee -a "$results"
done
# inference twice, interleaved: each figure is the faster of its two rounds (this machine is shared)
for round in 1 2; do
  .build/release/PoseBench infer-speed --data "$data" --imgsz 640 --batch 1 16 | tee -a "$results"
  "$py" "$bench/reference.py" infer-speed --data "$data" --imgsz 640 --batch 1 16 2>/dev/null | tee -a "$results"
  .build/release/PoseBench infer-speed --data "$data" --imgsz 640 --batch 1 16 --half | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def pick(what, impl, **match):
    return [r for r in rows if r.get("what") == what and (r.get("impl") == "facelabel") == (impl == "facelabel")
            and all(r.get(k) == v for k, v in match.items())]
theirs = pick("train-speed", "reference")
best = lambda rs, k: max(r[k] for r in rs)
for amp, name in ((False, "float32 (default)"), (True, "--amp")):
    ours = pick("train-speed", "facelabel", amp=amp)
    if not ours:
        continue
    rounds = ", ".join(f"{o['img_per_s'] / t['img_per_s']:.2f}" for o, t in zip(ours, theirs))
    print(f"training 320 b16, facelabel {name} (autocast {ours[0]['autocast']}): {best(ours, 'img_per_s'):.2f} img/s, "
          f"reference {best(theirs, 'img_per_s'):.2f} img/s, ratio {best(ours, 'img_per_s') / best(theirs, 'img_per_s'):.2f} "
          f"(per round, each against the reference run beside it: {rounds}); peak RSS facelabel "
          f"{min(r['peak_rss_mb'] for r in ours):.0f} MB, reference {min(r['peak_rss_mb'] for r in theirs):.0f} MB")
fastest = lambda rs, k: min(r[k] for r in rs)
for half, name in ((False, "float32 (default)"), (True, "--half")):
    for b in (1, 16):
        o, t = pick("infer-speed", "facelabel", batch=b, half=half), pick("infer-speed", "reference", batch=b)
        on, tn = fastest(o, "net_ms_per_img"), fastest(t, "net_ms_per_img")
        line = (f"inference 640 b{b}, facelabel {name} (computing in {o[0]['precision']}): network {on:.1f} vs {tn:.1f} ms/img "
                f"(speed-up {tn / on:.2f})")
        if all("predict_ms_per_img" in r for r in o + t):
            op, tp = fastest(o, "predict_ms_per_img"), fastest(t, "predict_ms_per_img")
            line += f"; whole predict {op:.1f} vs {tp:.1f} ms/img (speed-up {tp / op:.2f})"
        print(line)
PY
rm -f "$results"
