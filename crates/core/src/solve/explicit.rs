//! The explicit Dormand–Prince pairs of ode_solvers 0.6.2, behind the crate's interface.
//!
//! Work-arounds for that crate's known defects (docs/architecture.md): output is always `Sparse`
//! (its `Dense` end point is extrapolated and its `solout` sees mismatched (t, y) pairs), so the
//! state at every requested time is the true end state of a segment integrated up to exactly that
//! time; integration only runs forward; our fields are autonomous, so Dop853's wrong c12/c13
//! nodes for time-dependent systems never matter.
//!
//! ode_solvers runs its own step-size controller and initial-step rule (the formulas of
//! dopri5.f / dop853.f); this wrapper gives it the controller parameters of
//! [`super::runge_kutta::StepController`], the ones the lane-batched DOP853 uses.

use std::cell::Cell;

use ode_solvers::dop_shared::{IntegrationError, System};
use ode_solvers::{DVector, Dop853, Dopri5, OutputType};

use super::runge_kutta::StepController;
use super::{BackendFailure, BackendSettings, Control, Method, Segment, SolverStats, StepView};
use crate::error::SolveError;
use crate::flow::VectorField;

struct Adapter<'a> {
    field: &'a dyn VectorField,
    observer: &'a mut dyn FnMut(&StepView) -> Control,
    t_prev: f64,
    y_prev: Vec<f64>,
    /// Field evaluations, counted here so they survive a failed run.
    evaluations: &'a Cell<usize>,
    accepted: &'a Cell<usize>,
    /// Largest of the last two step sizes (a first-step hint for the next segment; the last
    /// step of a segment is cut short to land on its end).
    step_hint: &'a Cell<f64>,
    last_step: f64,
}

impl System<f64, DVector<f64>> for Adapter<'_> {
    fn system(&self, _t: f64, y: &DVector<f64>, dy: &mut DVector<f64>) {
        self.evaluations.set(self.evaluations.get() + 1);
        self.field.eval(y.as_slice(), dy.as_mut_slice());
    }

    fn solout(&mut self, t: f64, y: &DVector<f64>, dy: &DVector<f64>) -> bool {
        self.accepted.set(self.accepted.get() + 1);
        if y.iter().any(|v| !v.is_finite()) {
            return true;
        }
        let view = StepView {
            t_prev: self.t_prev,
            y_prev: &self.y_prev,
            t,
            y: y.as_slice(),
            f: Some(dy.as_slice()),
        };
        let control = (self.observer)(&view);
        let h = t - self.t_prev;
        self.step_hint.set(h.max(self.last_step));
        self.last_step = h;
        self.t_prev = t;
        self.y_prev.copy_from_slice(y.as_slice());
        control == Control::Stop
    }
}

/// Runs dopri5 or dop853 from (t0, y0) to t1.
pub(crate) fn advance(
    method: Method,
    field: &dyn VectorField,
    t0: f64,
    y0: &[f64],
    t1: f64,
    settings: &BackendSettings,
    observer: &mut dyn FnMut(&StepView) -> Control,
) -> Result<Segment, Box<BackendFailure>> {
    let evaluations = Cell::new(0);
    let accepted = Cell::new(0);
    let step_hint = Cell::new(0.0);
    let adapter = Adapter {
        field,
        observer,
        t_prev: t0,
        y_prev: y0.to_vec(),
        evaluations: &evaluations,
        accepted: &accepted,
        step_hint: &step_hint,
        last_step: 0.0,
    };
    let y = DVector::from_column_slice(y0);
    let h0 = settings.initial_step.unwrap_or(0.0).min(t1 - t0);
    let h_max = settings.max_step.unwrap_or(f64::INFINITY).min(t1 - t0);
    let n_max = u32::try_from(settings.max_steps).unwrap_or(u32::MAX);
    let n_stiff = u32::try_from(settings.stiffness_test_interval).unwrap_or(u32::MAX);
    let (outcome, x_out, y_out) = match method {
        Method::Dopri5 => {
            let c = StepController::DOPRI5;
            let mut s = Dopri5::from_param(
                adapter,
                t0,
                t1,
                0.0,
                y,
                settings.rtol,
                settings.atol,
                c.safety,
                c.beta,
                c.fac_min,
                c.fac_max,
                h_max,
                h0,
                n_max,
                n_stiff,
                OutputType::Sparse,
            );
            let outcome = s.integrate();
            let (xs, ys) = s.results().get();
            (outcome, xs.last().copied(), ys.last().cloned())
        }
        _ => {
            let c = StepController::DOP853;
            let mut s = Dop853::from_param(
                adapter,
                t0,
                t1,
                0.0,
                y,
                settings.rtol,
                settings.atol,
                c.safety,
                c.beta,
                c.fac_min,
                c.fac_max,
                h_max,
                h0,
                n_max,
                n_stiff,
                OutputType::Sparse,
            );
            let outcome = s.integrate();
            let (xs, ys) = s.results().get();
            (outcome, xs.last().copied(), ys.last().cloned())
        }
    };
    let t_end = x_out.unwrap_or(t0);
    let y_end: Vec<f64> = y_out
        .map(|v| v.as_slice().to_vec())
        .unwrap_or_else(|| y0.to_vec());
    let name = method.name().to_string();
    let mut stats = SolverStats {
        field_evaluations: evaluations.get(),
        accepted_steps: accepted.get(),
        ..SolverStats::default()
    };
    match outcome {
        Ok(st) => {
            stats.rejected_steps = st.rejected_steps as usize;
            if y_end.iter().any(|v| !v.is_finite()) {
                return Err(Box::new(BackendFailure {
                    error: SolveError::NonFinite {
                        method: name,
                        t: t_end,
                    },
                    t: t0,
                    y: y0.to_vec(),
                    stats,
                }));
            }
            Ok(Segment {
                t: t_end,
                y: y_end,
                stats,
                last_step: Some(step_hint.get()).filter(|h| *h > 0.0),
            })
        }
        Err(e) => {
            let error = match e {
                IntegrationError::StiffnessDetected { x } => {
                    SolveError::Stiff { method: name, t: x }
                }
                IntegrationError::MaxNumStepReached { x, .. } => SolveError::MaxSteps {
                    method: name,
                    t: x,
                    max_steps: settings.max_steps,
                },
                IntegrationError::StepSizeUnderflow { x } => {
                    SolveError::StepSizeUnderflow { method: name, t: x }
                }
            };
            Err(Box::new(BackendFailure {
                error,
                t: t_end,
                y: y_end,
                stats,
            }))
        }
    }
}
