//! `its-monitoring`: writes the generated monitoring files (`generate`), tells whether a
//! directory is current (`generate --check`), and runs the real Prometheus tools over it
//! (`check`). See the crate README.
//!
//! Exit codes: 0 success; 1 stale files or a failed check; 2 the command could not run (bad
//! arguments, an invalid SLO file, I/O errors, promtool or amtool missing).

mod check;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use its_telemetry::sla::Slo;
use its_telemetry_monitoring::{Staleness, default_slos, slo_file, stale_files, write_all};

/// Exit code: stale files or a failed check.
const FAILED: u8 = 1;
/// Exit code: the command could not run.
const CANNOT_RUN: u8 = 2;

/// Prometheus rules, SLO burn-rate alerts, promtool unit tests and Grafana dashboards generated
/// from the its-telemetry metric catalog.
#[derive(Debug, Parser)]
#[command(name = "its-monitoring", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write every generated file under the monitoring directory, or with --check tell whether
    /// it is current.
    Generate {
        /// The monitoring directory (e.g. `monitoring/`); files go under `prometheus/`,
        /// `grafana/dashboards/` and `kubernetes/` in it.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// SLO declarations (YAML or TOML, by extension) instead of the built-in defaults.
        #[arg(long, value_name = "FILE")]
        slos: Option<PathBuf>,
        /// Write nothing; exit 1 listing the files that are missing or differ.
        #[arg(long)]
        check: bool,
    },
    /// Run `promtool check rules`, `promtool test rules`, `promtool check config` and `amtool
    /// check-config` over a generated monitoring directory.
    Check {
        /// The monitoring directory.
        #[arg(long, value_name = "DIR", default_value = "monitoring")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { out, slos, check } => generate(&out, slos.as_deref(), check),
        Command::Check { dir } => check::run(&dir),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(CANNOT_RUN)
        }
    }
}

fn load_slos(path: Option<&Path>) -> Result<Vec<Slo>, String> {
    match path {
        None => Ok(default_slos()),
        Some(path) => slo_file::load(path).map_err(|e| match e {
            slo_file::SloFileError::Read { .. } | slo_file::SloFileError::UnknownFormat { .. } => {
                e.to_string()
            }
            _ => format!("SLO file {}: {e}", path.display()),
        }),
    }
}

fn generate(out: &Path, slos_path: Option<&Path>, check: bool) -> Result<ExitCode, String> {
    let slos = load_slos(slos_path)?;
    if check {
        let stale = stale_files(out, &slos)
            .map_err(|e| format!("cannot read the files under {}: {e}", out.display()))?;
        if stale.is_empty() {
            eprintln!("{} is current", out.display());
            return Ok(ExitCode::SUCCESS);
        }
        let mut err = std::io::stderr().lock();
        // Nothing sensible to do when stderr is closed: the exit code still says it.
        let _ = writeln!(
            err,
            "{} generated file(s) under {} are not current:",
            stale.len(),
            out.display()
        );
        for f in &stale {
            let why = match f.staleness {
                Staleness::Missing => "missing",
                Staleness::Differs => "differs",
            };
            let _ = writeln!(err, "  {why}: {}", out.join(&f.path).display());
        }
        let _ = writeln!(
            err,
            "regenerate with `its-monitoring generate --out {}{}` and commit the result",
            out.display(),
            slos_path
                .map(|p| format!(" --slos {}", p.display()))
                .unwrap_or_default()
        );
        return Ok(ExitCode::from(FAILED));
    }
    let written =
        write_all(out, &slos).map_err(|e| format!("cannot write under {}: {e}", out.display()))?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
