# isobench: build, test, demo and benchmarks. Every target works on a fresh machine with Go,
# git and Python 3 (see README).

GO       ?= go
export CGO_ENABLED := 1
# go-nvml's header marks some functions deprecated; the warnings say nothing about isobench.
export CGO_CFLAGS := -Wno-deprecated-declarations
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN      := bin/isobench

.PHONY: build test demo bench bench-stats clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/isobench

# The whole suite; CI runs this (.ci/run).
test:
	$(GO) vet ./...
	$(GO) test -timeout 15m ./...

# Builds the bundled example offline: no GPU, no API key.
demo: build
	$(BIN) -C examples/quickstart build //dataset:all
	@echo "dataset written under examples/quickstart/isobench-out/"

# The null-build benchmark: 10,000 commit targets, compared with ninja (README, Speed).
bench: build
	$(GO) run ./scripts/nullbuild -isobench $(BIN)

# Measurement quality: false-positive and detection rates of the verdict (README).
bench-stats:
	$(GO) run ./scripts/bench-stats

clean:
	rm -rf bin examples/*/isobench-out
