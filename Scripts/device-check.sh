#!/usr/bin/env bash
# The check of facelabel on a GPU machine that has CUDA, a Python with torch and many cores, but no
# Swift toolchain, no network and no system packages. Prepared here, run there as one command:
#
#   Scripts/device-check.sh          packages .build-device/facelabel-device.tar.xz (at most 60 MB):
#                                    the release binary with the Swift runtime inside and CTorch
#                                    outside, the non-torch libraries it needs, CTorch's sources,
#                                    the bundled checkpoint and the scripts that run there
#   Scripts/device-check.sh --cpu    the same package, then its run on this machine against a CPU
#                                    Python torch (the bench venv's, ../shared/bench): the rehearsal
#
# There: tar -xJf facelabel-device.tar.xz && facelabel-device/run.sh [--python PYTHON]
# (run.sh compiles CTorch against that Python's torch, then checks.py prints the table).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="gpu"
[ "${1:-}" = "--cpu" ] && mode="cpu"
out="$root/.build-device"
package="$out/facelabel-device"
say() { echo "device-check: $*" >&2; }

# 1. A libctorch.so to link the binary against (the GPU machine compiles its own for its torch),
#    compiled again only when CTorch changed.
link="$out/ctorch-link/libctorch.so"
if [ ! -f "$link" ] || [ -n "$(find "$root/Sources/CTorch" -newer "$link" -type f)" ]; then
  say "compiling CTorch alone against .deps/libtorch (to link against)"
  bash "$root/Scripts/device/build-ctorch.sh" "$root/.deps/libtorch" "$out/ctorch-link" "$root/Sources/CTorch"
fi

# 2. The binary: the Swift runtime linked in, CTorch looked up in lib/ beside it.
say "building facelabel (release, static Swift runtime, shared CTorch)"
CTORCH_SHARED="$out/ctorch-link" swift build -c release --product facelabel --static-swift-stdlib \
  --scratch-path "$out/build" 2>&1 | grep -E "error|warning: unre|Compiling facelabel|Build complete" >&2 || true
binary="$out/build/release/facelabel"
[ -x "$binary" ] || { say "the build failed"; exit 1; }

# 3. The package.
rm -rf "$package"
mkdir -p "$package/lib" "$package/ctorch/include"
strip -o "$package/facelabel" "$binary"
# every shared library the binary needs but torch's and the C runtime's (libjpeg, libspng, SQLite, tcmalloc, ...)
ldd "$binary" | awk '/=> \// { print $1, $3 }' | while read -r name path; do
  case "$name" in
    libctorch.so | libtorch* | libc10* | libc.so* | libm.so* | libpthread* | libdl.so* | librt.so* | ld-linux* | libgcc_s* | libstdc++*) ;;
    *) cp -L "$path" "$package/lib/$name" ;;
  esac
done
cp "$root"/Sources/CTorch/*.cpp "$root/Sources/CTorch/internal.h" "$package/ctorch/"
cp "$root/Sources/CTorch/include/ctorch.h" "$package/ctorch/include/"
# the gloo headers (the machine there has no system packages) for c10d's Gloo group
[ -d /usr/include/gloo ] && mkdir -p "$package/ctorch/gloo-include" && cp -r /usr/include/gloo "$package/ctorch/gloo-include/"
# the CUDA toolkit's crt and cccl headers, which cuda_runtime.h and cuda_fp16.h include but torch's
# wheels leave out, for c10d's NCCL group (CUDA 13.0, the toolkit of the CUDA 13 torch wheels)
wheels="$out/cuda-header-wheels"
if [ -n "$(ls "$wheels"/nvidia_cuda_c*.whl 2>/dev/null)" ] \
  || python3 -m pip download --quiet --no-deps --dest "$wheels" "nvidia-cuda-crt==13.0.*" "nvidia-cuda-cccl==13.0.*" >&2; then
  python3 - "$package/ctorch/cuda-include" "$wheels"/nvidia_cuda_c*.whl <<'PY'
import pathlib, sys, zipfile
out = pathlib.Path(sys.argv[1])
for wheel in sys.argv[2:]:
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = pathlib.PurePosixPath(name).parts
            # nvidia/cu13/include/{crt,nv}/...
            if len(parts) > 4 and parts[2] == "include" and parts[3] in ("crt", "nv") and not name.endswith("/"):
                target = out.joinpath(*parts[3:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
PY
else
  say "the CUDA crt and cccl headers could not be fetched: NCCL's group will not compile there"
fi
cp "$root"/Scripts/device/{run.sh,build-ctorch.sh,checks.py} "$package/"
cp "$root/Weights/yolov8n-pose-synth51.safetensors" "$package/"
tar -cJf "$out/facelabel-device.tar.xz.partial" -C "$out" facelabel-device
mv "$out/facelabel-device.tar.xz.partial" "$out/facelabel-device.tar.xz"
size=$(stat -c %s "$out/facelabel-device.tar.xz")
say "package: $out/facelabel-device.tar.xz, $((size / 1048576)) MB ($(ls "$package/lib" | tr '\n' ' '))"
[ "$size" -le $((60 * 1048576)) ] || { say "the package is over 60 MB"; exit 1; }
[ "$mode" = "gpu" ] && exit 0

# 4. The rehearsal: unpack as the GPU machine would, and run against the bench venv's CPU torch.
python="${BENCH_PYTHON:-$HOME/.cache/facelabel-bench/venv/bin/python}"
[ -x "$python" ] || bash "$root/../shared/bench/setup-reference.sh" >&2
rehearsal="$out/rehearsal"
rm -rf "$rehearsal" && mkdir -p "$rehearsal"
tar -xJf "$out/facelabel-device.tar.xz" -C "$rehearsal"
"$rehearsal/facelabel-device/run.sh" --python "$python" --cpu --images "${DEVICE_CHECK_IMAGES:-40}" \
  --epochs "${DEVICE_CHECK_EPOCHS:-2}" --imgsz "${DEVICE_CHECK_IMGSZ:-320}" --batch 8 --workers 2
