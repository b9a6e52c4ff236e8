//! A lane-batched DOP853 for many small autonomous systems at once (sweeps and benchmarks).
//!
//! `L` independent trajectories advance together, each with its own time, step size, error
//! control and end time: every Runge–Kutta stage evaluates the field for all lanes in one call,
//! so the stages of different trajectories overlap in the processor (and vectorise), instead of
//! waiting on each other as the stages of one trajectory must. When a lane finishes, the next
//! problem is loaded into it. The method, its error estimator (Hairer's 5th/3rd-order blend),
//! its step-size controller and its dense output of order 7 are those of Hairer's DOP853, with
//! the tableau taken from the differential-equations crate.

// Index loops over lanes and components are the point here: they vectorise.
#![allow(clippy::needless_range_loop)]

use differential_equations::tableau::ButcherTableau;

/// The DOP853 coefficients used by the kernel (0-based stages; stage 12 is f at the new point).
#[derive(Debug, Clone)]
pub struct Dop853Tableau {
    a: [[f64; 16]; 16],
    b: [f64; 12],
    bhh: [f64; 12],
    er: [f64; 12],
    d: [[f64; 16]; 4],
}

impl Dop853Tableau {
    /// Hairer's DOP853 tableau.
    pub fn new() -> Self {
        let t = ButcherTableau::<f64, 12, 16>::dop853();
        let bhh = t.bh.unwrap_or([0.0; 12]);
        let er = t.er.unwrap_or([0.0; 12]);
        let bi = t.bi.unwrap_or([[0.0; 16]; 16]);
        Self {
            a: t.a,
            b: t.b,
            bhh,
            er,
            d: [bi[4], bi[5], bi[6], bi[7]],
        }
    }
}

impl Default for Dop853Tableau {
    fn default() -> Self {
        Self::new()
    }
}

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
/// `finish(problem, outcome)` receives each result (in completion order).
#[inline(always)]
pub fn run_batch<F, O, const N: usize, const L: usize>(
    field: &mut F,
    tableau: &Dop853Tableau,
    settings: &BatchSettings,
    count: usize,
    mut load: impl FnMut(usize, usize, &mut F) -> ([f64; N], f64),
    observer: &mut O,
    mut finish: impl FnMut(usize, LaneOutcome<N>),
) where
    F: LaneField<N, L>,
    O: StepObserver<N>,
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
        lanes.step(field, tableau, settings, observer, &mut finish);
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

    /// f(y0) and Hairer's initial step for the refilled lanes (2 evaluations each).
    fn initial_steps<F: LaneField<N, L>>(
        &mut self,
        field: &F,
        s: &BatchSettings,
        refilled: &[bool; L],
        f0: &mut [[f64; L]; N],
        f1: &mut [[f64; L]; N],
    ) {
        field.eval(&self.y, f0);
        let mut h0 = [0.0; L];
        let mut y1 = self.y;
        for l in 0..L {
            if !refilled[l] {
                continue;
            }
            let (mut d0, mut d1) = (0.0, 0.0);
            for i in 0..N {
                let sk = s.atol + s.rtol * self.y[i][l].abs();
                d0 += (self.y[i][l] / sk).powi(2);
                d1 += (f0[i][l] / sk).powi(2);
                self.k[0][i][l] = f0[i][l];
            }
            let (d0, d1) = ((d0 / N as f64).sqrt(), (d1 / N as f64).sqrt());
            let span = self.t_end[l];
            h0[l] = if d0 < 1e-5 || d1 < 1e-5 {
                1e-6
            } else {
                0.01 * d0 / d1
            }
            .min(span);
            for i in 0..N {
                y1[i][l] = self.y[i][l] + h0[l] * f0[i][l];
            }
        }
        field.eval(&y1, f1);
        for l in 0..L {
            if !refilled[l] {
                continue;
            }
            let (mut d1, mut d2) = (0.0, 0.0);
            for i in 0..N {
                let sk = s.atol + s.rtol * self.y[i][l].abs();
                d1 += (f0[i][l] / sk).powi(2);
                d2 += ((f1[i][l] - f0[i][l]) / sk).powi(2);
            }
            let d1 = (d1 / N as f64).sqrt();
            let d2 = (d2 / N as f64).sqrt() / h0[l];
            let h1 = if d1.max(d2) <= 1e-15 {
                (h0[l] * 1e-3).max(1e-6)
            } else {
                (0.01 / d1.max(d2)).powf(1.0 / 8.0)
            };
            self.h[l] = (100.0 * h0[l]).min(h1).min(self.t_end[l]);
            self.evaluations[l] += 2;
        }
    }

    #[inline(always)]
    fn stage_state(&self, tab: &Dop853Tableau, s: usize, out: &mut [[f64; L]; N]) {
        for i in 0..N {
            for l in 0..L {
                let mut acc = 0.0;
                for j in 0..s {
                    acc += tab.a[s][j] * self.k[j][i][l];
                }
                out[i][l] = self.y[i][l] + self.h[l] * acc;
            }
        }
    }

    #[inline(always)]
    fn step<F, O, G>(
        &mut self,
        field: &F,
        tab: &Dop853Tableau,
        s: &BatchSettings,
        observer: &mut O,
        finish: &mut G,
    ) where
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
        for st in 1..12 {
            self.stage_state(tab, st, &mut ys);
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
                for j in 0..12 {
                    let kj = self.k[j][i][l];
                    sb += tab.b[j] * kj;
                    s5 += tab.er[j] * kj;
                    s3 += tab.bhh[j] * kj;
                }
                y_new[i][l] = self.y[i][l] + self.h[l] * sb;
                let sk = s.atol + s.rtol * self.y[i][l].abs().max(y_new[i][l].abs());
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
            let fac = (fac11 / 0.9).clamp(1.0 / 6.0, 1.0 / 0.333);
            let mut h_new = h / fac;
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
                    let dense = self.dense(field, tab, l, &y_new, &f_new);
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
                    h / (fac11 / 0.9).min(1.0 / 0.333)
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
        tab: &Dop853Tableau,
        l: usize,
        y_new: &[[f64; L]; N],
        f_new: &[[f64; L]; N],
    ) -> DenseStep<N> {
        self.k[12] = *f_new;
        for st in 13..16 {
            let mut ys = [[0.0; L]; N];
            self.stage_state(tab, st, &mut ys);
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
                    acc += tab.d[r][j] * self.k[j][i][l];
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

/// e^x for a lane of values, written without branches or library calls so that it vectorises:
/// x = k ln 2 + r with |r| ≤ ln2/2 (Cody–Waite, two-part ln 2), e^r by its Taylor series to r¹³
/// (truncation below 5e−18), 2^k built in the exponent bits. Inputs are clamped to [−708, 709]
/// (results stay finite; e^{±708} is far beyond what the logistic can resolve). Relative error
/// ≲ 2e−16.
#[inline(always)]
pub fn exp_lanes<const L: usize>(x: &mut [f64; L]) {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    for v in x.iter_mut() {
        let xc = v.clamp(-708.0, 709.0);
        let t = xc * LOG2E + SHIFTER;
        let k = t - SHIFTER;
        let r = (xc - k * LN2_HI) - k * LN2_LO;
        // Taylor coefficients 1/n! for n = 13 … 0, Horner.
        let mut p = 1.0 / 6_227_020_800.0;
        p = p * r + 1.0 / 479_001_600.0;
        p = p * r + 1.0 / 39_916_800.0;
        p = p * r + 1.0 / 3_628_800.0;
        p = p * r + 1.0 / 362_880.0;
        p = p * r + 1.0 / 40_320.0;
        p = p * r + 1.0 / 5_040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        // 2^k: the integer k sits in the low bits of t's representation.
        let bits = t
            .to_bits()
            .wrapping_sub(SHIFTER.to_bits())
            .wrapping_add(1023)
            << 52;
        *v = p * f64::from_bits(bits);
    }
}

/// Regulariser of [`ToyLanes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToyKind {
    /// M7 with weight decay.
    L2,
    /// M8 with uniform SD and no targets.
    Sd,
}

/// The two-feature toy flow (M7 or M8 with U(δ) of M17, exact loss, rate η) on `L` lanes, each
/// lane with its own s₁², s₂², δ and λ.
#[derive(Debug, Clone)]
pub struct ToyLanes<const L: usize> {
    /// Regulariser.
    pub kind: ToyKind,
    /// η.
    pub rate: f64,
    s1_squared: [f64; L],
    s2_squared: [f64; L],
    c: [f64; L],
    delta: [f64; L],
    lambda: [f64; L],
}

impl<const L: usize> ToyLanes<L> {
    /// Lanes of the given kind and rate, parameters unset (all lanes s = 1, δ = 0, λ = 0.01).
    pub fn new(kind: ToyKind, rate: f64) -> Self {
        Self {
            kind,
            rate,
            s1_squared: [1.0; L],
            s2_squared: [1.0; L],
            c: [1.0; L],
            delta: [0.0; L],
            lambda: [0.01; L],
        }
    }

    /// Puts (s₁, s₂, δ, λ) into lane `l`.
    pub fn set(&mut self, l: usize, s1: f64, s2: f64, delta: f64, lambda: f64) {
        self.s1_squared[l] = s1 * s1;
        self.s2_squared[l] = s2 * s2;
        self.delta[l] = delta;
        self.c[l] = (1.0 - delta * delta).sqrt();
        self.lambda[l] = lambda;
    }
}

impl<const L: usize> LaneField<2, L> for ToyLanes<L> {
    #[inline(always)]
    fn eval(&self, y: &[[f64; L]; 2], out: &mut [[f64; L]; 2]) {
        let mut e1 = [0.0; L];
        let mut e2 = [0.0; L];
        for l in 0..L {
            e1[l] = self.c[l] * y[0][l] - self.delta[l] * y[1][l];
            e2[l] = self.delta[l] * y[0][l] + self.c[l] * y[1][l];
        }
        let (a1, a2) = (e1, e2);
        exp_lanes(&mut e1);
        exp_lanes(&mut e2);
        for l in 0..L {
            // σ(−a) = 1/(1 + e^a): e^a ≤ e^709 keeps this finite and accurate.
            let w1 = 1.0 / (1.0 + e1[l]);
            let w2 = 1.0 / (1.0 + e2[l]);
            let (c, d, lam) = (self.c[l], self.delta[l], self.lambda[l]);
            match self.kind {
                ToyKind::L2 => {
                    out[0][l] =
                        self.rate * (self.s1_squared[l] * (c * w1 + d * w2) - lam * y[0][l]);
                    out[1][l] =
                        self.rate * (self.s2_squared[l] * (-d * w1 + c * w2) - lam * y[1][l]);
                }
                ToyKind::Sd => {
                    let r1 = w1 - lam * a1[l];
                    let r2 = w2 - lam * a2[l];
                    out[0][l] = self.rate * self.s1_squared[l] * (c * r1 + d * r2);
                    out[1][l] = self.rate * self.s2_squared[l] * (-d * r1 + c * r2);
                }
            }
        }
    }
}
