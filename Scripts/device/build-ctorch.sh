#!/usr/bin/env bash
# Compiles CTorch on its own into a shared library, against the libtorch it is given:
#   build-ctorch.sh TORCH_DIR OUT_DIR SOURCE_DIR
# TORCH_DIR holds include/ and lib/ (a libtorch folder, or a Python installation's site-packages/torch,
# CPU or CUDA); SOURCE_DIR holds CTorch's .cpp files, internal.h and include/ctorch.h. Writes
# OUT_DIR/libctorch.so, which finds libtorch through its RPATH. A CUDA libtorch is linked with
# --no-as-needed: nothing calls libtorch_cuda directly, but loading it is what registers CUDA.
set -euo pipefail
torch="$1" out="$2" source="$3"
[ -d "$torch/include" ] && [ -d "$torch/lib" ] || { echo "build-ctorch: $torch has no include/ and lib/" >&2; exit 1; }
compiler="${CXX:-$(command -v g++ || command -v clang++ || true)}"
[ -n "$compiler" ] || { echo "build-ctorch: no C++ compiler (g++ or clang++); build libctorch.so elsewhere against this torch and carry it" >&2; exit 1; }
mkdir -p "$out"
objects="$(mktemp -d)"
trap 'rm -rf "$objects"' EXIT
for file in "$source"/*.cpp; do
  # the torch wheels since 2.7 use the new libstdc++ ABI
  "$compiler" -std=c++20 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -Wno-deprecated-declarations \
    -I"$source/include" -I"$torch/include" -c "$file" -o "$objects/$(basename "$file" .cpp).o" &
done
for job in $(jobs -p); do wait "$job"; done
cuda=()
if [ -f "$torch/lib/libtorch_cuda.so" ]; then
  cuda=(-Wl,--push-state,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--pop-state)
fi
"$compiler" -shared -o "$out/libctorch.so.partial" "$objects"/*.o -L"$torch/lib" -Wl,-rpath,"$torch/lib" \
  "${cuda[@]}" -ltorch_cpu -lc10 -Wl,--no-undefined
mv "$out/libctorch.so.partial" "$out/libctorch.so"
