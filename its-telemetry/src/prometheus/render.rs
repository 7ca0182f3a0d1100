//! The Prometheus text exposition format (version 0.0.4) and OpenMetrics 1.0, written by hand
//! into one buffer: label blocks were rendered at registration, so a scrape formats numbers and
//! copies text.
//!
//! The two formats differ only where OpenMetrics requires it: a counter family is named without
//! its `_total` suffix (a counter whose name lacks the suffix is declared `unknown`, so the
//! series keeps its name in both formats), `# HELP` also escapes `"`, histogram buckets carry
//! their [exemplars](super::exemplar), and the exposition ends with `# EOF`.

use std::fmt::Write as _;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use super::Format;
use super::exemplar::Exemplar;
use super::registry::{Kind, Registry, Value};

/// Appends `name="value"` (with a leading comma unless `out` is empty), escaping the value as
/// the format requires: backslash, double quote and line feed.
pub fn push_label(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a sample value: integers as integers, `NaN`, `+Inf` and `-Inf` spelled as the format
/// spells them.
pub fn push_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        // `Display` for f64 is the shortest text that round-trips, never in exponent form.
        let _ = write!(out, "{value}");
    }
}

/// Appends a `# HELP` line, escaping backslash and line feed.
pub fn push_help(out: &mut String, name: &str, help: &str) {
    push_help_as(out, name, help, Format::Text);
}

/// [`push_help`] for `format`: OpenMetrics also escapes the double quote.
fn push_help_as(out: &mut String, name: &str, help: &str, format: Format) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if format == Format::OpenMetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('\n');
}

/// The family name and type written in `# TYPE` (and `# HELP`) for a metric `name` of `kind`.
fn family_of(name: &str, kind: Kind, format: Format) -> (&str, &'static str) {
    match (format, kind) {
        (Format::OpenMetrics, Kind::Counter) => match name.strip_suffix("_total") {
            Some(family) if !family.is_empty() => (family, "counter"),
            // OpenMetrics would expose a suffix-less counter as `name_total`: renamed series.
            _ => (name, "unknown"),
        },
        _ => (name, kind.as_str()),
    }
}

/// ` # {trace_id="…"} value timestamp` after a bucket's count.
fn push_exemplar(out: &mut String, exemplar: &Exemplar) {
    let _ = write!(
        out,
        " # {{{}=\"{:032x}\"}} ",
        super::exemplar::TRACE_ID_LABEL,
        exemplar.trace_id
    );
    push_value(out, exemplar.value);
    let _ = write!(out, " {:.3}", exemplar.timestamp);
}

/// `name{labels} ` — the start of a sample line.
fn push_series(out: &mut String, name: &str, suffix: &str, labels: &str, le: Option<&str>) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        out.push_str(labels);
        if let Some(le) = le {
            if !labels.is_empty() {
                out.push(',');
            }
            out.push_str("le=\"");
            out.push_str(le);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
}

/// Writes every family of `registry` into `out` in `format`, sorted by name.
pub(crate) fn exposition(registry: &Registry, out: &mut String, format: Format) {
    let help = registry.help.read().unwrap_or_else(PoisonError::into_inner);
    let families = registry
        .families
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let mut bound_text = String::new();
    let mut itoa = itoa::Buffer::new();
    for (name, family) in families.iter() {
        if family.series.is_empty() {
            continue;
        }
        let (family_name, kind) = family_of(name, family.kind, format);
        if let Some(text) = help.get(name) {
            push_help_as(out, family_name, text, format);
        }
        out.push_str("# TYPE ");
        out.push_str(family_name);
        out.push(' ');
        out.push_str(kind);
        out.push('\n');
        for series in &family.series {
            match &series.value {
                Value::Counter(v) => {
                    push_series(out, name, "", &series.labels, None);
                    out.push_str(itoa.format(v.load(Ordering::Relaxed)));
                    out.push('\n');
                }
                Value::Gauge(v) => {
                    push_series(out, name, "", &series.labels, None);
                    push_value(out, f64::from_bits(v.load(Ordering::Relaxed)));
                    out.push('\n');
                }
                Value::Histogram(h) => {
                    let mut cumulative = 0_u64;
                    for (i, count) in h.counts.iter().enumerate() {
                        cumulative += count.load(Ordering::Relaxed);
                        bound_text.clear();
                        match h.bounds.get(i) {
                            Some(&bound) => push_value(&mut bound_text, bound),
                            None => bound_text.push_str("+Inf"),
                        }
                        push_series(out, name, "_bucket", &series.labels, Some(&bound_text));
                        out.push_str(itoa.format(cumulative));
                        if format == Format::OpenMetrics
                            && let Some(exemplar) = h.exemplars.get(i)
                        {
                            push_exemplar(out, &exemplar);
                        }
                        out.push('\n');
                    }
                    push_series(out, name, "_sum", &series.labels, None);
                    push_value(out, f64::from_bits(h.sum.load(Ordering::Relaxed)));
                    out.push('\n');
                    push_series(out, name, "_count", &series.labels, None);
                    out.push_str(itoa.format(cumulative));
                    out.push('\n');
                }
            }
        }
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_labels_are_escaped_as_the_format_says() {
        let mut out = String::new();
        push_label(&mut out, "a", "x\\y\"z\nw");
        push_label(&mut out, "b", "plain");
        assert_eq!(out, r#"a="x\\y\"z\nw",b="plain""#);
        let mut v = String::new();
        for x in [
            1.0,
            0.005,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -2.5,
            1e21,
        ] {
            push_value(&mut v, x);
            v.push(' ');
        }
        assert_eq!(v, "1 0.005 NaN +Inf -Inf -2.5 1000000000000000000000 ");
        let mut h = String::new();
        push_help(&mut h, "m", "a\\b\nc");
        assert_eq!(h, "# HELP m a\\\\b\\nc\n");
    }
}
