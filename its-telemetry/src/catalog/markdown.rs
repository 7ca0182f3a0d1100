//! Renders the catalog as `docs/METRICS.md`.

use std::fmt::Write as _;

use super::{Domain, MetricKind};

/// The reference page for every metric, grouped by domain. `docs/METRICS.md` is this text;
/// a test fails when the committed file differs.
#[must_use]
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Metrics reference\n\n\
         Generated from the catalog (`its-telemetry/src/catalog/`) by \
         `ITS_TELEMETRY_BLESS=1 cargo test -p its-telemetry --test metrics_doc`; do not edit by hand.\n\n\
         Every series also carries the global labels `service` and `environment`.\n",
    );
    for domain in Domain::ALL {
        let _ = write!(
            out,
            "\n## {}\n\n| name | type | unit | labels | help |\n|---|---|---|---|---|\n",
            domain.title()
        );
        for m in domain.metrics() {
            let labels = if m.labels.is_empty() {
                "—".to_owned()
            } else {
                m.labels
                    .iter()
                    .map(|l| format!("`{l}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                m.name,
                m.kind.as_str(),
                m.unit.as_str(),
                labels,
                m.help
            );
        }
        let histograms: Vec<_> = domain
            .metrics()
            .iter()
            .filter(|m| m.kind == MetricKind::Histogram)
            .collect();
        if !histograms.is_empty() {
            out.push_str("\nBuckets (upper bounds):\n\n");
            for m in histograms {
                let bounds: Vec<String> = m.buckets.iter().map(f64::to_string).collect();
                let _ = writeln!(out, "- `{}`: {}", m.name, bounds.join(", "));
            }
        }
    }
    out
}
