#!/usr/bin/env bash
# Data-parallel training on this machine (a benchmark, not a test): one process with every core
# against the same cores split over ranks of one Gloo group on loopback (RANKS, default 2, one
# thread each on a 2-core machine), training at 320 with the global batch 16 on IMAGES synthetic
# images (default 96) for EPOCHS (default 3) epochs. Prints the machine, then one JSON line per
# configuration: images/s of each epoch (the best is the figure: the first pays for start-up), and
# for the ranks the mean time of one gradient allreduce and of the wait for the slowest rank before
# it (timed on CPUs only, where the host clock sees them), and the bytes the allreduce carries.
# Usage: Scripts/bench-dist.sh [SCRATCH]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
ranks="${RANKS:-2}"
images="${IMAGES:-96}"
epochs="${EPOCHS:-3}"
cores=$(nproc)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift build -c release --product facelabel >&2
bin="$root/.build/release/facelabel"
"$bin" env | grep -E "^(libtorch|threads|CPU|process groups)" >&2
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores" >&2
[ -f "$scratch/data/data.yaml" ] || "$bin" synth --out "$scratch/data" --images "$images" --imgsz 320 --seed 4 >&2
common=(train --data "$scratch/data/data.yaml" --model n --imgsz 320 --batch 16 --epochs "$epochs" --workers 1 --no-val --json)

report() {  # LABEL JSON
  python3 - "$1" "$2" <<'PY'
import json, sys
label, result = sys.argv[1], json.loads(sys.argv[2])
line = {"config": label, "images_per_second": [round(x, 2) for x in result["images_per_second"]],
        "best_images_per_second": round(max(result["images_per_second"]), 2)}
if result.get("gradient_sync_ms"):
    line["gradient_allreduce_ms"] = [round(x, 2) for x in result["gradient_sync_ms"]]
    line["wait_for_slowest_rank_ms"] = [round(x, 2) for x in result["rank_wait_ms"]]
    line["gradient_bytes"] = result["gradient_bytes"]
print(json.dumps(line))
PY
}

rm -rf "$scratch/one"
report "1 process, $cores threads" "$("$bin" "${common[@]}" --threads "$cores" --out "$scratch/one" 2>/dev/null)"

rm -rf "$scratch/ranks"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))
for rank in $(seq 1 $((ranks - 1))); do
  RANK=$rank WORLD_SIZE=$ranks LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$ranks MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$bin" "${common[@]}" --threads "$threads" --out "$scratch/ranks" >/dev/null 2>&1 &
done
result=$(RANK=0 WORLD_SIZE=$ranks LOCAL_RANK=0 LOCAL_WORLD_SIZE=$ranks MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
  "$bin" "${common[@]}" --threads "$threads" --out "$scratch/ranks" 2>/dev/null)
wait
report "$ranks ranks × $threads thread(s), Gloo on loopback" "$result"
