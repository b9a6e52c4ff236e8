//! One integration interface over several methods: explicit Dormand–Prince pairs
//! (`dopri5`, `dop853`, from ode_solvers), implicit stiff methods (`radau5`, `bdf`, from
//! differential-equations), `auto` (explicit, switching to `radau5` when stiffness is detected)
//! and the optimiser maps `gd` (gradient descent), `heavy_ball` and `nesterov` (SGD with
//! momentum as PyTorch runs it, in the flow's coordinates; see [`crate::flow::OptimiserMap`]).
//!
//! [`integrate`] takes a [`VectorField`], an initial state, a [`Method`] and [`SolveOptions`] and
//! returns a [`Trajectory`]: output times, states, responses z, solver statistics, the methods
//! used and the [`StopReason`]. Events: steady state (the weighted norm of the field falls below
//! a tolerance) and level crossings of a response, located by Brent's method on re-integration
//! from the last accepted step.

pub mod batch;
mod discrete;
mod explicit;
mod implicit;
pub mod runge_kutta;

pub use discrete::optimiser_map;
pub use implicit::RADAU5_MIN_RTOL;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{InputError, SolveError, require_finite, require_positive};
use crate::flow::{Space, VectorField};
use crate::numerics::{brent_root, weighted_rms};

/// Integration method; specs and outputs name it by [`Method::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// Dormand–Prince 5(4) (ode_solvers).
    Dopri5,
    /// Dormand–Prince 8(5,3) (ode_solvers). The default.
    #[default]
    Dop853,
    /// Radau IIA order 5, implicit, for stiff problems (differential-equations). It works at the
    /// given rtol (the backend's rescaling is undone), down to 1.7e−11.
    Radau5,
    /// Variable-order BDF, implicit (differential-equations).
    Bdf,
    /// `dop853` with frequent stiffness tests, switching to `radau5` from the last accepted state
    /// when the problem is stiff (or the explicit method underflows its step size or meets a
    /// non-finite state).
    Auto,
    /// The discrete gradient-descent map x ← x + h f(x) with step `options.step`.
    #[serde(rename = "gd")]
    GradientDescent,
    /// The heavy-ball map x_{k+1} = x_k + μ (x_k − x_{k−1}) + h f(x_k), x_{−1} = x₀ (PyTorch's
    /// SGD with momentum μ = `options.momentum` from zero velocity), step `options.step`.
    HeavyBall,
    /// Nesterov momentum as PyTorch's `nesterov=True` runs it: u_{k+1} = μ u_k + h f(x_k),
    /// x_{k+1} = x_k + h f(x_k) + μ u_{k+1}, u₀ = 0.
    Nesterov,
    /// Adam as PyTorch runs it, on the gradient g = −f(θ) of the θ-flow only (Kingma & Ba 2015,
    /// Algorithm 1): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − h m̂/(√v̂ + ε) with
    /// m̂ = m/(1 − β₁ᵏ), v̂ = v/(1 − β₂ᵏ); `options.betas` (0.9, 0.999), `options.eps` (10⁻⁸).
    /// Its per-parameter scaling is not a function of the responses, so it has no map in z or
    /// α; and with the bias correction depending on k it is not an autonomous map (no period or
    /// flip analysis).
    Adam,
}

impl Method {
    /// Name used in specs and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Method::Dopri5 => "dopri5",
            Method::Dop853 => "dop853",
            Method::Radau5 => "radau5",
            Method::Bdf => "bdf",
            Method::Auto => "auto",
            Method::GradientDescent => "gd",
            Method::HeavyBall => "heavy_ball",
            Method::Nesterov => "nesterov",
            Method::Adam => "adam",
        }
    }

    /// Order of accuracy p (global error O(hᵖ)) of a fixed-order method: 5 for `dopri5`, 8 for
    /// `dop853` (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.5), 5 for `radau5` (*Solving
    /// ODEs II*, §IV.5), 1 for `gd` (the explicit Euler map); `None` for the variable-order `bdf`
    /// (orders 1–5) and for `auto` (whichever method runs); `None` for `heavy_ball` and
    /// `nesterov` with their step k at t = k h: they are optimiser maps, not integrators of the
    /// flow at that time (for small h they follow the flow at time k h/(1 − μ), theory.md §8).
    pub const fn order(self) -> Option<u32> {
        match self {
            Method::Dopri5 => Some(5),
            Method::Dop853 => Some(8),
            Method::Radau5 => Some(5),
            Method::GradientDescent => Some(1),
            Method::Bdf | Method::Auto | Method::HeavyBall | Method::Nesterov | Method::Adam => {
                None
            }
        }
    }

    /// Whether the method is a discrete optimiser map (`gd`, `heavy_ball`, `nesterov`, `adam`):
    /// fixed step h, step k at time t_start + k h.
    pub const fn is_map(self) -> bool {
        matches!(
            self,
            Method::GradientDescent | Method::HeavyBall | Method::Nesterov | Method::Adam
        )
    }

    /// Whether the method carries a momentum μ (`heavy_ball`, `nesterov`).
    pub const fn has_momentum(self) -> bool {
        matches!(self, Method::HeavyBall | Method::Nesterov)
    }

    /// Every method, in the order of the docs.
    pub const ALL: [Method; 9] = [
        Method::Dopri5,
        Method::Dop853,
        Method::Radau5,
        Method::Bdf,
        Method::Auto,
        Method::GradientDescent,
        Method::HeavyBall,
        Method::Nesterov,
        Method::Adam,
    ];

    /// Why a method name that is not a [`Method`] is refused, for names users reach for (SGD
    /// under another name).
    pub fn refusal(name: &str) -> Option<&'static str> {
        match name {
            "sgd" | "momentum" => Some(
                "SGD is \"gd\" (no momentum) or \"heavy_ball\" with \"momentum\" (PyTorch's SGD momentum); \"nesterov\" is nesterov=True",
            ),
            _ => None,
        }
    }

    /// Parses a method name.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which times a trajectory records: `{"count": N}`, `{"times": […]}` or `"steps"` in specs
/// and outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Output {
    /// `count` equally spaced times from t_start to t_end inclusive (count ≥ 2).
    Count(usize),
    /// These times (strictly increasing, inside [t_start, t_end]): a list or a range such as
    /// `{"logspace": {"start": 0.01, "stop": 1000, "count": 6}}` for log-spaced times; the
    /// initial state at t_start is always recorded first and t_end last.
    Times(Vec<f64>),
    /// Every accepted step (every step of `gd`).
    Steps,
}

/// Recorded times when none are given: 101 equally spaced.
pub const DEFAULT_OUTPUT_COUNT: usize = 101;
/// Default relative tolerance of adaptive methods.
pub const DEFAULT_RTOL: f64 = 1e-8;
/// Default absolute tolerance of adaptive methods.
pub const DEFAULT_ATOL: f64 = 1e-10;
/// Smallest rtol: below it double precision's round-off dominates the error estimate.
pub const MIN_RTOL: f64 = 1e-14;
/// Largest rtol a spec may ask for: above it the steps leave the asymptotic regime in which the
/// embedded error estimate measures the local error.
pub const MAX_RTOL: f64 = 0.1;
/// Largest atol a spec may ask for: the responses are of order 1–10, so a larger atol would
/// accept errors as large as the responses.
pub const MAX_ATOL: f64 = 1.0;
/// rtol above which results carry a warning.
pub const LOOSE_RTOL: f64 = 1e-4;
/// atol above which results carry a warning.
pub const LOOSE_ATOL: f64 = 1e-6;
/// Default step budget of one run.
pub const DEFAULT_MAX_STEPS: usize = 500_000;
/// Default stiffness-test interval of `dopri5`/`dop853` (Hairer's choice).
pub const DEFAULT_STIFFNESS_TEST_INTERVAL: usize = 1000;

impl Default for Output {
    fn default() -> Self {
        Output::Count(DEFAULT_OUTPUT_COUNT)
    }
}

/// Direction of a level crossing: `"up"`, `"down"` or `"either"` in specs and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Rising through the level.
    #[default]
    Up,
    /// Falling through the level.
    Down,
    /// Either way.
    Either,
}

/// Steady-state event: stop when ‖f(x)‖ ≤ `tolerance` in the weighted RMS norm with the solver's
/// weights atol + rtol·|x|. The distance left to the equilibrium is then about `tolerance / μ`
/// times those weights, μ the slowest decay rate (ηλ under L2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct SteadyState {
    /// Threshold on the weighted field norm (default 1).
    pub tolerance: f64,
}

impl Default for SteadyState {
    fn default() -> Self {
        Self { tolerance: 1.0 }
    }
}

/// Level-crossing event: the time at which response z_feature reaches `level`. Specs and
/// outputs count features from 1 (`"feature": 1` is z₁).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelCrossing {
    /// Feature index j (0-based: 0 is z₁; 1-based in specs and outputs).
    #[serde(with = "one_based")]
    #[cfg_attr(feature = "schema", schemars(with = "std::num::NonZeroU64"))]
    pub feature: usize,
    /// The level.
    pub level: f64,
    /// Which crossings count (default up).
    #[serde(default)]
    pub direction: Direction,
    /// Stop the integration at the first crossing (default true).
    #[serde(default = "yes")]
    pub terminal: bool,
}

fn yes() -> bool {
    true
}

/// A 0-based feature index written 1-based (1 is z₁).
mod one_based {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(index: &usize, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*index as u64 + 1)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        match usize::deserialize(d)? {
            0 => Err(D::Error::custom(
                "must be ≥ 1 (features count from 1: 1 is z₁), got 0",
            )),
            j => Ok(j - 1),
        }
    }
}

/// The events of a run: `{"steady_state": {…}, "level_crossings": […]}` in specs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// Steady-state event (default off).
    pub steady_state: Option<SteadyState>,
    /// Level-crossing events (default none).
    pub level_crossings: Vec<LevelCrossing>,
}

/// Options of [`integrate`]. Every field has a documented default except `t_end`. This is the
/// solver part of a spec's `simulation` section as written (same names; `events` nested; level
/// crossings 1-based) and what outputs record; the defaults are the `DEFAULT_*` constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SolveOptions {
    /// Start time (default 0).
    #[serde(default)]
    pub t_start: f64,
    /// End time (required, > t_start).
    pub t_end: f64,
    /// Relative tolerance (default [`DEFAULT_RTOL`]).
    #[serde(default = "default_rtol")]
    pub rtol: f64,
    /// Absolute tolerance (default [`DEFAULT_ATOL`]).
    #[serde(default = "default_atol")]
    pub atol: f64,
    /// Recorded times (default [`DEFAULT_OUTPUT_COUNT`] equally spaced).
    #[serde(default)]
    pub output: Output,
    /// Step budget for the whole run (default [`DEFAULT_MAX_STEPS`]; `gd` takes exactly
    /// (t_end − t_start)/step).
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
    /// First step size for adaptive methods (default: chosen by the method).
    #[serde(default)]
    pub initial_step: Option<f64>,
    /// Largest step size for adaptive methods (default: unlimited). With `initial_step` equal
    /// to it and loose tolerances, an explicit method takes fixed steps (order studies).
    #[serde(default)]
    pub max_step: Option<f64>,
    /// Step size h of the maps `gd`, `heavy_ball`, `nesterov` (required by them, ignored by the
    /// continuous methods).
    #[serde(default)]
    pub step: Option<f64>,
    /// Momentum μ ∈ [0, 1) of `heavy_ball` and `nesterov` (required by them; refused with any
    /// other method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub momentum: Option<f64>,
    /// Adam's decay rates (β₁, β₂), each in [0, 1) (default (0.9, 0.999), PyTorch's; refused
    /// with any other method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub betas: Option<[f64; 2]>,
    /// Adam's ε > 0 added to √v̂ (default 10⁻⁸, PyTorch's; refused with any other method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eps: Option<f64>,
    /// Steady-state and level-crossing events (default none).
    #[serde(default)]
    pub events: Events,
    /// For `dopri5`/`dop853`: test for stiffness every this many accepted steps (default
    /// [`DEFAULT_STIFFNESS_TEST_INTERVAL`]; `auto` uses 1).
    #[serde(default = "default_stiffness_test_interval")]
    pub stiffness_test_interval: usize,
}

fn default_rtol() -> f64 {
    DEFAULT_RTOL
}
fn default_atol() -> f64 {
    DEFAULT_ATOL
}
fn default_max_steps() -> usize {
    DEFAULT_MAX_STEPS
}
fn default_stiffness_test_interval() -> usize {
    DEFAULT_STIFFNESS_TEST_INTERVAL
}

impl SolveOptions {
    /// Defaults with the given end time.
    pub fn until(t_end: f64) -> Self {
        Self {
            t_start: 0.0,
            t_end,
            rtol: DEFAULT_RTOL,
            atol: DEFAULT_ATOL,
            output: Output::default(),
            max_steps: DEFAULT_MAX_STEPS,
            initial_step: None,
            max_step: None,
            step: None,
            momentum: None,
            betas: None,
            eps: None,
            events: Events::default(),
            stiffness_test_interval: DEFAULT_STIFFNESS_TEST_INTERVAL,
        }
    }

    /// The same options with tolerances rtol and atol.
    pub fn tolerances(mut self, rtol: f64, atol: f64) -> Self {
        self.rtol = rtol;
        self.atol = atol;
        self
    }

    /// The same options recording `output`.
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// [`Self::validate`] and the tolerance range a spec may ask for: rtol in
    /// [[`MIN_RTOL`], [`MAX_RTOL`]], atol in (0, [`MAX_ATOL`]]. The library itself accepts any
    /// positive tolerances (e.g. for fixed steps with `initial_step` = `max_step`); specs are
    /// held to the range where the solvers' error control bounds the error.
    pub fn validate_for_spec(&self, method: Method, responses: usize) -> Result<(), InputError> {
        self.validate(method, responses)?;
        if self.rtol > MAX_RTOL {
            return Err(InputError::new(
                "options.rtol",
                format!(
                    "{} is above {MAX_RTOL}, where the step-size control no longer bounds the error; use rtol in [{MIN_RTOL:e}, {MAX_RTOL}] (default {DEFAULT_RTOL:e})",
                    self.rtol
                ),
            ));
        }
        if self.atol > MAX_ATOL {
            return Err(InputError::new(
                "options.atol",
                format!(
                    "{} is above {MAX_ATOL}, as large as the responses themselves; use atol in (0, {MAX_ATOL}] (default {DEFAULT_ATOL:e})",
                    self.atol
                ),
            ));
        }
        Ok(())
    }

    /// A warning when the tolerances are loose (rtol > [`LOOSE_RTOL`] or atol > [`LOOSE_ATOL`]):
    /// results then carry errors of about rtol·|z| + atol, visible in plots and tables.
    pub fn tolerance_warning(&self) -> Option<String> {
        (self.rtol > LOOSE_RTOL || self.atol > LOOSE_ATOL).then(|| {
            format!(
                "loose tolerances (rtol = {:e}, atol = {:e}): responses carry errors of about rtol·|z| + atol; use rtol ≤ {LOOSE_RTOL:e} and atol ≤ {LOOSE_ATOL:e} for numbers you report",
                self.rtol, self.atol
            )
        })
    }

    /// Checks every option; errors name the field under `options.`.
    pub fn validate(&self, method: Method, responses: usize) -> Result<(), InputError> {
        let f = |name: &str| format!("options.{name}");
        require_finite(&f("t_start"), self.t_start)?;
        require_finite(&f("t_end"), self.t_end)?;
        if self.t_end <= self.t_start {
            return Err(InputError::new(
                f("t_end"),
                format!(
                    "must be greater than t_start = {}, got {}",
                    self.t_start, self.t_end
                ),
            ));
        }
        require_positive(&f("rtol"), self.rtol)?;
        require_positive(&f("atol"), self.atol)?;
        if self.rtol < MIN_RTOL {
            return Err(InputError::new(
                f("rtol"),
                format!(
                    "{} is below what double precision can deliver; use rtol ≥ 1e−14",
                    self.rtol
                ),
            ));
        }
        if self.max_steps == 0 {
            return Err(InputError::new(f("max_steps"), "must be ≥ 1"));
        }
        if let Some(h) = self.initial_step {
            require_positive(&f("initial_step"), h)?;
        }
        if let Some(h) = self.max_step {
            require_positive(&f("max_step"), h)?;
        }
        match &self.output {
            Output::Count(c) if *c < 2 => {
                return Err(InputError::new(
                    f("output.count"),
                    format!("must be ≥ 2 (start and end are always recorded), got {c}"),
                ));
            }
            Output::Count(c) => {
                crate::error::require_at_most(&f("output.count"), *c, crate::error::MAX_VALUES)?;
            }
            Output::Times(ts) => {
                if ts.is_empty() {
                    return Err(InputError::new(
                        f("output.times"),
                        "is empty; give at least one time, or use {\"count\": N}",
                    ));
                }
                for (i, t) in ts.iter().enumerate() {
                    require_finite(&f(&format!("output.times[{i}]")), *t)?;
                    if *t < self.t_start || *t > self.t_end {
                        return Err(InputError::new(
                            f(&format!("output.times[{i}]")),
                            format!(
                                "{t} is outside [t_start, t_end] = [{}, {}]",
                                self.t_start, self.t_end
                            ),
                        ));
                    }
                    if i > 0 && *t <= ts[i - 1] {
                        return Err(InputError::new(
                            f(&format!("output.times[{i}]")),
                            "times must be strictly increasing",
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Some(ss) = &self.events.steady_state {
            require_positive(&f("events.steady_state.tolerance"), ss.tolerance)?;
        }
        for (i, lc) in self.events.level_crossings.iter().enumerate() {
            let p = f(&format!("events.level_crossings[{i}]"));
            if lc.feature >= responses {
                return Err(InputError::new(
                    format!("{p}.feature"),
                    format!(
                        "is {} but the model has {responses} features (1-based in specs: 1..={responses})",
                        lc.feature + 1
                    ),
                ));
            }
            require_finite(&format!("{p}.level"), lc.level)?;
        }
        if let Some(mu) = self.momentum
            && !method.has_momentum()
        {
            return Err(InputError::new(
                f("momentum"),
                format!(
                    "= {mu} is only used by \"heavy_ball\" and \"nesterov\", not by \"{method}\"; remove it, or use \"method\": \"heavy_ball\""
                ),
            ));
        }
        if method.has_momentum() {
            let Some(mu) = self.momentum else {
                return Err(InputError::new(
                    f("momentum"),
                    format!(
                        "method \"{method}\" needs a momentum μ in [0, 1), e.g. \"momentum\": 0.9"
                    ),
                ));
            };
            if !(mu.is_finite() && (0.0..1.0).contains(&mu)) {
                return Err(InputError::new(
                    f("momentum"),
                    format!("must lie in [0, 1) (μ ≥ 1 never forgets a step), got {mu}"),
                ));
            }
        }
        if method != Method::Adam && (self.betas.is_some() || self.eps.is_some()) {
            let key = if self.betas.is_some() { "betas" } else { "eps" };
            return Err(InputError::new(
                f(key),
                format!("is only used by \"adam\", not by \"{method}\"; remove it"),
            ));
        }
        if let Some(betas) = self.betas {
            for (i, b) in betas.iter().enumerate() {
                if !(b.is_finite() && (0.0..1.0).contains(b)) {
                    return Err(InputError::new(
                        f(&format!("betas[{i}]")),
                        format!("must lie in [0, 1), got {b}"),
                    ));
                }
            }
        }
        if let Some(eps) = self.eps {
            require_positive(&f("eps"), eps)?;
        }
        if method.is_map() {
            let Some(h) = self.step else {
                return Err(InputError::new(
                    f("step"),
                    format!("method \"{method}\" needs a step size h, e.g. \"step\": 0.05"),
                ));
            };
            require_positive(&f("step"), h)?;
            let n = (self.t_end - self.t_start) / h;
            if n > self.max_steps as f64 {
                return Err(InputError::new(
                    f("step"),
                    format!(
                        "(t_end − t_start)/step = {n:.3e} steps exceeds max_steps = {}; use a larger step or raise max_steps",
                        self.max_steps
                    ),
                ));
            }
            if (n - n.round()).abs() > 1e-9 * n.max(1.0) || n.round() < 1.0 {
                return Err(InputError::new(
                    f("step"),
                    format!(
                        "t_end − t_start = {} is not a whole number of steps of {h}; adjust t_end or step",
                        self.t_end - self.t_start
                    ),
                ));
            }
        } else if self.stiffness_test_interval == 0 {
            return Err(InputError::new(f("stiffness_test_interval"), "must be ≥ 1"));
        }
        Ok(())
    }
}

/// Counters reported by the methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolverStats {
    /// Vector-field evaluations (including event location).
    pub field_evaluations: usize,
    /// Jacobian evaluations.
    pub jacobian_evaluations: usize,
    /// LU factorisations.
    pub factorisations: usize,
    /// Linear solves.
    pub linear_solves: usize,
    /// Accepted steps.
    pub accepted_steps: usize,
    /// Rejected steps.
    pub rejected_steps: usize,
}

impl std::ops::AddAssign for SolverStats {
    fn add_assign(&mut self, o: Self) {
        self.field_evaluations += o.field_evaluations;
        self.jacobian_evaluations += o.jacobian_evaluations;
        self.factorisations += o.factorisations;
        self.linear_solves += o.linear_solves;
        self.accepted_steps += o.accepted_steps;
        self.rejected_steps += o.rejected_steps;
    }
}

/// Why a run stopped normally (named by [`StopReason::name`] in outputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// Reached t_end.
    ReachedEnd,
    /// The steady-state event fired.
    SteadyState,
    /// A terminal level-crossing event fired.
    LevelCrossing,
}

impl StopReason {
    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::ReachedEnd => "reached_end",
            StopReason::SteadyState => "steady_state",
            StopReason::LevelCrossing => "level_crossing",
        }
    }
}

/// An event that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// "steady_state" or "level_crossing".
    pub kind: &'static str,
    /// Index into `SolveOptions::level_crossings` (level crossings only).
    pub index: Option<usize>,
    /// Time of the event.
    pub time: f64,
    /// State at the event.
    pub state: Vec<f64>,
    /// Responses z at the event.
    pub responses: Vec<f64>,
    /// Bracket [t_lo, t_hi] the root finder ended with (level crossings).
    pub bracket: Option<[f64; 2]>,
}

/// The method that ran from `from` on (`auto` records the switch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodSegment {
    /// The method.
    pub method: Method,
    /// Time at which it took over.
    pub from: f64,
}

/// Result of [`integrate`].
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// The space of the states.
    pub space: Space,
    /// Recorded times.
    pub times: Vec<f64>,
    /// States at those times.
    pub states: Vec<Vec<f64>>,
    /// Responses z at those times.
    pub responses: Vec<Vec<f64>>,
    /// Solver statistics.
    pub stats: SolverStats,
    /// The method requested.
    pub method: Method,
    /// Methods actually used, in order.
    pub methods_used: Vec<MethodSegment>,
    /// Why it stopped.
    pub stop: StopReason,
    /// Events that fired, in time order.
    pub events: Vec<EventRecord>,
}

impl Trajectory {
    /// The last recorded state (the true end state).
    pub fn final_state(&self) -> &[f64] {
        self.states.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The last recorded responses z.
    pub fn final_responses(&self) -> &[f64] {
        self.responses.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The last recorded time.
    pub fn final_time(&self) -> f64 {
        self.times.last().copied().unwrap_or(f64::NAN)
    }
}

/// One accepted step as seen by an observer.
pub(crate) struct StepView<'a> {
    pub t_prev: f64,
    pub y_prev: &'a [f64],
    pub t: f64,
    pub y: &'a [f64],
    /// f(y) when the method has it for free.
    pub f: Option<&'a [f64]>,
}

/// What the observer tells the method after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    Continue,
    Stop,
}

/// A backend failure with the last accepted state (so `auto` can switch methods there).
pub(crate) struct BackendFailure {
    pub error: SolveError,
    pub t: f64,
    pub y: Vec<f64>,
    pub stats: SolverStats,
}

/// End of one call of a continuous backend.
pub(crate) struct Segment {
    pub t: f64,
    pub y: Vec<f64>,
    pub stats: SolverStats,
    /// Last accepted step size (a hint for the next segment).
    pub last_step: Option<f64>,
}

/// Settings a continuous backend needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackendSettings {
    pub rtol: f64,
    pub atol: f64,
    pub max_steps: usize,
    pub initial_step: Option<f64>,
    pub max_step: Option<f64>,
    pub stiffness_test_interval: usize,
}

/// Runs `method` (continuous, not `auto`/`gd`) from (t0, y0) to t1, calling `observer` after
/// every accepted step.
pub(crate) fn advance(
    method: Method,
    field: &dyn VectorField,
    t0: f64,
    y0: &[f64],
    t1: f64,
    settings: &BackendSettings,
    observer: &mut dyn FnMut(&StepView) -> Control,
) -> Result<Segment, Box<BackendFailure>> {
    match method {
        Method::Dopri5 | Method::Dop853 => {
            explicit::advance(method, field, t0, y0, t1, settings, observer)
        }
        Method::Radau5 | Method::Bdf => {
            implicit::advance(method, field, t0, y0, t1, settings, observer)
        }
        Method::Auto
        | Method::GradientDescent
        | Method::HeavyBall
        | Method::Nesterov
        | Method::Adam => Err(Box::new(BackendFailure {
            error: SolveError::Backend {
                method: method.name().into(),
                message: "internal: not a continuous backend".into(),
            },
            t: t0,
            y: y0.to_vec(),
            stats: SolverStats::default(),
        })),
    }
}

/// Why `adam` runs in θ only.
pub const ADAM_SPACE_REFUSAL: &str = "\"adam\" runs in \"space\": \"theta\" only: its per-parameter scaling by the running second moment of the gradient is not a function of the responses z or the dual variables α, so it has no map there; set \"space\": \"theta\", or use \"gd\", \"heavy_ball\" or \"nesterov\"";

/// Integrates the autonomous field from `initial_state` with `method` and `options`.
pub fn integrate(
    field: &dyn VectorField,
    initial_state: &[f64],
    method: Method,
    options: &SolveOptions,
) -> Result<Trajectory, crate::error::Error> {
    options.validate(method, field.response_dim())?;
    if method == Method::Adam && field.space() != Space::Parameters {
        return Err(InputError::new("options.method", ADAM_SPACE_REFUSAL).into());
    }
    if initial_state.len() != field.dim() {
        return Err(InputError::new(
            "options.initial_state",
            format!(
                "has {} entries but the {} state has dimension {}",
                initial_state.len(),
                field.space(),
                field.dim()
            ),
        )
        .into());
    }
    if let Some(i) = initial_state.iter().position(|x| !x.is_finite()) {
        return Err(InputError::new(
            format!("options.initial_state[{i}]"),
            "must be a finite number",
        )
        .into());
    }
    if field.space() == Space::Dual && initial_state.iter().any(|a| !(*a > 0.0 && *a < 1.0)) {
        return Err(InputError::new(
            "options.initial_state",
            "dual variables α must lie strictly between 0 and 1 (the paper starts at 1e−8)",
        )
        .into());
    }
    let trajectory = if method.is_map() {
        discrete::run(field, initial_state, method, options)
    } else {
        continuous(field, initial_state, method, options)
    }?;
    Ok(trajectory)
}

/// Accumulates records and evaluates events for continuous runs.
struct Recorder<'a> {
    field: &'a dyn VectorField,
    options: &'a SolveOptions,
    every_step: bool,
    times: Vec<f64>,
    states: Vec<Vec<f64>>,
    responses: Vec<Vec<f64>>,
    events: Vec<EventRecord>,
    stop: Option<StopReason>,
    f_scratch: Vec<f64>,
    /// Work done by event location (re-integrations).
    extra: SolverStats,
}

impl Recorder<'_> {
    fn responses_of(&self, y: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; self.field.response_dim()];
        self.field.responses(y, &mut z);
        z
    }

    fn record(&mut self, t: f64, y: &[f64]) {
        let z = self.responses_of(y);
        self.times.push(t);
        self.states.push(y.to_vec());
        self.responses.push(z);
    }

    /// Records the end of a segment at `target`, replacing a step record at the same time.
    fn record_target(&mut self, target: f64, y: &[f64]) {
        if let Some(&last) = self.times.last()
            && (last - target).abs() <= 1e-12 * target.abs().max(1.0)
        {
            self.times.pop();
            self.states.pop();
            self.responses.pop();
        }
        self.record(target, y);
    }
}

/// Whether a response moving from `before` to `after` crosses `level` in `direction`.
pub(crate) fn crosses(before: f64, after: f64, level: f64, direction: Direction) -> bool {
    let up = before < level && after >= level;
    let down = before > level && after <= level;
    match direction {
        Direction::Up => up,
        Direction::Down => down,
        Direction::Either => up || down,
    }
}

/// Relative precision to which level-crossing times are located.
pub const EVENT_TIME_PRECISION: f64 = 1e-10;

fn observe(
    rec: &mut Recorder,
    method: Method,
    settings: &BackendSettings,
    step: &StepView,
) -> Control {
    let field = rec.field;
    let options = rec.options;
    if rec.every_step {
        rec.record(step.t, step.y);
    }
    if !options.events.level_crossings.is_empty() {
        let z_prev = rec.responses_of(step.y_prev);
        let z_now = rec.responses_of(step.y);
        let mut found: Vec<(f64, usize, Vec<f64>, [f64; 2])> = Vec::new();
        for (i, lc) in options.events.level_crossings.iter().enumerate() {
            let j = lc.feature;
            if !crosses(z_prev[j], z_now[j], lc.level, lc.direction) {
                continue;
            }
            let quiet = BackendSettings {
                initial_step: None,
                ..*settings
            };
            let mut extra = SolverStats::default();
            let mut state_at = |tau: f64| -> Option<Vec<f64>> {
                if tau <= step.t_prev {
                    return Some(step.y_prev.to_vec());
                }
                let mut none = |_: &StepView| Control::Continue;
                match advance(
                    method,
                    field,
                    step.t_prev,
                    step.y_prev,
                    tau,
                    &quiet,
                    &mut none,
                ) {
                    Ok(seg) => {
                        extra += seg.stats;
                        Some(seg.y)
                    }
                    Err(_) => None,
                }
            };
            let mut z = vec![0.0; field.response_dim()];
            let g = |tau: f64, state_at: &mut dyn FnMut(f64) -> Option<Vec<f64>>, z: &mut [f64]| {
                if tau >= step.t {
                    return z_now[j] - lc.level;
                }
                match state_at(tau) {
                    Some(y) => {
                        field.responses(&y, z);
                        z[j] - lc.level
                    }
                    None => f64::NAN,
                }
            };
            let xtol = EVENT_TIME_PRECISION * step.t.abs().max(f64::MIN_POSITIVE);
            let root = brent_root(
                |tau| g(tau, &mut state_at, &mut z),
                step.t_prev,
                step.t,
                xtol,
                200,
            );
            let (t_event, bracket) = root.unwrap_or((step.t, [step.t_prev, step.t]));
            let y_event = if t_event >= step.t {
                step.y.to_vec()
            } else {
                state_at(t_event).unwrap_or_else(|| step.y.to_vec())
            };
            rec.extra += extra;
            found.push((t_event, i, y_event, bracket));
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (t_event, i, y_event, bracket) in found {
            let responses = rec.responses_of(&y_event);
            rec.events.push(EventRecord {
                kind: "level_crossing",
                index: Some(i),
                time: t_event,
                state: y_event.clone(),
                responses,
                bracket: Some(bracket),
            });
            if options.events.level_crossings[i].terminal {
                if rec.every_step {
                    rec.times.pop();
                    rec.states.pop();
                    rec.responses.pop();
                }
                rec.record(t_event, &y_event);
                rec.stop = Some(StopReason::LevelCrossing);
                return Control::Stop;
            }
        }
    }
    if let Some(ss) = options.events.steady_state {
        let norm = match step.f {
            Some(f) => weighted_rms(f, step.y, options.rtol, options.atol),
            None => {
                let mut f = std::mem::take(&mut rec.f_scratch);
                field.eval(step.y, &mut f);
                rec.extra.field_evaluations += 1;
                let n = weighted_rms(&f, step.y, options.rtol, options.atol);
                rec.f_scratch = f;
                n
            }
        };
        if norm <= ss.tolerance {
            let responses = rec.responses_of(step.y);
            rec.events.push(EventRecord {
                kind: "steady_state",
                index: None,
                time: step.t,
                state: step.y.to_vec(),
                responses,
                bracket: None,
            });
            if !rec.every_step {
                rec.record(step.t, step.y);
            }
            rec.stop = Some(StopReason::SteadyState);
            return Control::Stop;
        }
    }
    Control::Continue
}

fn steady_at_start(rec: &mut Recorder, t: f64, y: &[f64]) -> bool {
    let Some(ss) = rec.options.events.steady_state else {
        return false;
    };
    rec.field.eval(y, &mut rec.f_scratch);
    rec.extra.field_evaluations += 1;
    if weighted_rms(&rec.f_scratch, y, rec.options.rtol, rec.options.atol) > ss.tolerance {
        return false;
    }
    let responses = rec.responses_of(y);
    rec.events.push(EventRecord {
        kind: "steady_state",
        index: None,
        time: t,
        state: y.to_vec(),
        responses,
        bracket: None,
    });
    rec.stop = Some(StopReason::SteadyState);
    true
}

fn continuous(
    field: &dyn VectorField,
    y0: &[f64],
    method: Method,
    options: &SolveOptions,
) -> Result<Trajectory, SolveError> {
    let targets = output_times(options);
    let mut rec = Recorder {
        field,
        options,
        every_step: options.output == Output::Steps,
        times: Vec::new(),
        states: Vec::new(),
        responses: Vec::new(),
        events: Vec::new(),
        stop: None,
        f_scratch: vec![0.0; field.dim()],
        extra: SolverStats::default(),
    };
    let mut current = if method == Method::Auto {
        Method::Dop853
    } else {
        method
    };
    let mut methods_used = vec![MethodSegment {
        method: current,
        from: options.t_start,
    }];
    let mut stats = SolverStats::default();
    let mut t = options.t_start;
    let mut y = y0.to_vec();
    rec.record(t, &y);
    let mut hint = options.initial_step;
    if !steady_at_start(&mut rec, t, &y) {
        'targets: for &target in targets.iter().filter(|&&tt| tt > options.t_start) {
            while t < target {
                let used = stats.accepted_steps + stats.rejected_steps;
                let settings = BackendSettings {
                    rtol: options.rtol,
                    atol: options.atol,
                    max_steps: options.max_steps.saturating_sub(used).max(1),
                    initial_step: match (hint, options.max_step) {
                        (Some(h), Some(m)) => Some(h.min(m)),
                        (h, _) => h,
                    },
                    max_step: options.max_step,
                    stiffness_test_interval: if method == Method::Auto {
                        1
                    } else {
                        options.stiffness_test_interval
                    },
                };
                let result = {
                    let mut observer =
                        |step: &StepView| observe(&mut rec, current, &settings, step);
                    advance(current, field, t, &y, target, &settings, &mut observer)
                };
                match result {
                    Ok(seg) => {
                        stats += seg.stats;
                        hint = seg.last_step.or(hint);
                        t = seg.t;
                        y = seg.y;
                        if rec.stop.is_some() {
                            break 'targets;
                        }
                        // The backend ends at the target up to rounding: pin the time.
                        if (target - t).abs() <= 1e-12 * target.abs().max(1.0) {
                            t = target;
                        }
                    }
                    Err(failure) => {
                        stats += failure.stats;
                        let switchable = matches!(
                            failure.error,
                            SolveError::Stiff { .. }
                                | SolveError::StepSizeUnderflow { .. }
                                | SolveError::NonFinite { .. }
                        );
                        if method == Method::Auto && current == Method::Dop853 && switchable {
                            t = failure.t;
                            y = failure.y;
                            current = Method::Radau5;
                            methods_used.push(MethodSegment {
                                method: current,
                                from: t,
                            });
                            hint = None;
                        } else {
                            return Err(failure.error);
                        }
                    }
                }
            }
            if rec.every_step {
                rec.record_target(target, &y);
            } else if target == options.t_start {
                // already recorded
            } else {
                rec.record(target, &y);
            }
        }
    }
    stats += rec.extra;
    let stop = rec.stop.unwrap_or(StopReason::ReachedEnd);
    Ok(Trajectory {
        space: field.space(),
        times: rec.times,
        states: rec.states,
        responses: rec.responses,
        stats,
        method,
        methods_used,
        stop,
        events: rec.events,
    })
}

/// Segment end points: the requested output times after t_start, ending with t_end.
fn output_times(options: &SolveOptions) -> Vec<f64> {
    let (a, b) = (options.t_start, options.t_end);
    let mut v: Vec<f64> = match &options.output {
        Output::Count(c) => (1..*c)
            .map(|i| {
                if i + 1 == *c {
                    b
                } else {
                    a + (b - a) * i as f64 / (*c - 1) as f64
                }
            })
            .collect(),
        Output::Times(ts) => ts.iter().copied().filter(|t| *t > a).collect(),
        Output::Steps => Vec::new(),
    };
    if v.last() != Some(&b) {
        v.push(b);
    }
    v
}
