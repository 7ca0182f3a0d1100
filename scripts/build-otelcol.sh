#!/usr/bin/env bash
# Builds the project's OpenTelemetry Collector (tools/otelcol) into target/otelcol/otelcol-its.
# The tests validate monitoring/opentelemetry/otel-collector.yaml with it. The build is skipped
# when the binary is newer than go.mod, go.sum and main.go. Needs Go (version per go.mod) and
# the Go module proxy the first time; later builds use the module and build caches.
set -euo pipefail
cd "$(dirname "$0")/.."

src=tools/otelcol
out=target/otelcol
bin=$out/otelcol-its

if [ -x "$bin" ] && [ "$bin" -nt "$src/go.mod" ] && [ "$bin" -nt "$src/go.sum" ] &&
  [ "$bin" -nt "$src/main.go" ]; then
  echo "build-otelcol: $bin is up to date"
  exit 0
fi

# `go 1.26.0` in go.mod -> 1.26.0
need=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' "$src/go.mod" | head -n1)
if ! command -v go >/dev/null 2>&1; then
  echo "build-otelcol: go not found: install Go >= $need from your distribution or go.dev" >&2
  exit 1
fi
# go1.26.8 -> 1.26.8; go1.27rc1 -> 1.27 (a release candidate counts as older than 1.27.0)
have=$(go env GOVERSION | sed 's/^go//; s/[^0-9.].*$//')
# true when dotted version $1 >= $2; missing parts count as -1 (1.26 < 1.26.0)
version_ge() {
  local -a a b
  IFS=. read -r -a a <<<"$1"
  IFS=. read -r -a b <<<"$2"
  for i in 0 1 2; do
    local x=${a[i]:--1} y=${b[i]:--1}
    if ((x != y)); then
      ((x > y))
      return
    fi
  done
}
if ! version_ge "$have" "$need"; then
  echo "build-otelcol: go $have is older than the go $need tools/otelcol/go.mod needs:" \
    "install Go >= $need from your distribution or go.dev" >&2
  exit 1
fi

mkdir -p "$out"
echo "build-otelcol: building $bin with go $have (first build downloads modules; minutes)"
start=$(date +%s)
# GOTOOLCHAIN=local: build with the Go installed here, never download another toolchain.
# -trimpath, -buildvcs=false: the binary records neither this machine's paths nor git state
# (no failure on a checkout git refuses to read); -s -w: no symbol tables.
(cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' \
  -o "../../$bin.tmp" .)
mv "$bin.tmp" "$bin"
echo "build-otelcol: built $bin in $(($(date +%s) - start)) s"
