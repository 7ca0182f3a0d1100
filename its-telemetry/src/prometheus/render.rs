//! The Prometheus text exposition format (version 0.0.4), written by hand into one buffer:
//! label blocks were rendered at registration, so a scrape formats numbers and copies text.

use std::fmt::Write as _;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use super::registry::{Registry, Value};

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
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('\n');
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

/// Writes every family of `registry` into `out`, sorted by name.
pub(crate) fn exposition(registry: &Registry, out: &mut String) {
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
        if let Some(text) = help.get(name) {
            push_help(out, name, text);
        }
        out.push_str("# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(family.kind.as_str());
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
