//! Lists of numbers given either explicitly or as `linspace`/`logspace` ranges.

use serde::Deserialize;

use crate::error::InputError;

/// A list of parameter values as written in a spec: a list, `{"linspace": {…}}` or
/// `{"logspace": {…}}` (endpoints are the values themselves, both included). Any other shape is
/// refused with one line listing the three accepted forms (`VALUES_FORMS`).
#[derive(Debug, Clone)]
pub enum ValuesSpec {
    /// Explicit values.
    List(Vec<f64>),
    /// Evenly or log-evenly spaced values.
    Range(RangeSpec),
}

/// The accepted forms of a values field, with an example of each (error messages).
pub const VALUES_FORMS: &str = r#"must be a list of numbers such as [0.1, 0.2], {"linspace": {"start": 0, "stop": 1, "count": 11}} or {"logspace": {"start": 0.001, "stop": 1, "count": 4}}"#;

impl<'de> Deserialize<'de> for ValuesSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(d)?;
        let fail = |detail: String| D::Error::custom(format!("{VALUES_FORMS} ({detail})"));
        match value {
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    x.as_f64()
                        .ok_or_else(|| fail(format!("entry [{i}] is {x}, not a number")))
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(ValuesSpec::List),
            serde_json::Value::Object(ref map)
                if map.len() == 1
                    && (map.contains_key("linspace") || map.contains_key("logspace")) =>
            {
                serde_json::from_value::<RangeSpec>(value.clone())
                    .map(ValuesSpec::Range)
                    .map_err(|e| fail(format!("here: {e}")))
            }
            other => Err(fail(format!("got {}", shorten(&other.to_string())))),
        }
    }
}

/// At most 60 characters of a JSON text, for error messages.
fn shorten(text: &str) -> String {
    if text.chars().count() <= 60 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(60).collect::<String>())
    }
}

/// `x` rounded to 15 significant digits when that moves it by at most 4 units in the last place:
/// removes the float noise of range arithmetic (0.009999999999999998 becomes 0.01) and leaves
/// values that are not short decimals (2.0448324865459355) as computed.
pub fn snap_to_15_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let snapped: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    if (snapped - x).abs() <= 4.0 * f64::EPSILON * x.abs() {
        snapped
    } else {
        x
    }
}

/// Spaced values.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
                // Value i is the weighted mean (start·(n−1−i) + stop·i)/(n−1) (of log₁₀ values
                // for logspace), snapped to 15 significant digits when that is within 4 ulps; endpoints are exact.
                let n = *count;
                (0..n)
                    .map(|i| {
                        if i == 0 {
                            *start
                        } else if i + 1 == n {
                            *stop
                        } else {
                            let (a, b) = if log {
                                (start.log10(), stop.log10())
                            } else {
                                (*start, *stop)
                            };
                            let w = (a * (n - 1 - i) as f64 + b * i as f64) / (n - 1) as f64;
                            snap_to_15_digits(if log { 10f64.powf(w) } else { w })
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
