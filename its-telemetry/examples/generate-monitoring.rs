//! Writes the generated monitoring files (Prometheus rules, SLO rules, the Prometheus
//! configuration and the promtool test suites) under a `monitoring/` directory.
//!
//! ```text
//! cargo run -p its-telemetry --example generate-monitoring -- monitoring/
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use its_telemetry::monitoring;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let dir = match (args.next(), args.next()) {
        (Some(dir), None) => PathBuf::from(dir),
        _ => {
            eprintln!("usage: generate-monitoring <monitoring-dir>   (e.g. monitoring/)");
            return ExitCode::from(2);
        }
    };
    match monitoring::write_all(&dir, &monitoring::default_slos()) {
        Ok(paths) => {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write under {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
