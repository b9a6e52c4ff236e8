//! Error types. Bad input is an [`InputError`] that names the offending field and says how to
//! fix it (the CLI turns it into one line and exit status 2); a numerical failure at run time is a
//! [`SolveError`] with the time and the reason.

use thiserror::Error;

/// Bad input: which field, what is wrong with it and how to fix it. Displayed as one line
/// `field: message`, whatever the input held: control characters are escaped, very long parts
/// shortened, and an empty field path shown as `spec`.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// Dotted path of the offending field (e.g. `model.regulariser.l2.lambda`).
    pub field: String,
    /// What is wrong and what to do instead, in one sentence.
    pub message: String,
}

/// `text` on one line: control characters (newlines, tabs, …) escaped as `\n`, `\u{…}`, and
/// at most `max` characters (the rest replaced by `…`).
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl InputError {
    /// An error about `field` with a message that says what to do instead.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let field = if field.trim().is_empty() {
            "spec".to_string()
        } else {
            one_line(&field, 200)
        };
        Self {
            field,
            message: one_line(&message.into(), 2000),
        }
    }

    /// The same error with `prefix.` put in front of the field path.
    pub fn within(mut self, prefix: &str) -> Self {
        if prefix.is_empty() {
            return self;
        }
        self.field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Largest number of values an axis, a continuation or an output list may have.
pub const MAX_VALUES: usize = 1_000_000;
/// Largest number of examples of a generated model.
pub const MAX_EXAMPLES: usize = 5_000;
/// Largest number of entries of a generated matrix (examples × parameters).
pub const MAX_MATRIX_ENTRIES: usize = 50_000_000;
/// Largest number of cells of a sweep.
pub const MAX_CELLS: usize = 1 << 36;

/// Checks that a count is at most `limit`; the error names `field`.
pub fn require_at_most(field: &str, value: usize, limit: usize) -> Result<usize, InputError> {
    if value <= limit {
        Ok(value)
    } else {
        Err(InputError::new(
            field,
            format!(
                "{value} is more than the {limit} this tool allows; use a smaller value (or shards for sweeps)"
            ),
        ))
    }
}

/// Checks that `value` is a finite number; the error names `field`.
pub fn require_finite(field: &str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(InputError::new(
            field,
            format!("must be a finite number, got {value}"),
        ))
    }
}

/// Checks that `value` is finite and > 0.
pub fn require_positive(field: &str, value: f64) -> Result<f64, InputError> {
    require_finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(InputError::new(field, format!("must be > 0, got {value}")))
    }
}

/// Checks that `value` is finite and ≥ 0.
pub fn require_non_negative(field: &str, value: f64) -> Result<f64, InputError> {
    require_finite(field, value)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(InputError::new(field, format!("must be ≥ 0, got {value}")))
    }
}

/// A numerical failure while integrating or solving.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SolveError {
    /// The explicit method's stiffness test fired repeatedly.
    #[error(
        "{method}: the problem is stiff at t = {t:.6e}; use method \"radau5\", \"bdf\" or \"auto\""
    )]
    Stiff {
        /// Method that detected stiffness.
        method: String,
        /// Time at which stiffness was detected.
        t: f64,
    },
    /// The step budget ran out before `t_end`.
    #[error(
        "{method}: reached max_steps = {max_steps} at t = {t:.6e} before t_end; raise options.max_steps or use method \"auto\""
    )]
    MaxSteps {
        /// Method that ran out of steps.
        method: String,
        /// Time reached.
        t: f64,
        /// The budget.
        max_steps: usize,
    },
    /// The step size fell below what the floating-point time can resolve.
    #[error(
        "{method}: step size underflow at t = {t:.6e} (the solution may blow up or leave its domain)"
    )]
    StepSizeUnderflow {
        /// Method.
        method: String,
        /// Time reached.
        t: f64,
    },
    /// The state stopped being finite (overflow or a domain violation).
    #[error("{method}: the state became non-finite at t = {t:.6e}")]
    NonFinite {
        /// Method.
        method: String,
        /// Time reached.
        t: f64,
    },
    /// The backend reported a failure of its own.
    #[error("{method}: {message}")]
    Backend {
        /// Method.
        method: String,
        /// The backend's message.
        message: String,
    },
    /// Newton's method (equilibria) did not converge.
    #[error(
        "Newton's method did not converge after {iterations} iterations (last weighted residual {residual:.3e})"
    )]
    NoConvergence {
        /// Iterations performed.
        iterations: usize,
        /// Last weighted residual.
        residual: f64,
    },
    /// A quantity does not exist for this model (e.g. an equilibrium with λ = 0).
    #[error("{0}")]
    Undefined(String),
}

/// Any error of the library: bad input, a numerical failure, or a file that could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input (exit status 2 in the CLI).
    #[error(transparent)]
    Input(#[from] InputError),
    /// Numerical failure.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// A buffer the computation needs could not be allocated (exit status 1 in the CLI,
    /// `MemoryError` in Python): the allocation was refused, the process lives on.
    #[error(
        "out of memory: {what} needs {bytes} bytes that could not be allocated; ask for less (fewer examples, features or recorded points)"
    )]
    Memory {
        /// What the buffer is for.
        what: String,
        /// Its size.
        bytes: u64,
    },
    /// File system failure.
    #[error("{path}: {message}")]
    Io {
        /// The path that failed.
        path: String,
        /// What failed.
        message: String,
    },
}

/// A vector of `len` zeros allocated fallibly: an allocator refusal is an [`Error::Memory`]
/// naming `what`, not an abort.
pub fn try_zeros(len: usize, what: &str) -> Result<Vec<f64>, Error> {
    let fail = || Error::Memory {
        what: what.to_string(),
        bytes: (len as u64).saturating_mul(8),
    };
    let mut v: Vec<f64> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| fail())?;
    v.resize(len, 0.0);
    Ok(v)
}
