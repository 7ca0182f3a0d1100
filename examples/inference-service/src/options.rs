//! Command-line flags and `ITS_EXAMPLE_*` environment variables, validated into [`Options`].

use std::net::SocketAddr;
use std::time::Duration;

use crate::faults::Faults;

/// Everything the service can be told; telemetry itself is configured by the SDK's own
/// variables (`OTEL_*`, `ITS_TELEMETRY_*`).
#[derive(Debug, Clone)]
pub struct Options {
    /// Address of the detection API.
    pub listen: SocketAddr,
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
    /// Detections in the drift monitor's sliding window.
    pub drift_window: usize,
    /// Stop after this long (`None`: until Ctrl-C or SIGTERM).
    pub duration: Option<Duration>,
    /// Seconds between summary lines on the terminal (0: none).
    pub summary_every: Duration,
    /// Faults to inject from the start.
    pub faults: Faults,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            cameras: 1000,
            fps: 5,
            cameras_per_gateway: 50,
            max_batch: 32,
            max_wait: Duration::from_millis(10),
            max_request_frames: 256,
            gpu_streams: 4,
            drift_window: 2000,
            duration: None,
            summary_every: Duration::from_secs(5),
            faults: Faults::default(),
        }
    }
}

/// A flag or variable that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid {name} = {value:?}: {reason}")]
pub struct OptionError {
    name: String,
    value: String,
    reason: String,
}

fn invalid(name: &str, value: &str, reason: &str) -> OptionError {
    OptionError {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Usage text for `--help`.
pub const USAGE: &str = "\
example-inference-service: a miniature ITS detection service with a camera simulator

Flags (environment variable in brackets):
  --listen ADDR              detection API address [ITS_EXAMPLE_LISTEN] (0.0.0.0:8080)
  --cameras N                simulated cameras, 0 = none [ITS_EXAMPLE_CAMERAS] (1000)
  --fps N                    frames per second per camera [ITS_EXAMPLE_FPS] (5)
  --cameras-per-gateway N    cameras per edge gateway request [ITS_EXAMPLE_CAMERAS_PER_GATEWAY] (50)
  --max-batch N              most frames per GPU batch [ITS_EXAMPLE_MAX_BATCH] (32)
  --max-wait-ms N            longest wait for a batch to fill [ITS_EXAMPLE_MAX_WAIT_MS] (10)
  --max-request-frames N     most frames per request, more is 413 [ITS_EXAMPLE_MAX_REQUEST_FRAMES] (256)
  --gpu-streams N            batches on the simulated GPU at once [ITS_EXAMPLE_GPU_STREAMS] (4)
  --drift-window N           detections in the drift window [ITS_EXAMPLE_DRIFT_WINDOW] (2000)
  --seconds N                stop after N seconds [ITS_EXAMPLE_SECONDS] (run until Ctrl-C)
  --summary-seconds N        seconds between summary lines, 0 = none [ITS_EXAMPLE_SUMMARY_SECONDS] (5)
Fault knobs (also changeable at run time: PUT /admin/faults with the same names in JSON):
  --error-rate R             share of batches that fail, 0-1 [ITS_FAULT_ERROR_RATE]
  --latency-spike-ms N       extra model latency per batch [ITS_FAULT_LATENCY_SPIKE_MS]
  --camera-outage R          share of cameras offline, 0-1 [ITS_FAULT_CAMERA_OUTAGE]
  --confidence-drift D       drop in detection confidence, 0-1 [ITS_FAULT_CONFIDENCE_DRIFT]
  --incident-backlog         incidents are acknowledged late and never resolved [ITS_FAULT_INCIDENT_BACKLOG]
  --low-data-quality         data quality falls to 70 % [ITS_FAULT_LOW_DATA_QUALITY]
";

/// What `parse` found: run with options, or print the usage.
#[derive(Debug)]
pub enum Command {
    /// Run the service.
    Run(Box<Options>),
    /// `--help`.
    Help,
}

/// Reads flags, then environment variables for what the flags left unset.
///
/// # Errors
/// An [`OptionError`] naming the flag or variable and the value.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, OptionError> {
    let mut flags: Vec<(String, Option<String>)> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--incident-backlog" | "--low-data-quality" => flags.push((arg, None)),
            flag if flag.starts_with("--") => {
                let value = args
                    .next()
                    .ok_or_else(|| invalid(flag, "", "needs a value"))?;
                flags.push((arg, Some(value)));
            }
            other => return Err(invalid("argument", other, "unexpected; try --help")),
        }
    }
    let lookup = |flag: &str, var: &str| -> Option<(String, String)> {
        flags
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .map(|(f, v)| (f.clone(), v.clone().unwrap_or_else(|| "true".into())))
            .or_else(|| env(var).map(|v| (var.to_owned(), v)))
    };
    let known = [
        "--listen",
        "--cameras",
        "--fps",
        "--cameras-per-gateway",
        "--max-batch",
        "--max-wait-ms",
        "--max-request-frames",
        "--gpu-streams",
        "--drift-window",
        "--seconds",
        "--summary-seconds",
        "--error-rate",
        "--latency-spike-ms",
        "--camera-outage",
        "--confidence-drift",
        "--incident-backlog",
        "--low-data-quality",
    ];
    if let Some((flag, _)) = flags.iter().find(|(f, _)| !known.contains(&f.as_str())) {
        return Err(invalid(flag, "", "unknown flag; try --help"));
    }

    let mut o = Options::default();
    if let Some((n, v)) = lookup("--listen", "ITS_EXAMPLE_LISTEN") {
        o.listen = v
            .parse()
            .map_err(|_| invalid(&n, &v, "expected host:port"))?;
    }
    let number = |flag: &str, var: &str, min: u64| -> Result<Option<u64>, OptionError> {
        lookup(flag, var)
            .map(|(n, v)| {
                let x: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| invalid(&n, &v, "expected a whole number"))?;
                if x < min {
                    return Err(invalid(&n, &v, &format!("must be at least {min}")));
                }
                Ok(x)
            })
            .transpose()
    };
    let size = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
    if let Some(x) = number("--cameras", "ITS_EXAMPLE_CAMERAS", 0)? {
        o.cameras = size(x);
    }
    if let Some(x) = number("--fps", "ITS_EXAMPLE_FPS", 1)? {
        o.fps = u32::try_from(x).unwrap_or(u32::MAX);
    }
    if let Some(x) = number(
        "--cameras-per-gateway",
        "ITS_EXAMPLE_CAMERAS_PER_GATEWAY",
        1,
    )? {
        o.cameras_per_gateway = size(x);
    }
    if let Some(x) = number("--max-batch", "ITS_EXAMPLE_MAX_BATCH", 1)? {
        o.max_batch = size(x);
    }
    if let Some(x) = number("--max-wait-ms", "ITS_EXAMPLE_MAX_WAIT_MS", 0)? {
        o.max_wait = Duration::from_millis(x);
    }
    if let Some(x) = number("--max-request-frames", "ITS_EXAMPLE_MAX_REQUEST_FRAMES", 1)? {
        o.max_request_frames = size(x);
    }
    if let Some(x) = number("--gpu-streams", "ITS_EXAMPLE_GPU_STREAMS", 1)? {
        o.gpu_streams = size(x);
    }
    if let Some(x) = number("--drift-window", "ITS_EXAMPLE_DRIFT_WINDOW", 1)? {
        o.drift_window = size(x);
    }
    if let Some(x) = number("--seconds", "ITS_EXAMPLE_SECONDS", 1)? {
        o.duration = Some(Duration::from_secs(x));
    }
    if let Some(x) = number("--summary-seconds", "ITS_EXAMPLE_SUMMARY_SECONDS", 0)? {
        o.summary_every = Duration::from_secs(x);
    }
    let ratio = |flag: &str, var: &str| -> Result<Option<f64>, OptionError> {
        lookup(flag, var)
            .map(|(n, v)| {
                let x: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| invalid(&n, &v, "expected a number"))?;
                if !(0.0..=1.0).contains(&x) {
                    return Err(invalid(&n, &v, "must be between 0 and 1"));
                }
                Ok(x)
            })
            .transpose()
    };
    if let Some(x) = ratio("--error-rate", "ITS_FAULT_ERROR_RATE")? {
        o.faults.error_rate = x;
    }
    if let Some(x) = number("--latency-spike-ms", "ITS_FAULT_LATENCY_SPIKE_MS", 0)? {
        o.faults.latency_spike_ms = x;
    }
    if let Some(x) = ratio("--camera-outage", "ITS_FAULT_CAMERA_OUTAGE")? {
        o.faults.camera_outage = x;
    }
    if let Some(x) = ratio("--confidence-drift", "ITS_FAULT_CONFIDENCE_DRIFT")? {
        o.faults.confidence_drift = x;
    }
    let switch = |flag: &str, var: &str| -> Result<Option<bool>, OptionError> {
        lookup(flag, var)
            .map(|(n, v)| match v.trim() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(invalid(&n, &v, "expected true or false")),
            })
            .transpose()
    };
    if let Some(x) = switch("--incident-backlog", "ITS_FAULT_INCIDENT_BACKLOG")? {
        o.faults.incident_backlog = x;
    }
    if let Some(x) = switch("--low-data-quality", "ITS_FAULT_LOW_DATA_QUALITY")? {
        o.faults.low_data_quality = x;
    }
    Ok(Command::Run(Box::new(o)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Options, OptionError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        match parse(args.iter().map(|a| (*a).to_owned()), |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })? {
            Command::Run(o) => Ok(*o),
            Command::Help => panic!("unexpected help"),
        }
    }

    #[test]
    fn flags_win_over_environment() {
        let o = run(
            &[
                "--cameras",
                "20",
                "--error-rate",
                "0.5",
                "--incident-backlog",
            ],
            &[
                ("ITS_EXAMPLE_CAMERAS", "7"),
                ("ITS_FAULT_LATENCY_SPIKE_MS", "120"),
            ],
        )
        .expect("valid");
        assert_eq!(o.cameras, 20);
        assert!((o.faults.error_rate - 0.5).abs() < f64::EPSILON);
        assert_eq!(o.faults.latency_spike_ms, 120);
        assert!(o.faults.incident_backlog);
    }

    #[test]
    fn bad_values_name_the_flag_or_variable() {
        let e = run(&["--fps", "0"], &[]).expect_err("fps 0").to_string();
        assert!(e.contains("--fps"), "{e}");
        let e = run(&[], &[("ITS_FAULT_ERROR_RATE", "2")])
            .expect_err("rate")
            .to_string();
        assert!(e.contains("ITS_FAULT_ERROR_RATE"), "{e}");
        let e = run(&["--bogus", "1"], &[])
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("--bogus"), "{e}");
    }
}
