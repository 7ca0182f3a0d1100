//! Harness for the end-to-end tests: OTLP receivers that keep whole export requests (resource
//! included), a minimal HTTP scraper, an exposition-format reader and `promtool`.

pub mod amtool;
pub mod exposition;
pub mod http_sink;
pub mod logs;
pub mod otlp;
pub mod promtool;
pub mod scrape;
