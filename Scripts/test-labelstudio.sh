#!/usr/bin/env bash
# make test-labelstudio: the Label Studio round trip against the real Label Studio (PyPI, pinned),
# on loopback: facelabel's export imports cleanly, Label Studio serves the images through a Local
# files storage, answers made through its API come back through `facelabel import labelstudio`
# as the right decisions with the right reviewer, from its JSON export and from its JSON-min
# export alike; its own YOLO export is a data set `facelabel check` reads, and its YOLO and COCO
# exports keep the configuration's model_index order. CI runs it after `make test`; where Label Studio cannot be installed it says why and
# exits 0 (a skip, not a pass: the line says so).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${FACELABEL_LABELSTUDIO_VENV:-$HOME/.cache/facelabel-labelstudio/venv}"
say() { echo "test-labelstudio: $*"; }
if [ ! -x "$venv/bin/label-studio" ]; then
  # 1.23.2 starts only with sentry-sdk 2
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q "label-studio==1.23.2" "sentry-sdk<3"; } >/dev/null 2>&1; then
    say "SKIPPED: Label Studio 1.23.2 could not be installed from PyPI here"
    rm -rf "$venv"
    exit 0
  fi
fi
swift build --product facelabel >/dev/null
bin="$root/.build/debug/facelabel"
work="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# a refinement run with generated labels
"$bin" synth --out "$work/root/data" --images 12 --imgsz 128 --unlabeled 0.5 --seed 4 >/dev/null 2>&1
"$bin" refine --data "$work/root/data/data.yaml" --model Weights/yolov8n-pose-synth51.safetensors --iterations 1 --epochs 1 \
  --imgsz 128 --batch 4 --conf 0.3 --out "$work/root/run" >/dev/null 2>&1
"$bin" export labelstudio --run "$work/root/run" --out "$work/tasks.json" --document-root "$work/root" >/dev/null

# Label Studio on a free loopback port, with legacy tokens (token auth) and local files enabled
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true \
  LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT="$work/root" SENTRY_DSN="" \
  "$venv/bin/label-studio" start --host 127.0.0.1 --internal-host 127.0.0.1 --port "$port" --no-browser \
  --data-dir "$work/labelstudio" --username reviewer@example.org --password "$token" --user-token "$token" \
  >"$work/labelstudio.log" 2>&1 &
server=$!
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { tail -20 "$work/labelstudio.log"; say "FAILED: Label Studio did not start"; exit 1; }
  sleep 1
done
"$venv/bin/python" Scripts/labelstudio/roundtrip.py "http://127.0.0.1:$port" "$token" "$work/root" "$work/tasks.json" \
  "$work/tasks.xml" "$work"

# Label Studio's YOLO export is a data set facelabel reads
if ! "$bin" check "$work/yolo-export/data.yaml" --no-decode >"$work/check.txt" 2>"$work/check.err"; then
  cat "$work/check.txt" "$work/check.err"
  say "FAILED: facelabel check refused Label Studio's YOLO export"
  exit 1
fi
say "facelabel check reads Label Studio's YOLO export as a data set: $(grep -E '^(train|val) ' "$work/check.txt" | tr -s ' \n' ' ')"

# the JSON export back into the run, and the JSON-min export into a copy of it: one task accepted,
# one point moved, one face deleted and one drawn, the same decisions from either
cp -R "$work/root/run" "$work/root/run-min"
summary="$("$bin" import labelstudio --run "$work/root/run" --file "$work/export-JSON.json" --json)"
minimal="$("$bin" import labelstudio --run "$work/root/run-min" --file "$work/export-JSON_MIN.json" --json)"
python3 - "$summary" "$work/root/run/ledger.sqlite" "$minimal" "$work/root/run-min/ledger.sqlite" <<'PY'
import json, sqlite3, sys
summary = json.loads(sys.argv[1])
expected = {"images": 3, "unanswered": 0, "corrected": 1, "rejected": 1, "added": 1}
wrong = {k: summary[k] for k in expected if summary[k] != expected[k]}
if wrong or summary["accepted"] < 1:
    sys.exit(f"import labelstudio: {summary}, expected {expected} and at least one accepted")
ledger = sqlite3.connect(sys.argv[2])
rows = ledger.execute("select d.status, d.reviewer, l.line, d.line from decision d join label l on l.id = d.labelId").fetchall()
if {r[1] for r in rows} != {"user 1"}:  # Label Studio's export gives its user id; no --reviewer was given
    sys.exit(f"reviewers recorded: {sorted({r[1] for r in rows})}")
before, after = next((r[2], r[3]) for r in rows if r[0] == "corrected")
moved = [round(float(b) - float(a), 9) for a, b in zip(before.split(), after.split()) if a != b]
if moved != [0.01]:
    sys.exit(f"the corrected label moved by {moved}, not one point by 0.01 of the width")
decisions = lambda path: sorted(sqlite3.connect(path).execute(
    "select d.status, d.reviewer, coalesce(d.line, ''), l.id from decision d join label l on l.id = d.labelId").fetchall())
if json.loads(sys.argv[3]) != summary or decisions(sys.argv[4]) != decisions(sys.argv[2]):
    sys.exit(f"the JSON-min export gave {sys.argv[3]} and other decisions than the JSON export's {summary}")
print(f"facelabel import: {summary['accepted']} accepted, 1 corrected (one point moved by exactly 0.01), 1 rejected, 1 added, "
      "by user 1; the same from the JSON-min export")
PY
say "passed"
