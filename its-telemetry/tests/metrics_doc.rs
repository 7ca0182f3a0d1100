//! `docs/METRICS.md` must be exactly what the catalog renders.

use std::path::Path;

#[test]
fn metrics_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/METRICS.md");
    let expected = its_telemetry::catalog::render_markdown();
    if std::env::var_os("ITS_TELEMETRY_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write docs/METRICS.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/METRICS.md is stale: regenerate it with \
         `ITS_TELEMETRY_BLESS=1 cargo test -p its-telemetry --test metrics_doc` and commit it"
    );
}
