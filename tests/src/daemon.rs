//! Real daemons (Prometheus, Alertmanager) as children of a test: a scratch directory, a free
//! loopback port, a guard that kills the process on every path (panics included), readiness
//! polling, and a tolerant HTTP/1.0 GET for their APIs.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>-<nanos>`.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback address with a port nobody listened on a moment ago (bind `127.0.0.1:0`, read
/// the port, close): for daemons that take their listen address on the command line.
///
/// # Panics
/// When loopback cannot be bound at all.
pub fn free_loopback_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
}

/// Status code and body of a response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

/// `GET path_and_query` from `addr` over HTTP/1.0; errors instead of panicking, so it can poll
/// a daemon that is still starting.
///
/// # Errors
/// When the server cannot be reached or does not answer HTTP.
pub fn http_get(addr: SocketAddr, path_and_query: &str) -> Result<HttpResponse, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n"
    )
    .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP response from {addr}: {raw:?}"))?;
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line from {addr}: {head:?}"))?;
    Ok(HttpResponse {
        status,
        body: body.to_owned(),
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for query parameters.
#[must_use]
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A running child process, killed and reaped when dropped; its stdout and stderr go to a log
/// file whose tail failure messages quote.
#[derive(Debug)]
pub struct Daemon {
    name: String,
    child: Child,
    log: PathBuf,
    addr: SocketAddr,
}

impl Daemon {
    /// Starts `program args…` with output appended to `log`; `addr` is where it will listen.
    ///
    /// # Panics
    /// With `install_hint` when the program is not installed, or when the log file cannot be
    /// created.
    pub fn spawn(
        name: &str,
        program: &str,
        args: &[String],
        log: PathBuf,
        addr: SocketAddr,
        install_hint: &str,
    ) -> Self {
        let mut command = Command::new(program);
        command.args(args);
        Self::spawn_command(name, command, log, addr, install_hint)
    }

    /// Like [`spawn`](Self::spawn), for a command the caller prepared (environment, working
    /// directory); its stdin, stdout and stderr are set here.
    ///
    /// # Panics
    /// As [`spawn`](Self::spawn).
    pub fn spawn_command(
        name: &str,
        mut command: Command,
        log: PathBuf,
        addr: SocketAddr,
        install_hint: &str,
    ) -> Self {
        let out = std::fs::File::create(&log).expect("create daemon log");
        let err = out.try_clone().expect("clone daemon log handle");
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{install_hint} ({program}: {e})"));
        Self {
            name: name.to_owned(),
            child,
            log,
            addr,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The last `lines` lines of its output.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Polls `GET path` until it answers 200.
    ///
    /// # Panics
    /// When the process exits first or `timeout` passes, with the tail of its log.
    pub fn wait_ready(&mut self, path: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status} before it was ready; its log:\n{}",
                    self.name,
                    self.log_tail(40)
                );
            }
            match http_get(self.addr, path) {
                Ok(r) if r.status == 200 => return,
                _ if Instant::now() >= deadline => panic!(
                    "{} not ready on {} after {timeout:?}; its log:\n{}",
                    self.name,
                    self.addr,
                    self.log_tail(40)
                ),
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
