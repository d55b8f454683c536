# syntax=docker/dockerfile:1
#
# The screener image: one static Go binary on distroless, run as non-root.
#
# Compile inside the build (needs the golang image and the Go module proxy):
#
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t screener .
#
# Or package a binary built outside (CGO_ENABLED=0, static) and placed at
# dist/screener, without the golang image:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" \
#     -o dist/screener ./cmd/screener
#   docker build --target prebuilt --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t screener .
#
# .ci/deploy-check builds the prebuilt target with RUNTIME_IMAGE=scratch,
# since no image registry is reachable there, and runs it with buildah.

ARG GO_IMAGE=golang:1.26
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/screener ./cmd/screener

# What both variants share: the distroless base, labels, user, port, entrypoint.
FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="screener" \
      org.opencontainers.image.description="Screens names against the US Consolidated Screening List over HTTP" \
      org.opencontainers.image.source="https://github.com/cslscreen/screener" \
      org.opencontainers.image.url="https://github.com/cslscreen/screener" \
      org.opencontainers.image.documentation="https://github.com/cslscreen/screener/blob/main/docs/DEPLOY.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
# The distroless "nonroot" user, by number: Kubernetes can only verify
# runAsNonRoot for a numeric user, and a scratch base has no /etc/passwd.
USER 65532:65532
# The API (LISTEN_ADDR); /metrics too unless METRICS_ADDR moves it (the Helm
# chart uses :9090).
EXPOSE 8080
ENTRYPOINT ["/screener"]

# --target prebuilt: the binary at dist/screener in the build context.
FROM runtime AS prebuilt
COPY dist/screener /screener

# The default target: the binary compiled in the build stage.
FROM runtime
COPY --from=build /out/screener /screener
