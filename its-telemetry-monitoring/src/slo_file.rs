//! SLOs declared in a file (YAML or TOML) instead of in code, for `its-monitoring generate
//! --slos FILE`.
//!
//! ```yaml
//! slos:
//!   - name: detection_availability   # snake_case: the `slo` label value
//!     kind: availability             # availability | latency | custom
//!     objective: 0.999               # strictly between 0 and 1
//!     window_days: 30                # compliance window, whole days (> 0)
//!   - name: detection_latency
//!     kind: latency
//!     objective: 0.95
//!     threshold_ms: 100              # latency only: the slowest good request (> 0)
//!     window_days: 30
//!   - name: plate_reads
//!     kind: custom
//!     objective: 0.99
//!     good_when: a plate is read with confidence >= 0.8   # custom only
//!     window_days: 28
//! ```
//!
//! The same in TOML is a list of `[[slos]]` tables. Unknown fields are errors, and so is a
//! field of another kind (`threshold_ms` on an availability SLO), a duplicate name or an empty
//! list. Each SLO becomes an [`its_telemetry::sla::Slo`] through its constructors, so the rules
//! are the ones [`Slo::new`] enforces.
//!
//! ```
//! use its_telemetry_monitoring::slo_file::SloFile;
//!
//! let slos = SloFile::from_yaml(
//!     "slos:\n  - {name: detection_availability, kind: availability, objective: 0.999, window_days: 30}\n",
//! )?
//! .into_slos()?;
//! assert_eq!(slos[0].name(), "detection_availability");
//!
//! let err = SloFile::from_yaml(
//!     "slos:\n  - {name: detection_availability, kind: availability, objective: 1.5, window_days: 30}\n",
//! )?
//! .into_slos()
//! .unwrap_err();
//! assert!(err.to_string().contains("field `objective`"), "{err}");
//! # Ok::<(), its_telemetry_monitoring::slo_file::SloFileError>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use its_telemetry::sla::{Sli, Slo, SloError};
use serde::Deserialize;

/// A file of SLO declarations: a `slos` list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloFile {
    /// The SLOs, in the order their rules are generated.
    pub slos: Vec<SloSpec>,
}

/// What makes an event good: the SLI of a declared SLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SloKind {
    /// The request succeeded ([`Sli::Availability`]).
    Availability,
    /// The request completed within `threshold_ms` ([`Sli::Latency`]).
    Latency,
    /// The service decides, as `good_when` says ([`Sli::Custom`]).
    Custom,
}

impl SloKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Availability => "availability",
            Self::Latency => "latency",
            Self::Custom => "custom",
        }
    }
}

/// One declared SLO, as written in the file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// The SLO's name, the `slo` label value: lowercase snake_case.
    pub name: String,
    /// What makes an event good.
    pub kind: SloKind,
    /// The share of good events, strictly between 0 and 1 (`0.999`).
    pub objective: f64,
    /// The compliance window in days.
    pub window_days: u32,
    /// Latency SLOs only: the slowest good request, in milliseconds.
    #[serde(default)]
    pub threshold_ms: Option<f64>,
    /// Custom SLOs only: a sentence saying what counts as good.
    #[serde(default)]
    pub good_when: Option<String>,
}

/// An SLO file that cannot be used. Messages name the SLO (its index in `slos`, from 0, and
/// its name) and the field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SloFileError {
    /// The file cannot be read.
    #[error("cannot read SLO file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file name ends in neither `.yaml`, `.yml` nor `.toml`.
    #[error("SLO file {}: unknown format, name it *.yaml, *.yml or *.toml", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The text is not valid YAML or TOML, or does not follow the schema (an unknown field,
    /// a missing one, a wrong type). The message says where (`slos[1]`, or line and column).
    #[error("invalid {format}: {message}")]
    Parse {
        /// `YAML` or `TOML`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A field's value is not allowed.
    #[error("slos[{index}] ({name}): field `{field}`: {problem}")]
    Invalid {
        /// Position in `slos`, from 0.
        index: usize,
        /// The SLO's name as written.
        name: String,
        /// The offending field.
        field: &'static str,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// Two SLOs have the same name; their rules would collide.
    #[error("slos[{index}] ({name}): field `name`: {name:?} is already the name of slos[{first}]")]
    Duplicate {
        /// Position of the second one.
        index: usize,
        /// Position of the first one.
        first: usize,
        /// The name.
        name: String,
    },
    /// `slos` is an empty list.
    #[error("the SLO file declares no SLOs (`slos` is empty)")]
    Empty,
}

impl SloFile {
    /// Parses YAML.
    ///
    /// # Errors
    /// [`SloFileError::Parse`] when the text is not YAML or does not follow the schema.
    pub fn from_yaml(text: &str) -> Result<Self, SloFileError> {
        serde_norway::from_str(text).map_err(|e| SloFileError::Parse {
            format: "YAML",
            message: e.to_string(),
        })
    }

    /// Parses TOML (`[[slos]]` tables).
    ///
    /// # Errors
    /// [`SloFileError::Parse`] when the text is not TOML or does not follow the schema.
    pub fn from_toml(text: &str) -> Result<Self, SloFileError> {
        toml::from_str(text).map_err(|e| SloFileError::Parse {
            format: "TOML",
            message: e.to_string().trim_end().to_owned(),
        })
    }

    /// Reads and parses `path`, YAML or TOML by its extension.
    ///
    /// # Errors
    /// [`SloFileError::Read`], [`SloFileError::UnknownFormat`] or [`SloFileError::Parse`].
    pub fn read(path: &Path) -> Result<Self, SloFileError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let parse = match extension.as_deref() {
            Some("yaml" | "yml") => Self::from_yaml,
            Some("toml") => Self::from_toml,
            _ => {
                return Err(SloFileError::UnknownFormat {
                    path: path.to_owned(),
                });
            }
        };
        let text = std::fs::read_to_string(path).map_err(|source| SloFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        parse(&text)
    }

    /// The declared SLOs, built with [`Slo::new`].
    ///
    /// # Errors
    /// [`SloFileError::Invalid`] for a value [`Slo::new`] rejects or a field of another kind,
    /// [`SloFileError::Duplicate`] for a name used twice, [`SloFileError::Empty`] for no SLOs.
    pub fn into_slos(self) -> Result<Vec<Slo>, SloFileError> {
        if self.slos.is_empty() {
            return Err(SloFileError::Empty);
        }
        let mut seen: Vec<&str> = Vec::new();
        for (index, spec) in self.slos.iter().enumerate() {
            if let Some(first) = seen.iter().position(|n| *n == spec.name) {
                return Err(SloFileError::Duplicate {
                    index,
                    first,
                    name: spec.name.clone(),
                });
            }
            seen.push(&spec.name);
        }
        self.slos
            .iter()
            .enumerate()
            .map(|(index, spec)| spec.to_slo(index))
            .collect()
    }
}

/// Reads `path` (YAML or TOML) and returns its SLOs.
///
/// # Errors
/// As [`SloFile::read`] and [`SloFile::into_slos`].
pub fn load(path: &Path) -> Result<Vec<Slo>, SloFileError> {
    SloFile::read(path)?.into_slos()
}

impl SloSpec {
    /// The [`Slo`]; `index` is the position in the file, for error messages.
    ///
    /// # Errors
    /// [`SloFileError::Invalid`] naming the field.
    pub fn to_slo(&self, index: usize) -> Result<Slo, SloFileError> {
        let invalid = |field: &'static str, problem: String| SloFileError::Invalid {
            index,
            name: self.name.clone(),
            field,
            problem,
        };
        let kind = self.kind.as_str();
        let only_for = |field: &'static str, for_kind: &str| {
            invalid(
                field,
                format!("only applies to kind {for_kind}, this SLO is of kind {kind}: remove it"),
            )
        };
        let required = |field: &'static str, example: &str| {
            invalid(
                field,
                format!("required for kind {kind} (e.g. `{field}: {example}`)"),
            )
        };
        let sli = match self.kind {
            SloKind::Latency => {
                if self.good_when.is_some() {
                    return Err(only_for("good_when", "custom"));
                }
                let ms = self
                    .threshold_ms
                    .ok_or_else(|| required("threshold_ms", "100"))?;
                let threshold = (ms.is_finite() && ms > 0.0)
                    .then(|| Duration::try_from_secs_f64(ms / 1000.0).ok())
                    .flatten()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        invalid(
                            "threshold_ms",
                            format!("{ms} must be a number of milliseconds above zero"),
                        )
                    })?;
                Sli::Latency { threshold }
            }
            SloKind::Availability | SloKind::Custom => {
                if self.threshold_ms.is_some() {
                    return Err(only_for("threshold_ms", "latency"));
                }
                if self.kind == SloKind::Availability {
                    if self.good_when.is_some() {
                        return Err(only_for("good_when", "custom"));
                    }
                    Sli::Availability
                } else {
                    let good_when = self
                        .good_when
                        .clone()
                        .filter(|g| !g.trim().is_empty())
                        .ok_or_else(|| required("good_when", "a plate is read"))?;
                    Sli::Custom { good_when }
                }
            }
        };
        let window = Duration::from_secs(u64::from(self.window_days) * 86_400);
        Slo::new(self.name.clone(), sli, self.objective, window).map_err(|e| match e {
            SloError::InvalidName(name) => invalid(
                "name",
                format!("{name:?} must be non-empty lowercase snake_case (a-z, 0-9, _)"),
            ),
            SloError::InvalidObjective { objective, .. } => invalid(
                "objective",
                format!("{objective} must be strictly between 0 and 1 (e.g. 0.999)"),
            ),
            SloError::ZeroDuration { what: "window", .. } => {
                invalid("window_days", "must be at least 1".to_owned())
            }
            SloError::ZeroDuration { .. } => {
                invalid("threshold_ms", "must be above zero".to_owned())
            }
            other => invalid("slo", other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml_error(spec: &str) -> String {
        SloFile::from_yaml(&format!("slos:\n  - {spec}\n"))
            .and_then(SloFile::into_slos)
            .expect_err("must be rejected")
            .to_string()
    }

    #[test]
    fn example_file_is_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/slos.yaml");
        let slos = load(&path).expect("examples/slos.yaml");
        assert_eq!(slos, crate::default_slos());
        assert_eq!(
            crate::generate(&slos),
            crate::generate(&crate::default_slos())
        );
    }

    #[test]
    fn toml_is_the_same_schema() {
        let slos = SloFile::from_toml(
            r#"
            [[slos]]
            name = "detection_availability"
            kind = "availability"
            objective = 0.999
            window_days = 30

            [[slos]]
            name = "detection_latency"
            kind = "latency"
            objective = 0.95
            threshold_ms = 100
            window_days = 30
            "#,
        )
        .and_then(SloFile::into_slos)
        .expect("valid TOML");
        assert_eq!(slos, crate::default_slos());
    }

    #[test]
    fn custom_slos_carry_their_sentence() {
        let slos = SloFile::from_yaml(
            "slos:\n  - {name: plate_reads, kind: custom, objective: 0.99, window_days: 28, good_when: a plate is read}\n",
        )
        .and_then(SloFile::into_slos)
        .expect("valid");
        assert_eq!(
            slos[0].sli(),
            &Sli::Custom {
                good_when: "a plate is read".to_owned()
            }
        );
        assert_eq!(slos[0].window(), Duration::from_secs(28 * 86_400));
    }

    #[test]
    fn errors_name_the_slo_and_the_field() {
        let base = "name: a, kind: availability, objective: 0.9, window_days: 30";
        for (spec, expected) in [
            (
                "{name: a, kind: availability, objective: 1.5, window_days: 30}".to_owned(),
                "slos[0] (a): field `objective`",
            ),
            (
                format!("{{{base}, colour: red}}"),
                "slos[0]: unknown field `colour`",
            ),
            (
                "{name: Bad Name, kind: availability, objective: 0.9, window_days: 30}".to_owned(),
                "slos[0] (Bad Name): field `name`",
            ),
            (
                "{name: a, kind: availability, objective: 0.9, window_days: 0}".to_owned(),
                "slos[0] (a): field `window_days`",
            ),
            (
                "{name: a, kind: latency, objective: 0.9, window_days: 30}".to_owned(),
                "slos[0] (a): field `threshold_ms`: required for kind latency",
            ),
            (
                "{name: a, kind: latency, objective: 0.9, window_days: 30, threshold_ms: -1}"
                    .to_owned(),
                "slos[0] (a): field `threshold_ms`",
            ),
            (
                format!("{{{base}, threshold_ms: 100}}"),
                "slos[0] (a): field `threshold_ms`: only applies to kind latency",
            ),
            (
                format!("{{{base}, good_when: always}}"),
                "slos[0] (a): field `good_when`: only applies to kind custom",
            ),
            (
                "{name: a, kind: custom, objective: 0.9, window_days: 30}".to_owned(),
                "slos[0] (a): field `good_when`: required for kind custom",
            ),
            (
                "{name: a, kind: speed, objective: 0.9, window_days: 30}".to_owned(),
                "unknown variant `speed`",
            ),
            (
                "{name: a, kind: availability, window_days: 30}".to_owned(),
                "missing field `objective`",
            ),
        ] {
            let message = yaml_error(&spec);
            assert!(message.contains(expected), "{spec}: {message}");
        }
    }

    #[test]
    fn duplicates_and_empty_lists_are_rejected() {
        let slo = "{name: a, kind: availability, objective: 0.9, window_days: 30}";
        let message = SloFile::from_yaml(&format!("slos:\n  - {slo}\n  - {slo}\n"))
            .and_then(SloFile::into_slos)
            .expect_err("duplicate")
            .to_string();
        assert!(message.contains("slos[1] (a): field `name`"), "{message}");
        assert!(matches!(
            SloFile::from_yaml("slos: []\n").and_then(SloFile::into_slos),
            Err(SloFileError::Empty)
        ));
    }

    #[test]
    fn toml_errors_name_the_field() {
        let message = SloFile::from_toml(
            "[[slos]]\nname = \"a\"\nkind = \"availability\"\nobjective = 0.9\nwindow_days = 30\ncolour = \"red\"\n",
        )
        .expect_err("unknown field")
        .to_string();
        assert!(message.contains("unknown field `colour`"), "{message}");
    }

    #[test]
    fn the_format_follows_the_extension() {
        assert!(matches!(
            SloFile::read(Path::new("slos.json")),
            Err(SloFileError::UnknownFormat { .. })
        ));
        assert!(matches!(
            SloFile::read(Path::new("/nonexistent/slos.yaml")),
            Err(SloFileError::Read { .. })
        ));
    }
}
