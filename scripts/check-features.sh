#!/usr/bin/env bash
# Builds its-telemetry with no features, with each feature on its own, and with all of them:
# clippy with warnings denied and the docs with warnings denied, so every combination a user
# can pick compiles cleanly. (A loop rather than cargo-hack: nothing to install.)
set -euo pipefail
cd "$(dirname "$0")/.."

features=$(sed -n '/^\[features\]/,/^\[/p' its-telemetry/Cargo.toml | grep -oE '^[a-z0-9-]+ =' | cut -d' ' -f1 | grep -v '^default$')
for f in "" $features; do
  echo "==> its-telemetry --no-default-features ${f:+--features $f}"
  cargo clippy -q -p its-telemetry --no-default-features ${f:+--features "$f"} --lib --tests -- -D warnings
  RUSTDOCFLAGS=-Dwarnings cargo doc -q -p its-telemetry --no-deps --no-default-features ${f:+--features "$f"}
done
