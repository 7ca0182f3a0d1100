//! What a failed client call was: the `error.type` and span status message of a request that got
//! no response (connection refused, timed out, …), read from the client's error and its
//! `source()` chain.

use std::any::Any;
use std::error::Error;
use std::fmt::Display;
use std::io;

use crate::http::record::ErrorKind;

/// Longest span status message kept, in bytes.
const MAX_MESSAGE: usize = 256;
/// Deepest `source()` chain followed.
const MAX_DEPTH: usize = 8;

/// The kind and description of a client error. The error types the layer can see through
/// (`Box<dyn Error>`, `std::io::Error`, hyper's and hyper-util's client errors) are classified
/// from their whole `source()` chain; any other type is `_OTHER`, described by its `Display`.
pub(crate) fn classify<E: Display + 'static>(error: &E) -> (ErrorKind, String) {
    match as_std_error(error) {
        Some(e) => (kind_of(e), bounded(describe_chain(e))),
        None => (ErrorKind::Other, bounded(error.to_string())),
    }
}

fn as_std_error<E: 'static>(error: &E) -> Option<&(dyn Error + 'static)> {
    let any: &dyn Any = error;
    if let Some(e) = any.downcast_ref::<Box<dyn Error + Send + Sync>>() {
        return Some(&**e);
    }
    if let Some(e) = any.downcast_ref::<Box<dyn Error + Send>>() {
        return Some(&**e);
    }
    if let Some(e) = any.downcast_ref::<Box<dyn Error>>() {
        return Some(&**e);
    }
    if let Some(e) = any.downcast_ref::<io::Error>() {
        return Some(e);
    }
    if let Some(e) = any.downcast_ref::<hyper::Error>() {
        return Some(e);
    }
    if let Some(e) = any.downcast_ref::<hyper_util::client::legacy::Error>() {
        return Some(e);
    }
    None
}

/// The most specific kind found along the chain.
fn kind_of(error: &(dyn Error + 'static)) -> ErrorKind {
    let mut connect = false;
    let mut current = Some(error);
    for _ in 0..MAX_DEPTH {
        let Some(e) = current else { break };
        if let Some(io) = e.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => return ErrorKind::ConnectionRefused,
                io::ErrorKind::TimedOut => return ErrorKind::Timeout,
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe => return ErrorKind::ConnectionReset,
                io::ErrorKind::UnexpectedEof => return ErrorKind::ConnectionClosed,
                _ => {}
            }
        }
        if let Some(h) = e.downcast_ref::<hyper::Error>() {
            if h.is_timeout() {
                return ErrorKind::Timeout;
            }
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                return ErrorKind::ConnectionClosed;
            }
        }
        if let Some(l) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= l.is_connect();
        }
        current = e.source();
    }
    if connect {
        ErrorKind::Connect
    } else {
        ErrorKind::Other
    }
}

/// `outer: inner: innermost`, skipping a source whose text the outer one already contains.
fn describe_chain(error: &(dyn Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut current = error.source();
    for _ in 0..MAX_DEPTH {
        let Some(e) = current else { break };
        let text = e.to_string();
        if !text.is_empty() && !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        if message.len() > MAX_MESSAGE {
            break;
        }
        current = e.source();
    }
    message
}

fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(io::Error);
    impl Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tcp connect error")
        }
    }
    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn io_kinds_anywhere_in_the_chain_are_classified() {
        let refused: Box<dyn Error + Send + Sync> = Box::new(Wrapper(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "Connection refused",
        )));
        let (kind, message) = classify(&refused);
        assert_eq!(kind, ErrorKind::ConnectionRefused);
        assert_eq!(message, "tcp connect error: Connection refused");
        let timeout = io::Error::new(io::ErrorKind::TimedOut, "deadline");
        assert_eq!(classify(&timeout).0, ErrorKind::Timeout);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(classify(&reset).0.as_str(), "connection_reset");
    }

    #[test]
    fn unknown_types_are_other_with_their_description() {
        #[derive(Debug)]
        struct Opaque;
        impl Display for Opaque {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&"x".repeat(1000))
            }
        }
        let (kind, message) = classify(&Opaque);
        assert_eq!(kind, ErrorKind::Other);
        assert!(
            message.len() <= MAX_MESSAGE + '…'.len_utf8(),
            "{}",
            message.len()
        );
        let other = io::Error::other("disk on fire");
        assert_eq!(classify(&other), (ErrorKind::Other, "disk on fire".into()));
    }
}
