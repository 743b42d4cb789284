# isobench: build, test, demo and benchmarks. Every target works on a fresh machine with Go,
# git and Python 3 (see README).

GO       ?= go
export CGO_ENABLED := 1
# go-nvml's header marks some functions deprecated; the warnings say nothing about isobench.
export CGO_CFLAGS := -Wno-deprecated-declarations
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN      := bin/isobench

.PHONY: build test demo bench bench-large bench-stats clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/isobench

# The whole suite; CI runs this (.ci/run).
test:
	$(GO) vet ./...
	$(GO) test -timeout 15m ./...

# Builds the bundled example offline: no GPU, no API key. The first Go build on a fresh
# machine compiles the standard library and the cgo dependencies (minutes, README); -v lists
# each package as it is compiled, so the wait is visible, and prints nothing once cached.
demo:
	@echo "isobench: building $(BIN); the first build on a machine compiles every dependency (several minutes), later ones take seconds"
	$(GO) build -v -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/isobench
	$(BIN) -C examples/quickstart build //dataset:all
	@echo "dataset written under examples/quickstart/isobench-out/; the report: $(BIN) -C examples/quickstart report //dataset:all"

# The engine's speed: cold build, null build (beside ninja's), status and validate of 10,000
# commit targets (README, Speed). bench-large does the same for 100,000 (about an hour cold).
bench: build
	$(GO) run ./scripts/nullbuild -isobench $(BIN) -n 10000

bench-large: build
	$(GO) run ./scripts/nullbuild -isobench $(BIN) -n 100000 -runs 3

# Measurement quality: false-positive and detection rates of the verdict (README).
bench-stats:
	$(GO) run ./scripts/bench-stats

clean:
	rm -rf bin examples/*/isobench-out
