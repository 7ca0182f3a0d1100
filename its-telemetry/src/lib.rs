#![doc = include_str!("../../README.md")]

pub mod business;
pub mod camera;
pub mod cardinality;
pub mod catalog;
pub mod config;
mod config_env;
pub mod http;
mod init;
pub mod logs;
pub mod prometheus;
pub mod sla;
#[cfg(test)]
mod test_support;
mod traces;

pub use config::{ConfigError, TelemetryConfig, TelemetryConfigBuilder};
pub use config_env::VARIABLES as ENVIRONMENT_VARIABLES;
pub use init::{
    InitError, ShutdownError, TelemetryGuard, init, try_init, try_init_with_log_writer,
};
