# facelabel: `make demo` runs the main job, `make test` the whole test suite.
# Both install what they need first (Scripts/bootstrap.sh) and are idempotent.

SWIFT ?= swift
# TORCH=cuda builds against the CUDA torch wheel (Scripts/bootstrap.sh unpacks it into .deps/torch-cuda),
# in a build folder of its own so that the CPU build is kept.
TORCH ?= cpu
export TORCH
BUILD_FLAGS ?= $(if $(filter cuda,$(TORCH)),--scratch-path .build-cuda,)
RELEASE_DIR = $(if $(filter cuda,$(TORCH)),.build-cuda,.build)/release
# Spinning OpenMP waits make two processes fight over two cores (DESIGN.md, performance notes).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: bootstrap build test test-labelstudio lint format demo bench-torch bench-pose bench-accuracy bench-import bench-photos bench-review bench-dist bench-audit bench-onnx goldens device-check-cpu fuzz test-asan clean

bootstrap:
	@bash Scripts/bootstrap.sh

# Products are named: a plain `swift build` would also build every executable of the dependencies,
# swift-protobuf's protoc (C++, minutes on two cores) among them.
build: bootstrap
	$(SWIFT) build --product facelabel $(BUILD_FLAGS)

# The tests also need onnx and onnxruntime (PyPI) in .deps/onnxruntime, for those of `export onnx`.
# The benchmarks are built too (not run), so that a change cannot leave them uncompilable.
test:
	@bash Scripts/bootstrap.sh --onnxruntime
	$(SWIFT) build --product facelabel $(BUILD_FLAGS)
	$(SWIFT) build --product PoseBench $(BUILD_FLAGS)
	$(SWIFT) build --product TorchBench $(BUILD_FLAGS)
	$(SWIFT) build --product facelabelPackageTests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

# The Label Studio round trip against the real Label Studio from PyPI, on loopback (CI runs it after
# `make test`; it skips, saying so, where Label Studio cannot be installed).
test-labelstudio: bootstrap
	@bash Scripts/test-labelstudio.sh

# swift-format's strict lint with .swift-format (CI runs it); `make format` rewrites the files first.
lint:
	@bash Scripts/format.sh --lint

format:
	@bash Scripts/format.sh

demo: bootstrap
	$(SWIFT) build -c release --product facelabel $(BUILD_FLAGS)
	$(RELEASE_DIR)/facelabel demo

# Binding speed against Python torch (a benchmark, not a test): prints figures.
bench-torch: bootstrap
	@bash Scripts/bench-torch.sh

# facelabel against the reference implementation (../shared/bench) on this CPU: prints figures.
bench-pose: bootstrap
	@bash Scripts/bench-pose.sh

bench-accuracy: bootstrap
	@bash Scripts/bench-accuracy.sh

# facelabel import coco on a COCO JSON of a million annotations: wall time and peak RSS.
bench-import: bootstrap
	@bash Scripts/bench-coco-import.sh

# Camera-sized photos: decode and resize, predict images/s, fast decode's effect on the metrics (and,
# with TRAIN_IMAGES=N, training's peak RSS), facelabel against the reference.
bench-photos: bootstrap
	@bash Scripts/bench-photos.sh

# Data-parallel training: one process against ranks of a Gloo group on this machine (docs/clusters.md).
bench-dist: bootstrap
	@bash Scripts/bench-dist.sh

bench-audit: bootstrap
	@bash Scripts/bench-audit.sh

# export onnx against the reference's own ONNX export of the same weights, and onnxruntime's speed
# beside facelabel predict's (docs/deploy.md).
bench-onnx: bootstrap
	@bash Scripts/bench-onnx.sh

# The review page on 5,000 images: key press to next label shown in headless Chromium, server memory.
bench-review: bootstrap
	@bash Scripts/bench-review.sh

# Regenerates the golden fixtures with the same torch wheel (only needed when they change).
goldens: bootstrap
	@bash Scripts/goldens/run.sh

# The GPU machine's check, rehearsed here on the CPU against the bench's Python torch (a release build
# of its own in .build-device, then CTorch compiled alone against that torch): Scripts/device-check.sh.
device-check-cpu: bootstrap
	@bash Scripts/device-check.sh --cpu

# Every parser of outside input under libFuzzer and AddressSanitizer, FUZZ_SECONDS each (default 60).
fuzz: bootstrap
	@bash Scripts/fuzz.sh

# The libtorch-free test suites under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: bootstrap
	@bash Scripts/test-asan.sh

clean:
	rm -rf .build .build-cuda .build-device .build-fuzz .build-asan
