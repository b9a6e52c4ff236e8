//! Lists of numbers given either explicitly or as `linspace`/`logspace` ranges.

use serde::Deserialize;

use crate::error::InputError;

/// A list of parameter values as written in a spec: a list, `{"linspace": {…}}` or
/// `{"logspace": {…}}` (endpoints are the values themselves, both included).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValuesSpec {
    /// Explicit values.
    List(Vec<f64>),
    /// Evenly or log-evenly spaced values.
    Range(RangeSpec),
}

/// Spaced values.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RangeSpec {
    /// `count` values evenly spaced from `start` to `stop`.
    Linspace {
        /// First value.
        start: f64,
        /// Last value.
        stop: f64,
        /// Number of values (≥ 1).
        count: usize,
    },
    /// `count` values log-evenly spaced from `start` to `stop` (both > 0).
    Logspace {
        /// First value.
        start: f64,
        /// Last value.
        stop: f64,
        /// Number of values (≥ 1).
        count: usize,
    },
}

impl ValuesSpec {
    /// The values; errors name `field`.
    pub fn values(&self, field: &str) -> Result<Vec<f64>, InputError> {
        let v = match self {
            ValuesSpec::List(v) => v.clone(),
            ValuesSpec::Range(RangeSpec::Linspace { start, stop, count })
            | ValuesSpec::Range(RangeSpec::Logspace { start, stop, count }) => {
                let log = matches!(self, ValuesSpec::Range(RangeSpec::Logspace { .. }));
                let name = if log { "logspace" } else { "linspace" };
                crate::error::require_finite(&format!("{field}.{name}.start"), *start)?;
                crate::error::require_finite(&format!("{field}.{name}.stop"), *stop)?;
                crate::error::require_at_most(
                    &format!("{field}.{name}.count"),
                    *count,
                    crate::error::MAX_VALUES,
                )?;
                if *count == 0 {
                    return Err(InputError::new(
                        format!("{field}.{name}.count"),
                        "must be ≥ 1",
                    ));
                }
                if log && (*start <= 0.0 || *stop <= 0.0) {
                    return Err(InputError::new(
                        format!("{field}.logspace"),
                        "start and stop must be > 0; use linspace for values ≤ 0",
                    ));
                }
                (0..*count)
                    .map(|i| {
                        let f = if *count == 1 {
                            0.0
                        } else {
                            i as f64 / (*count - 1) as f64
                        };
                        if i + 1 == *count && *count > 1 {
                            *stop
                        } else if log {
                            (start.ln() + f * (stop.ln() - start.ln())).exp()
                        } else {
                            start + f * (stop - start)
                        }
                    })
                    .collect()
            }
        };
        if v.is_empty() {
            return Err(InputError::new(field, "is empty; give at least one value"));
        }
        for (i, x) in v.iter().enumerate() {
            crate::error::require_finite(&format!("{field}[{i}]"), *x)?;
        }
        Ok(v)
    }
}
