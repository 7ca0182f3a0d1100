//! What the scrubber looks for: the built-in patterns and the checks a regex cannot express.
//!
//! Every pattern is paired with a [`Check`] run on each candidate match. The regexes are
//! written for recall (case-insensitive, separators anywhere); the checks give back the
//! precision (`CAM-0042`, `TensorRT 8.6.1.6`, `yolov8n@fp16.engine` are not personal data).

/// Wraps a pattern in ASCII word boundaries, `(?-u:\b)`.
///
/// A Unicode `\b` (the default) makes the regex engine give up its fast DFA on
/// any line with a non-ASCII character (`Münchner Straße`): measured 250×
/// slower. ASCII boundaries are as good for plates, addresses and keys.
macro_rules! word {
    ($pattern:literal) => {
        concat!(r"(?-u:\b)", $pattern, r"(?-u:\b)")
    };
}

/// Licence-plate patterns used when the configuration does not replace them.
///
/// Matched case-insensitively with the separators (`-`, space, none) in any of the places
/// people write them. Each candidate is then checked (`plausible_plate`): its letters must
/// be all upper- or all lower-case, a lower-case candidate must contain no space (`in a 2`
/// has the shape of `M A 2`), no letter group may be a word that names an identifier rather
/// than a district (`CAM-0042`, `GPU-0001`, `RTX4090`, `ERR-1042`, `JAN-2024`: see
/// [`NOT_PLATE_WORDS`]), no four letters may stand together (`base64`, `test01`: words with a
/// number), and it may not be the stem of a file or host name (`img0001.jpg`).
/// Add local formats with `ScrubConfig::plate_patterns`.
pub const DEFAULT_PLATE_PATTERNS: &[&str] = &[
    // United Kingdom since 2001, area + age + random: `AB12 CDE`, `AB12CDE`, `ab12-cde`.
    word!("(?i:[A-Z]{2}[0-9]{2}[ -]?[A-Z]{3})"),
    // United Kingdom 1983-2001 prefix and 1963-1983 suffix styles: `A123 BCD`, `ABC 123D`.
    word!("(?i:[A-Z][0-9]{1,3}[ -]?[A-Z]{3}|[A-Z]{3}[ -]?[0-9]{1,3}[A-Z])"),
    // Germany: district (1-3 letters, umlauts), 1-2 letters, 1-4 digits, optional E/H
    // suffix, written with a hyphen or a space after the district: `M-AB 1234`, `M AB 1234`,
    // `HH-X 12E`, `LÖ-X 12`.
    word!("(?i:[A-ZÄÖÜ]{1,3}[- ][A-Z]{1,2}[ -]?[1-9][0-9]{0,3}[EH]?)"),
    // France (SIV, since 2009) and Italy (since 1994): `AB-123-CD`, `AB 123 CD`, `AB123CD`,
    // `ab-123cd`.
    word!("(?i:[A-Z]{2}[ -]?[0-9]{3}[ -]?[A-Z]{2})"),
    // France (FNI, before 2009): number, letters, department: `123 ABC 75`, `1234-AB-69`.
    word!("(?i:[0-9]{1,4}[ -]?[A-Z]{2,3}[ -]?(?:[0-9]{2}|2[AB]))"),
    // Netherlands, sidecodes 1-14 (the hyphenated groups, also written with spaces or none):
    // `AB-12-34`, `12-34-AB`, `12-AB-34`, `AB-12-CD`, `AB-CD-12`, `12-AB-CD`, `12-ABC-3`,
    // `1-ABC-23`, `AB-123-C`, `A-123-BC`, `ABC-12-D`, `A-12-BCD`, `1-AB-234`, `123-AB-4`.
    word!(
        "(?i:[A-Z]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}|[0-9]{2}[ -]?[0-9]{2}[ -]?[A-Z]{2}\
         |[0-9]{2}[ -]?[A-Z]{2}[ -]?[0-9]{2}|[A-Z]{2}[ -]?[0-9]{2}[ -]?[A-Z]{2}\
         |[A-Z]{2}[ -]?[A-Z]{2}[ -]?[0-9]{2}|[0-9]{2}[ -]?[A-Z]{2}[ -]?[A-Z]{2}\
         |[0-9]{2}[ -]?[A-Z]{3}[ -]?[0-9]|[0-9][ -]?[A-Z]{3}[ -]?[0-9]{2}\
         |[A-Z]{2}[ -]?[0-9]{3}[ -]?[A-Z]|[A-Z][ -]?[0-9]{3}[ -]?[A-Z]{2}\
         |[A-Z]{3}[ -]?[0-9]{2}[ -]?[A-Z]|[A-Z][ -]?[0-9]{2}[ -]?[A-Z]{3}\
         |[0-9][ -]?[A-Z]{2}[ -]?[0-9]{3}|[0-9]{3}[ -]?[A-Z]{2}[ -]?[0-9])"
    ),
    // Spain since 2000, four digits and three consonants: `1234 BCD`, `1234-BCD`, `1234bcd`;
    // and the provincial format before it: `M-1234-AB`, `B 1234 XY`.
    word!("(?i:[0-9]{4}[ -]?[B-DF-HJ-NP-TV-Z]{3}|[A-Z]{1,2}[ -]?[0-9]{4}[ -]?[A-Z]{1,2})"),
    // Poland: 2-3 letter district, then 4-5 digits or digits ending in letters:
    // `WA 12345`, `KR 1234A`, `WX 123AB`, `WPI 12AB`. Also Illinois `AB 12345`.
    word!("(?i:[A-Z]{2,3}[ -]?(?:[0-9]{4,5}|[0-9]{4}[A-Z]|[0-9]{3}[A-Z]{2}|[0-9]{2}[A-Z]{2}))"),
    // United States: California `7ABC123`; New York, Pennsylvania, Texas and most states
    // `ABC-1234`, `ABC 1234`, `ABC1234`; New Jersey `A12-BCD`. Vanity plates have no shape:
    // they are caught by the label in front of them (`plate=LUVMYCR`), see PLATE_LABELLED.
    word!("(?i:[1-9][A-Z]{3}[0-9]{3}|[A-Z]{3}[ -]?[0-9]{4}|[A-Z][0-9]{2}[ -]?[A-Z]{3})"),
    // Generic fallback for the rest of the world: letters-digits-letters or
    // digits-letters-digits in three hyphenated groups (`1-ABC-123` Belgium, `AB-1234-C`),
    // or letters-digits-letters written together (`KA01AB` stems, `ABC123DE`).
    word!(
        "(?i:[A-Z]{1,3}-[0-9]{1,4}-[A-Z]{1,3}|[0-9]{1,3}-[A-Z]{2,3}-[0-9]{1,4}\
         |[A-Z]{2,3}[0-9]{2,4}[A-Z]{1,3})"
    ),
];

/// Letter groups that name an identifier, a unit or a standard rather than a plate's
/// district: a candidate with one of them as a whole letter group (`CAM-0042`, `GPU-0001`,
/// `RTX4090`, `ERR-1042`, `JAN-2024`, `ISO-8601`, `img0001`) is kept. The price: a real plate
/// whose letters are exactly one of these words is not recognised by shape (a labelled one,
/// `plate=ERR 1042`, still is).
pub const NOT_PLATE_WORDS: &[&str] = &[
    // Identifiers the SDK and the services built on it emit.
    "CAM", "CAMERA", "GPU", "CPU", "NPU", "TPU", "DEV", "NODE", "POD", "ERR", "ERROR", "WARN",
    "SEG", "RD", "LANE", "ZONE", "SITE", "NVR", "REQ", "JOB", "RUN", "PID", "TID", "ID", "IDX",
    "NO", "NR", "IMG", "DSC", "FRM", "FRAME", "LOG", "REV", "VER", "BUILD", "SKU",
    // GPU and accelerator products and architectures.
    "RTX", "GTX", "SXM", "PCIE", "SM", "GFX", "MI", "TI",
    // Months, for `JAN-2024`, `2024 DEC`.
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "SEPT", "OCT", "NOV", "DEC",
    // Standards, encodings, hashes and numeric formats.
    "ISO", "CVE", "RFC", "EN", "DIN", "UTF", "SHA", "MD", "TLS", "SSL", "API", "WIN", "FP", "BF",
    "INT", "UINT", "HDR", "RPM", "FPS", "MS", "KB", "MB", "GB", "TB", "MIB", "GIB", "HZ", "KHZ",
    "MHZ", "GHZ", "HTTP", "TCP", "UDP", "PORT",
];

/// Domain labels that make `name@label.ext` a model or file name, not an e-mail address:
/// `yolov8n@fp16.engine`, `detector@int8.onnx`.
const NOT_EMAIL_LABELS: &[&str] = &[
    "fp8",
    "fp16",
    "fp32",
    "bf16",
    "tf32",
    "int4",
    "int8",
    "half",
    "float",
    "engine",
    "onnx",
    "plan",
    "trt",
    "pt",
    "pth",
    "bin",
    "ckpt",
    "safetensors",
    "tflite",
    "pb",
    "json",
    "yaml",
    "yml",
    "toml",
    "txt",
    "log",
    "tar",
    "gz",
    "zip",
    "png",
    "jpg",
    "jpeg",
    "mp4",
    "so",
];

/// Words after which a dotted quad is a version (`TensorRT 8.6.1.6`, `driver=535.104.5.1`,
/// `OID 2.5.4.3`), not an address. Camel-cased or upper-case product names (`cuDNN`, `CUDA`)
/// count as well; see [`plausible_ipv4`].
const VERSION_WORDS: &[&str] = &[
    "v",
    "ver",
    "version",
    "release",
    "driver",
    "firmware",
    "fw",
    "build",
    "rev",
    "revision",
    "oid",
    "opset",
    "tensorrt",
    "trt",
    "cuda",
    "cudnn",
    "onnx",
    "onnxruntime",
    "triton",
    "nccl",
    "deepstream",
    "jetpack",
    "l4t",
];

/// E-mail addresses; the `@` may be percent-encoded (`jane%40example.com`).
pub(super) const EMAIL: &str =
    r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?-u:\b)";

/// Dotted-quad IPv4 addresses, each octet 0-255.
pub(super) const IPV4: &str = word!(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
);

/// IPv6 addresses: the full eight groups, or a `::`-compressed form.
/// Candidates are checked further by [`plausible_ipv6`].
pub(super) const IPV6: &str = r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?";

/// JSON Web Tokens: base64url header (always `{"` → `eyJ`), payload, signature.
pub(super) const JWT: &str = r"(?-u:\b)eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*";

/// Well-known API key shapes: OpenAI/Anthropic `sk-`, Stripe, AWS access key ids, GitHub,
/// GitLab, Slack, Google API keys, Azure SAS-style `sv=…&sig=` is left to [`URL_QUERY_SECRET`].
pub(super) const KEY_SHAPES: &str = word!(
    r"(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})"
);

/// AWS secret access keys and similar 40-character base64 secrets, standing alone.
/// [`secret_like`] rejects hex (git and SHA-1 digests) and words.
pub(super) const AWS_SECRET: &str =
    r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])";

/// PEM private keys, header to footer (or to the end of the text when cut).
pub(super) const PEM_PRIVATE_KEY: &str =
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)";

/// An authorisation scheme and its credentials anywhere in text: `Bearer <token>`,
/// `Basic <base64>`, `Token <key>`; only the credentials are removed, and only when they look
/// like one ([`secret_like`]), so "Bearer authentication required" stays.
pub(super) const AUTH_SCHEME: &str =
    r"(?-u:\b)(?i:bearer|basic|token|digest|apikey|negotiate)\s+([A-Za-z0-9._~+/-]{8,}=*)";

/// `Authorization: <scheme> <credentials>` (and `Proxy-Authorization`): with a named scheme
/// everything after it goes, whatever it looks like.
pub(super) const AUTH_HEADER: &str = r#"(?i)(?-u:\b)(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:bearer|basic|token|digest|negotiate|ntlm|apikey|aws4-hmac-sha256)\s+([^\s"',;\\]+)"#;

/// `Authorization: <credentials>` without a scheme: removed when they look like a secret.
pub(super) const AUTH_HEADER_BARE: &str =
    r#"(?i)(?-u:\b)(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?([^\s"',;\\]+)"#;

/// `Cookie:` / `Set-Cookie:` headers: the whole value (every cookie) is removed.
pub(super) const COOKIE: &str =
    r#"(?i)(?-u:\b)(?:set-)?cookie\\?["']?\s*[:=]\s*(?:\\?"([^"\\]*)\\?"|([^\r\n"\\]+))"#;

/// `api_key=…`, `token: …`, `"password": "hunter 2"`, `aws_secret_access_key = …` and
/// similar; only the value (quoted, or up to a space or separator) is removed. Quotes may be
/// escaped (`password=\"hunter 2\"`), as they are in a `Debug`-formatted string.
pub(super) const KEY_VALUE_SECRET: &str = r#"(?i)(?-u:\b)[a-z0-9_.-]*(?:api[_-]?key|apikey|access[_-]?key|secret|token|password|passwd|pwd|passphrase|credentials?|private[_-]?key|session[_-]?id|sessionid|account[_-]?key|sharedaccesskey)(?:[_.-]?(?:key|value|id|string|access[_-]?key))?\\?["']?\s*[:=]\s*(?:\\?"([^"\\]*)\\?"|\\?'([^'\\]*)\\?'|([^\s"',;&)}\]\\]+))"#;

/// Secrets in URL query strings: `?key=…`, `&token=…`, `&sig=…` (Azure SAS, signed URLs),
/// `&X-Amz-Signature=…`, `&password=…`.
pub(super) const URL_QUERY_SECRET: &str = r"(?i)[?&;](?:key|api[_-]?key|apikey|token|access_token|id_token|refresh_token|jwt|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|auth|password|passwd|pass|pwd|secret|client_secret|code|session|sessionid|sid)=([^&#\s\x22'<>]+)";

/// The `user:password@` part of a URL (`rtsp://admin:pass@cam/stream`).
pub(super) const URL_USERINFO: &str = r"(?i)(?-u:\b)[a-z][a-z0-9+.-]{1,15}://([^/?#\s@\x22']+)@";

/// A plate labelled as one, whatever its shape (US vanity plates, unusual formats):
/// `plate=LUVMYCR`, `"licence_plate": "TRUCKN"`, `kenteken: XX-123`.
pub(super) const PLATE_LABELLED: &str = r#"(?i)(?-u:\b)(?:licen[cs]e[_ .-]?)?(?:plate|kennzeichen|kenteken|immatriculation|targa|matricula|rejestracja|vrm|lpr)(?:[_ .-]?(?:number|no|nr|num|text|value|raw))?\\?["']?\s*[:=]\s*(?:\\?"([^"\\]+)\\?"|\\?'([^'\\]+)\\?'|([^\s"',;&)}\]\\]+))"#;

/// Payment card numbers, 13-19 digits, optionally grouped by spaces or hyphens.
/// [`plausible_card`] checks the issuer prefix and the Luhn digit.
pub(super) const CARD: &str = word!(r"[0-9](?:[ -]?[0-9]){12,18}");

/// Phone numbers in E.164 (`+44 20 7946 0958`, `+4915112345678`, `+1 (415) 555-0132`).
pub(super) const PHONE_E164: &str = r"\+[1-9](?:[ .()-]{0,2}[0-9]){6,14}(?-u:\b)";

/// Phone numbers in North American national shapes: `(415) 555-0132`, `415-555-0132`,
/// `415.555.0132`.
pub(super) const PHONE_NANP: &str = r"(?:\([2-9][0-9]{2}\) ?[0-9]{3}[-. ][0-9]{4}|(?-u:\b)[2-9][0-9]{2}-[0-9]{3}-[0-9]{4}|(?-u:\b)[2-9][0-9]{2}\.[0-9]{3}\.[0-9]{4})(?-u:\b)";

/// Phone numbers in the national shapes with a trunk `0` (most of Europe): `020 7946 0958`,
/// `07700 900123`, `030 12345678`, `06 12 34 56 78`, `06-12345678`, `0171/1234567`.
pub(super) const PHONE_TRUNK: &str = word!(r"0[1-9][0-9]{0,3}(?:[ /.-]?[0-9]{2,4}){2,4}");

/// Where a built-in rule runs among the others: where two matches start at the same place
/// and are as long, the earlier rule's marker is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gate {
    /// First: secrets and labelled values (then the configured patterns).
    Always,
    /// Then numbers: addresses, cards, phones (then the default plates).
    Digit,
    /// Last: e-mail.
    At,
}

/// What a text must contain before a rule's regex is worth running: a necessary condition,
/// decided from one pass over the bytes and one keyword scan ([`TextFacts`]), so text that
/// cannot match costs no regex at all.
///
/// Each condition is implied by its pattern: a pattern that is changed must keep its `Need`
/// true for everything it can match (the corpus and proptests check the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Nothing known: configured patterns.
    Nothing,
    /// One of these keywords, ASCII case-insensitively.
    Keyword(&'static [&'static str]),
    /// One of these keywords, and a `:` or `=` (a labelled value).
    KeywordAndSeparator(&'static [&'static str]),
    /// One of these keywords, and an `=` (a URL query parameter).
    KeywordAndEquals(&'static [&'static str]),
    /// At least this many ASCII digits.
    Digits(u32),
    /// A `+` and at least this many ASCII digits.
    PlusAndDigits(u32),
    /// Three dots and four digits (a dotted quad).
    DottedQuad,
    /// `::`, or seven colons, and a digit (an IPv6 address).
    Colons,
    /// A run of 40 or more `[A-Za-z0-9/+]`, with a digit in the text.
    LongRun,
    /// An ASCII letter next to a digit, or separated from it by one space or hyphen: every
    /// default plate format alternates letter and digit groups that way.
    LetterBesideDigit,
}

/// Keywords of [`KEY_SHAPES`]' prefixes.
pub(super) const KEY_SHAPE_WORDS: &[&str] = &[
    "sk-",
    "sk_",
    "pk_",
    "rk_",
    "akia",
    "asia",
    "agpa",
    "aida",
    "aroa",
    "anpa",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "aiza",
];
/// Keywords of [`AUTH_SCHEME`].
pub(super) const AUTH_SCHEME_WORDS: &[&str] =
    &["bearer", "basic", "token", "digest", "apikey", "negotiate"];
/// A word of every key name [`KEY_VALUE_SECRET`] accepts (`api_key`, `private-key` and
/// `sharedaccesskey` all contain `key`; `password` and `passwd` contain `passw`).
pub(super) const KEY_VALUE_WORDS: &[&str] = &[
    "key",
    "secret",
    "token",
    "passw",
    "pwd",
    "passphrase",
    "credential",
    "session",
];
/// A word of every parameter name [`URL_QUERY_SECRET`] accepts.
pub(super) const URL_QUERY_WORDS: &[&str] = &[
    "key", "token", "jwt", "sig", "amz", "auth", "pass", "pwd", "secret", "code", "session", "sid",
];
/// The labels of [`PLATE_LABELLED`].
pub(super) const PLATE_LABEL_WORDS: &[&str] = &[
    "plate",
    "kennzeichen",
    "kenteken",
    "immatriculation",
    "targa",
    "matricula",
    "rejestracja",
    "vrm",
    "lpr",
];

/// What one pass over a text's bytes learned, for [`Need::holds`].
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct TextFacts {
    digits: u32,
    dots: u32,
    colons: u32,
    plus: bool,
    equals: bool,
    double_colon: bool,
    long_run: bool,
    letter_beside_digit: bool,
    /// A byte outside ASCII: `(?i)` also matches `ſ` for `s` and the Kelvin sign for `k`, so
    /// keywords found ASCII-wise prove nothing and every keyword rule runs.
    non_ascii: bool,
}

impl TextFacts {
    /// One pass over `bytes`. Measured about 1 ns a byte; a regex scan costs far more.
    pub(super) fn of(bytes: &[u8]) -> Self {
        let mut facts = Self::default();
        let mut run = 0u32;
        // What the byte before the current one was (0: other), and the one before that.
        let (mut prev, mut prev2) = (0u8, 0u8);
        for &b in bytes {
            let class = if b.is_ascii_digit() {
                facts.digits += 1;
                b'0'
            } else if b.is_ascii_alphabetic() || b >= 0x80 {
                // Non-ASCII counts as a letter: `(?i:[A-Z])` matches `ſ` and `K` (Kelvin).
                facts.non_ascii |= b >= 0x80;
                b'a'
            } else {
                match b {
                    b'.' => facts.dots += 1,
                    b':' => {
                        facts.double_colon |= prev == b':';
                        facts.colons += 1;
                    }
                    b'+' => facts.plus = true,
                    b'=' => facts.equals = true,
                    _ => {}
                }
                if b == b' ' || b == b'-' {
                    b'-'
                } else if b == b':' {
                    b':'
                } else {
                    0
                }
            };
            if b.is_ascii_alphanumeric() || b == b'/' || b == b'+' {
                run += 1;
                facts.long_run |= run >= 40;
            } else {
                run = 0;
            }
            let digit_letter = |x: u8, y: u8| (x == b'0' && y == b'a') || (x == b'a' && y == b'0');
            facts.letter_beside_digit |=
                digit_letter(prev, class) || (prev == b'-' && digit_letter(prev2, class));
            prev2 = prev;
            prev = class;
        }
        facts
    }

    /// Whether a `:` or `=` occurs.
    fn separator(&self) -> bool {
        self.colons > 0 || self.equals
    }
}

impl Need {
    /// Whether the text described by `facts` may match; `keyword` says whether one of this
    /// rule's keywords occurs in it.
    pub(super) fn holds(self, facts: &TextFacts, keyword: bool) -> bool {
        let keyword = keyword || facts.non_ascii;
        match self {
            Need::Nothing => true,
            Need::Keyword(_) => keyword,
            Need::KeywordAndSeparator(_) => keyword && facts.separator(),
            Need::KeywordAndEquals(_) => keyword && facts.equals,
            Need::Digits(n) => facts.digits >= n,
            Need::PlusAndDigits(n) => facts.plus && facts.digits >= n,
            Need::DottedQuad => facts.dots >= 3 && facts.digits >= 4,
            // The digit as before this pre-check existed: `::` alone (Rust paths) is no address.
            Need::Colons => (facts.double_colon || facts.colons >= 7) && facts.digits > 0,
            Need::LongRun => facts.long_run && facts.digits > 0,
            Need::LetterBesideDigit => facts.letter_beside_digit,
        }
    }

    /// The keywords this need looks for, if any.
    pub(super) fn keywords(self) -> &'static [&'static str] {
        match self {
            Need::Keyword(words)
            | Need::KeywordAndSeparator(words)
            | Need::KeywordAndEquals(words) => words,
            _ => &[],
        }
    }
}

/// A check a regex cannot express (the `regex` crate has no look-around).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    None,
    Ipv4,
    Ipv6,
    Plate,
    Email,
    Card,
    Phone,
    /// The removed value must look like a credential ([`secret_like`]).
    Secret,
    /// A 40-character run must mix upper, lower and digits ([`aws_secret_like`]).
    AwsSecret,
    /// The removed value must not be empty or only punctuation.
    Value,
}

impl Check {
    /// Whether `input[start..end]` (the part to remove) passes this check.
    pub(super) fn accepts(self, input: &str, start: usize, end: usize) -> bool {
        let text = &input[start..end];
        match self {
            Check::None => true,
            Check::Ipv4 => plausible_ipv4(input, start, end),
            Check::Ipv6 => plausible_ipv6(input, start, end),
            Check::Plate => plausible_plate(input, start, end),
            Check::Email => plausible_email(text) && !in_url_authority(input, start),
            Check::Card => standalone(input, start, end) && plausible_card(text),
            Check::Phone => standalone(input, start, end) && plausible_phone(text),
            Check::Secret => secret_like(text),
            Check::AwsSecret => aws_secret_like(text),
            Check::Value => text.bytes().any(|b| b.is_ascii_alphanumeric()),
        }
    }
}

/// The character before `start` and after `end`, if any.
fn neighbours(input: &str, start: usize, end: usize) -> (Option<char>, Option<char>) {
    (
        input[..start].chars().next_back(),
        input[end..].chars().next(),
    )
}

/// Whether a number stands alone rather than being part of a longer token: no letter,
/// digit or `+` right before it, and no letter, digit, or separator-then-digit right after
/// (`2024-11-26T13:02:51`, `1.3.6.1.4.1`, `10.0.0.1:8080` keep their parts together).
fn standalone(input: &str, start: usize, end: usize) -> bool {
    let (before, after) = neighbours(input, start, end);
    if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '+' | '_' | '/' | '#')) {
        return false;
    }
    if before.is_some_and(|c| matches!(c, '.' | '-' | ':'))
        && input[..start]
            .chars()
            .rev()
            .nth(1)
            .is_some_and(|c| c.is_ascii_digit())
    {
        return false;
    }
    match after {
        Some(c) if c.is_alphanumeric() || c == '_' => false,
        Some('.' | '-' | ':' | '/') => !input[end + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Loopback and unspecified addresses are where a service binds, not who a person is:
/// `0.0.0.0:9464`, `127.0.0.1`, `::`, `::1` stay readable in start-up lines.
fn is_local(text: &str) -> bool {
    match text.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => false,
    }
}

fn plausible_ipv4(input: &str, start: usize, end: usize) -> bool {
    let text = &input[start..end];
    if is_local(text) {
        return false;
    }
    let (before, _) = neighbours(input, start, end);
    // Part of a longer dotted number: an OID or a five-part version.
    let dotted_digit = |s: &str| {
        s.strip_prefix('.')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    if dotted_digit(&input[end..])
        || (before == Some('.') && start >= 2 && {
            let b = input.as_bytes()[start - 2];
            b.is_ascii_digit()
        })
    {
        return false;
    }
    !after_version_word(&input[..start])
}

/// Whether the text before a dotted quad ends with a word that makes it a version:
/// one of [`VERSION_WORDS`] (also as a suffix, `trt_version=`), or a product name written
/// with capitals inside it (`TensorRT`, `cuDNN`, `CUDA`), not an address label.
fn after_version_word(before: &str) -> bool {
    let trimmed = before.trim_end_matches([' ', '=', ':', '"', '\'']);
    if trimmed.len() == before.len() && !before.is_empty() {
        // Directly attached to something other than a separator: not a version cue.
        return false;
    }
    let word_start = after_last(trimmed, |c| {
        !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    });
    let word = &trimmed[word_start..];
    if word.is_empty() {
        return false;
    }
    let lower = word.to_ascii_lowercase();
    const ADDRESS_WORDS: &[&str] = &[
        "ip",
        "ipv4",
        "addr",
        "address",
        "host",
        "peer",
        "client",
        "server",
        "from",
        "to",
        "src",
        "dst",
        "remote",
        "local",
        "via",
        "at",
        "gateway",
        "gw",
        "dns",
        "nat",
        "proxy",
        "for",
        "forwarded",
        "by",
    ];
    let last_part = lower
        .rsplit(['_', '-', '.'])
        .next()
        .unwrap_or(lower.as_str());
    if ADDRESS_WORDS.contains(&last_part) {
        return false;
    }
    if VERSION_WORDS.contains(&last_part) || VERSION_WORDS.contains(&lower.as_str()) {
        return true;
    }
    // A camel-cased product name (`TensorRT`, `cuDNN`, `OpenVINO`); not a header name
    // (`X-Forwarded-For`) or an upper-case label, which may well introduce an address.
    !word.contains(['-', '_', '.'])
        && word
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// Rejects `::`-compressed look-alikes: Rust paths (`crate::db::add`),
/// `dead::beef`, a bare `::`, and the loopback and unspecified addresses.
fn plausible_ipv6(input: &str, start: usize, end: usize) -> bool {
    let joined = |c: char| c.is_alphanumeric() || c == '_' || c == ':' || c == '.';
    let (before, after) = neighbours(input, start, end);
    let text = &input[start..end];
    !before.is_some_and(joined)
        && !after.is_some_and(joined)
        && text.bytes().any(|b| b.is_ascii_digit())
        && !is_local(text)
}

fn plausible_plate(input: &str, start: usize, end: usize) -> bool {
    let text = &input[start..end];
    let has_upper = text.chars().any(char::is_uppercase);
    let has_lower = text.chars().any(char::is_lowercase);
    if has_upper && has_lower {
        return false; // `Rtx4090Ti`, `IPv4`, `MiB`: mixed case is a name, not a plate.
    }
    if has_lower && text.contains(' ') && !text.contains('-') {
        return false; // `in a 2`, `at 25 fps`: words and numbers (`k-ab 99` is a plate).
    }
    if text.chars().filter(|c| c.is_alphanumeric()).count() < 4 {
        return false;
    }
    // No plate has four letters in a row without a separator; words with a number do
    // (`base64`, `test01`, `line12`, `page10`).
    let longest_letter_run = text
        .split(|c: char| !c.is_alphabetic())
        .map(|group| group.chars().count())
        .max()
        .unwrap_or(0);
    if longest_letter_run >= 4 {
        return false;
    }
    let letter_group_is_word = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|group| !group.is_empty())
        .any(|group| {
            NOT_PLATE_WORDS
                .iter()
                .any(|word| word.eq_ignore_ascii_case(group))
        });
    if letter_group_is_word {
        return false;
    }
    let (before, after) = neighbours(input, start, end);
    // The stem of a file or host name (`img0001.jpg`, `ab12cde.example.com`), or a part of
    // a longer identifier (`x.AB12CDE`, `AB12CDE@host`).
    let continues = |s: &str| s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    if after == Some('.') && continues(&input[end + 1..]) {
        return false;
    }
    if matches!(after, Some('@' | '%')) || before == Some('@') {
        return false;
    }
    if before == Some('.')
        && input[..start - 1]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    true
}

/// Where the text after the last character matching `pattern` starts (0 without one). Not
/// `rfind() + 1`: that lands inside a multi-byte character (`ſ`, a no-break space) and
/// slicing there panics, which the pre-check proptest found.
fn after_last(text: &str, pattern: impl Fn(char) -> bool) -> usize {
    text.char_indices()
        .rev()
        .find(|&(_, c)| pattern(c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Whether `start` is inside the `user:password@host` of a URL: that part is the userinfo
/// rule's to remove, and the host stays readable.
fn in_url_authority(input: &str, start: usize) -> bool {
    let token_start = after_last(&input[..start], |c| c.is_whitespace() || c == '"');
    input[token_start..start].contains("://")
}

fn plausible_email(text: &str) -> bool {
    let domain = match text.find('@') {
        Some(at) => &text[at + 1..],
        None => match text.find("%40") {
            Some(at) => &text[at + 3..],
            None => return false,
        },
    };
    let mut labels = domain.split('.');
    let first = labels.next().unwrap_or_default();
    let last = domain.rsplit('.').next().unwrap_or_default();
    !NOT_EMAIL_LABELS
        .iter()
        .any(|l| l.eq_ignore_ascii_case(first) || l.eq_ignore_ascii_case(last))
}

/// Issuer prefix and length of the major card schemes, then the Luhn check digit.
fn plausible_card(text: &str) -> bool {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let n = digits.len();
    let prefix = |k: usize| {
        digits
            .iter()
            .take(k)
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d))
    };
    let issuer = match digits.first() {
        Some(4) => matches!(n, 13 | 16 | 19),                 // Visa
        Some(5) => (51..=55).contains(&prefix(2)) && n == 16, // Mastercard
        Some(2) => (2221..=2720).contains(&prefix(4)) && n == 16, // Mastercard 2-series
        Some(3) => {
            (matches!(prefix(2), 34 | 37) && n == 15)                // American Express
                || ((3528..=3589).contains(&prefix(4)) && n >= 16)   // JCB
                || (matches!(prefix(2), 36 | 38 | 39 | 30) && n >= 14) // Diners Club
        }
        Some(6) => {
            (prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3))) // Discover
                || (prefix(2) == 62) // UnionPay
        }
        _ => false,
    };
    issuer && luhn(&digits)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Digit count in range, and dots only between pairs (`06.12.34.56.78`), so dates
/// (`01.02.2024`) are not read as numbers to call.
fn plausible_phone(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if !(8..=15).contains(&digits) {
        return false;
    }
    if text.starts_with('+') {
        return true;
    }
    if text.contains('.') && !text.starts_with('(') {
        let groups: Vec<&str> = text.split('.').collect();
        let nanp = groups.len() == 3 && groups[0].len() == 3 && groups[1].len() == 3;
        let pairs = groups[1..].iter().all(|g| g.len() == 2);
        return nanp || pairs;
    }
    if text.starts_with('0') {
        return (9..=12).contains(&digits);
    }
    true
}

/// Whether a value after `Bearer`, `Basic`, `Authorization:` looks like a credential rather
/// than a word: eight characters or more with a digit, a capital after its first letter, or
/// a base64 character (`=`, `+`, `/`, `_`). "authentication", "required", "Expired" are words.
pub(super) fn secret_like(text: &str) -> bool {
    let text = text.trim_end_matches('.');
    if text.len() < 8 {
        return false;
    }
    text.bytes().any(|b| b.is_ascii_digit())
        || text.bytes().skip(1).any(|b| b.is_ascii_uppercase())
        || text.bytes().any(|b| matches!(b, b'=' | b'+' | b'/' | b'_'))
}

/// Whether a 40-character base64 run is an AWS-style secret: upper, lower and digits mixed
/// (a git or SHA-1 digest is lower-case hex and stays).
pub(super) fn aws_secret_like(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit)
}
