//! Procedural macros for `its-telemetry`. Use them through the `its-telemetry` crate, which
//! re-exports them pinned to the same version.
//!
//! `#[instrument_inference]` arrives with the inference-instrumentation work; until then this
//! crate only reserves the name so the version pin between the two crates is in place.
