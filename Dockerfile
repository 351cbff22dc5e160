# The collector image: one static binary (no cgo) on distroless/static.
#   docker build -t REGISTRY/podnetdiag-collect:TAG .
#   docker build --target full -t REGISTRY/podnetdiag-collect:TAG-full .
# The default image reads the kernel natively (netlink, IPVS, ethtool, sysctl,
# AF_PACKET); it has no iptables-save, nft, ipset or conntrack, so those items
# are recorded as skipped. The `full` target adds those commands.
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X github.com/podnetdiag/podnetdiag/internal/cli/collect.Version=${VERSION}" \
    -o /out/collect ./cmd/collect

FROM debian:bookworm-slim AS full
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables nftables ipset conntrack ipvsadm ethtool iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/collect /collect
ENTRYPOINT ["/collect"]

FROM gcr.io/distroless/static-debian12:nonroot AS static
COPY --from=build /out/collect /collect
# The pod spec runs it as root (runAsUser: 0): it reads the host's kernel state.
ENTRYPOINT ["/collect"]
