//! Implicit methods for stiff problems from differential-equations 0.7 (pure Rust): Radau IIA of
//! order 5 and variable-order BDF, both fed the field's analytic Jacobian.
//!
//! Work-around: in that crate, `State::zeros()` of every run-time-sized state (`Vec`, `DVector`)
//! is empty, and both Radau5 and BDF use it for their first Newton iterate, so they panic with
//! "State length mismatch" on the first step. States cross the boundary as [`SolverState`], a
//! `Vec<f64>` whose `zeros()` has the dimension of the solve running on this thread.
//!
//! Work-around: Radau5's set-up rescales the tolerances component by component
//! (rtol ← 0.1·rtol^(2/3), Hairer's convention); a scalar tolerance is one shared value, so it is
//! rescaled n times and ends near 1e−3 whatever was asked. Tolerances are therefore passed as
//! vectors, and pre-scaled by the inverse map so that Radau5 works at the rtol the user gave, like
//! every other method (the smallest it accepts is [`RADAU5_MIN_RTOL`]).
//!
//! Work-around: BDF's own first-step estimate fails with a step-size underflow at t = 0 on our
//! problems, so both methods get the first step from [`super::runge_kutta::initial_step`].

use std::cell::{Cell, RefCell};

use differential_equations::control::ControlFlag;
use differential_equations::error::Error as DeError;
use differential_equations::interpolate::Interpolation;
use differential_equations::linalg::Matrix;
use differential_equations::methods::{
    BackwardDifferentiationFormula, ImplicitRungeKutta, Ordinary, Radau,
};
use differential_equations::ode::{ODE, solve_ode};
use differential_equations::solout::Solout;
use differential_equations::solution::Solution;
use differential_equations::traits::State;
use nalgebra::DMatrix;

use super::runge_kutta::initial_step;
use super::{BackendFailure, BackendSettings, Control, Method, Segment, SolverStats, StepView};
use crate::error::SolveError;
use crate::flow::VectorField;

/// Smallest relative tolerance Radau5 can work at (its set-up needs rtol > 10·ε before rescaling);
/// a tighter rtol is raised to this and recorded in the provenance.
pub const RADAU5_MIN_RTOL: f64 = 1.7e-11;

/// Order of Radau IIA with 3 stages ([`Method::order`] of `radau5`).
const RADAU5_ORDER: u32 = 5;
/// Order of BDF's first steps.
const BDF_START_ORDER: u32 = 1;

/// The tolerance to hand to Radau5 so that, after its rescaling rtol ← 0.1·rtol^(2/3), it works
/// at `rtol` (and atol keeps its ratio to rtol).
fn radau5_tolerances(rtol: f64, atol: f64) -> (f64, f64) {
    let target = rtol.max(RADAU5_MIN_RTOL);
    let given = (10.0 * target).powf(1.5);
    (given, atol / rtol * given)
}

thread_local! {
    static DIMENSION: Cell<usize> = const { Cell::new(0) };
}

/// Sets the thread's state dimension for the lifetime of the guard (restores it on drop, so
/// nested solves for event location are safe).
struct DimensionGuard(usize);

impl DimensionGuard {
    fn set(n: usize) -> Self {
        Self(DIMENSION.with(|d| d.replace(n)))
    }
}

impl Drop for DimensionGuard {
    fn drop(&mut self) {
        DIMENSION.with(|d| d.set(self.0));
    }
}

/// A run-time-sized state whose `zeros()` knows the current solve's dimension.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SolverState(Vec<f64>);

impl State<f64> for SolverState {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get_component(&self, index: usize) -> f64 {
        self.0[index]
    }
    fn set_component(&mut self, index: usize, value: f64) {
        self.0[index] = value;
    }
    fn map_components_mut<F>(&mut self, mut f: F)
    where
        F: FnMut(usize, &mut f64),
    {
        for (i, v) in self.0.iter_mut().enumerate() {
            f(i, v);
        }
    }
    fn zeros_like(&self) -> Self {
        SolverState(vec![0.0; self.0.len()])
    }
    fn zeros() -> Self {
        SolverState(vec![0.0; DIMENSION.with(Cell::get)])
    }
    fn mul_add_assign(&mut self, alpha: f64, other: &Self) {
        for (s, o) in self.0.iter_mut().zip(&other.0) {
            *s += alpha * o;
        }
    }
    fn scale_mut(&mut self, alpha: f64) {
        for s in &mut self.0 {
            *s *= alpha;
        }
    }
    fn copy_from_state(&mut self, other: &Self) {
        self.0.clone_from(&other.0);
    }
}

struct Problem<'a> {
    field: &'a dyn VectorField,
    jacobian: RefCell<DMatrix<f64>>,
}

impl ODE<f64, SolverState> for Problem<'_> {
    fn diff(&self, _t: f64, y: &SolverState, dydt: &mut SolverState) {
        self.field.eval(&y.0, &mut dydt.0);
    }

    fn jacobian(&self, _t: f64, y: &SolverState, j: &mut Matrix<f64>) {
        let mut jac = self.jacobian.borrow_mut();
        self.field.jacobian(&y.0, &mut jac);
        let n = jac.nrows();
        for c in 0..n {
            for r in 0..n {
                j[(r, c)] = jac[(r, c)];
            }
        }
    }
}

struct Observer<'a> {
    observer: &'a mut dyn FnMut(&StepView) -> Control,
    last: &'a RefCell<(f64, Vec<f64>)>,
    non_finite: &'a Cell<bool>,
    started: bool,
    /// Largest of the last two step sizes (first-step hint for the next segment).
    step_hint: &'a Cell<f64>,
    last_step: f64,
}

impl Solout<f64, SolverState> for Observer<'_> {
    fn solout<I>(
        &mut self,
        t_curr: f64,
        t_prev: f64,
        y_curr: &SolverState,
        y_prev: &SolverState,
        _interpolator: &mut I,
        _solution: &mut Solution<f64, SolverState>,
    ) -> ControlFlag<f64, SolverState>
    where
        I: Interpolation<f64, SolverState> + ?Sized,
    {
        if !self.started {
            // The first call reports the initial state, not a step.
            self.started = true;
            return ControlFlag::Continue;
        }
        if y_curr.0.iter().any(|v| !v.is_finite()) {
            self.non_finite.set(true);
            return ControlFlag::Terminate;
        }
        let h = t_curr - t_prev;
        self.step_hint.set(h.max(self.last_step));
        self.last_step = h;
        {
            let mut last = self.last.borrow_mut();
            last.0 = t_curr;
            last.1.clone_from(&y_curr.0);
        }
        let view = StepView {
            t_prev,
            y_prev: &y_prev.0,
            t: t_curr,
            y: &y_curr.0,
            f: None,
        };
        match (self.observer)(&view) {
            Control::Continue => ControlFlag::Continue,
            Control::Stop => ControlFlag::Terminate,
        }
    }
}

/// Runs radau5 or bdf from (t0, y0) to t1.
pub(crate) fn advance(
    method: Method,
    field: &dyn VectorField,
    t0: f64,
    y0: &[f64],
    t1: f64,
    settings: &BackendSettings,
    observer: &mut dyn FnMut(&StepView) -> Control,
) -> Result<Segment, Box<BackendFailure>> {
    let n = field.dim();
    let problem = Problem {
        field,
        jacobian: RefCell::new(DMatrix::zeros(n, n)),
    };
    let last = RefCell::new((t0, y0.to_vec()));
    let non_finite = Cell::new(false);
    let step_hint = Cell::new(0.0);
    let mut solout = Observer {
        observer,
        last: &last,
        non_finite: &non_finite,
        started: false,
        step_hint: &step_hint,
        last_step: 0.0,
    };
    let _dimension = DimensionGuard::set(n);
    let mut extra_evaluations = 0;
    // Radau5 takes the hint as is; BDF starts at order 1 and needs a first step no larger than
    // the order-1 estimate. The estimate's exponent is 1/(order + 1) (one more than Hairer's
    // codes use for an explicit method of that order).
    let mut first_step = |order: u32| {
        let estimate = |extra: &mut usize| {
            *extra += 2;
            initial_step(field, y0, t1 - t0, order + 1, settings.rtol, settings.atol)
        };
        match (settings.initial_step, order) {
            (Some(h), RADAU5_ORDER) => h.min(t1 - t0),
            (Some(h), _) => h.min(estimate(&mut extra_evaluations)),
            (None, _) => estimate(&mut extra_evaluations),
        }
    };
    let y = SolverState(y0.to_vec());
    let result = match method {
        Method::Radau5 => {
            let (rtol, atol) = radau5_tolerances(settings.rtol, settings.atol);
            let mut m = ImplicitRungeKutta::<Ordinary, Radau, f64, SolverState, 5, 3, 3>::radau5()
                .rtol(vec![rtol; n])
                .atol(vec![atol; n])
                .max_steps(settings.max_steps)
                .h_max(settings.max_step.unwrap_or(f64::INFINITY))
                .h0(first_step(RADAU5_ORDER));
            solve_ode(&mut m, &problem, t0, t1, &y, &mut solout)
        }
        _ => {
            let mut m = BackwardDifferentiationFormula::<Ordinary, f64, SolverState>::adaptive()
                .rtol(vec![settings.rtol; n])
                .atol(vec![settings.atol; n])
                .max_steps(settings.max_steps)
                .h_max(settings.max_step.unwrap_or(f64::INFINITY))
                .h0(first_step(BDF_START_ORDER));
            solve_ode(&mut m, &problem, t0, t1, &y, &mut solout)
        }
    };
    let name = method.name().to_string();
    let (t_last, y_last) = last.into_inner();
    match result {
        Ok(sol) => {
            let stats = SolverStats {
                field_evaluations: sol.evals.function + extra_evaluations,
                jacobian_evaluations: sol.evals.jacobian,
                factorisations: sol.evals.decompositions,
                linear_solves: sol.evals.solves,
                accepted_steps: sol.steps.accepted,
                rejected_steps: sol.steps.rejected,
            };
            if non_finite.get() {
                return Err(Box::new(BackendFailure {
                    error: SolveError::NonFinite {
                        method: name,
                        t: t_last,
                    },
                    t: t_last,
                    y: y_last,
                    stats,
                }));
            }
            Ok(Segment {
                t: t_last,
                y: y_last,
                stats,
                last_step: Some(step_hint.get()).filter(|h| *h > 0.0),
            })
        }
        Err(e) => {
            let error = match e {
                DeError::MaxSteps { t, .. } => SolveError::MaxSteps {
                    method: name,
                    t,
                    max_steps: settings.max_steps,
                },
                DeError::StepSize { t, .. } => SolveError::StepSizeUnderflow { method: name, t },
                DeError::Stiffness { t, .. } => SolveError::Stiff { method: name, t },
                DeError::LinearAlgebra { t, msg, .. } => SolveError::Backend {
                    method: name,
                    message: format!("linear algebra failure at t = {t:.6e}: {msg}"),
                },
                other => SolveError::Backend {
                    method: name,
                    message: format!("{other:?}"),
                },
            };
            Err(Box::new(BackendFailure {
                error,
                t: t_last,
                y: y_last,
                stats: SolverStats {
                    field_evaluations: extra_evaluations,
                    ..SolverStats::default()
                },
            }))
        }
    }
}
