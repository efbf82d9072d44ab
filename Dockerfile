# The function as a container image: a static binary on distroless, non-root.
# Usable as `config.kubernetes.io/function: {container: {image: ...}}` in
# kustomize and as `image:` in a Kptfile pipeline. Build: `make image`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY fn/ fn/
COPY pkg/ pkg/
COPY schemas/ schemas/
COPY internal/ internal/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cross-cloud-access ./fn/cross-cloud-access

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cross-cloud-access /usr/local/bin/cross-cloud-access
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cross-cloud-access"]
