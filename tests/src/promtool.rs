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

/// What a promtool command said.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether it exited with 0.
    pub success: bool,
    /// Its stdout and stderr.
    pub output: String,
}

impl Outcome {
    /// Panics with promtool's output unless it succeeded.
    ///
    /// # Panics
    /// When promtool failed.
    pub fn assert_success(&self, what: &str) {
        assert!(self.success, "promtool {what} failed:\n{}", self.output);
    }
}

/// Runs `promtool <args…>` in `dir`.
///
/// # Panics
/// With [`INSTALL_HINT`] when promtool is not installed.
pub fn run(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> Outcome {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{INSTALL_HINT} ({e})"));
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Outcome {
        success: output.status.success(),
        output: text,
    }
}

fn in_dir_of(path: &std::path::Path, args: &[&str]) -> Outcome {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let file = path.file_name().unwrap_or(path.as_os_str());
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.push(file);
    run(dir, &all)
}

/// `promtool check rules <path>`.
///
/// # Panics
/// With [`INSTALL_HINT`] when promtool is not installed.
pub fn check_rules(path: &std::path::Path) -> Outcome {
    in_dir_of(path, &["check", "rules"])
}

/// `promtool check config <path>`; rule files are resolved next to the config.
///
/// # Panics
/// With [`INSTALL_HINT`] when promtool is not installed.
pub fn check_config(path: &std::path::Path) -> Outcome {
    in_dir_of(path, &["check", "config"])
}

/// `promtool test rules <path>`; the rule files it names are resolved next to it.
///
/// # Panics
/// With [`INSTALL_HINT`] when promtool is not installed.
pub fn test_rules(path: &std::path::Path) -> Outcome {
    in_dir_of(path, &["test", "rules"])
}
