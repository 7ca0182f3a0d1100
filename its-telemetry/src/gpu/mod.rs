//! GPU metrics through NVML (in progress).
