//! A lane-batched DOP853 for many small autonomous systems at once (sweeps and benchmarks).
//!
//! `L` independent trajectories advance together, each with its own time, step size, error
//! control and end time: every Runge–Kutta stage evaluates the field for all lanes in one call,
//! so the stages of different trajectories overlap in the processor (and vectorise), instead of
//! waiting on each other as the stages of one trajectory must. When a lane finishes, the next
//! problem is loaded into it. The method, its error estimator (Hairer's 5th/3rd-order blend),
//! its step-size controller, initial step and dense output of order 7 are those of Hairer's
//! DOP853 (HNW I, §II.5 and dop853.f), from [`super::runge_kutta`]. [`run_batch`] picks the
//! AVX2 build of the kernel when the processor has it (run-time detection), for every caller.

// Index loops over lanes and components are the point here: they vectorise.
#![allow(clippy::needless_range_loop)]

use super::Method;
use super::runge_kutta::dop853::{A, B, BHH, D, ER, STAGES};
use super::runge_kutta::{
    StepController, step_from_trial, tolerance_scale, trial_step, weighted_rms,
};

/// Hairer's controller parameters for DOP853.
const CONTROL: StepController = StepController::DOP853;

/// A vector field evaluated for `L` lanes at once; state layout `[component][lane]`.
pub trait LaneField<const N: usize, const L: usize> {
    /// f(y) for every lane.
    fn eval(&self, y: &[[f64; L]; N], out: &mut [[f64; L]; N]);
}

/// Settings of a batch run.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Step budget per trajectory.
    pub max_steps: u32,
}

/// How a lane's trajectory ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneStatus {
    /// Reached its end time.
    Finished,
    /// The observer stopped it.
    Stopped,
    /// Ran out of steps.
    MaxSteps,
    /// Step size underflow or a non-finite state.
    Failed,
}

/// End of one trajectory.
#[derive(Debug, Clone, Copy)]
pub struct LaneOutcome<const N: usize> {
    /// Final time.
    pub t: f64,
    /// Final state.
    pub y: [f64; N],
    /// Field evaluations spent on this trajectory.
    pub evaluations: u32,
    /// Accepted steps.
    pub accepted: u32,
    /// Rejected steps.
    pub rejected: u32,
    /// Status.
    pub status: LaneStatus,
}

/// The 7th-order dense output of one accepted step of one lane.
#[derive(Debug, Clone, Copy)]
pub struct DenseStep<const N: usize> {
    /// Step start.
    pub t0: f64,
    /// Step size.
    pub h: f64,
    /// Hairer's continuous-output coefficients.
    pub cont: [[f64; N]; 8],
}

impl<const N: usize> DenseStep<N> {
    /// The interpolated state at time t (t0 ≤ t ≤ t0 + h).
    pub fn at(&self, t: f64) -> [f64; N] {
        let s = (t - self.t0) / self.h;
        let s1 = 1.0 - s;
        let c = &self.cont;
        std::array::from_fn(|i| {
            c[0][i]
                + s * (c[1][i]
                    + s1 * (c[2][i]
                        + s * (c[3][i]
                            + s1 * (c[4][i] + s * (c[5][i] + s1 * (c[6][i] + s * c[7][i]))))))
        })
    }
}

/// What an observer sees after an accepted step of one lane.
pub struct StepInfo<'a, const N: usize> {
    /// Index of the problem in the lane.
    pub problem: usize,
    /// Step start time and state.
    pub t0: f64,
    /// State at t0.
    pub y0: &'a [f64; N],
    /// Step end time and state.
    pub t1: f64,
    /// State at t1.
    pub y1: &'a [f64; N],
    /// f(y0).
    pub f0: &'a [f64; N],
    /// f(y1).
    pub f1: &'a [f64; N],
}

/// Decisions an observer returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// Keep going.
    Continue,
    /// The observer needs the dense output of this step (it is called again with it).
    NeedDense,
    /// Stop this trajectory here.
    Stop,
}

/// Watches accepted steps (level crossings, maxima); the default watches nothing.
pub trait StepObserver<const N: usize> {
    /// Called after every accepted step.
    fn step(&mut self, _info: &StepInfo<N>) -> Observation {
        Observation::Continue
    }
    /// Called with the dense output when `step` asked for it; may stop the trajectory.
    fn dense(&mut self, _info: &StepInfo<N>, _dense: &DenseStep<N>) -> Observation {
        Observation::Continue
    }
}

/// An observer that watches nothing.
pub struct NoObserver;
impl<const N: usize> StepObserver<N> for NoObserver {}

/// Integrates `count` problems on `L` lanes. `load(problem, lane, field)` puts a problem's
/// parameters into the field's lane and returns its initial state and end time (start time 0);
/// `finish(problem, outcome)` receives each result (in completion order). On x86-64 processors
/// with AVX2 the kernel, the field and the callbacks run as AVX2 code (same operations, same
/// results, wider registers): the `multiversion` crate compiles the function twice and picks the
/// version once per process from the processor's features.
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub fn run_batch<F, O, Load, Finish, const N: usize, const L: usize>(
    field: &mut F,
    settings: &BatchSettings,
    count: usize,
    load: Load,
    observer: &mut O,
    finish: Finish,
) where
    F: LaneField<N, L>,
    O: StepObserver<N>,
    Load: FnMut(usize, usize, &mut F) -> ([f64; N], f64),
    Finish: FnMut(usize, LaneOutcome<N>),
{
    run_batch_portable(field, settings, count, load, observer, finish);
}

#[inline(always)]
fn run_batch_portable<F, O, Load, Finish, const N: usize, const L: usize>(
    field: &mut F,
    settings: &BatchSettings,
    count: usize,
    mut load: Load,
    observer: &mut O,
    mut finish: Finish,
) where
    F: LaneField<N, L>,
    O: StepObserver<N>,
    Load: FnMut(usize, usize, &mut F) -> ([f64; N], f64),
    Finish: FnMut(usize, LaneOutcome<N>),
{
    let mut lanes = Lanes::<N, L>::new();
    let mut next = 0usize;
    let mut tmp = [[0.0; L]; N];
    let mut tmp2 = [[0.0; L]; N];
    loop {
        // Refill idle lanes with the next problems.
        let mut refilled = [false; L];
        for l in 0..L {
            if !lanes.active[l] && next < count {
                let (y0, t_end) = load(next, l, field);
                lanes.start(l, next, y0, t_end);
                refilled[l] = true;
                next += 1;
            }
        }
        if refilled.iter().any(|r| *r) {
            lanes.initial_steps(field, settings, &refilled, &mut tmp, &mut tmp2);
        }
        if !lanes.active.iter().any(|a| *a) {
            break;
        }
        lanes.step(field, settings, observer, &mut finish);
    }
}

struct Lanes<const N: usize, const L: usize> {
    active: [bool; L],
    problem: [usize; L],
    t: [f64; L],
    t_end: [f64; L],
    h: [f64; L],
    y: [[f64; L]; N],
    k: [[[f64; L]; N]; 16],
    reject: [bool; L],
    evaluations: [u32; L],
    accepted: [u32; L],
    rejected: [u32; L],
}

impl<const N: usize, const L: usize> Lanes<N, L> {
    fn new() -> Self {
        Self {
            active: [false; L],
            problem: [0; L],
            t: [0.0; L],
            t_end: [0.0; L],
            h: [0.0; L],
            y: [[0.0; L]; N],
            k: [[[0.0; L]; N]; 16],
            reject: [false; L],
            evaluations: [0; L],
            accepted: [0; L],
            rejected: [0; L],
        }
    }

    #[inline(always)]
    fn start(&mut self, l: usize, problem: usize, y0: [f64; N], t_end: f64) {
        self.active[l] = true;
        self.problem[l] = problem;
        self.t[l] = 0.0;
        self.t_end[l] = t_end;
        for (i, v) in y0.iter().enumerate() {
            self.y[i][l] = *v;
        }
        self.reject[l] = false;
        self.evaluations[l] = 0;
        self.accepted[l] = 0;
        self.rejected[l] = 0;
    }

    /// f(y0) and Hairer's initial step for the refilled lanes (2 evaluations each), by the rule
    /// of [`super::runge_kutta`] with q = 8 (dop853.f: IORD = 8).
    fn initial_steps<F: LaneField<N, L>>(
        &mut self,
        field: &F,
        s: &BatchSettings,
        refilled: &[bool; L],
        f0: &mut [[f64; L]; N],
        f1: &mut [[f64; L]; N],
    ) {
        const Q: u32 = match Method::Dop853.order() {
            Some(q) => q,
            None => unreachable!(),
        };
        field.eval(&self.y, f0);
        let mut h0 = [0.0; L];
        let mut d1 = [0.0; L];
        let mut y1 = self.y;
        for l in 0..L {
            if !refilled[l] {
                continue;
            }
            let y: [f64; N] = std::array::from_fn(|i| self.y[i][l]);
            let f: [f64; N] = std::array::from_fn(|i| f0[i][l]);
            for i in 0..N {
                self.k[0][i][l] = f[i];
            }
            let d0 = weighted_rms(&y, &y, s.rtol, s.atol);
            d1[l] = weighted_rms(&f, &y, s.rtol, s.atol);
            h0[l] = trial_step(d0, d1[l], self.t_end[l]);
            for i in 0..N {
                y1[i][l] = self.y[i][l] + h0[l] * f0[i][l];
            }
        }
        field.eval(&y1, f1);
        for l in 0..L {
            if !refilled[l] {
                continue;
            }
            let y: [f64; N] = std::array::from_fn(|i| self.y[i][l]);
            let df: [f64; N] = std::array::from_fn(|i| f1[i][l] - f0[i][l]);
            let d2 = weighted_rms(&df, &y, s.rtol, s.atol) / h0[l];
            self.h[l] = step_from_trial(h0[l], d1[l], d2, Q, self.t_end[l]);
            self.evaluations[l] += 2;
        }
    }

    #[inline(always)]
    fn stage_state(&self, s: usize, out: &mut [[f64; L]; N]) {
        for i in 0..N {
            for l in 0..L {
                let mut acc = 0.0;
                for j in 0..s {
                    acc += A[s][j] * self.k[j][i][l];
                }
                out[i][l] = self.y[i][l] + self.h[l] * acc;
            }
        }
    }

    #[inline(always)]
    fn step<F, O, G>(&mut self, field: &F, s: &BatchSettings, observer: &mut O, finish: &mut G)
    where
        F: LaneField<N, L>,
        O: StepObserver<N>,
        G: FnMut(usize, LaneOutcome<N>),
    {
        // Shorten the last step of each lane to land on its end time.
        let mut last = [false; L];
        for l in 0..L {
            if !self.active[l] {
                self.h[l] = 0.0;
                continue;
            }
            if self.t[l] + 1.01 * self.h[l] - self.t_end[l] > 0.0 {
                self.h[l] = self.t_end[l] - self.t[l];
                last[l] = true;
            }
        }
        let mut ys = [[0.0; L]; N];
        for st in 1..STAGES {
            self.stage_state(st, &mut ys);
            let mut out = [[0.0; L]; N];
            field.eval(&ys, &mut out);
            self.k[st] = out;
        }
        // 8th-order solution and the two error estimates.
        let mut y_new = [[0.0; L]; N];
        let mut err5 = [0.0; L];
        let mut err3 = [0.0; L];
        for i in 0..N {
            for l in 0..L {
                let (mut sb, mut s5, mut s3) = (0.0, 0.0, 0.0);
                for j in 0..STAGES {
                    let kj = self.k[j][i][l];
                    sb += B[j] * kj;
                    s5 += ER[j] * kj;
                    s3 += BHH[j] * kj;
                }
                y_new[i][l] = self.y[i][l] + self.h[l] * sb;
                let sk = tolerance_scale(self.y[i][l].abs().max(y_new[i][l].abs()), s.rtol, s.atol);
                let e5 = s5 / sk;
                let e3 = (sb - s3) / sk;
                err5[l] += e5 * e5;
                err3[l] += e3 * e3;
            }
        }
        let mut f_new = [[0.0; L]; N];
        field.eval(&y_new, &mut f_new);
        for l in 0..L {
            if !self.active[l] {
                continue;
            }
            self.evaluations[l] += 12;
            let mut deno = err5[l] + 0.01 * err3[l];
            if deno <= 0.0 {
                deno = 1.0;
            }
            let h = self.h[l];
            let err = h.abs() * err5[l] * (1.0 / (deno * N as f64)).sqrt();
            // err^(1/8) by three square roots (a third of the cost of powf, same value to an ulp).
            let fac11 = err.sqrt().sqrt().sqrt();
            let mut h_new = CONTROL.after_accept(h, fac11);
            let finite = (0..N).all(|i| y_new[i][l].is_finite() && f_new[i][l].is_finite());
            if err <= 1.0 && finite {
                if self.reject[l] {
                    h_new = h_new.min(h);
                }
                self.reject[l] = false;
                self.accepted[l] += 1;
                let y0: [f64; N] = std::array::from_fn(|i| self.y[i][l]);
                let y1: [f64; N] = std::array::from_fn(|i| y_new[i][l]);
                let f0: [f64; N] = std::array::from_fn(|i| self.k[0][i][l]);
                let f1: [f64; N] = std::array::from_fn(|i| f_new[i][l]);
                let t0 = self.t[l];
                let t1 = if last[l] { self.t_end[l] } else { t0 + h };
                let info = StepInfo {
                    problem: self.problem[l],
                    t0,
                    y0: &y0,
                    t1,
                    y1: &y1,
                    f0: &f0,
                    f1: &f1,
                };
                let mut decision = observer.step(&info);
                if decision == Observation::NeedDense {
                    let dense = self.dense(field, l, &y_new, &f_new);
                    decision = observer.dense(&info, &dense);
                }
                for i in 0..N {
                    self.y[i][l] = y_new[i][l];
                    self.k[0][i][l] = f_new[i][l];
                }
                self.t[l] = t1;
                self.h[l] = h_new.min(self.t_end[l]);
                let stop = decision == Observation::Stop;
                if last[l] || stop {
                    self.active[l] = false;
                    finish(
                        self.problem[l],
                        LaneOutcome {
                            t: t1,
                            y: y1,
                            evaluations: self.evaluations[l],
                            accepted: self.accepted[l],
                            rejected: self.rejected[l],
                            status: if stop {
                                LaneStatus::Stopped
                            } else {
                                LaneStatus::Finished
                            },
                        },
                    );
                } else if self.accepted[l] + self.rejected[l] >= s.max_steps {
                    self.active[l] = false;
                    self.fail(l, LaneStatus::MaxSteps, finish);
                }
            } else {
                self.reject[l] = true;
                if self.accepted[l] >= 1 {
                    self.rejected[l] += 1;
                }
                // Hairer: h ← h / min(1/fac_min, err^(1/8)/safety); a non-finite trial state
                // (overflow, domain) shrinks the step tenfold.
                self.h[l] = if finite {
                    CONTROL.after_reject(h, fac11)
                } else {
                    0.1 * h
                };
                let tiny = 0.1 * self.h[l].abs() <= f64::EPSILON * self.t[l].abs();
                if tiny || self.accepted[l] + self.rejected[l] >= s.max_steps {
                    self.active[l] = false;
                    let status = if tiny {
                        LaneStatus::Failed
                    } else {
                        LaneStatus::MaxSteps
                    };
                    self.fail(l, status, finish);
                }
            }
        }
    }

    fn fail<G: FnMut(usize, LaneOutcome<N>)>(&self, l: usize, status: LaneStatus, finish: &mut G) {
        finish(
            self.problem[l],
            LaneOutcome {
                t: self.t[l],
                y: std::array::from_fn(|i| self.y[i][l]),
                evaluations: self.evaluations[l],
                accepted: self.accepted[l],
                rejected: self.rejected[l],
                status,
            },
        );
    }

    /// Dense output of lane `l`'s step just accepted (3 extra evaluations of the batch).
    fn dense<F: LaneField<N, L>>(
        &mut self,
        field: &F,
        l: usize,
        y_new: &[[f64; L]; N],
        f_new: &[[f64; L]; N],
    ) -> DenseStep<N> {
        self.k[12] = *f_new;
        for st in 13..16 {
            let mut ys = [[0.0; L]; N];
            self.stage_state(st, &mut ys);
            let mut out = [[0.0; L]; N];
            field.eval(&ys, &mut out);
            self.k[st] = out;
        }
        self.evaluations[l] += 3;
        let h = self.h[l];
        let mut cont = [[0.0; N]; 8];
        for i in 0..N {
            let y0 = self.y[i][l];
            let ydiff = y_new[i][l] - y0;
            let bspl = h * self.k[0][i][l] - ydiff;
            cont[0][i] = y0;
            cont[1][i] = ydiff;
            cont[2][i] = bspl;
            cont[3][i] = ydiff - h * f_new[i][l] - bspl;
            for r in 0..4 {
                let mut acc = 0.0;
                for j in 0..16 {
                    acc += D[r][j] * self.k[j][i][l];
                }
                cont[4 + r][i] = h * acc;
            }
        }
        DenseStep {
            t0: self.t[l],
            h,
            cont,
        }
    }
}
