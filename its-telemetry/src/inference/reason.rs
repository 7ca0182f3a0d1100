//! Low-cardinality reasons for failed batches.

/// The `reason` label of a failed batch: an error kind or variant name, never a message
/// (messages carry ids and numbers that would explode cardinality).
///
/// Implement it for your error enum to label failures by variant; `#[instrument_inference]`
/// falls back to the error's type name for errors that do not implement it.
///
/// ```
/// use its_telemetry::inference::ErrorReason;
///
/// enum DetectError { Timeout, OutOfMemory, BadFrame(String) }
///
/// impl ErrorReason for DetectError {
///     fn reason(&self) -> &'static str {
///         match self {
///             Self::Timeout => "timeout",
///             Self::OutOfMemory => "out_of_memory",
///             Self::BadFrame(_) => "bad_frame",
///         }
///     }
/// }
/// assert_eq!(DetectError::BadFrame("cam-7".into()).reason(), "bad_frame");
/// ```
pub trait ErrorReason {
    /// A short, fixed label value.
    fn reason(&self) -> &'static str;
}

impl ErrorReason for std::io::Error {
    fn reason(&self) -> &'static str {
        use std::io::ErrorKind as K;
        match self.kind() {
            K::NotFound => "not_found",
            K::PermissionDenied => "permission_denied",
            K::ConnectionRefused => "connection_refused",
            K::ConnectionReset => "connection_reset",
            K::TimedOut => "timed_out",
            K::InvalidData => "invalid_data",
            K::InvalidInput => "invalid_input",
            K::OutOfMemory => "out_of_memory",
            K::UnexpectedEof => "unexpected_eof",
            _ => "io",
        }
    }
}

/// The last path segment of a type's name without generics: `my_crate::DetectError` →
/// `DetectError`, `Box<dyn Error>` → `Box`. Static, so labelling costs no allocation.
#[must_use]
pub fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_short() {
        struct DetectError;
        assert_eq!(short_type_name::<DetectError>(), "DetectError");
        assert_eq!(short_type_name::<Box<dyn std::error::Error>>(), "Box");
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "model server at 10.0.0.7");
        assert_eq!(e.reason(), "timed_out");
    }
}
