#!/usr/bin/env bash
# Packages the published crates (`cargo package` verifies each builds from its .crate alone),
# unpacks the .crate files, and builds and runs tests/consumer-crate — a service outside the
# workspace that gets its-telemetry from those packages — with default features and with
# `--no-default-features`: the crate's README quick start, then init errors inside tokio
# runtimes from outside the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "==> cargo package (macros, SDK, monitoring)"
# `cargo package` verifies the monitoring crate against the SDK's .crate through a local
# registry overlay, which it unpacks under $CARGO_HOME/registry/src/-<hash of this path>/.
# Cargo never re-unpacks a version already there, so a second run from the same path would
# verify against the SDK as it was packaged the first time (cargo 1.95). Remove those copies.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/its-telemetry-*
cargo package -q -p its-telemetry-macros -p its-telemetry -p its-telemetry-monitoring --allow-dirty

unpacked=target/consumer/unpacked
rm -rf "$unpacked" && mkdir -p "$unpacked"
for krate in its-telemetry-macros its-telemetry; do
  version=$(cargo metadata --no-deps --format-version 1 \
    | python3 -c "import json,sys; print([p['version'] for p in json.load(sys.stdin)['packages'] if p['name']=='$krate'][0])")
  tar -xzf "target/package/$krate-$version.crate" -C "$unpacked"
done

cd tests/consumer-crate
# The workspace's target directory: dependencies built for the tests are reused, not rebuilt.
export CARGO_TARGET_DIR="$root/target"
# The quick start serves /metrics on the address below instead of 0.0.0.0:9464.
export ITS_TELEMETRY_METRICS_LISTEN=127.0.0.1:0
for features in "" "--no-default-features"; do
  echo "==> consumer crate ${features:-(default features)}: README quick start"
  cargo run -q $features --bin its-telemetry-consumer
  echo "==> consumer crate ${features:-(default features)}: init errors inside tokio runtimes"
  cargo run -q $features --bin init-errors-in-tokio-main
done
