//! What a line panel plots: a quantity (`t`, `step`, `z1`, `|z1|`, `|z|`, `theta1`, `alpha1`, …)
//! read off a trajectory or off an equilibrium.

use super::coordinates::{coordinate_label, space_of_prefix};
use crate::error::InputError;
use crate::flow::Space;
use crate::portrait::state_from_responses;
use crate::solve::Trajectory;
use crate::spec::RunSpec;

/// A quantity read off a trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quantity {
    /// Flow time t.
    Time,
    /// Record index.
    Step,
    /// Response z_j (0-based j), or |z_j|.
    Response { j: usize, abs: bool },
    /// ‖z‖.
    ResponseNorm,
    /// State coordinate j (0-based) of a θ or α run, or its absolute value.
    State { space: Space, j: usize, abs: bool },
}

impl Quantity {
    /// Parses a quantity's name; errors name `field`.
    pub(super) fn parse(name: &str, field: &str) -> Result<Self, InputError> {
        let bad = || {
            InputError::new(
                field,
                format!(
                    "unknown quantity {name:?}; use \"t\", \"step\", \"z1\", \"|z1|\", \"|z|\", \"theta1\", \"|theta1|\", \"alpha1\" or \"|alpha1|\" (indices from 1)"
                ),
            )
        };
        let n = name.trim();
        match n {
            "t" => return Ok(Quantity::Time),
            "step" => return Ok(Quantity::Step),
            "|z|" => return Ok(Quantity::ResponseNorm),
            _ => {}
        }
        let (abs, inner) = match n.strip_prefix('|').and_then(|s| s.strip_suffix('|')) {
            Some(s) => (true, s),
            None => (false, n),
        };
        let split = inner.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let (prefix, digits) = inner.split_at(split);
        let j: usize = digits.parse().map_err(|_| bad())?;
        if j == 0 {
            return Err(InputError::new(
                field,
                format!("{name:?}: indices start at 1 (z1 is the first response)"),
            ));
        }
        match space_of_prefix(prefix) {
            Some(Space::Responses) => Ok(Quantity::Response { j: j - 1, abs }),
            Some(space) => Ok(Quantity::State {
                space,
                j: j - 1,
                abs,
            }),
            None => Err(bad()),
        }
    }

    /// Parses a quantity's name if there is one.
    pub(super) fn parse_optional(
        name: Option<&str>,
        field: &str,
    ) -> Result<Option<Self>, InputError> {
        name.map(|n| Quantity::parse(n, field)).transpose()
    }

    /// The axis label, with the paper's symbols (|z₁|, θ₂, ‖z‖).
    pub(super) fn label(self) -> String {
        match self {
            Quantity::Time => "t".into(),
            Quantity::Step => "step k".into(),
            Quantity::ResponseNorm => "‖z‖".into(),
            Quantity::Response { j, abs } => bars(coordinate_label(Space::Responses, j), abs),
            Quantity::State { space, j, abs } => bars(coordinate_label(space, j), abs),
        }
    }

    /// The values along a trajectory of the run labelled `label`; errors name `field`.
    pub(super) fn along(
        self,
        label: &str,
        tr: &Trajectory,
        field: &str,
    ) -> Result<Vec<f64>, InputError> {
        let k = tr.responses.first().map(Vec::len).unwrap_or(0);
        match self {
            Quantity::Time => Ok(tr.times.clone()),
            Quantity::Step => {
                // Step k of the discrete map: t = t_start + k·h, h = (t_last − t_start)/steps.
                if !tr.method.is_map() {
                    return Err(InputError::new(
                        field,
                        format!(
                            "\"step\" counts steps of the gd map, but run {label:?} is a continuous run; plot \"t\" instead"
                        ),
                    ));
                }
                let (t0, t1) = (tr.times[0], tr.final_time());
                let steps = tr.stats.accepted_steps as f64;
                Ok(tr
                    .times
                    .iter()
                    .map(|t| {
                        if t1 > t0 {
                            ((t - t0) / (t1 - t0) * steps).round()
                        } else {
                            0.0
                        }
                    })
                    .collect())
            }
            Quantity::ResponseNorm => Ok(tr.responses.iter().map(|z| norm(z)).collect()),
            Quantity::Response { j, abs } => {
                if j >= k {
                    return Err(missing_response(field, j, label, k));
                }
                Ok(tr.responses.iter().map(|z| magnitude(z[j], abs)).collect())
            }
            Quantity::State { space, j, abs } => {
                if tr.space != space {
                    return Err(InputError::new(
                        field,
                        format!(
                            "{} is a coordinate of space {:?} but run {label:?} runs in space {:?}; plot responses (z1, |z1|, …) or select runs of that space",
                            self.label(),
                            space.name(),
                            tr.space.name()
                        ),
                    ));
                }
                let dim = tr.states.first().map(Vec::len).unwrap_or(0);
                if j >= dim {
                    return Err(InputError::new(
                        field,
                        format!("asks for coordinate {} but run {label:?} has {dim}", j + 1),
                    ));
                }
                Ok(tr.states.iter().map(|s| magnitude(s[j], abs)).collect())
            }
        }
    }

    /// The value at an equilibrium z* of `run`'s model.
    pub(super) fn at_equilibrium(
        self,
        run: &RunSpec,
        z: &[f64],
        field: &str,
    ) -> Result<f64, InputError> {
        match self {
            Quantity::Time | Quantity::Step => Err(InputError::new(
                field,
                "equilibrium markers need quantities of the state (z1, |z1|, …) on both axes, not t or step",
            )),
            Quantity::ResponseNorm => Ok(norm(z)),
            Quantity::Response { j, abs } => match z.get(j) {
                Some(v) => Ok(magnitude(*v, abs)),
                None => Err(missing_response(field, j, &run.label, z.len())),
            },
            Quantity::State { space, j, abs } => {
                let s = state_from_responses(&run.model, space, z);
                match s.get(j) {
                    Some(v) => Ok(magnitude(*v, abs)),
                    None => Err(InputError::new(
                        field,
                        format!(
                            "asks for coordinate {} but the {} state has {}",
                            j + 1,
                            space.name(),
                            s.len()
                        ),
                    )),
                }
            }
        }
    }
}

/// The error for response `j` (0-based) of a run labelled `label` with `k` features.
fn missing_response(field: &str, j: usize, label: &str, k: usize) -> InputError {
    InputError::new(
        field,
        format!("asks for z{} but run {label:?} has {k} features", j + 1),
    )
}

/// ‖z‖.
fn norm(z: &[f64]) -> f64 {
    z.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// |v| when `abs`, v otherwise.
fn magnitude(v: f64, abs: bool) -> f64 {
    if abs { v.abs() } else { v }
}

/// `|s|` when `abs`, `s` otherwise.
fn bars(s: String, abs: bool) -> String {
    if abs { format!("|{s}|") } else { s }
}
