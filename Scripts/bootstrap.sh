#!/usr/bin/env bash
# Installs what facelabel needs to build, idempotently and without hand steps:
#   1. libtorch (torch/lib + torch/include) unpacked from the CPU torch wheel into .deps/libtorch,
#      unless LIBTORCH points at an existing libtorch (or a Python installation's site-packages/torch);
#      with TORCH=cuda, the CUDA torch wheel and the nvidia-* runtime wheels its metadata requires,
#      unpacked into .deps/torch-cuda in the wheels' own layout (torch/lib beside nvidia/*/lib), so
#      that the libraries' RPATH finds cuDNN, cuBLAS and the rest with no LD_LIBRARY_PATH;
#   2. the Debian development packages of the C libraries the project links (only the missing ones);
#   3. with --onnxruntime (make test), onnx and onnxruntime from PyPI in .deps/onnxruntime, with which
#      the tests check `export onnx`; where they cannot be installed it says so, and those tests skip.
# Quiet and fast when everything is already in place.
set -euo pipefail

TORCH_VERSION="2.13.0+cpu"
CUDA_TORCH_VERSION="2.13.0"  # the registry's torch 2.13.0 is the CUDA 13 build
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.deps"

say() { echo "bootstrap: $*" >&2; }

install_debian_packages() {
  # chromium: the report test opens report.html in the headless browser; chromium-driver and
  # python3-selenium: the review page's tests act on it as a person would; curl: the review server's
  # HTTP tests; sqlite3: tests read the ledger; libtcmalloc-minimal4: the allocator every binary
  # links (see Package.swift); libgloo-dev: the gloo headers c10d's Gloo process group is compiled
  # against (the torch wheels ship gloo's code, not its headers).
  local wanted=(libjpeg62-turbo-dev libspng-dev libpng-dev zlib1g-dev libsqlite3-dev libtcmalloc-minimal4 pkg-config libgloo-dev
    chromium chromium-driver python3-selenium curl sqlite3)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

unpack_libtorch() {
  local target="$deps/libtorch"
  [ -f "$target/.complete-$TORCH_VERSION" ] && return 0
  local wheel=""
  local scratch
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' RETURN
  for folder in ${PIP_FIND_LINKS:-}; do
    candidate=$(ls "$folder"/torch-"${TORCH_VERSION}"-*.whl 2>/dev/null | head -n 1 || true)
    [ -n "$candidate" ] && wheel="$candidate" && break
  done
  if [ -z "$wheel" ]; then
    say "downloading torch==$TORCH_VERSION (no local wheel found)"
    python3 -m pip download --quiet --no-deps --dest "$scratch" "torch==$TORCH_VERSION" \
      || python3 -m pip download --quiet --no-deps --dest "$scratch" \
           --index-url https://download.pytorch.org/whl/cpu "torch==$TORCH_VERSION"
    wheel=$(ls "$scratch"/torch-*.whl | head -n 1)
  fi
  say "unpacking libtorch from $(basename "$wheel")"
  python3 - "$wheel" "$scratch/unpacked" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
skip = ("libtorch_python", "test", "libshm_windows")
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if not (name.startswith("torch/lib/") or name.startswith("torch/include/")):
            continue
        if name.startswith("torch/lib/") and any(s in name.rsplit("/", 1)[-1] for s in skip):
            continue
        archive.extract(name, out)
PY
  rm -rf "$target.partial" "$target"
  mkdir -p "$deps"
  mv "$scratch/unpacked/torch" "$target.partial"
  touch "$target.partial/.complete-$TORCH_VERSION"
  mv "$target.partial" "$target"
}

# The commit `facelabel env` reports, rewritten only when HEAD moves (so nothing rebuilds otherwise).
write_build_info() {
  local commit header="$root/Sources/CBuildInfo/commit.h"
  commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null) || return 0
  local line="#define FACELABEL_COMMIT \"$commit\""
  [ -f "$header" ] && [ "$(cat "$header")" = "$line" ] && return 0
  echo "$line" > "$header.partial" && mv "$header.partial" "$header"
}

unpack_cuda_torch() {
  local target="$deps/torch-cuda"
  # the marker names the layout: since NCCL's process group is compiled, the crt and cccl headers are in it
  local complete=".complete-$CUDA_TORCH_VERSION-headers"
  [ -f "$target/$complete" ] && return 0
  local wheels="$deps/wheels-cuda"
  mkdir -p "$wheels"
  say "downloading torch $CUDA_TORCH_VERSION (CUDA) and the nvidia runtime wheels it requires (about 2.5 GB)"
  # `===`: exactly 2.13.0, never the local CPU wheel 2.13.0+cpu that `==` would also match
  python3 -m pip download --quiet --no-deps --dest "$wheels" "torch===$CUDA_TORCH_VERSION"
  local wheel
  wheel=$(ls "$wheels"/torch-"$CUDA_TORCH_VERSION"-*.whl | head -n 1)
  # the runtime libraries of its Linux metadata (cuda-toolkit[...] and nvidia-*), not its Python
  # packages; and the toolkit's crt and cccl headers, which cuda_runtime.h and cuda_fp16.h include
  # (ProcessGroupNCCL.hpp includes them)
  local requirements
  mapfile -t requirements < <(python3 - "$wheel" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    for line in archive.read(metadata).decode().splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        requirement, _, marker = line[len("Requires-Dist:"):].partition(";")
        name = requirement.strip()
        if "Linux" in marker and name.startswith("cuda-toolkit["):
            print(name.replace("cuda-toolkit[", "cuda-toolkit[crt,cccl,", 1))
        elif "Linux" in marker and name.startswith("nvidia-"):
            print(name)
PY
)
  python3 -m pip download --quiet --dest "$wheels" "${requirements[@]}"
  say "unpacking $(basename "$wheel") and $(ls "$wheels" | grep -c '^nvidia') nvidia wheels into .deps/torch-cuda"
  rm -rf "$target.partial" "$target"
  python3 - "$wheel" "$wheels" "$target.partial" <<'PY'
import pathlib, sys, zipfile
torch_wheel, wheels, out = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
with zipfile.ZipFile(torch_wheel) as archive:
    for name in archive.namelist():
        if name.startswith("torch/include/") or (name.startswith("torch/lib/") and "libtorch_python" not in name):
            archive.extract(name, out)
for path in sorted(wheels.glob("nvidia_*.whl")):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("nvidia/"):
                archive.extract(name, out)
PY
  touch "$target.partial/$complete"
  mv "$target.partial" "$target"
}

# onnx's checker and onnxruntime for the export tests (pinned: the versions the tests were written with)
install_onnxruntime() {
  local target="$deps/onnxruntime" wanted="onnx==1.23.2 onnxruntime==1.31.1 numpy<3"
  [ -f "$target/.complete" ] && [ "$(cat "$target/.complete")" = "$wanted" ] && return 0
  say "installing $wanted into .deps/onnxruntime (for the tests of export onnx)"
  rm -rf "$target"
  # shellcheck disable=SC2086
  if python3 -m venv "$target" >/dev/null 2>&1 && "$target/bin/pip" install --quiet $wanted >/dev/null 2>&1; then
    echo "$wanted" > "$target/.complete"
  else
    say "onnxruntime could not be installed: the tests of export onnx will be skipped"
    rm -rf "$target"
  fi
}

install_debian_packages
write_build_info
if [ "${1:-}" = "--onnxruntime" ]; then install_onnxruntime; fi
if [ -n "${LIBTORCH:-}" ]; then
  [ -d "$LIBTORCH/include" ] && [ -d "$LIBTORCH/lib" ] || { say "LIBTORCH=$LIBTORCH has no include/ and lib/"; exit 1; }
elif [ "${TORCH:-cpu}" = "cuda" ]; then
  unpack_cuda_torch
else
  unpack_libtorch
fi
