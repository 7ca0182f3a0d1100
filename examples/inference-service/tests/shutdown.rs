//! Shutdown has a deadline: with batches stuck on the simulated GPU, SIGTERM ends the process
//! within `--shutdown-timeout-secs` (plus a margin), with a message on stderr and status 1; a
//! second signal ends it at once. The binary runs as a child process, as an operator runs it
//! (the deadline calls `std::process::exit`, which an in-process test cannot survive).

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The slowest a batch can be made (`--latency-spike-ms` at its bound): a batch started before
/// the signal runs at least this long after it, so an exit well before it is the deadline's.
const STUCK: Duration = Duration::from_secs(10);

/// Starts the service with every batch stuck for [`STUCK`] (and a batch timeout beyond it), one
/// GPU stream and a few cameras; returns once it has logged that it started, and a receiver of
/// its stderr lines.
fn start_stuck(shutdown_timeout_secs: u64) -> (Child, mpsc::Receiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-inference-service"));
    for (name, _) in std::env::vars_os() {
        let own = name.to_str().is_some_and(|n| {
            n.starts_with("ITS_EXAMPLE_") || n.starts_with("ITS_FAULT_") || n.starts_with("OTEL_")
        });
        if own {
            command.env_remove(name);
        }
    }
    let mut child = command
        .env("ITS_TELEMETRY_METRICS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .args([
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
            "--cameras",
            "4",
            "--cameras-per-gateway",
            "2",
            "--gpu-streams",
            "1",
            "--summary-seconds",
            "0",
            "--latency-spike-ms",
            "10000",
            "--batch-timeout-ms",
            "60000",
            "--shutdown-timeout-secs",
            &shutdown_timeout_secs.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start example-inference-service");
    // Logs go to stdout: wait for the start line, then keep draining so the child never blocks.
    let stdout = child.stdout.take().expect("stdout");
    let (started_tx, started) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("inference service started") {
                let _ = started_tx.send(());
            }
        }
    });
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        for line in text.lines() {
            let _ = lines_tx.send(line.to_owned());
        }
    });
    if started.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        let stderr: Vec<String> = lines.try_iter().collect();
        panic!("the service did not start: {stderr:?}");
    }
    // The simulator's first requests reach the GPU within a few ticks (200 ms each) and stay
    // there for STUCK.
    std::thread::sleep(Duration::from_millis(1500));
    (child, lines)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

/// Waits at most `limit` for the child; kills it after that. Returns its status and how long
/// it took, or `None` when it had to be killed.
fn wait_at_most(child: &mut Child, limit: Duration) -> (Option<ExitStatus>, Duration) {
    let since = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (Some(status), since.elapsed());
        }
        if since.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (None, since.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_text(lines: &mpsc::Receiver<String>) -> String {
    // The reader thread sends once the child's stderr closes, which is at its exit.
    let mut text = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) {
        text.push(line);
    }
    text.join("\n")
}

#[test]
fn sigterm_with_a_stuck_batch_exits_at_the_deadline_with_a_message() {
    let (mut child, lines) = start_stuck(1);
    signal(&child, "TERM");
    let (status, took) = wait_at_most(&mut child, Duration::from_secs(30));
    let stderr = stderr_text(&lines);
    let status = status.unwrap_or_else(|| panic!("still running after {took:?}:\n{stderr}"));
    // 1 s deadline; without it the stuck batches would hold the shutdown for 10 s or more.
    assert!(
        took < STUCK - Duration::from_secs(3),
        "took {took:?} to exit:\n{stderr}"
    );
    assert!(
        took >= Duration::from_millis(900),
        "took {took:?}:\n{stderr}"
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shutdown did not finish within 1 s"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_second_signal_exits_at_once() {
    let (mut child, lines) = start_stuck(60);
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    let since = Instant::now();
    signal(&child, "INT");
    let (status, _) = wait_at_most(&mut child, Duration::from_secs(30));
    let took = since.elapsed();
    let stderr = stderr_text(&lines);
    let status = status.unwrap_or_else(|| panic!("still running after {took:?}:\n{stderr}"));
    assert!(took < Duration::from_secs(5), "took {took:?}:\n{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("second signal"), "{stderr}");
}
