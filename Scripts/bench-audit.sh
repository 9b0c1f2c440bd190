#!/usr/bin/env bash
# How well an audit estimates label quality (issue 30): a synthetic refinement (`facelabel synth
# --images 600 --imgsz 256 --unlabeled 0.3 --seed SEED`, default 0; one iteration of one epoch from
# the bundled checkpoint at a gentle learning rate (SGD, 0.001), labelling at --conf 0.15 so that
# some labels are wrong, the truth recorded), then `facelabel audit --rehearse`:
# a scripted reviewer who knows the truth audits 50, 100 and 200 labels (and half as many images)
# over 20 seeds, and the command prints the mean width of the 95% intervals of precision and recall
# and how many of the 20 hold the truth's figures (a 95% interval should, about 19 times); then the
# same over 200 seeds, which pins the rate down (20 seeds leave it uncertain by ±5 or so).
# Usage: Scripts/bench-audit.sh [SCRATCH]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
seed="${SEED:-0}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift build -c release --product facelabel >&2
bin="$root/.build/release/facelabel"
[ -f "$scratch/data/data.yaml" ] ||
  "$bin" synth --out "$scratch/data" --images 600 --imgsz 256 --unlabeled 0.3 --seed "$seed" >&2
[ -f "$scratch/run/ledger.sqlite" ] && resume=(--resume) || resume=()
"$bin" refine --data "$scratch/data/data.yaml" --out "$scratch/run" "${resume[@]}" \
  --model "$root/Weights/yolov8n-pose-synth51.safetensors" --truth "$scratch/data/truth/data.yaml" \
  --iterations 1 --epochs 1 --imgsz 256 --batch 16 --warmup-epochs 0 --close-mosaic 0 --optimizer SGD --lr0 0.001 \
  --conf 0.15 --stop-below 0 >&2
"$bin" audit "$scratch/run" --iteration 1 --rehearse 50 100 200 --seeds 20
"$bin" audit "$scratch/run" --iteration 1 --rehearse 50 100 200 --seeds 200
