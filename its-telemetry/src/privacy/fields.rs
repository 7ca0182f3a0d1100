//! Judging a field or attribute by its name: `plateNumber`, `x-api-key`, `http.request.header.cookie`.

use std::collections::HashMap;

/// Field names whose values are replaced entirely, whatever they contain.
///
/// Names are compared as words: a field name is split at `_`, `-`, `.`, spaces and camelCase
/// humps and lower-cased (`plateNumber`, `plate-number`, `PLATE_NUMBER` are all
/// `plate number`). An entry matches when its words appear in the name and everything after
/// them is a value suffix such as `number`, `id`, `text`, `value`, `raw`, `address`
/// (`licence_plate_text`, `user.email`, `client_secret`, `session_id`), so counts and flags
/// about the thing (`plates_seen`, `plate_count`, `token_expiry`, `max_tokens`) are kept.
/// An entry written `*word*` matches wherever the word appears (`aws_secret_access_key`,
/// `db_password_file`).
pub const DEFAULT_SENSITIVE_FIELDS: &[&str] = &[
    // Vehicles.
    "plate",
    "licence_plate",
    "license_plate",
    "kennzeichen",
    "kenteken",
    "immatriculation",
    "vrm",
    // People and how to reach them.
    "email",
    "e_mail",
    "mail",
    "phone",
    "telephone",
    "mobile",
    "msisdn",
    "username",
    "user_name",
    "full_name",
    "ssn",
    "iban",
    "credit_card",
    "card_number",
    "cvv",
    "cvc",
    // Network identity of a client (the service's own addresses are not sensitive).
    "client_ip",
    "client_address",
    "client_addr",
    "remote_addr",
    "remote_address",
    "remote_ip",
    "peer_ip",
    "source_ip",
    "src_ip",
    "forwarded_for",
    "real_ip",
    // Credentials and sessions.
    "*password*",
    "*passwd*",
    "*passphrase*",
    "pwd",
    "*secret*",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "*authorization*",
    "auth",
    "*cookie*",
    "*credential*",
    "*credentials*",
    "session",
    "sessionid",
    "signature",
    "sig",
];

/// Words that may follow a sensitive name and still name its value.
const VALUE_SUFFIXES: &[&str] = &[
    "number", "no", "nr", "num", "text", "txt", "value", "val", "string", "str", "raw", "id",
    "addr", "address", "header", "hdr", "list", "b64", "base64", "encoded", "plain", "full",
    "original", "orig", "key",
];

/// Most words a field name is split into on the stack; longer names are judged on their
/// first words (an allocation-free fast path) and then again in full.
const STACK_WORDS: usize = 16;

#[derive(Debug)]
struct Term {
    /// Words after the first one.
    rest: Box<[Box<str>]>,
    anywhere: bool,
}

/// The configured sensitive names, indexed by their first word.
#[derive(Debug, Default)]
pub(super) struct FieldNames {
    by_first_word: HashMap<Box<str>, Vec<Term>>,
}

impl FieldNames {
    pub(super) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_first_word: HashMap<Box<str>, Vec<Term>> = HashMap::new();
        for name in names {
            let (anywhere, bare) = match name.strip_prefix('*').and_then(|n| n.strip_suffix('*')) {
                Some(bare) => (true, bare),
                None => (false, name),
            };
            let mut words = Vec::new();
            split_words(bare, |w| {
                words.push(w.to_ascii_lowercase().into_boxed_str())
            });
            let Some((first, rest)) = words.split_first() else {
                continue;
            };
            by_first_word.entry(first.clone()).or_default().push(Term {
                rest: rest.to_vec().into_boxed_slice(),
                anywhere,
            });
        }
        Self { by_first_word }
    }

    /// Whether a field of this name holds sensitive data.
    pub(super) fn is_sensitive(&self, name: &str) -> bool {
        let mut stack: [&str; STACK_WORDS] = [""; STACK_WORDS];
        let mut n = 0;
        let mut overflow = false;
        split_words(name, |w| {
            if n < STACK_WORDS {
                stack[n] = w;
                n += 1;
            } else {
                overflow = true;
            }
        });
        if overflow {
            let mut words = Vec::new();
            split_words(name, |w| words.push(w));
            return self.judge(&words);
        }
        self.judge(&stack[..n])
    }

    fn judge(&self, words: &[&str]) -> bool {
        let mut lower = [0u8; 32];
        for (i, word) in words.iter().enumerate() {
            if word.len() > lower.len() {
                continue; // No sensitive word is that long.
            }
            let key = &mut lower[..word.len()];
            key.copy_from_slice(word.as_bytes());
            key.make_ascii_lowercase();
            let Ok(key) = std::str::from_utf8(key) else {
                continue;
            };
            let Some(terms) = self.by_first_word.get(key) else {
                continue;
            };
            for term in terms {
                let end = i + 1 + term.rest.len();
                let Some(following) = words.get(i + 1..end) else {
                    continue;
                };
                let same = following
                    .iter()
                    .zip(term.rest.iter())
                    .all(|(w, t)| w.eq_ignore_ascii_case(t));
                if !same {
                    continue;
                }
                if term.anywhere
                    || words[end..]
                        .iter()
                        .all(|w| VALUE_SUFFIXES.iter().any(|s| s.eq_ignore_ascii_case(w)))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Calls `f` with each word of a field name: split at anything not alphanumeric and at
/// camelCase humps (`plateNumber` → `plate`, `Number`; `APIKey` → `API`, `Key`;
/// `x-api-key` → `x`, `api`, `key`).
pub(super) fn split_words<'a>(name: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = name.as_bytes();
    let mut start = None::<usize>;
    for (i, &b) in bytes.iter().enumerate() {
        let alnum = b.is_ascii_alphanumeric() || b >= 0x80;
        match start {
            None if alnum => start = Some(i),
            None => {}
            Some(s) if !alnum => {
                f(&name[s..i]);
                start = None;
            }
            Some(s) => {
                let prev = bytes[i - 1];
                let hump = prev.is_ascii_lowercase() && b.is_ascii_uppercase();
                let acronym_end = prev.is_ascii_uppercase()
                    && b.is_ascii_uppercase()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                if hump || (acronym_end && i > s) {
                    f(&name[s..i]);
                    start = Some(i);
                }
            }
        }
    }
    if let Some(s) = start {
        f(&name[s..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        split_words(name, |w| out.push(w));
        out
    }

    #[test]
    fn splits_separators_and_humps() {
        assert_eq!(words("plateNumber"), ["plate", "Number"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("APIKey"), ["API", "Key"]);
        assert_eq!(
            words("http.request.header.cookie"),
            ["http", "request", "header", "cookie"]
        );
        assert_eq!(words("__a__"), ["a"]);
        assert_eq!(words(""), Vec::<&str>::new());
        assert_eq!(words("größe_ü"), ["größe", "ü"]);
    }

    #[test]
    fn judges_names_by_words_and_value_suffixes() {
        let names = FieldNames::new(DEFAULT_SENSITIVE_FIELDS.iter().copied());
        for sensitive in [
            "plate",
            "plate_number",
            "plateNumber",
            "PLATE_NUMBER",
            "licence_plate_text",
            "vehicle.plate",
            "e_mail",
            "user.email",
            "passwd",
            "pwd",
            "apikey",
            "x-api-key",
            "X-Api-Key",
            "cookie",
            "http.request.header.cookie",
            "set_cookie",
            "private_key",
            "client_secret",
            "aws_secret_access_key",
            "client_secret_value",
            "session_id",
            "sessionId",
            "phone",
            "phone_number",
            "client_ip",
            "client.address",
            "remote_addr",
            "credit_card",
            "credit_card_number",
            "Authorization",
            "proxy-authorization",
            "access_token",
            "refresh_token",
            "db_password_file",
        ] {
            assert!(
                names.is_sensitive(sensitive),
                "{sensitive} should be sensitive"
            );
        }
        for benign in [
            "camera_id",
            "plates_seen",
            "plate_count",
            "plate_confidence",
            "emailed",
            "max_tokens",
            "token_expiry",
            "token_count",
            "xtoken",
            "mail_server",
            "session_count",
            "server.address",
            "bind_address",
            "gpu_id",
            "model",
            "frames",
            "auth_method",
            "phone_home_enabled",
            "",
        ] {
            assert!(
                !names.is_sensitive(benign),
                "{benign} should not be sensitive"
            );
        }
    }

    #[test]
    fn very_long_names_are_judged_in_full() {
        let names = FieldNames::new(["password"]);
        let long = format!("{}password", "a_".repeat(40));
        assert!(names.is_sensitive(&long));
        assert!(!names.is_sensitive(&"a_".repeat(40)));
    }
}
