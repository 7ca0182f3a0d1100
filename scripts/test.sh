#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs promtool (Debian's `prometheus`)
# when it is missing, then formatting, lints, all tests and the docs build.
set -euo pipefail
cd "$(dirname "$0")/.."

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
echo "==> cargo test"
cargo test --workspace --all-features
echo "==> cargo doc"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --all-features
echo "==> all checks passed"
