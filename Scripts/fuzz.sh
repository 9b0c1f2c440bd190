#!/usr/bin/env bash
# make fuzz: every parser of outside input under libFuzzer with AddressSanitizer, FUZZ_SECONDS each
# (default 60), or until FUZZ_RUNS inputs if that comes first; FUZZ_TARGETS="labels yaml" runs some;
# FUZZ_SEED fixes libFuzzer's random seed (CI: the same inputs on every run). Targets: labels (YOLO-pose label lines), pts
# (iBUG .pts), coco (COCO keypoints JSON), yaml (data.yaml), images (header readers and the JPEG and
# PNG decoders of CImageCodecs), labelstudio (Label Studio JSON exports), cvat (CVAT for images XML),
# pickle (the restricted unpickler of PyTorch checkpoints), safetensors. Each starts from its seeds (Fuzz/seeds/<target> and the
# test fixtures of its format) and the corpus of earlier runs (.build-fuzz/corpus), with its token
# dictionary (Fuzz/dicts). A crash, a leak, a timeout or a failed invariant stops with the input in
# .build-fuzz/crashes: fix it, and keep the input in Fuzz/regressions/<target>/ (make test replays those).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-60}"
runs_limit="${FUZZ_RUNS:--1}"
seed="${FUZZ_SEED:-0}"  # 0: libFuzzer picks one
read -ra targets <<< "${FUZZ_TARGETS:-labels pts coco yaml images labelstudio cvat pickle safetensors}"
scratch="$root/.build-fuzz"
export FACELABEL_FUZZ=1 FACELABEL_SANITIZE=1
flags=(-c debug --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
  -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address)
say() { echo "fuzz: $*" >&2; }

mkdir -p "$scratch"
for product in FuzzParsers FuzzSafetensors; do
  say "building $product"
  # a failed build must not leave an earlier binary to be fuzzed in its place
  if ! swift build "${flags[@]}" --product "$product" >"$scratch/build-$product.log" 2>&1; then
    grep -E "error" "$scratch/build-$product.log" >&2 || tail -20 "$scratch/build-$product.log" >&2
    say "$product did not build"
    exit 1
  fi
  grep -E "warning: var|Compiling Fuzz" "$scratch/build-$product.log" >&2 || true
done

seeds_of() {  # the seed files of a target: its own, and the test fixtures of its format
  local target="$1"
  [ -d "Fuzz/seeds/$target" ] && find "Fuzz/seeds/$target" -type f
  case "$target" in
    pts) find Tests/PoseDataTests/Fixtures/300w -name '*.pts' ;;
    images) find Tests/PoseDataTests/Fixtures/images -type f ;;
    safetensors) find Tests/TorchTestSupport/Fixtures -name '*.safetensors' -size -4k ;;
  esac
  [ -d "Fuzz/regressions/$target" ] && find "Fuzz/regressions/$target" -type f
  return 0
}

status=0
summary=()
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus" "$scratch/crashes"
  seeds_of "$target" | while read -r seed; do cp -n "$seed" "$corpus/seed-$(basename "$seed")"; done
  binary="$scratch/debug/FuzzParsers"
  [ "$target" = "safetensors" ] && binary="$scratch/debug/FuzzSafetensors"
  log="$scratch/$target.log"
  say "$target for $seconds s"
  set +e
  # the Swift runtime's own backtracer trips over ASan's stack checks and hangs: libFuzzer reports instead
  SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    LSAN_OPTIONS="suppressions=$root/Scripts/asan/fuzz-lsan.supp:print_suppressions=0" "$binary" "$corpus" \
    -max_total_time="$seconds" -runs="$runs_limit" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -dict="Fuzz/dicts/$target.dict" \
    -artifact_prefix="$scratch/crashes/$target-" -print_final_stats=1 > "$log" 2>&1
  result=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  if [ "$result" -ne 0 ]; then
    status=1
    summary+=("$target: FAILED after ${runs:-?} inputs (see $log and $scratch/crashes/)")
    tail -n 30 "$log" >&2
  else
    elapsed=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -n 1)
    summary+=("$target: ${runs:-?} inputs in ${elapsed:-$seconds} s, no crash, leak or timeout")
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
exit "$status"
