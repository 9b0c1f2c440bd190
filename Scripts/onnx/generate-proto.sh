#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift, the Swift types of ONNX's protobuf schema that
# `facelabel export onnx` writes with (swift-protobuf). Not part of the build: the generated file is
# committed, since building swift-protobuf's code generator takes minutes. Run it when moving to
# another ONNX or swift-protobuf version; it needs protoc (Debian's protobuf-compiler) and pip.
set -euo pipefail
ONNX_VERSION="1.23.2"
SWIFT_PROTOBUF_VERSION="1.39.0"  # the version Package.resolved pins
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v protoc >/dev/null || { echo "generate-proto: protoc is missing (apt-get install protobuf-compiler)" >&2; exit 1; }
python3 -m pip download --quiet --no-deps --dest "$work" "onnx==$ONNX_VERSION"
# the schema without its comments: the generated types need only the declarations
python3 - "$work"/onnx-*.whl "$work/onnx.proto" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    schema = wheel.read("onnx/onnx.proto").decode()
lines = [re.sub(r"\s*//.*$", "", line) for line in schema.splitlines()]
open(sys.argv[2], "w").write("\n".join(line for line in lines if line.strip()) + "\n")
PY
git clone --quiet --depth 1 --branch "$SWIFT_PROTOBUF_VERSION" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
swift build --package-path "$work/swift-protobuf" --product protoc-gen-swift >/dev/null
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/debug/protoc-gen-swift" --swift_opt=Visibility=Public \
  --swift_out="$work" -I "$work" "$work/onnx.proto"
mv "$work/onnx.pb.swift" "$root/Sources/ONNXProto/onnx.pb.swift"
echo "wrote Sources/ONNXProto/onnx.pb.swift (onnx $ONNX_VERSION, swift-protobuf $SWIFT_PROTOBUF_VERSION)"
