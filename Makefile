# facelabel: `make demo` runs the main job, `make test` the whole test suite.
# Both install what they need first (Scripts/bootstrap.sh) and are idempotent.

SWIFT ?= swift
BUILD_FLAGS ?=
# Spinning OpenMP waits make two processes fight over two cores (DESIGN.md, performance notes).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: bootstrap build test demo bench-torch bench-pose bench-accuracy goldens clean

bootstrap:
	@bash Scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build $(BUILD_FLAGS)

test: bootstrap
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build $(BUILD_FLAGS)

demo: bootstrap
	$(SWIFT) build -c release --product facelabel
	.build/release/facelabel demo

# Binding speed against Python torch (a benchmark, not a test): prints figures.
bench-torch: bootstrap
	@bash Scripts/bench-torch.sh

# facelabel against the reference implementation (../shared/bench) on this CPU: prints figures.
bench-pose: bootstrap
	@bash Scripts/bench-pose.sh

bench-accuracy: bootstrap
	@bash Scripts/bench-accuracy.sh

# Regenerates the golden fixtures with the same torch wheel (only needed when they change).
goldens: bootstrap
	@bash Scripts/goldens/run.sh

clean:
	rm -rf .build
