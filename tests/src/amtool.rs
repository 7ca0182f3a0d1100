//! Runs the real `amtool` from Debian's `prometheus-alertmanager` package.

use std::path::Path;
use std::process::{Command, Output};

/// How to get amtool, for the failure message.
pub const INSTALL_HINT: &str = "amtool not found: install it with \
     `apt-get update && apt-get install -y --no-install-recommends prometheus-alertmanager` \
     (scripts/test.sh does this), or put amtool on PATH";

fn run(args: &[&str]) -> Output {
    Command::new("amtool")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{INSTALL_HINT} ({e})"))
}

fn text(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

/// `amtool check-config` on a configuration file.
///
/// # Errors
/// amtool's report when it rejects the file.
///
/// # Panics
/// With [`INSTALL_HINT`] when amtool is not installed.
pub fn check_config(config: &Path) -> Result<String, String> {
    let config = config.to_string_lossy();
    let output = run(&["check-config", &config]);
    if output.status.success() {
        Ok(text(&output))
    } else {
        Err(format!(
            "amtool exited with {}: {}",
            output.status,
            text(&output)
        ))
    }
}

/// `amtool config routes test`: the receivers an alert with `labels` reaches, in routing-tree
/// order. Values are passed as `name=value` and must not contain spaces or quotes.
///
/// amtool matches labels only: it does not evaluate `active_time_intervals` or
/// `mute_time_intervals`, so a business-hours route and its after-hours sibling both appear.
///
/// # Errors
/// amtool's report when it fails (bad config or labels).
///
/// # Panics
/// With [`INSTALL_HINT`] when amtool is not installed.
pub fn routes_test(config: &Path, labels: &[(&str, &str)]) -> Result<Vec<String>, String> {
    let mut args = vec![
        "config".to_owned(),
        "routes".to_owned(),
        "test".to_owned(),
        format!("--config.file={}", config.to_string_lossy()),
    ];
    args.extend(labels.iter().map(|(name, value)| format!("{name}={value}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(&args);
    if !output.status.success() {
        return Err(format!(
            "amtool exited with {}: {}",
            output.status,
            text(&output)
        ));
    }
    // stdout is one line, `receiver-a,receiver-b`; stderr carries a warning about --config.file.
    Ok(String::from_utf8_lossy(&output.stdout)
        .trim()
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect())
}
