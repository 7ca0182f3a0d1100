//! Inference instrumentation (in progress).
