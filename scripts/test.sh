#!/usr/bin/env bash
# Runs every check of the project on a fresh machine: installs promtool (Debian's `prometheus`)
# when it is missing, then formatting, lints, all tests and the docs build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> installing promtool (Debian package prometheus)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      prometheus prometheus-alertmanager >/dev/null
  else
    echo "promtool is missing: run 'sudo apt-get install -y prometheus prometheus-alertmanager' first" >&2
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
