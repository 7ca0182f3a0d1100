//! A real Alertmanager (Debian's `prometheus-alertmanager` package) on loopback, running a test
//! configuration derived from the production one: same routing tree, inhibition rules and time
//! intervals, every receiver replaced by a webhook into the test.

use std::net::SocketAddr;
use std::time::Duration;

use serde_norway::{Mapping, Value};

use crate::daemon::{Daemon, TempDir};

/// How to get Alertmanager, for the failure message.
pub const INSTALL_HINT: &str = "prometheus-alertmanager not found: install it with \
     `apt-get update && apt-get install -y --no-install-recommends prometheus prometheus-alertmanager`, \
     or put prometheus-alertmanager on PATH";

/// `group_wait` in the test configuration (production: 30 s at the root, 10 s for critical).
pub const TEST_GROUP_WAIT: &str = "1s";
/// `group_interval` in the test configuration (production: 5 m).
pub const TEST_GROUP_INTERVAL: &str = "5s";

fn key(k: &str) -> Value {
    Value::String(k.to_owned())
}

fn shorten_timers(route: &mut Value, root: bool) {
    let Some(map) = route.as_mapping_mut() else {
        return;
    };
    if root || map.contains_key(key("group_wait")) {
        map.insert(key("group_wait"), key(TEST_GROUP_WAIT));
    }
    if root || map.contains_key(key("group_interval")) {
        map.insert(key("group_interval"), key(TEST_GROUP_INTERVAL));
    }
    if let Some(Value::Sequence(children)) = map.get_mut(key("routes")) {
        for child in children {
            shorten_timers(child, false);
        }
    }
}

/// The test configuration derived from the production `alertmanager.yml`:
/// - `route`, `inhibit_rules` and `time_intervals` are kept as they are, except that every
///   `group_wait` is shortened to [`TEST_GROUP_WAIT`] and every `group_interval` to
///   [`TEST_GROUP_INTERVAL`], so a test sees a notification seconds after the alert fires
///   instead of after the production batching delays;
/// - every receiver keeps its name but its integrations (PagerDuty, Slack, email) are replaced
///   by one webhook to `<webhook_base>/<receiver name>`, so the test sees which receivers an
///   alert reached;
/// - `global` (SMTP settings and secret files) is dropped.
///
/// # Panics
/// When `production` is not an Alertmanager configuration with `route` and `receivers`.
#[must_use]
pub fn test_config(production: &str, webhook_base: &str) -> String {
    let mut config: Value = serde_norway::from_str(production).expect("alertmanager.yml is YAML");
    let map = config
        .as_mapping_mut()
        .expect("alertmanager.yml is a mapping");
    map.remove(key("global"));
    shorten_timers(
        map.get_mut(key("route"))
            .expect("alertmanager.yml has a route"),
        true,
    );
    let receivers: Vec<Value> = map
        .get(key("receivers"))
        .and_then(Value::as_sequence)
        .expect("alertmanager.yml has receivers")
        .iter()
        .map(|r| {
            let name = r["name"].as_str().expect("receiver name").to_owned();
            let mut webhook = Mapping::new();
            webhook.insert(key("url"), key(&format!("{webhook_base}/{name}")));
            webhook.insert(key("send_resolved"), Value::Bool(false));
            let mut receiver = Mapping::new();
            receiver.insert(key("name"), key(&name));
            receiver.insert(
                key("webhook_configs"),
                Value::Sequence(vec![Value::Mapping(webhook)]),
            );
            Value::Mapping(receiver)
        })
        .collect();
    map.insert(key("receivers"), Value::Sequence(receivers));
    let body = serde_norway::to_string(&config).expect("config serializes");
    format!(
        "# Derived by its-telemetry-tests from monitoring/alertmanager/alertmanager.yml: same route,\n\
         # inhibit_rules and time_intervals; group_wait {TEST_GROUP_WAIT} and group_interval \
         {TEST_GROUP_INTERVAL} (shortened for the test);\n\
         # every receiver is a webhook into the test; no global SMTP settings or secrets.\n{body}"
    )
}

/// A running Alertmanager without clustering; killed, and its data removed, when dropped.
#[derive(Debug)]
pub struct Alertmanager {
    // Field order: the process dies before its directory goes.
    daemon: Daemon,
    dir: TempDir,
}

impl Alertmanager {
    /// Writes `config` and starts Alertmanager on `listen`, clustering off, data in a scratch
    /// directory; waits until it is ready.
    ///
    /// # Panics
    /// With [`INSTALL_HINT`] when it is not installed; with its log when it does not become
    /// ready within 30 s (a configuration it rejects, for instance).
    pub fn start(listen: SocketAddr, config: &str) -> Self {
        let dir = TempDir::new("its-alertmanager").expect("scratch dir");
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("write alertmanager.yml");
        let args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.path={}", dir.path().join("data").display()),
            format!("--web.listen-address={listen}"),
            "--cluster.listen-address=".to_owned(),
            "--log.level=info".to_owned(),
        ];
        let mut daemon = Daemon::spawn(
            "alertmanager",
            "prometheus-alertmanager",
            &args,
            dir.path().join("alertmanager.log"),
            listen,
            INSTALL_HINT,
        );
        daemon.wait_ready("/-/ready", Duration::from_secs(30));
        Self { daemon, dir }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// The scratch directory (config, data, log).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.daemon.log_tail(lines)
    }
}
