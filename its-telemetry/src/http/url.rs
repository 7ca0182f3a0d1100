//! URL attributes as the HTTP semantic conventions want them: `server.address` and
//! `server.port` parsed from a `Host` header or URI authority (IPv6 literals included),
//! `url.query` with the values of sensitive parameters replaced by `REDACTED`, and `url.full`
//! without credentials.

use std::borrow::Cow;
use std::net::Ipv6Addr;

/// What replaces a sensitive value, as the conventions say.
pub const REDACTED: &str = "REDACTED";

/// Query parameters whose values are redacted in `url.query` and `url.full`, compared without
/// regard to case: the conventions' list (`AWSAccessKeyId`, `Signature`, `sig`,
/// `X-Goog-Signature`) and the usual names of keys, tokens, passwords and sessions.
pub const SENSITIVE_QUERY_PARAMETERS: &[&str] = &[
    "AWSAccessKeyId",
    "Signature",
    "sig",
    "X-Goog-Signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "session",
    "sessionid",
    "session_id",
];

/// Longest host name accepted (RFC 1035: 253 characters, plus slack for a trailing dot).
const MAX_HOST: usize = 255;

/// `server.address` and `server.port` of a `Host` header or URI authority: `example.com`,
/// `10.0.0.1:9000`, `[::1]:8080` (the address without brackets). `None` for anything malformed
/// — an unclosed `[`, a port that is not 1–65535, characters no host name has, userinfo — so a
/// hostile header records nothing rather than garbage.
pub(crate) fn parse_host(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        inside.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(parse_port(p.strip_prefix(':')?)?),
        };
        (inside, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (authority, None),
        };
        let valid = !host.is_empty()
            && host.len() <= MAX_HOST
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid {
            return None;
        }
        (host, port)
    };
    Some((host, port))
}

/// 1–65535, digits only.
fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|p| *p != 0)
}

/// Whether the query parameter `name` (as sent, possibly percent-encoded) is sensitive.
fn sensitive(name: &str) -> bool {
    let decoded: Cow<'_, str> = if name.contains('%') || name.contains('+') {
        Cow::Owned(percent_decode(name))
    } else {
        Cow::Borrowed(name)
    };
    SENSITIVE_QUERY_PARAMETERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(&decoded))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `query` with the value of every sensitive parameter replaced by `REDACTED`; the names, the
/// other values and the order are kept. Borrowed when nothing is sensitive.
pub(crate) fn redact_query(query: &str) -> Cow<'_, str> {
    let needs = query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(name, _)| sensitive(name))
    });
    if !needs {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if sensitive(name) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
    Cow::Owned(out)
}

/// `url.full` of a request URI: `scheme://host[:port]/path[?query]`, credentials in the
/// authority replaced by `REDACTED:REDACTED@` (the conventions: `url.full` MUST NOT contain
/// them) and sensitive query values redacted. `None` without an authority.
pub(crate) fn full_url(uri: &http::Uri) -> Option<String> {
    let authority = uri.authority()?.as_str();
    let scheme = uri.scheme_str().unwrap_or("http");
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((_, host)) => (true, host),
        None => (false, authority),
    };
    let mut url = String::with_capacity(authority.len() + uri.path().len() + 32);
    url.push_str(scheme);
    url.push_str("://");
    if userinfo {
        url.push_str("REDACTED:REDACTED@");
    }
    url.push_str(host);
    url.push_str(uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(&redact_query(query));
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(parse_host("[::1]:8080"), Some(("::1", Some(8080))));
        assert_eq!(parse_host("[2001:db8::7]"), Some(("2001:db8::7", None)));
        assert_eq!(parse_host("example.com"), Some(("example.com", None)));
        assert_eq!(parse_host("10.0.0.1:9000"), Some(("10.0.0.1", Some(9000))));
        for bad in [
            "[:",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[zz::1]:80",
            "::1",
            "host:0",
            "host:65536",
            "host:+80",
            "host:",
            "",
            ":80",
            "user@host",
            "a b",
            "host/path",
            "ex\u{e4}mple.com",
        ] {
            assert_eq!(parse_host(bad), None, "{bad:?}");
        }
        assert_eq!(parse_host(&"a".repeat(300)), None);
    }

    #[test]
    fn sensitive_query_values_are_redacted() {
        assert_eq!(
            redact_query("camera=cam-7&sig=abc&API_KEY=s3cr3t&limit=5&Signature=x"),
            "camera=cam-7&sig=REDACTED&API_KEY=REDACTED&limit=5&Signature=REDACTED"
        );
        assert_eq!(redact_query("api%5Fkey=1&a"), "api%5Fkey=REDACTED&a");
        assert!(matches!(
            redact_query("camera=cam-7&flag"),
            Cow::Borrowed(_)
        ));
        assert_eq!(redact_query("token"), "token", "a name without a value");
        assert_eq!(redact_query("x=%zz&token=%"), "x=%zz&token=REDACTED");
    }

    #[test]
    fn full_url_has_no_credentials() {
        let uri: http::Uri = "http://user:pa55@example.com:8080/v1/x?token=t&page=2"
            .parse()
            .expect("uri");
        assert_eq!(
            full_url(&uri).as_deref(),
            Some("http://REDACTED:REDACTED@example.com:8080/v1/x?token=REDACTED&page=2")
        );
        let plain: http::Uri = "https://[::1]:9/a".parse().expect("uri");
        assert_eq!(full_url(&plain).as_deref(), Some("https://[::1]:9/a"));
        let relative: http::Uri = "/a".parse().expect("uri");
        assert_eq!(full_url(&relative), None);
    }
}
