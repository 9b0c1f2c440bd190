#!/usr/bin/env bash
# make test-asan: the test suites that link no libtorch code of their own (PoseData, PoseMetrics,
# Measure, the fuzz replays) built and run under AddressSanitizer (Swift, C and C++) and
# UndefinedBehaviorSanitizer (the C and C++ code; Swift checks overflow and bounds itself), in a
# build folder of their own (.build-asan). tcmalloc stays out (ASan brings its own allocator).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export FACELABEL_SANITIZE=1
flags=(--scratch-path "$root/.build-asan" --sanitize address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
  -Xcxx -fsanitize=undefined -Xcxx -fno-sanitize-recover=undefined)
# the test bundle by name: a plain --build-tests would also build swift-protobuf's protoc (see the Makefile)
swift build --product facelabelPackageTests "${flags[@]}"
# LeakSanitizer on: a leak in our code fails the run like a memory error does (the toolchain's own
# are listed in Scripts/asan/lsan.supp)
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" LSAN_OPTIONS="suppressions=$root/Scripts/asan/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" SWIFT_BACKTRACE=enable=no \
  swift test --skip-build "${flags[@]}" --filter "${ASAN_FILTER:-PoseDataTests|PoseMetricsTests|MeasureTests}"
