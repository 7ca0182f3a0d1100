//! `its-monitoring check`: the real Prometheus tools over a generated monitoring directory.
//!
//! - `promtool check rules` on every rule file the generator writes (`prometheus::RULE_FILES`);
//! - `promtool test rules` on every `prometheus/tests/*.test.yaml` suite (and a failure for
//!   each suite the generator writes that is missing);
//! - `promtool check config` on `prometheus/prometheus-production.yml`. It can be checked on its
//!   own: its `rule_files` are relative to it and are checked again as part of the config, and
//!   its scrape targets and Alertmanager are only host names, which promtool does not resolve;
//! - `amtool check-config` on `alertmanager/alertmanager.yml` when that file exists (it is
//!   written by hand, not generated).
//!
//! Each runs in the directory of its file, as the tests of this repository do, so relative
//! paths inside the files resolve as Prometheus would resolve them. A tool that is not on `PATH`
//! is an error (exit 2) saying how to install it, never a skipped check.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use its_telemetry_monitoring::prometheus::RULE_FILES;
use its_telemetry_monitoring::{default_slos, generate};

use crate::FAILED;

const PROMTOOL_INSTALL: &str = "install it with `apt-get install prometheus` (Debian/Ubuntu), \
     or put promtool from the Prometheus release tarball (https://prometheus.io/download/) on PATH";
const AMTOOL_INSTALL: &str = "install it with `apt-get install prometheus-alertmanager` \
     (Debian/Ubuntu), or put amtool from the Alertmanager release tarball \
     (https://prometheus.io/download/) on PATH";

/// One check: a tool, its arguments, the directory it runs in.
struct Step {
    program: PathBuf,
    args: Vec<String>,
    cwd: PathBuf,
    /// What to call it in the report (`promtool check rules prometheus/rules.yaml`).
    title: String,
}

/// Runs every check over `dir`; `Ok(1)` when one fails, `Err` when they cannot run.
pub(crate) fn run(dir: &Path) -> Result<ExitCode, String> {
    if !dir.is_dir() {
        return Err(format!(
            "{} is not a directory: write it first with `its-monitoring generate --out {}`",
            dir.display(),
            dir.display()
        ));
    }
    let prometheus = dir.join("prometheus");
    let alertmanager = dir.join("alertmanager").join("alertmanager.yml");
    let promtool = find_on_path("promtool")
        .ok_or_else(|| format!("promtool not found on PATH: {PROMTOOL_INSTALL}"))?;
    let amtool = if alertmanager.is_file() {
        Some(
            find_on_path("amtool")
                .ok_or_else(|| format!("amtool not found on PATH: {AMTOOL_INSTALL}"))?,
        )
    } else {
        None
    };

    let mut steps: Vec<Result<Step, String>> = Vec::new();
    let promtool_step = |args: &[&str], file: &Path| -> Result<Step, String> {
        if !file.is_file() {
            return Err(format!(
                "promtool {} {}: the file is missing",
                args.join(" "),
                file.display()
            ));
        }
        let name = file.file_name().unwrap_or(file.as_os_str());
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.push(name.to_string_lossy().into_owned());
        Ok(Step {
            program: promtool.clone(),
            args: all,
            cwd: file.parent().unwrap_or(dir).to_owned(),
            title: format!("promtool {} {}", args.join(" "), file.display()),
        })
    };
    for f in RULE_FILES {
        steps.push(promtool_step(&["check", "rules"], &prometheus.join(f)));
    }
    // Every suite there, and every suite the generator writes (a missing one is a failure).
    let mut suites = test_suites(&prometheus.join("tests"));
    for f in generate(&default_slos()) {
        let path = dir.join(&f.path);
        if f.path.ends_with(".test.yaml") && !suites.contains(&path) {
            suites.push(path);
        }
    }
    for suite in suites {
        steps.push(promtool_step(&["test", "rules"], &suite));
    }
    steps.push(promtool_step(
        &["check", "config"],
        &prometheus.join("prometheus-production.yml"),
    ));
    if let Some(amtool) = amtool {
        steps.push(Ok(Step {
            program: amtool,
            args: vec!["check-config".to_owned(), "alertmanager.yml".to_owned()],
            cwd: dir.join("alertmanager"),
            title: format!("amtool check-config {}", alertmanager.display()),
        }));
    }

    let mut out = std::io::stdout().lock();
    let (mut passed, mut failed) = (0, 0);
    for step in steps {
        // A closed stdout must not stop the checks: the exit code still tells.
        match step {
            Err(message) => {
                failed += 1;
                let _ = writeln!(out, "FAILED  {message}");
            }
            Ok(step) => {
                let output = Command::new(&step.program)
                    .args(&step.args)
                    .current_dir(&step.cwd)
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", step.program.display()))?;
                let ok = output.status.success();
                if ok {
                    passed += 1;
                } else {
                    failed += 1;
                }
                let _ = writeln!(
                    out,
                    "{}  {}",
                    if ok { "ok    " } else { "FAILED" },
                    step.title
                );
                let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stderr));
                if !ok && text.trim().is_empty() {
                    text = format!("exited with {}", output.status);
                }
                for line in text.trim_end().lines() {
                    if line.trim().is_empty() {
                        let _ = writeln!(out);
                    } else {
                        let _ = writeln!(out, "        {line}");
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "{passed} checks passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// `*.test.yaml` under `dir`, sorted; none when `dir` does not exist.
fn test_suites(dir: &Path) -> Vec<PathBuf> {
    let mut suites: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".test.yaml"))
                .collect()
        })
        .unwrap_or_default();
    suites.sort();
    suites
}

/// The first executable `program` in `PATH`'s directories (an empty entry is skipped, not
/// taken as the current directory).
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let file = format!("{program}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&path)
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(&file))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
