//! Command-line flags and `ITS_EXAMPLE_*` / `ITS_FAULT_*` environment variables, parsed by clap
//! and validated into [`Options`]. A flag wins over its variable.

use std::ffi::OsString;
use std::fmt::Display;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

use crate::faults::{Faults, MAX_LATENCY_SPIKE_MS};

/// Everything the service can be told; telemetry itself is configured by the SDK's own
/// variables (`OTEL_*`, `ITS_TELEMETRY_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Address of the detection API.
    pub listen: SocketAddr,
    /// Address of the admin API (`/admin/faults`): loopback by default; any other address needs
    /// [`admin_token_file`](Self::admin_token_file).
    pub admin_listen: SocketAddr,
    /// A file holding the bearer token the admin API requires (`Authorization: Bearer …`);
    /// `None`: no token, which is only allowed on a loopback `admin_listen`.
    pub admin_token_file: Option<PathBuf>,
    /// Simulated cameras (0 turns the simulator off).
    pub cameras: usize,
    /// Frames per second per camera.
    pub fps: u32,
    /// Cameras per simulated edge gateway: each gateway sends one request per tick.
    pub cameras_per_gateway: usize,
    /// Most frames in one GPU batch.
    pub max_batch: usize,
    /// Longest a frame waits for its batch to fill.
    pub max_wait: Duration,
    /// Most frames one request may carry (more is 413).
    pub max_request_frames: usize,
    /// Batches running on the simulated GPU at once.
    pub gpu_streams: usize,
    /// Longest a batch may hold a GPU stream; beyond it the batch fails with `gpu_timeout`.
    pub batch_timeout: Duration,
    /// Detections in the drift monitor's sliding window.
    pub drift_window: usize,
    /// Stop after this long (`None`: until Ctrl-C or SIGTERM).
    pub duration: Option<Duration>,
    /// Seconds between summary lines on the terminal (0: none).
    pub summary_every: Duration,
    /// After Ctrl-C or SIGTERM, how long to drain before exiting anyway (with a message and a
    /// non-zero status). Read by `main.rs`.
    pub shutdown_timeout: Duration,
    /// Faults to inject from the start.
    pub faults: Faults,
}

/// The defaults, shared by [`Options::default`] and the help text.
mod defaults {
    use super::{Ipv4Addr, SocketAddr, SocketAddrV4};

    pub(super) const LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8080));
    pub(super) const ADMIN_LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8081));
    pub(super) const CAMERAS: usize = 1000;
    pub(super) const FPS: u32 = 5;
    pub(super) const CAMERAS_PER_GATEWAY: usize = 50;
    pub(super) const MAX_BATCH: usize = 32;
    pub(super) const MAX_WAIT_MS: u64 = 10;
    pub(super) const MAX_REQUEST_FRAMES: usize = 256;
    pub(super) const GPU_STREAMS: usize = 4;
    pub(super) const BATCH_TIMEOUT_MS: u64 = 5_000;
    pub(super) const SHUTDOWN_TIMEOUT_SECONDS: u64 = 10;
    pub(super) const DRIFT_WINDOW: usize = 2000;
    pub(super) const SUMMARY_SECONDS: u64 = 5;
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: defaults::LISTEN,
            admin_listen: defaults::ADMIN_LISTEN,
            admin_token_file: None,
            cameras: defaults::CAMERAS,
            fps: defaults::FPS,
            cameras_per_gateway: defaults::CAMERAS_PER_GATEWAY,
            max_batch: defaults::MAX_BATCH,
            max_wait: Duration::from_millis(defaults::MAX_WAIT_MS),
            max_request_frames: defaults::MAX_REQUEST_FRAMES,
            gpu_streams: defaults::GPU_STREAMS,
            batch_timeout: Duration::from_millis(defaults::BATCH_TIMEOUT_MS),
            drift_window: defaults::DRIFT_WINDOW,
            duration: None,
            summary_every: Duration::from_secs(defaults::SUMMARY_SECONDS),
            shutdown_timeout: Duration::from_secs(defaults::SHUTDOWN_TIMEOUT_SECONDS),
            faults: Faults::default(),
        }
    }
}

impl Options {
    /// Parses the process's arguments and environment; on `--help` prints the help and exits 0,
    /// on an invalid flag or variable prints what is wrong and exits 2.
    #[must_use]
    pub fn from_args() -> Self {
        Self::try_parse_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the first one is the program name) and the process's environment.
    ///
    /// # Errors
    /// A [`clap::Error`] naming the flag (and the variable, when the value came from one), or
    /// the help text for `--help` (kind [`ErrorKind::DisplayHelp`]).
    pub fn try_parse_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut command = Cli::command();
        command
            .try_get_matches_from_mut(&args)
            .and_then(|matches| Cli::from_arg_matches(&matches))
            .map(Self::from)
            .map_err(|e| name_the_variable(e.format(&mut command), &command, &args))
    }
}

const SCALE: &str = "Service and scale";
const ADMIN: &str = "Admin API (PUT /admin/faults) and shutdown";
const FAULT_KNOBS: &str = r#"Fault knobs (change them at run time with PUT /admin/faults on the admin address, e.g. {"error_rate": 0.2})"#;

/// The command line as clap sees it; [`Options`] is what the service uses.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "example-inference-service",
    about = "A miniature ITS detection service with a camera simulator",
    // `--camera-outage -0.1` is a bad value, not an unknown flag `-0`.
    allow_negative_numbers = true,
    after_help = "A flag wins over its environment variable. Telemetry is configured by the \
                  SDK's own variables (OTEL_*, ITS_TELEMETRY_*)."
)]
struct Cli {
    /// Detection API address
    #[arg(long, value_name = "ADDR", env = "ITS_EXAMPLE_LISTEN", help_heading = SCALE,
          default_value_t = defaults::LISTEN, value_parser = address)]
    listen: SocketAddr,
    /// Simulated cameras, 0 = none
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_CAMERAS", help_heading = SCALE,
          default_value_t = defaults::CAMERAS, value_parser = at_least(0_usize))]
    cameras: usize,
    /// Frames per second per camera
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_FPS", help_heading = SCALE,
          default_value_t = defaults::FPS, value_parser = at_least(1_u32))]
    fps: u32,
    /// Cameras per edge gateway request
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_CAMERAS_PER_GATEWAY", help_heading = SCALE,
          default_value_t = defaults::CAMERAS_PER_GATEWAY, value_parser = at_least(1_usize))]
    cameras_per_gateway: usize,
    /// Most frames per GPU batch
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_MAX_BATCH", help_heading = SCALE,
          default_value_t = defaults::MAX_BATCH, value_parser = at_least(1_usize))]
    max_batch: usize,
    /// Longest wait for a batch to fill, in milliseconds
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_MAX_WAIT_MS", help_heading = SCALE,
          default_value_t = defaults::MAX_WAIT_MS, value_parser = at_least(0_u64))]
    max_wait_ms: u64,
    /// Most frames per request, more is 413
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_MAX_REQUEST_FRAMES", help_heading = SCALE,
          default_value_t = defaults::MAX_REQUEST_FRAMES, value_parser = at_least(1_usize))]
    max_request_frames: usize,
    /// Batches on the simulated GPU at once
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_GPU_STREAMS", help_heading = SCALE,
          default_value_t = defaults::GPU_STREAMS, value_parser = at_least(1_usize))]
    gpu_streams: usize,
    /// Longest a batch holds a GPU stream, in milliseconds (then it fails: gpu_timeout)
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_BATCH_TIMEOUT_MS", help_heading = SCALE,
          default_value_t = defaults::BATCH_TIMEOUT_MS, value_parser = between(1_u64, 60_000))]
    batch_timeout_ms: u64,
    /// Detections in the drift window
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_DRIFT_WINDOW", help_heading = SCALE,
          default_value_t = defaults::DRIFT_WINDOW, value_parser = at_least(1_usize))]
    drift_window: usize,
    /// Stop after N seconds (unset: run until Ctrl-C or SIGTERM)
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_SECONDS", help_heading = SCALE,
          value_parser = at_least(1_u64))]
    seconds: Option<u64>,
    /// Seconds between summary lines, 0 = none
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_SUMMARY_SECONDS", help_heading = SCALE,
          default_value_t = defaults::SUMMARY_SECONDS, value_parser = at_least(0_u64))]
    summary_seconds: u64,

    /// Admin API address; not loopback needs --admin-token-file
    #[arg(long, value_name = "ADDR", env = "ITS_EXAMPLE_ADMIN_LISTEN", help_heading = ADMIN,
          default_value_t = defaults::ADMIN_LISTEN, value_parser = address)]
    admin_listen: SocketAddr,
    /// File with the bearer token the admin API requires (unset: no token, loopback only)
    #[arg(long, value_name = "FILE", env = "ITS_EXAMPLE_ADMIN_TOKEN_FILE", help_heading = ADMIN)]
    admin_token_file: Option<PathBuf>,
    /// After Ctrl-C or SIGTERM, exit anyway after N seconds (a second signal exits at once)
    #[arg(long, value_name = "N", env = "ITS_EXAMPLE_SHUTDOWN_TIMEOUT_SECS", help_heading = ADMIN,
          default_value_t = defaults::SHUTDOWN_TIMEOUT_SECONDS, value_parser = between(1_u64, 3600))]
    shutdown_timeout_secs: u64,

    /// Share of batches that fail, 0-1
    #[arg(long, value_name = "R", env = "ITS_FAULT_ERROR_RATE", help_heading = FAULT_KNOBS,
          default_value_t = 0.0, value_parser = ratio)]
    error_rate: f64,
    /// Extra model latency per batch, in milliseconds, 0-10000
    #[arg(long, value_name = "N", env = "ITS_FAULT_LATENCY_SPIKE_MS", help_heading = FAULT_KNOBS,
          default_value_t = 0, value_parser = between(0_u64, MAX_LATENCY_SPIKE_MS))]
    latency_spike_ms: u64,
    /// Share of cameras offline, 0-1
    #[arg(long, value_name = "R", env = "ITS_FAULT_CAMERA_OUTAGE", help_heading = FAULT_KNOBS,
          default_value_t = 0.0, value_parser = ratio)]
    camera_outage: f64,
    /// Drop in detection confidence, 0-1
    #[arg(long, value_name = "D", env = "ITS_FAULT_CONFIDENCE_DRIFT", help_heading = FAULT_KNOBS,
          default_value_t = 0.0, value_parser = ratio)]
    confidence_drift: f64,
    /// Incidents are acknowledged late and never resolved
    #[arg(long, env = "ITS_FAULT_INCIDENT_BACKLOG", help_heading = FAULT_KNOBS,
          action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    incident_backlog: bool,
    /// Data quality falls to 70 %
    #[arg(long, env = "ITS_FAULT_LOW_DATA_QUALITY", help_heading = FAULT_KNOBS,
          action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    low_data_quality: bool,
}

impl From<Cli> for Options {
    fn from(cli: Cli) -> Self {
        Self {
            listen: cli.listen,
            admin_listen: cli.admin_listen,
            admin_token_file: cli.admin_token_file,
            cameras: cli.cameras,
            fps: cli.fps,
            cameras_per_gateway: cli.cameras_per_gateway,
            max_batch: cli.max_batch,
            max_wait: Duration::from_millis(cli.max_wait_ms),
            max_request_frames: cli.max_request_frames,
            gpu_streams: cli.gpu_streams,
            batch_timeout: Duration::from_millis(cli.batch_timeout_ms),
            drift_window: cli.drift_window,
            duration: cli.seconds.map(Duration::from_secs),
            summary_every: Duration::from_secs(cli.summary_seconds),
            shutdown_timeout: Duration::from_secs(cli.shutdown_timeout_secs),
            faults: Faults {
                error_rate: cli.error_rate,
                latency_spike_ms: cli.latency_spike_ms,
                camera_outage: cli.camera_outage,
                confidence_drift: cli.confidence_drift,
                incident_backlog: cli.incident_backlog,
                low_data_quality: cli.low_data_quality,
            },
        }
    }
}

/// `--listen`: a numeric address and port.
fn address(value: &str) -> Result<SocketAddr, String> {
    value
        .trim()
        .parse()
        .map_err(|_| "expected IP:port, e.g. 0.0.0.0:8080 or [::1]:8080".to_owned())
}

/// A whole number of at least `min`.
fn at_least<T>(min: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
{
    move |value: &str| {
        let x: T = value
            .trim()
            .parse()
            .map_err(|_| "expected a whole number".to_owned())?;
        if x < min {
            return Err(format!("must be at least {min}"));
        }
        Ok(x)
    }
}

/// A whole number between `min` and `max`.
fn between<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + Display + Copy + Send + Sync + 'static,
{
    move |value: &str| {
        let x: T = value
            .trim()
            .parse()
            .map_err(|_| format!("expected a whole number from {min} to {max}"))?;
        if x < min || x > max {
            return Err(format!("must be between {min} and {max}"));
        }
        Ok(x)
    }
}

/// A share between 0 and 1.
fn ratio(value: &str) -> Result<f64, String> {
    let x: f64 = value
        .trim()
        .parse()
        .map_err(|_| "expected a number between 0 and 1".to_owned())?;
    if !(0.0..=1.0).contains(&x) {
        return Err("must be between 0 and 1".to_owned());
    }
    Ok(x)
}

/// clap names the flag when a value from an environment variable is invalid, not the variable
/// (clap-rs/clap#5202): add a tip naming the variable the value came from.
fn name_the_variable(
    mut error: clap::Error,
    command: &clap::Command,
    args: &[OsString],
) -> clap::Error {
    if !matches!(
        error.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return error;
    }
    // "--error-rate <R>"
    let Some(ContextValue::String(invalid)) = error.get(ContextKind::InvalidArg) else {
        return error;
    };
    let Some(long) = invalid
        .split_whitespace()
        .next()
        .and_then(|flag| flag.strip_prefix("--"))
    else {
        return error;
    };
    let Some(var) = command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .and_then(clap::Arg::get_env)
    else {
        return error;
    };
    let flag = format!("--{long}");
    let on_command_line = args.iter().skip(1).any(|arg| {
        arg.to_str().is_some_and(|arg| {
            arg == flag
                || arg
                    .strip_prefix(flag.as_str())
                    .is_some_and(|rest| rest.starts_with('='))
        })
    });
    if on_command_line || std::env::var_os(var).is_none() {
        return error;
    }
    let tip = format!(
        "the value comes from the environment variable {}",
        var.to_string_lossy()
    );
    error.insert(
        ContextKind::Suggested,
        ContextValue::StyledStrs(vec![tip.into()]),
    );
    error
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::Command;

    use super::*;

    /// Every flag, with the variable that stands in for it.
    const FLAGS: [(&str, &str); 21] = [
        ("--listen", "ITS_EXAMPLE_LISTEN"),
        ("--cameras", "ITS_EXAMPLE_CAMERAS"),
        ("--fps", "ITS_EXAMPLE_FPS"),
        ("--cameras-per-gateway", "ITS_EXAMPLE_CAMERAS_PER_GATEWAY"),
        ("--max-batch", "ITS_EXAMPLE_MAX_BATCH"),
        ("--max-wait-ms", "ITS_EXAMPLE_MAX_WAIT_MS"),
        ("--max-request-frames", "ITS_EXAMPLE_MAX_REQUEST_FRAMES"),
        ("--gpu-streams", "ITS_EXAMPLE_GPU_STREAMS"),
        ("--batch-timeout-ms", "ITS_EXAMPLE_BATCH_TIMEOUT_MS"),
        ("--drift-window", "ITS_EXAMPLE_DRIFT_WINDOW"),
        ("--seconds", "ITS_EXAMPLE_SECONDS"),
        ("--summary-seconds", "ITS_EXAMPLE_SUMMARY_SECONDS"),
        ("--admin-listen", "ITS_EXAMPLE_ADMIN_LISTEN"),
        ("--admin-token-file", "ITS_EXAMPLE_ADMIN_TOKEN_FILE"),
        (
            "--shutdown-timeout-secs",
            "ITS_EXAMPLE_SHUTDOWN_TIMEOUT_SECS",
        ),
        ("--error-rate", "ITS_FAULT_ERROR_RATE"),
        ("--latency-spike-ms", "ITS_FAULT_LATENCY_SPIKE_MS"),
        ("--camera-outage", "ITS_FAULT_CAMERA_OUTAGE"),
        ("--confidence-drift", "ITS_FAULT_CONFIDENCE_DRIFT"),
        ("--incident-backlog", "ITS_FAULT_INCIDENT_BACKLOG"),
        ("--low-data-quality", "ITS_FAULT_LOW_DATA_QUALITY"),
    ];

    /// Set in the child process: the arguments to parse, one per line.
    const CHILD_ARGS: &str = "EXAMPLE_INFERENCE_SERVICE_OPTIONS_CHILD_ARGS";

    /// clap reads the process's environment, and setting variables in-process needs `unsafe`
    /// (forbidden in this workspace) and races other tests: parse in a child copy of this test
    /// binary instead, with `vars` set and every `ITS_EXAMPLE_*` / `ITS_FAULT_*` variable of
    /// this process removed. Returns the `Debug` of the options, or `error: ` and clap's message.
    fn parse_in_child(args: &[&str], vars: &[(&str, &str)]) -> String {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new(exe);
        child.args([
            "options::tests::child_parse",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ]);
        for (name, _) in std::env::vars_os() {
            let inherited = name
                .to_str()
                .is_some_and(|n| n.starts_with("ITS_EXAMPLE_") || n.starts_with("ITS_FAULT_"));
            if inherited {
                child.env_remove(name);
            }
        }
        child.env(CHILD_ARGS, args.join("\n"));
        child.envs(vars.iter().copied());
        let output = child.output().expect("run the child test");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "child failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let start = stdout.find("<<<").expect("child outcome") + 3;
        let end = stdout.rfind(">>>").expect("child outcome end");
        stdout[start..end].to_owned()
    }

    /// Runs only inside [`parse_in_child`].
    #[test]
    fn child_parse() {
        let Some(args) = std::env::var_os(CHILD_ARGS) else {
            return;
        };
        let args = args.to_string_lossy().into_owned();
        let args = std::iter::once("example-inference-service")
            .chain(args.lines().filter(|a| !a.is_empty()));
        let outcome = match Options::try_parse_from(args) {
            Ok(options) => format!("{options:?}"),
            Err(e) => format!("error: {e}"),
        };
        writeln!(std::io::stdout(), "<<<{outcome}>>>").expect("write to stdout");
    }

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(
            std::iter::once("example-inference-service").chain(args.iter().copied()),
        )
    }

    #[test]
    fn command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_are_options_default() {
        assert_eq!(
            parse_in_child(&[], &[]),
            format!("{:?}", Options::default())
        );
    }

    #[test]
    fn every_variable_is_honoured() {
        let vars = [
            ("ITS_EXAMPLE_LISTEN", "127.0.0.1:9001"),
            ("ITS_EXAMPLE_CAMERAS", "7"),
            ("ITS_EXAMPLE_FPS", "11"),
            ("ITS_EXAMPLE_CAMERAS_PER_GATEWAY", "3"),
            ("ITS_EXAMPLE_MAX_BATCH", "8"),
            ("ITS_EXAMPLE_MAX_WAIT_MS", "25"),
            ("ITS_EXAMPLE_MAX_REQUEST_FRAMES", "64"),
            ("ITS_EXAMPLE_GPU_STREAMS", "2"),
            ("ITS_EXAMPLE_BATCH_TIMEOUT_MS", "750"),
            ("ITS_EXAMPLE_DRIFT_WINDOW", "500"),
            ("ITS_EXAMPLE_SECONDS", "30"),
            ("ITS_EXAMPLE_SUMMARY_SECONDS", "0"),
            ("ITS_EXAMPLE_ADMIN_LISTEN", "0.0.0.0:9002"),
            ("ITS_EXAMPLE_ADMIN_TOKEN_FILE", "/run/secrets/admin-token"),
            ("ITS_EXAMPLE_SHUTDOWN_TIMEOUT_SECS", "3"),
            ("ITS_FAULT_ERROR_RATE", "0.25"),
            ("ITS_FAULT_LATENCY_SPIKE_MS", "120"),
            ("ITS_FAULT_CAMERA_OUTAGE", "0.5"),
            ("ITS_FAULT_CONFIDENCE_DRIFT", "0.75"),
            ("ITS_FAULT_INCIDENT_BACKLOG", "true"),
            ("ITS_FAULT_LOW_DATA_QUALITY", "yes"),
        ];
        assert_eq!(
            vars.map(|(var, _)| var),
            FLAGS.map(|(_, var)| var),
            "one value per variable"
        );
        let expected = Options {
            listen: "127.0.0.1:9001".parse().expect("addr"),
            admin_listen: "0.0.0.0:9002".parse().expect("addr"),
            admin_token_file: Some("/run/secrets/admin-token".into()),
            cameras: 7,
            fps: 11,
            cameras_per_gateway: 3,
            max_batch: 8,
            max_wait: Duration::from_millis(25),
            max_request_frames: 64,
            gpu_streams: 2,
            batch_timeout: Duration::from_millis(750),
            drift_window: 500,
            duration: Some(Duration::from_secs(30)),
            summary_every: Duration::ZERO,
            shutdown_timeout: Duration::from_secs(3),
            faults: Faults {
                error_rate: 0.25,
                latency_spike_ms: 120,
                camera_outage: 0.5,
                confidence_drift: 0.75,
                incident_backlog: true,
                low_data_quality: true,
            },
        };
        // Every value differs from its default, so each variable is seen to be read.
        assert_eq!(parse_in_child(&[], &vars), format!("{expected:?}"));
    }

    #[test]
    fn flags_win_over_variables() {
        let options = parse_in_child(
            &[
                "--cameras",
                "20",
                "--error-rate",
                "0.5",
                "--incident-backlog",
            ],
            &[
                ("ITS_EXAMPLE_CAMERAS", "7"),
                ("ITS_FAULT_ERROR_RATE", "0.1"),
                ("ITS_FAULT_INCIDENT_BACKLOG", "false"),
                ("ITS_FAULT_LATENCY_SPIKE_MS", "120"),
            ],
        );
        let expected = Options {
            cameras: 20,
            faults: Faults {
                error_rate: 0.5,
                latency_spike_ms: 120,
                incident_backlog: true,
                ..Faults::default()
            },
            ..Options::default()
        };
        assert_eq!(options, format!("{expected:?}"));
    }

    #[test]
    fn switches_read_false_from_variables() {
        let options = parse_in_child(
            &[],
            &[
                ("ITS_FAULT_INCIDENT_BACKLOG", "off"),
                ("ITS_FAULT_LOW_DATA_QUALITY", "0"),
            ],
        );
        assert_eq!(options, format!("{:?}", Options::default()));
    }

    #[test]
    fn invalid_values_are_rejected_naming_the_flag() {
        for (args, flag, reason) in [
            (&["--fps", "0"][..], "--fps", "must be at least 1"),
            (&["--max-batch", "0"], "--max-batch", "must be at least 1"),
            (
                &["--cameras", "many"],
                "--cameras",
                "expected a whole number",
            ),
            (&["--error-rate", "1.5"], "--error-rate", "between 0 and 1"),
            (
                &["--camera-outage", "-0.1"],
                "--camera-outage",
                "between 0 and 1",
            ),
            (
                &["--confidence-drift", "NaN"],
                "--confidence-drift",
                "between 0 and 1",
            ),
            (&["--listen", "localhost"], "--listen", "expected IP:port"),
            (&["--seconds", "0"], "--seconds", "must be at least 1"),
            (
                &["--latency-spike-ms", "18446744073709551615"],
                "--latency-spike-ms",
                "between 0 and 10000",
            ),
            (
                &["--latency-spike-ms", "18446744073709551616"],
                "--latency-spike-ms",
                "from 0 to 10000",
            ),
            (
                &["--batch-timeout-ms", "0"],
                "--batch-timeout-ms",
                "between 1 and 60000",
            ),
            (
                &["--shutdown-timeout-secs", "0"],
                "--shutdown-timeout-secs",
                "between 1 and 3600",
            ),
            (
                &["--admin-listen", "localhost:8081"],
                "--admin-listen",
                "expected IP:port",
            ),
        ] {
            let error = parse(args).expect_err("invalid").to_string();
            assert!(error.contains(flag), "{args:?}: {error}");
            assert!(error.contains(reason), "{args:?}: {error}");
        }
        let error = parse(&["--bogus", "1"]).expect_err("unknown").to_string();
        assert!(error.contains("--bogus"), "{error}");
        let error = parse(&["--fps"]).expect_err("missing value").to_string();
        assert!(error.contains("--fps"), "{error}");
    }

    #[test]
    fn invalid_variables_are_rejected_naming_flag_and_variable() {
        let error = parse_in_child(&[], &[("ITS_FAULT_ERROR_RATE", "2")]);
        assert!(error.starts_with("error: "), "{error}");
        assert!(error.contains("--error-rate"), "{error}");
        assert!(error.contains("between 0 and 1"), "{error}");
        assert!(error.contains("ITS_FAULT_ERROR_RATE"), "{error}");
        let error = parse_in_child(&[], &[("ITS_FAULT_LOW_DATA_QUALITY", "maybe")]);
        assert!(error.contains("--low-data-quality"), "{error}");
        assert!(error.contains("ITS_FAULT_LOW_DATA_QUALITY"), "{error}");
        // The flag's own value is at fault: no tip about the variable.
        let error = parse_in_child(&["--fps=0"], &[("ITS_EXAMPLE_FPS", "3")]);
        assert!(error.contains("--fps"), "{error}");
        assert!(!error.contains("ITS_EXAMPLE_FPS"), "{error}");
    }

    #[test]
    fn help_mentions_every_flag_variable_and_group() {
        let help = Cli::command().render_help().to_string();
        for (flag, var) in FLAGS {
            assert!(help.contains(flag), "{flag} missing from help:\n{help}");
            assert!(help.contains(var), "{var} missing from help:\n{help}");
        }
        let scale = help.find(SCALE).expect("scale heading");
        assert!(help.contains(ADMIN), "admin heading missing:\n{help}");
        let faults = help.find(FAULT_KNOBS).expect("fault heading");
        assert!(scale < help.find("--max-batch").expect("flag"));
        assert!(help.find("--summary-seconds").expect("flag") < faults);
        assert!(faults < help.find("--error-rate").expect("flag"));
        for default in [
            "0.0.0.0:8080",
            "127.0.0.1:8081",
            "1000",
            "2000",
            "until Ctrl-C",
        ] {
            assert!(
                help.contains(default),
                "{default} missing from help:\n{help}"
            );
        }
        // No flag is left out of FLAGS.
        let flags = Cli::command()
            .get_arguments()
            .filter_map(clap::Arg::get_long)
            .filter(|long| *long != "help")
            .count();
        assert_eq!(flags, FLAGS.len());
    }

    #[test]
    fn help_is_a_help_error() {
        let error = parse(&["--help"]).expect_err("help");
        assert_eq!(error.kind(), ErrorKind::DisplayHelp);
    }
}
