//! Harness for the end-to-end tests: OTLP receivers that keep whole export requests (resource
//! included), a minimal HTTP scraper, an exposition-format reader, `promtool`, and real
//! Prometheus and Alertmanager daemons on loopback.

pub mod alertmanager_server;
pub mod amtool;
pub mod collector;
pub mod daemon;
pub mod exposition;
pub mod http_sink;
pub mod logs;
pub mod otlp;
pub mod prometheus_server;
pub mod promtool;
pub mod scrape;
