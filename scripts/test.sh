#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs promtool (Debian's `prometheus`)
# when it is missing, builds the OpenTelemetry Collector from Go modules (needs Go >= the version
# tools/otelcol/go.mod names, and the Go module proxy), then formatting, lints for every feature
# combination, all tests, the packaged crates from a consumer crate, and the docs build.
set -euo pipefail
cd "$(dirname "$0")/.."
# Line tables only: backtraces keep file and line, and the target directory is less than half
# the size with full debug info (CI machines have limited, shared disk).
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"
export CARGO_PROFILE_TEST_DEBUG="${CARGO_PROFILE_TEST_DEBUG:-line-tables-only}"

# The end-to-end tests use real tools from Debian: promtool and prometheus (package
# prometheus), amtool and alertmanager (prometheus-alertmanager), docker-compose (config checks).
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "missing tools: run 'sudo apt-get install -y ${missing[*]}' first" >&2
    exit 1
  fi
fi

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
echo "==> every feature of its-telemetry on its own and none (clippy, docs)"
scripts/check-features.sh
echo "==> OpenTelemetry Collector (tools/otelcol; tests/tests/otel_collector_validate.rs runs it)"
scripts/build-otelcol.sh
(cd tools/otelcol && test -z "$(gofmt -l .)" && go vet .)
echo "==> cargo test"
cargo test --workspace --all-features
echo "==> its-telemetry tests with its default features, and with none"
cargo test -p its-telemetry
cargo test -p its-telemetry --no-default-features
echo "==> packaged crates, used from a crate outside the workspace"
scripts/consumer-check.sh
echo "==> cargo doc"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --all-features
echo "==> all checks passed"
