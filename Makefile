# cross-cloud-access: every command a developer or CI needs. Tools are pinned
# in go.mod (`tool` directive) and run with `go tool`, so versions are recorded
# and install themselves from the module proxy.

GO       ?= go
BIN      := bin/cross-cloud-access
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
EXAMPLE  ?= examples/gke-to-aws
FUZZTIME ?= 60s
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
IMAGE    ?= ghcr.io/crosscloud-dev/cross-cloud-access:$(VERSION)

.PHONY: build release demo test lint unit helm flux e2e argocd bench bench-kustomize fuzz generate update image clean

## build: the static function binary
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN) ./fn/cross-cloud-access

## release: static binaries for every platform in PLATFORMS, with SHA-256 checksums, in dist/
release:
	rm -rf dist && mkdir -p dist
	@for platform in $(PLATFORMS); do \
	  os=$${platform%/*}; arch=$${platform#*/}; out=dist/cross-cloud-access-$(VERSION)-$$os-$$arch; \
	  echo "$$out"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $$out ./fn/cross-cloud-access || exit 1; \
	done
	cd dist && if command -v sha256sum >/dev/null; then sha256sum cross-cloud-access-*; else shasum -a 256 cross-cloud-access-*; fi > SHA256SUMS
	cat dist/SHA256SUMS

## demo: render one example through real kustomize (EXAMPLE=examples/NAME for another)
demo: build
	$(GO) tool kustomize build --enable-alpha-plugins --enable-exec $(EXAMPLE)

## test: everything CI runs
test: lint unit helm flux e2e argocd

## lint: formatting, vet and staticcheck
lint:
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) build -o bin/staticcheck honnef.co/go/tools/cmd/staticcheck
	for module in test/helm test/flux; do (cd $$module && $(GO) vet ./... && ../../bin/staticcheck ./...) || exit 1; done

## unit: unit, golden, schema and example tests (kustomize and kpt for real)
unit: build
	@command -v kpt >/dev/null || { echo "kpt is not on PATH: the kpt examples cannot run"; exit 1; }
	$(GO) test -count=1 ./...

## helm: the function as a post-renderer of the real Helm 3 and Helm 4 (pinned in test/helm/go.mod)
helm:
	cd test/helm && $(GO) test -count=1 -timeout 30m ./...

## flux: the exported Component built by Flux's own kustomize library (pinned in test/flux/go.mod)
flux:
	cd test/flux && $(GO) test -count=1 -timeout 30m ./...

## e2e: the article's commands in pods built from our output, against real servers
e2e: build
	$(MAKE) -C e2e test e2e

## argocd: the Argo CD config management plugin, with Argo CD's own code
argocd: build
	$(MAKE) -C e2e/argocd test

## bench: speed and memory of the function binary at 100, 1,000 and 10,000 workloads beside kyaml's identity function on its input and on its output (BENCH_SIZES=100,1000,10000), then the in-process benchmarks
BENCH_SIZES ?= 100,1000,10000
bench: build
	$(GO) build -o bin/kyaml-identity ./internal/cmd/kyaml-identity
	$(GO) run ./internal/cmd/bench -function $(BIN) -identity bin/kyaml-identity -n $(BENCH_SIZES)
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-kustomize: seconds of `kustomize build` at 200 and 1,000 workloads without the function, with it as an exec transformer, and with the exported Component (BENCH_N=200,1000; a measurement, not a test)
BENCH_N ?= 200,1000
bench-kustomize: build
	mkdir -p bin
	$(GO) build -o bin/kustomize sigs.k8s.io/kustomize/kustomize/v5
	$(GO) run ./internal/cmd/bench-kustomize -kustomize bin/kustomize -function $(CURDIR)/$(BIN) -n $(BENCH_N)

## fuzz: each fuzz target for FUZZTIME
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$target"; $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## generate: the JSON Schema from the Go types
generate:
	$(GO) generate ./schemas

## update: rewrite golden files; read the diff before committing
# Only the test binaries that import internal/golden know -update; any other
# would stop at the unknown flag.
update:
	$(GO) test $$($(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... \
	  | awk '/ [^ ]*\/internal\/golden( |$$)/ { print $$1 }') -update
	cd test/helm && $(GO) test ./... -update

## image: the container image (needs a Docker engine)
image:
	@docker info >/dev/null 2>&1 || { echo "make image: no Docker engine is running here; build the image where one is (the Dockerfile needs nothing else)"; exit 1; }
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

clean:
	rm -rf bin dist
