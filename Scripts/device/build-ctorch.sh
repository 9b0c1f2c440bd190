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
# c10d's process groups (distributed.cpp): Gloo with the gloo headers (carried in SOURCE_DIR/gloo-include,
# or the system's), NCCL in a CUDA torch whose nvidia wheels hold nccl.h and the CUDA headers (the
# toolkit's crt and cccl headers, which torch's wheels leave out, carried in SOURCE_DIR/cuda-include)
groups=()
for folder in "$source/gloo-include" /usr/include; do
  [ -f "$folder/gloo/config.h" ] && groups+=(-DUSE_C10D_GLOO -I"$folder") && break
done
nccl=()
if [ -f "$torch/lib/libtorch_cuda.so" ] && ls "$torch"/../nvidia/*/include/nccl.h >/dev/null 2>&1; then
  nccl=(-DUSE_C10D_NCCL)
  for folder in "$torch"/../nvidia/*/include "$source/cuda-include"; do [ -d "$folder" ] && nccl+=(-I"$folder"); done
fi
compile() {  # FILE [FLAGS...]
  local file="$1"
  shift
  # the torch wheels since 2.7 use the new libstdc++ ABI
  "$compiler" -std=c++20 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=1 -Wno-deprecated-declarations \
    -I"$source/include" -I"$torch/include" "$@" -c "$file" -o "$objects/$(basename "$file" .cpp).o"
}
for file in "$source"/*.cpp; do
  [ "$(basename "$file")" = distributed.cpp ] && continue
  compile "$file" &
done
# a torch whose headers do not fit keeps the rest of the check: NCCL is left out (then Gloo), and said so
api=(-I"$torch/include/torch/csrc/api/include")
if [ ${#nccl[@]} -gt 0 ] && ! compile "$source/distributed.cpp" "${groups[@]}" "${nccl[@]}" "${api[@]}" 2>"$objects/distributed.log"; then
  echo "build-ctorch: NCCL's process group did not compile (${nccl[*]}), built without it:" >&2
  tail -5 "$objects/distributed.log" >&2
  nccl=()
fi
if [ ${#nccl[@]} -eq 0 ] && [ ${#groups[@]} -gt 0 ] && ! compile "$source/distributed.cpp" "${groups[@]}" "${api[@]}" 2>"$objects/distributed.log"; then
  echo "build-ctorch: Gloo's process group did not compile (${groups[*]}), built without it:" >&2
  tail -5 "$objects/distributed.log" >&2
  groups=()
fi
[ ${#nccl[@]} -eq 0 ] && [ ${#groups[@]} -eq 0 ] && compile "$source/distributed.cpp"
for job in $(jobs -p); do wait "$job"; done
echo "build-ctorch: process groups: $([ ${#groups[@]} -gt 0 ] && echo "Gloo ")$([ ${#nccl[@]} -gt 0 ] && echo "NCCL")" >&2
cuda=()
if [ -f "$torch/lib/libtorch_cuda.so" ]; then
  cuda=(-Wl,--push-state,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--pop-state)
fi
"$compiler" -shared -o "$out/libctorch.so.partial" "$objects"/*.o -L"$torch/lib" -Wl,-rpath,"$torch/lib" \
  "${cuda[@]}" -ltorch_cpu -lc10 -Wl,--no-undefined
mv "$out/libctorch.so.partial" "$out/libctorch.so"
