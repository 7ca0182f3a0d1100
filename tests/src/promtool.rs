//! Runs the real `promtool` from Debian's `prometheus` package.

use std::io::Write;
use std::process::{Command, Stdio};

/// How to get promtool, for the failure message.
pub const INSTALL_HINT: &str = "promtool not found: install it with \
     `apt-get update && apt-get install -y --no-install-recommends prometheus` \
     (.ci/run does this), or put promtool on PATH";

/// `promtool check metrics` on an exposition; returns its findings (empty when clean).
///
/// # Panics
/// With [`INSTALL_HINT`] when promtool is not installed.
pub fn check_metrics(exposition: &str) -> String {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{INSTALL_HINT} ({e})"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool ran");
    let mut findings = String::from_utf8_lossy(&output.stdout).into_owned();
    findings.push_str(&String::from_utf8_lossy(&output.stderr));
    if !output.status.success() && findings.trim().is_empty() {
        findings = format!("promtool exited with {}", output.status);
    }
    findings
}
