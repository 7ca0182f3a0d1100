//! Bounded hostile clients against the `/metrics` endpoint: idle sockets, slow-loris headers,
//! more connections than the cap, missing tokens, clients outside the allow-list, and a flood
//! of idle connections against a service whose file-descriptor limit is 256 (in a child
//! process, so the limit does not touch the test harness; `sh`'s `ulimit` makes the
//! setrlimit call, since the workspace forbids `unsafe` and so a direct libc call).
//!
//! Timeouts are the endpoint's behaviour, so they are asserted, with generous margins; nothing
//! here asserts how fast anything is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use its_telemetry::TelemetryConfig;
use its_telemetry::config::MetricsConfig;
use its_telemetry::prometheus::{self, MetricsEndpoint};
use its_telemetry_tests::scrape;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An endpoint on its own runtime (as the SDK runs it), on an ephemeral loopback port.
struct Server {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    fn start(config: &MetricsConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        let telemetry = TelemetryConfig::builder("hostile").build().expect("valid");
        let recorder = prometheus::build_recorder(&telemetry);
        metrics::with_local_recorder(&recorder, || {
            metrics::gauge!(its_telemetry::catalog::sdk::BUILD_INFO.name).set(1.0);
        });
        let endpoint = MetricsEndpoint::new(recorder.handle(), config).expect("valid endpoint");
        // A backlog of 1024, so 700 simultaneous connects are not delayed by SYN retries
        // before the endpoint even sees them.
        let _entered = runtime.enter();
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let listener = socket.listen(1024).expect("listen");
        let addr = listener.local_addr().expect("addr");
        runtime.spawn(endpoint.serve(listener, std::future::pending()));
        Self {
            addr,
            runtime: Some(runtime),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn config(header_read: Duration, idle: Duration, max_connections: usize) -> MetricsConfig {
    TelemetryConfig::builder("hostile")
        .metrics_timeouts(header_read, idle)
        .metrics_max_connections(max_connections)
        .build()
        .expect("valid")
        .metrics
}

/// Waits until the server closes `stream` (EOF or reset), at most `limit`; how long it took.
async fn closed_after(
    mut stream: TcpStream,
    started: Instant,
    limit: Duration,
) -> Option<Duration> {
    let mut buf = [0_u8; 1024];
    let read_to_close = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_to_close).await.ok()
}

/// Sends a request head one byte per `pace` and never finishes it; how long until the server
/// closed the connection.
async fn slow_loris(addr: SocketAddr, pace: Duration, limit: Duration) -> Option<Duration> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let (mut read, mut write) = stream.into_split();
    let head = b"GET /metrics HTTP/1.1\r\nHost: loris\r\nX-Padding: ".repeat(4);
    let drip = async {
        for byte in head.iter().cycle() {
            if write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(pace).await;
        }
        std::future::pending::<()>().await;
    };
    let closed = async {
        let mut buf = [0_u8; 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, async {
        tokio::select! {
            () = drip => unreachable!("the drip never ends"),
            elapsed = closed => elapsed,
        }
    })
    .await
    .ok()
}

async fn scrape_status(addr: SocketAddr) -> u16 {
    tokio::task::spawn_blocking(move || scrape::get(addr, "/metrics").status)
        .await
        .expect("scrape task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_loris_clients_are_closed_within_the_timeouts() {
    let header_read = Duration::from_millis(1500);
    let idle = Duration::from_secs(3);
    // A cap above the attack, so the timeouts alone must close every connection.
    let server = Server::start(&config(header_read, idle, 1000));
    let addr = server.addr;
    let limit = idle + Duration::from_secs(5);

    let mut idlers = Vec::new();
    for _ in 0..500 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let started = Instant::now();
        idlers.push(tokio::spawn(closed_after(stream, started, limit)));
    }
    let lorises: Vec<_> = (0..200)
        .map(|_| tokio::spawn(slow_loris(addr, Duration::from_secs(1), limit)))
        .collect();

    // In the middle of the attack a real scrape is answered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(scrape_status(addr).await, 200);

    for (kind, tasks) in [("idle", idlers), ("slow-loris", lorises)] {
        let mut closed = Vec::new();
        for task in tasks {
            closed.push(task.await.expect("client task"));
        }
        let open = closed.iter().filter(|c| c.is_none()).count();
        assert_eq!(
            open, 0,
            "{open} {kind} connections still open after {limit:?}"
        );
        let closed: Vec<Duration> = closed.into_iter().flatten().collect();
        let first = closed.iter().min().copied().unwrap_or_default();
        let last = closed.iter().max().copied().unwrap_or_default();
        // Closed by the header-read timeout (it runs from the moment the server waits for a
        // head, so it also covers sockets that send nothing), not before it and not much after.
        assert!(
            first >= header_read.mul_f64(0.9),
            "a {kind} connection was closed after {first:?}, before the timeout"
        );
        assert!(
            last <= header_read + Duration::from_secs(3),
            "a {kind} connection was held {last:?}"
        );
    }
    // And the endpoint still serves after the attack.
    assert_eq!(scrape_status(addr).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_timeout_closes_connections_on_which_nothing_moves() {
    let idle = Duration::from_secs(1);
    // A header-read timeout far away, so only the idle timeout can close these.
    let server = Server::start(&config(Duration::from_secs(60), idle, 1000));
    let limit = Duration::from_secs(10);
    let mut clients = Vec::new();
    for _ in 0..50 {
        let stream = TcpStream::connect(server.addr).await.expect("connect");
        clients.push(tokio::spawn(closed_after(stream, Instant::now(), limit)));
    }
    // A client that sends a partial head then stops is idle too.
    let mut partial = TcpStream::connect(server.addr).await.expect("connect");
    partial.write_all(b"GET /met").await.expect("write");
    clients.push(tokio::spawn(closed_after(partial, Instant::now(), limit)));
    for client in clients {
        let closed = client
            .await
            .expect("task")
            .expect("closed by the idle timeout");
        assert!(closed >= idle.mul_f64(0.9), "closed after {closed:?}");
        assert!(closed <= idle + Duration::from_secs(3), "held {closed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_idle_connections_make_room_and_a_scraper_gets_in() {
    let cap = 8;
    let server = Server::start(&config(
        Duration::from_secs(60),
        Duration::from_secs(60),
        cap,
    ));
    let mut streams = Vec::new();
    for _ in 0..50 {
        streams.push(TcpStream::connect(server.addr).await.expect("connect"));
        // One at a time, so which connections are the longest idle is well defined.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut open = Vec::new();
    for (i, stream) in streams.iter_mut().enumerate() {
        let mut buf = [0_u8; 16];
        match tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await {
            Err(_) => open.push(i),  // nothing to read: still held
            Ok(Ok(0) | Err(_)) => {} // closed by the server
            Ok(Ok(n)) => panic!("the server sent {n} bytes to an idle client"),
        }
    }
    assert_eq!(
        open,
        (50 - cap..50).collect::<Vec<_>>(),
        "expected the {cap} newest connections held"
    );
    // The cap is full of idle connections, and a scraper still gets an answer.
    assert_eq!(scrape_status(server.addr).await, 200);
}

/// Sends a GET with extra header lines; status and raw head of the answer (empty when the
/// server closed the connection without answering).
fn request(addr: SocketAddr, extra: &str) -> (u16, String) {
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // The server may already have closed (allow-list): a failed write shows as no answer.
    let _ = write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n"
    );
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        raw.split("\r\n\r\n").next().unwrap_or("").to_owned(),
    )
}

#[test]
fn bearer_token_missing_or_wrong_is_401_right_is_200() {
    let dir = std::env::temp_dir().join(format!("its-hostile-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let token_file = dir.join("token");
    // As a secret mount writes it: with a trailing newline.
    std::fs::write(&token_file, "scrape-secret-42\n").expect("write");
    let config = TelemetryConfig::builder("hostile")
        .metrics_bearer_token_file(&token_file)
        .build()
        .expect("valid")
        .metrics;
    let server = Server::start(&config);

    let (status, head) = request(server.addr, "");
    assert_eq!(status, 401, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{head}"
    );
    for wrong in [
        "Bearer scrape-secret-4",
        "Bearer scrape-secret-42x",
        "Basic c2NyYXBl",
    ] {
        let (status, head) = request(server.addr, &format!("Authorization: {wrong}\r\n"));
        assert_eq!(status, 401, "{wrong}: {head}");
    }
    let (status, head) = request(server.addr, "Authorization: Bearer scrape-secret-42\r\n");
    assert_eq!(status, 200, "{head}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clients_outside_the_allow_list_are_disconnected_unanswered() {
    let only_ten = TelemetryConfig::builder("hostile")
        .metrics_allow_networks(["10.0.0.0/8"])
        .build()
        .expect("valid")
        .metrics;
    let server = Server::start(&only_ten);
    let (status, head) = request(server.addr, "");
    assert_eq!((status, head.as_str()), (0, ""), "loopback was answered");

    let loopback = TelemetryConfig::builder("hostile")
        .metrics_allow_networks(["10.0.0.0/8", "127.0.0.0/8", "::1"])
        .build()
        .expect("valid")
        .metrics;
    let server = Server::start(&loopback);
    let (status, head) = request(server.addr, "");
    assert_eq!(status, 200, "{head}");
}

#[cfg(target_os = "linux")]
const CHILD_ENV: &str = "ITS_TELEMETRY_TEST_FD_CHILD";
#[cfg(target_os = "linux")]
const FD_LIMIT: usize = 256;

#[cfg(target_os = "linux")] // the child reads its limit from /proc
#[test]
fn under_a_256_fd_limit_a_flood_on_the_metrics_port_does_not_starve_the_application() {
    let exe = std::env::current_exe().expect("test binary");
    // `ulimit -n` is setrlimit(RLIMIT_NOFILE) on soft and hard limit; exec keeps the process.
    let mut child = Command::new("sh")
        .args(["-c", &format!("ulimit -n {FD_LIMIT} && exec \"$0\" \"$@\"")])
        .arg(exe)
        .args([
            "--exact",
            "fd_limited_service_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    // libtest prints the test's name on the same line, so READY is looked for anywhere in it;
    // read on a thread so a child that never gets ready fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Drains stdout to the end: a closed pipe would fail the child's own last lines.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("READY ") {
                let _ = tx.send(line[at..].to_owned());
            }
        }
    });
    let Ok(ready) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = child.kill();
        panic!("the child did not report its addresses");
    };
    let field = |name: &str| -> SocketAddr {
        ready
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {ready:?}"))
    };
    let (metrics_addr, app_addr) = (field("metrics"), field("app"));
    assert!(
        ready.contains(&format!("nofile={FD_LIMIT}")),
        "the child's limit is not in place: {ready}"
    );

    // More idle connections than the child has file descriptors: without a cap, the metrics
    // endpoint would take every one of them and the application could accept nothing.
    // A short connect timeout: without the cap, the child stops accepting and its backlog
    // fills, and the connects left over would otherwise stall the test.
    let flood: Vec<std::net::TcpStream> = (0..400)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(&metrics_addr, Duration::from_millis(200)).ok()
        })
        .collect();
    assert!(flood.len() > FD_LIMIT, "only {} connected", flood.len());
    std::thread::sleep(Duration::from_millis(500));

    for i in 0..20 {
        let mut app = std::net::TcpStream::connect_timeout(&app_addr, Duration::from_secs(5))
            .expect("connect to the application");
        app.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let ping = format!("ping {i}\n");
        app.write_all(ping.as_bytes()).expect("send");
        let mut echo = String::new();
        BufReader::new(&app)
            .read_line(&mut echo)
            .unwrap_or_else(|e| panic!("application did not answer request {i}: {e}"));
        assert_eq!(echo, ping, "application answer {i}");
    }
    assert_eq!(scrape::get(metrics_addr, "/metrics").status, 200);

    drop(flood);
    drop(child.stdin.take()); // the child's cue to shut down
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "child failed: {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The service half of the test above: the SDK (with its real init) and an "application"
/// echo listener, in a process limited to 256 file descriptors.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run in a child process by under_a_256_fd_limit_…"]
fn fd_limited_service_child() {
    assert_eq!(
        std::env::var(CHILD_ENV).as_deref(),
        Ok("1"),
        "only meant to run as the child of the fd-limit test"
    );
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let nofile = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .expect("the open-files line")
        .to_owned();

    let config = TelemetryConfig::builder("fd-limited")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        // Far longer than the test: no timeout frees a descriptor while the parent checks the
        // application, so only the connection cap can keep it answering.
        .metrics_timeouts(Duration::from_secs(300), Duration::from_secs(300))
        .log_filter("off")
        .build()
        .expect("valid");
    let guard = its_telemetry::try_init(config).expect("init");
    let metrics_addr = guard.metrics_addr().expect("metrics bound");

    let app = std::net::TcpListener::bind("127.0.0.1:0").expect("application bind");
    let app_addr = app.local_addr().expect("addr");
    std::thread::spawn(move || {
        loop {
            match app.accept() {
                Ok((stream, _)) => {
                    std::thread::spawn(move || {
                        let mut line = String::new();
                        let mut reader = BufReader::new(&stream);
                        if reader.read_line(&mut line).is_ok() {
                            let _ = (&stream).write_all(line.as_bytes());
                        }
                    });
                }
                // Out of descriptors: what the test is about; the parent sees no answer.
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    });
    // The parent reads this line from the child's stdout: it is the protocol, not a log.
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "READY metrics={metrics_addr} app={app_addr} nofile={nofile}"
    )
    .expect("write");
    out.flush().expect("flush");
    drop(out);
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    guard.shutdown().expect("clean shutdown");
}
