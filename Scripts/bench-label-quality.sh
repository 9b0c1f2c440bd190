#!/usr/bin/env bash
# Label filters against the plain threshold (issue 18), on `facelabel synth --images 600 --unlabeled
# 0.3 --imgsz 320 --seed SEED` (default 0): an iteration-0 model fine-tuned from the bundled
# checkpoint for 5 epochs, thresholds calibrated on a separate, fully labelled synthetic set (100
# images: the user's labelled subset), then one labelling pass per method (PoseBench label-quality:
# precision, recall and NME of the generated labels against the truth, NME by face size, seconds).
# With RUNS="plain-0.4 flip" (names below) it also runs those methods' whole refinement (3
# iterations of 5 epochs, the default stopping rule) and prints the last iteration's label quality.
# Prints JSON lines. Usage: Scripts/bench-label-quality.sh [SCRATCH]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
seed="${SEED:-0}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift build -c release --product facelabel >&2
swift build -c release --product PoseBench >&2
bin="$root/.build/release"
checkpoint="$root/Weights/yolov8n-pose-synth51.safetensors"
data="$scratch/data/data.yaml"
truth="$scratch/data/truth/data.yaml"
[ -f "$data" ] || "$bin/facelabel" synth --out "$scratch/data" --images 600 --imgsz 320 --unlabeled 0.3 --seed "$seed" >&2
[ -f "$scratch/calibration/data.yaml" ] ||
  "$bin/facelabel" synth --out "$scratch/calibration" --images 100 --imgsz 320 --unlabeled 0 --seed $((seed + 100)) >&2
training=(--imgsz 320 --epochs 5 --batch 16 --warmup-epochs 1 --close-mosaic 0)
weights="$scratch/iter0/iter0/train/weights/best.safetensors"
[ -f "$weights" ] || "$bin/facelabel" refine --data "$data" --out "$scratch/iter0" --model "$checkpoint" --iterations 0 "${training[@]}" >&2
"$bin/facelabel" calibrate --data "$scratch/calibration/data.yaml" --weights "$weights" --imgsz 320 --target-precision 0.995 \
  --out "$scratch/calibration.json" >&2
echo "{\"what\": \"calibration\", \"file\": $(cat "$scratch/calibration.json")}"

# name, then the filter options (the same for PoseBench and refine)
methods=(
  "plain-0.4|--conf 0.4"
  "plain-0.7|--conf 0.7"
  "flip|--calibrated $scratch/calibration.json"
  "flip-fused|--calibrated $scratch/calibration.json --fuse-views"
  "flip-shape|--calibrated $scratch/calibration.json --shape-check drop"
  "plain-0.4-crops|--conf 0.4 --refine-crops"
  "flip-crops|--calibrated $scratch/calibration.json --refine-crops"
  "flip-shape-crops|--calibrated $scratch/calibration.json --shape-check drop --refine-crops"
)
for method in "${methods[@]}"; do
  name="${method%%|*}"
  read -ra options <<< "${method#*|}"
  "$bin/PoseBench" label-quality --data "$data" --truth "$truth" --weights "$weights" --imgsz 320 --name "$name" "${options[@]}"
done

for name in ${RUNS:-}; do
  for method in "${methods[@]}"; do
    [ "${method%%|*}" = "$name" ] || continue
    read -ra options <<< "${method#*|}"
    rm -rf "$scratch/run-$name"
    "$bin/facelabel" refine --data "$data" --out "$scratch/run-$name" --model "$checkpoint" --iterations 3 "${training[@]}" \
      --truth "$truth" "${options[@]}" --json 2> "$scratch/run-$name.log" |
      python3 -c "
import json, sys
summary = json.load(sys.stdin)['summary']
last = summary['iterations'][-1]
print(json.dumps({'what': 'label-quality-run', 'name': '$name', 'iterations': last['index'], 'quality': last['quality'],
                  'labelling_seconds': sum(i['labellingSeconds'] for i in summary['iterations']), 'stopped': summary.get('stoppedBecause')}))"
  done
done
