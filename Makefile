# cross-cloud-access: every command a developer or CI needs. Tools are pinned
# in go.mod (`tool` directive) and run with `go tool`, so versions are recorded
# and install themselves from the module proxy.

GO       ?= go
BIN      := bin/cross-cloud-access
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
EXAMPLE  ?= examples/gke-to-aws
FUZZTIME ?= 60s
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
# The container image: its platforms, its layout's folder (`make image`) and
# the name `make push` pushes it to. REVISION and SOURCE_DATE_EPOCH (the
# commit's time, the image's creation time) make the same commit give the
# same image digest.
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_LAYOUT ?= bin/image
IMAGE    ?= ghcr.io/crosscloud-dev/cross-cloud-access:$(VERSION)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

# go-build OS ARCH OUT: the static function binary (no cgo, no local paths,
# the version stamped); an empty OS or ARCH is this machine's.
go-build = CGO_ENABLED=0 GOOS=$(1) GOARCH=$(2) $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(3) ./fn/cross-cloud-access

# image-layout OUT BINARY-PREFIX: the OCI image layout at OUT from the
# binaries BINARY-PREFIXos-arch, one per IMAGE_PLATFORMS (internal/cmd/image).
image-layout = SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./internal/cmd/image -o $(1) -version $(VERSION) -revision $(REVISION) \
	  $(foreach platform,$(IMAGE_PLATFORMS),-binary $(platform)=$(2)$(subst /,-,$(platform)))

.PHONY: build release demo test lint unit helm flux e2e argocd bench bench-kustomize fuzz generate update image push clean

## build: the static function binary
build:
	$(call go-build,,,$(BIN))

## release: static binaries for every platform in PLATFORMS, with SHA-256 checksums, and the container image's OCI layout made of the Linux ones, in dist/
release:
	rm -rf dist && mkdir -p dist
	@for platform in $(PLATFORMS); do \
	  os=$${platform%/*}; arch=$${platform#*/}; out=dist/cross-cloud-access-$(VERSION)-$$os-$$arch; \
	  echo "$$out"; \
	  $(call go-build,$$os,$$arch,$$out) || exit 1; \
	done
	cd dist && if command -v sha256sum >/dev/null; then sha256sum cross-cloud-access-*; else shasum -a 256 cross-cloud-access-*; fi > SHA256SUMS
	cat dist/SHA256SUMS
	$(call image-layout,dist/cross-cloud-access-$(VERSION)-oci,dist/cross-cloud-access-$(VERSION)-)

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
	for module in test/helm test/flux e2e e2e/argocd; do (cd $$module && $(GO) vet ./... && $(CURDIR)/bin/staticcheck ./...) || exit 1; done

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

## image: the container image, linux/amd64 and linux/arm64 in one index, as an OCI image layout in IMAGE_LAYOUT (no Docker needed; docs/image.md)
image:
	@for platform in $(IMAGE_PLATFORMS); do \
	  os=$${platform%/*}; arch=$${platform#*/}; \
	  $(call go-build,$$os,$$arch,bin/image-binaries/$$os-$$arch) || exit 1; \
	done
	$(call image-layout,$(IMAGE_LAYOUT),bin/image-binaries/)

## push: the image layout to IMAGE with crane (pinned in go.mod; log in first: go tool crane auth login)
push:
	$(GO) tool crane push $(IMAGE_LAYOUT) $(IMAGE)

clean:
	rm -rf bin dist
