# syntax=docker/dockerfile:1
# The function's container image for those who build with Docker:
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) -t IMAGE .
# `make image` builds the same image without Docker, reproducibly, as an OCI
# image layout (docs/image.md). Both hold the static binary alone, run as a
# numeric non-root user with the function as entrypoint, and carry no shell.
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

# The final stage is written by `go test ./internal/image -update` from internal/image:
FROM scratch
ARG VERSION=dev
ARG REVISION=
COPY <<EOF /etc/passwd
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
COPY <<EOF /etc/group
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
COPY --from=build /out/cross-cloud-access /usr/local/bin/cross-cloud-access
ENV PATH=/usr/local/bin
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/cross-cloud-access"]
LABEL org.opencontainers.image.description="Gives the workloads of one ServiceAccount keyless access to AWS, GCP and Azure, with the cluster as the OIDC identity provider; emits the ServiceAccount and credential configuration and patches pod templates with projected tokens, mounts and env vars." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/crosscloud-dev/cross-cloud-access" \
      org.opencontainers.image.title="cross-cloud-access" \
      org.opencontainers.image.version="${VERSION}"
