//! Support for the code `#[instrument_inference]` expands to; not a public API (as thiserror
//! keeps its own in `private.rs`).

pub use crate::inference::{ErrorReason, ModelTelemetry, short_type_name};
pub use std::sync::OnceLock;
pub use tracing;
pub use tracing::Instrument;

/// Integer types a `batch = …` expression may have.
pub trait BatchSize {
    /// The size as `usize`; negative values count as 0.
    fn into_batch_size(self) -> usize;
}
macro_rules! batch_size_from {
    ($($t:ty),*) => {$(
        impl BatchSize for $t {
            fn into_batch_size(self) -> usize {
                usize::try_from(self).unwrap_or(0)
            }
        }
    )*};
}
batch_size_from!(usize, u8, u16, u32, u64, i32, i64, isize);

/// Converts the `batch = …` expression.
pub fn batch_size(n: impl BatchSize) -> usize {
    n.into_batch_size()
}

/// A count as a span field: an `i64`, because tracing-opentelemetry exports `u64`/`usize`
/// fields as strings (`batch.size = "5"`) and `i64` fields as OTLP integers.
#[must_use]
pub fn span_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// False when the current span is sampled out, so no child span need be built.
#[must_use]
pub fn should_trace() -> bool {
    !crate::inference::parent_sampled_out()
}

/// Borrows an error for reason selection by autoref: [`ViaErrorReason`] when the error
/// implements [`ErrorReason`], [`ViaTypeName`] otherwise.
pub struct Reason<'a, E>(pub &'a E);

/// Picked first: the error's own reason.
pub trait ViaErrorReason {
    /// The reason label.
    fn __its_reason(&self) -> &'static str;
}
impl<E: ErrorReason> ViaErrorReason for Reason<'_, E> {
    fn __its_reason(&self) -> &'static str {
        self.0.reason()
    }
}

/// Fallback: the error's type name.
pub trait ViaTypeName {
    /// The reason label.
    fn __its_reason(&self) -> &'static str;
}
impl<E> ViaTypeName for &Reason<'_, E> {
    fn __its_reason(&self) -> &'static str {
        short_type_name::<E>()
    }
}
