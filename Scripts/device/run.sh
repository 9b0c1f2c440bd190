#!/usr/bin/env bash
# The device check, on the machine it checks (it needs no Swift, no network and no system packages):
#   ./run.sh [--python PYTHON] [--cpu] [checks.py options]
# compiles CTorch against that Python's torch into lib/ (beside the libraries the binary carries),
# then runs checks.py, which prints one table. --cpu runs the same path on a CPU torch (the rehearsal).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=python3
checks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python="$2"; shift 2 ;;
    *) checks+=("$1"); shift ;;
  esac
done
torch_dir="$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
echo "device-check: compiling CTorch against $("$python" -c 'import torch; print(torch.__version__)') at $torch_dir" >&2
started=$(date +%s)
bash "$here/build-ctorch.sh" "$torch_dir" "$here/lib" "$here/ctorch"
echo "device-check: CTorch compiled in $(( $(date +%s) - started )) s" >&2
exec "$python" "$here/checks.py" --binary "$here/facelabel" --weights "$here/yolov8n-pose-synth51.safetensors" \
  --work "$here/work" "${checks[@]}"
