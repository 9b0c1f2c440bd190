#!/usr/bin/env bash
# Accuracy against the reference implementation (../shared/bench): both trained from scratch, same
# settings and seed, on the same synthetic set (240 images at 256 px, every face labelled). Prints both
# learning curves every 10 epochs and the final metrics, then parity on the reference's best weights:
# decoded head outputs (reference.py forward vs PoseBench forward) and val metrics (the reference's val
# with 8.1.14's AP, Scripts/reference/val_8114.py, vs facelabel val).
# Usage: Scripts/bench-accuracy.sh [OUT]   (default OUT: .build/bench-accuracy)
#   SEED (default 0), EPOCHS (default 100);
#   REFERENCE_RUN=DIR uses DIR/results.csv and DIR/best.safetensors from a reference run made elsewhere
#   (the same data set and settings, e.g. on a GPU machine) instead of training the reference here;
#   REFERENCE_VERSION=8.1.14 trains the reference with Ultralytics 8.1.14, the version facelabel follows,
#   installed from PyPI into .build/reference-8.1.14 (Scripts/reference/train_8114.py), not the bench's 8.4.190.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/../shared/bench"
out="$(mkdir -p "${1:-$root/.build/bench-accuracy}" && cd "${1:-$root/.build/bench-accuracy}" && pwd)"
seed="${SEED:-0}" epochs="${EPOCHS:-100}"
cd "$root"
bash "$bench/setup-reference.sh" >&2
py="${FACELABEL_BENCH_VENV:-$HOME/.cache/facelabel-bench/venv}/bin/python"
swift build -c release --product facelabel >&2
swift build -c release --product PoseBench >&2
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

data="$out/data/data.yaml"
[ -f "$data" ] || .build/release/facelabel synth --out "$out/data" --images 240 --imgsz 256 --unlabeled 0 --seed 1 >&2

ours="$out/facelabel-seed$seed"
if [ ! -f "$ours/results.csv" ]; then
  .build/release/facelabel train --data "$data" --model n --epochs "$epochs" --imgsz 256 --batch 16 --seed "$seed" --out "$ours" >&2
elif [ "$(($(wc -l < "$ours/results.csv") - 1))" -lt "$epochs" ]; then
  .build/release/facelabel train --resume --out "$ours" >&2
fi

if [ -n "${REFERENCE_RUN:-}" ]; then
  reference_csv="$REFERENCE_RUN/results.csv" reference_weights="$REFERENCE_RUN/best.safetensors"
else
  version="${REFERENCE_VERSION:-8.4.190}"
  case "$version" in
    8.1.14 | 8.4.190) ;;
    *) echo "REFERENCE_VERSION must be 8.1.14 or 8.4.190 (the bench's), not $version" >&2; exit 2 ;;
  esac
  theirs="$out/reference-$version-seed$seed"
  reference_csv="$theirs/train/results.csv" reference_weights="$theirs/best.safetensors"
  if [ ! -f "$reference_weights" ] && [ "$version" = 8.1.14 ]; then
    lib="$root/.build/reference-8.1.14"
    [ -d "$lib/ultralytics" ] || "$py" -m pip install --quiet --target "$lib" --no-deps ultralytics==8.1.14 >&2
    # what 8.1.14 imports and the bench venv (made for 8.4.190) lacks
    [ -d "$lib/tqdm" ] || "$py" -m pip install --quiet --target "$lib" tqdm pandas seaborn py-cpuinfo scipy >&2
    PYTHONPATH="$lib" "$py" Scripts/reference/train_8114.py --data "$data" --epochs "$epochs" --imgsz 256 --batch 16 --seed "$seed" --out "$theirs" >&2
  elif [ ! -f "$reference_weights" ]; then
    "$py" "$bench/reference.py" train --data "$data" --epochs "$epochs" --imgsz 256 --batch 16 --seed "$seed" --out "$theirs" >&2
    "$py" "$bench/reference.py" export-safetensors --weights "$theirs/train/weights/best.pt" --out "$reference_weights" >&2
  fi
fi

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
label() { python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); d["run"]=sys.argv[1]; print(json.dumps(d))' "$1"; }
.build/release/facelabel val --data "$data" --weights "$ours/weights/best.safetensors" --imgsz 256 --json | label "facelabel best, facelabel val" >> "$results"
.build/release/facelabel val --data "$data" --weights "$reference_weights" --imgsz 256 --json | label "reference best, facelabel val" >> "$results"
"$py" Scripts/reference/val_8114.py "$bench" "$data" "$reference_weights" 256 2>/dev/null | tail -1 | label "reference best, reference val (8.1.14 AP)" >> "$results"
image="$(find "$out/data/images/val" -type f | sort | head -1)"
"$py" "$bench/reference.py" forward --data "$data" --weights "$reference_weights" --image "$image" --imgsz 256 --out "$out/forward.safetensors" >&2
.build/release/PoseBench forward --weights "$reference_weights" --reference "$out/forward.safetensors" | label "head outputs, reference best" >> "$results"

python3 - "$ours/results.csv" "$reference_csv" "$results" "$seed" <<'PY'
import csv, json, sys
def curve(path):
    with open(path) as f:
        return {int(float(r["epoch"])): r for r in ({k.strip(): v for k, v in row.items()} for row in csv.DictReader(f))}
ours, theirs = curve(sys.argv[1]), curve(sys.argv[2])
keys = ["metrics/mAP50(B)", "metrics/mAP50-95(B)", "metrics/mAP50(P)", "metrics/mAP50-95(P)"]
print(f"seed {sys.argv[4]}: mAP per epoch, facelabel | reference  (box 50, box 50-95, pose 50, pose 50-95)")
last = max(set(ours) & set(theirs))
for epoch in sorted(e for e in set(ours) & set(theirs) if e % 10 == 0 or e in (1, last)):
    cells = lambda run: " ".join(f"{float(run[epoch][k]):.3f}" for k in keys)
    print(f"  epoch {epoch:3d}: {cells(ours)} | {cells(theirs)}")
for line in open(sys.argv[3]):
    row = json.loads(line)
    run = row.pop("run")
    if "max_abs_diff" in row:
        print(f"{run}: largest difference {row['max_abs_diff_boxes_px']:.2g} px on boxes, "
              f"{row['max_abs_diff_scores_keypoints']:.2g} on scores and keypoints (relative {row['max_rel_diff']:.2g})")
        continue
    m = row.get("metrics", row)
    text = "  ".join(f"{t} P {m[t]['precision']:.5f} R {m[t]['recall']:.5f} mAP50 {m[t]['map50']:.5f} mAP50-95 {m[t]['map50_95']:.5f}"
                     for t in ("box", "pose"))
    if "landmarks" in row:
        text += f"  NME {row['landmarks']['nme']:.4f}"
    print(f"{run}: {text}")
PY
