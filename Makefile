# Constellation build, run and test targets. `make run` starts a dev agent;
# `make test` runs the unit and integration tests.

GO        ?= go
BIN       := bin/constellation
WASM_SRCS := $(wildcard examples/wasm/*/main.go)
WASM_OUTS := $(patsubst examples/wasm/%/main.go,examples/wasm/%.wasm,$(WASM_SRCS))

.PHONY: all build examples run test cluster e2e image eval-anomaly eval-forecast gpu-check bench clean

all: build

build: $(BIN) examples

$(BIN): FORCE
	$(GO) build -o $(BIN) ./cmd/constellation

FORCE:

examples: $(WASM_OUTS)

examples/wasm/%.wasm: examples/wasm/%/main.go
	GOOS=wasip1 GOARCH=wasm $(GO) build -o $@ ./examples/wasm/$*

run: build
	$(BIN) agent -dev

cluster: build
	bash scripts/cluster.sh

test: examples
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

eval-anomaly:
	bash bench/reference/install_anomaly.sh && $(GO) run ./bench/anomaly

eval-forecast:
	bash bench/reference/install.sh || echo 'statsmodels not installed: the evaluation runs without its reference'; $(GO) run ./bench/forecast

image:
	bash scripts/image.sh

e2e: image
	$(GO) test -tags e2e -count=1 -timeout 40m -v ./e2e/...

gpu-check: build
	bash scripts/gpu-check.sh

clean:
	rm -rf bin examples/wasm/*.wasm
