#!/usr/bin/env bash
# Regenerates the golden fixtures with the torch wheel the binding links, then checks that the
# safetensors file our writer produces loads in Python. Needs the venv made here on first use.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.deps/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" safetensors numpy
fi
"$venv/bin/python" "$root/Scripts/goldens/goldens.py" "$root"
cd "$root"
FACELABEL_WRITE_FIXTURES=1 swift test --filter "SafetensorsTests" >/dev/null
"$venv/bin/python" "$root/Scripts/goldens/verify_swift_written.py" "$root/Tests/TorchTestSupport/Fixtures/swift_written.safetensors"
