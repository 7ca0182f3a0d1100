//! TEMPORARY stub until the logs module lands.
#![allow(missing_docs)]
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat { #[default] Json, Pretty }
impl std::str::FromStr for LogFormat { type Err = String; fn from_str(s: &str) -> Result<Self, String> { match s { "json" => Ok(Self::Json), "pretty" => Ok(Self::Pretty), _ => Err(s.into()) } } }
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ScrubConfig { pub enabled: bool }
#[derive(Debug, Clone)]
pub struct Scrubber;
#[derive(Debug)]
pub struct ScrubPatternError;
impl std::fmt::Display for ScrubPatternError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("x") } }
impl Scrubber { pub fn new(_: &ScrubConfig) -> Result<Self, ScrubPatternError> { Ok(Self) } }
pub struct LogLayer<W>(W);
impl LogLayer<()> { pub fn new(_: LogFormat, _: String, _: Scrubber) -> Self { Self(()) } }
impl<W> LogLayer<W> { pub fn with_writer<W2>(self, w: W2) -> LogLayer<W2> { LogLayer(w) } }
impl<S: tracing::Subscriber, W: 'static> tracing_subscriber::Layer<S> for LogLayer<W> {}
