#!/usr/bin/env bash
# The review page on a large run: IMAGES synthetic images (default 5,000, 320 px), one refinement
# iteration that generates labels, then `facelabel review` and headless Chromium deciding DECISIONS
# labels in a row (default 300: accept, every fifth reject). Prints, as JSON lines, the page's own
# timing from a key press to the next label shown (median, 95th percentile) and the server's memory
# (peak and current resident set, from /proc). The run is kept in SCRATCH for another measurement.
# Usage: Scripts/bench-review.sh [SCRATCH]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scratch="${1:-$(mktemp -d)}"
images="${IMAGES:-5000}"
decisions="${DECISIONS:-300}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift build -c release --product facelabel >&2
bin="$root/.build/release/facelabel"
if [ ! -f "$scratch/run/iter1/data/data.yaml" ]; then
  rm -rf "$scratch/data" "$scratch/run"
  "$bin" synth --out "$scratch/data" --images "$images" --imgsz 320 --unlabeled 0.3 --seed 0 >&2
  "$bin" refine --data "$scratch/data/data.yaml" --out "$scratch/run" --model "$root/Weights/yolov8n-pose-synth51.safetensors" \
    --iterations 1 --epochs 1 --imgsz 160 --batch 32 --conf 0.3 --stop-below 0 --warmup-epochs 0 --close-mosaic 0 >&2
fi
# start from a run nobody reviewed yet
sqlite3 "$scratch/run/ledger.sqlite" "DELETE FROM decision"
labels=$(sqlite3 "$scratch/run/ledger.sqlite" "SELECT COUNT(*) FROM label WHERE iteration > 0")
"$bin" review "$scratch/run" --reviewer bench > "$scratch/review.out" 2> "$scratch/review.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q '^review: ' "$scratch/review.out" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^review: //p' "$scratch/review.out")"
result="$(/usr/bin/python3 Scripts/browser/review_flow.py "$url" --benchmark "$decisions")"
echo "{\"what\": \"review-latency\", \"images\": $images, \"generated_labels\": $labels, \"timings\": $result}"
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
now=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
echo "{\"what\": \"review-server-memory\", \"peak_rss_mb\": $((peak / 1024)), \"rss_mb\": $((now / 1024))}"
kill -INT $server
wait $server || true
