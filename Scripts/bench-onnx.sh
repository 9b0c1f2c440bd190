#!/usr/bin/env bash
# make bench-onnx: facelabel's ONNX export against the reference's own export of the same weights
# (the bundled checkpoint; Ultralytics in ../shared/bench's venv, with onnx and onnxruntime added):
# the two files' layout, their outputs' largest difference, Ultralytics' predictor on facelabel's
# file, and onnxruntime's batch-1 time at 640 beside `facelabel predict`'s network and whole-predict
# time (PoseBench infer-speed) in the same sitting. Prints every JSON line, then a summary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/../shared/bench"
cd "$root"
bash "$bench/setup-reference.sh" >&2
venv="${FACELABEL_BENCH_VENV:-$HOME/.cache/facelabel-bench/venv}"
"$venv/bin/python" -c "import onnx, onnxruntime" 2>/dev/null \
  || "$venv/bin/pip" install --quiet "onnx==1.23.2" "onnxruntime==1.31.1" >&2
swift build -c release --product facelabel >&2
swift build -c release --product PoseBench >&2
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "machine: $cpu, $(nproc) cores, commit $(git rev-parse --short HEAD)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
weights="$root/Weights/yolov8n-pose-synth51.safetensors"
.build/release/facelabel synth --out "$work/data" --images 16 --imgsz 640 --seed 3 >/dev/null 2>&1
.build/release/facelabel export onnx --weights "$weights" --imgsz 640 --out "$work/facelabel.onnx" >&2
image="$(ls "$work"/data/images/val/* | head -n 1)"
results="$work/results.jsonl"
compare=("$venv/bin/python" Scripts/onnx/bench_onnx.py "$bench" "$work/data/data.yaml" "$weights" "$work/facelabel.onnx" "$image" "$work")
"${compare[@]}" --part compare 2>/dev/null | tee -a "$results"
# speed twice, interleaved: each figure is the faster of its two rounds (this machine is shared)
for round in 1 2; do
  "${compare[@]}" --part speed 2>/dev/null | tee -a "$results"
  .build/release/PoseBench infer-speed --data "$work/data/data.yaml" --imgsz 640 --batch 1 | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
values = {r["input"]: r for r in rows if r["what"] == "values"}
layout = next(r for r in rows if r["what"] == "layout")
for name in ("facelabel", "reference"):
    side = layout[name]
    print(f"{name:9}: inputs {side['inputs']}, outputs {side['outputs']}")
only = sorted(set(layout["reference"]["metadata"]) - set(layout["facelabel"]["metadata"]))
print(f"metadata keys of the reference's file that facelabel's lacks: {only or 'none'}")
for name, v in values.items():
    print(f"largest output difference, {name} input: {v['pixels']:.2e} px, {v['probabilities']:.2e} in probability")
u = next(r for r in rows if r["what"] == "ultralytics")
print(f"Ultralytics' predictor: {u['faces']} faces with facelabel's file, {u['reference_faces']} with its own; "
      f"boxes differ by {u['box_px']} px, keypoints by {u['keypoint_px']} px")
def fastest(file):
    return min(r["ort_ms_per_img"] for r in rows if r["what"] == "speed" and r["file"] == file)
ours = [r for r in rows if r["what"] == "infer-speed"]
net = min(r["net_ms_per_img"] for r in ours)
predict = min(r["predict_ms_per_img"] for r in ours if "predict_ms_per_img" in r)
print(f"batch 1 at 640, faster of two interleaved rounds: onnxruntime {fastest('facelabel'):.1f} ms (facelabel's file), "
      f"{fastest('reference'):.1f} ms (the reference's); facelabel predict: network {net:.1f} ms, whole predict {predict:.1f} ms")
PY
