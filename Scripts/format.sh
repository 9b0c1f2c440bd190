#!/usr/bin/env bash
# Formats the Swift sources with the toolchain's swift-format and the configuration in .swift-format,
# then lints them strictly (what CI runs: `Scripts/format.sh --lint` only lints).
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Sources Tests Benchmarks Fuzz Package.swift)
if [ "${1:-}" != "--lint" ]; then
  swift format format --in-place --recursive --parallel "${paths[@]}"
fi
swift format lint --strict --recursive --parallel "${paths[@]}"
