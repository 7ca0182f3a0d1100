//! Reads the Prometheus text format back: `# TYPE` lines and samples with unescaped labels.

use std::collections::BTreeMap;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Series name (with `_bucket`/`_sum`/`_count` for histograms).
    pub name: String,
    /// Labels with their values unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// The parsed exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// `metric name -> type` from `# TYPE` lines.
    pub types: BTreeMap<String, String>,
    /// Every sample.
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// Parses `text`.
    ///
    /// # Panics
    /// On a line that is not valid exposition format (the tests want to know).
    pub fn parse(text: &str) -> Self {
        let mut out = Self::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE line");
                out.types.insert(name.to_owned(), kind.to_owned());
            } else if !line.starts_with('#') {
                out.samples.push(parse_sample(line));
            }
        }
        out
    }

    /// Sum of the samples of `name` whose labels include every `(key, value)` of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.series(name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// Samples of one series name.
    pub fn series<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |s| s.name == name)
    }
}

fn parse_sample(line: &str) -> Sample {
    let (name, rest) = match line.find('{') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => {
            let (name, value) = line.split_once(' ').expect("sample line");
            return Sample {
                name: name.to_owned(),
                labels: BTreeMap::new(),
                value: parse_value(value),
            };
        }
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.char_indices().peekable();
    let mut key = String::new();
    let mut end = rest.len();
    while let Some((i, c)) = chars.next() {
        match c {
            '}' => {
                end = i + 1;
                break;
            }
            ',' | ' ' => {}
            '=' => {
                assert_eq!(
                    chars.next().map(|(_, c)| c),
                    Some('"'),
                    "label value quote: {line}"
                );
                let mut value = String::new();
                loop {
                    match chars.next().map(|(_, c)| c) {
                        Some('\\') => match chars.next().map(|(_, c)| c) {
                            Some('n') => value.push('\n'),
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            other => panic!("bad escape {other:?} in {line}"),
                        },
                        Some('"') => break,
                        Some(c) => value.push(c),
                        None => panic!("unterminated label value: {line}"),
                    }
                }
                labels.insert(std::mem::take(&mut key), value);
            }
            c => key.push(c),
        }
    }
    Sample {
        name: name.to_owned(),
        labels,
        value: parse_value(rest[end..].trim()),
    }
}

fn parse_value(text: &str) -> f64 {
    let value = text.split_whitespace().next().expect("value");
    match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("bad value {v}")),
    }
}
