//! Vector fields of the gradient flow in three spaces, each with its analytic Jacobian:
//! responses z (M7, M8, and the unregularised flow), parameters θ (M5, M6) and the dual α
//! (M10, M11); plus the discrete gradient-descent map (docs/theory.md §1, §6).
//!
//! Every field is autonomous and is evaluated by one allocation-free call
//! [`VectorField::eval`]; scratch space lives inside the field, so a field is used by one thread
//! at a time (build one per thread).

use std::cell::RefCell;
use std::fmt;

use nalgebra::DMatrix;

use crate::error::InputError;
use crate::model::{FeatureModel, LossModel, Regulariser};

/// The space a flow lives in: `"z"`, `"theta"` or `"alpha"` in specs and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Space {
    /// Feature responses z (dimension k): M7 / M8.
    #[default]
    #[serde(rename = "z")]
    Responses,
    /// Parameters θ (dimension m): M5 / M6.
    #[serde(rename = "theta")]
    Parameters,
    /// Dual variables α (dimension n): M10 / M11.
    #[serde(rename = "alpha")]
    Dual,
}

impl Space {
    /// The name used in specs and outputs: "z", "theta" or "alpha".
    pub fn name(self) -> &'static str {
        match self {
            Space::Responses => "z",
            Space::Parameters => "theta",
            Space::Dual => "alpha",
        }
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An autonomous vector field dx/dt = f(x) with its Jacobian and its map to responses z.
pub trait VectorField {
    /// Dimension of the state.
    fn dim(&self) -> usize;
    /// f(x) written into `out` (no allocation).
    fn eval(&self, state: &[f64], out: &mut [f64]);
    /// ∂f/∂x written into `out` (dim × dim).
    fn jacobian(&self, state: &[f64], out: &mut DMatrix<f64>);
    /// Number of responses (features k).
    fn response_dim(&self) -> usize;
    /// Responses z of the state (M4; for α: z = (1/λ) S² Uᵀ α or (1/λ) Uᵀ α).
    fn responses(&self, state: &[f64], out: &mut [f64]);
    /// The space of the state.
    fn space(&self) -> Space;
    /// Map a state back into the domain after a discrete step (clipping of α, docs/theory.md §6).
    fn project(&self, _state: &mut [f64]) {}
    /// The default initial state: zeros (z, θ) or α = 1e−8 (the paper's dual start).
    fn default_initial_state(&self) -> Vec<f64> {
        vec![0.0; self.dim()]
    }
}

/// Builds the flow of `model` in `space`, with the model's regulariser and loss model.
pub fn build_flow(model: &FeatureModel, space: Space) -> Result<Box<dyn VectorField>, InputError> {
    Ok(match space {
        Space::Responses => Box::new(ResponseFlow::new(model)),
        Space::Parameters => Box::new(ParameterFlow::new(model)),
        Space::Dual => Box::new(DualFlow::new(model)?),
    })
}

/// Per-example regulariser terms shared by the z- and θ-flows.
#[derive(Debug, Clone)]
enum ExampleTerms {
    None,
    L2(f64),
    /// λ_i and y_i γ_i per example.
    Sd(Vec<f64>, Vec<f64>),
}

impl ExampleTerms {
    fn of(model: &FeatureModel) -> Self {
        match model.regulariser() {
            Regulariser::None => ExampleTerms::None,
            Regulariser::L2 { lambda } => ExampleTerms::L2(*lambda),
            Regulariser::SpectralDecoupling(_) => {
                let (l, g) = model.sd_example_terms();
                ExampleTerms::Sd(l, g)
            }
        }
    }

    /// Residual weight r_i = α(a_i) − λ_i (a_i − y_i γ_i) (SD) or α(a_i) (otherwise).
    #[inline]
    fn residual(&self, loss: LossModel, i: usize, a: f64) -> f64 {
        let w = loss.weight(a);
        match self {
            ExampleTerms::Sd(l, g) => w - l[i] * (a - g[i]),
            _ => w,
        }
    }

    /// d r_i / d a_i = −(κ(a_i) + λ_i).
    #[inline]
    fn residual_slope(&self, loss: LossModel, i: usize, a: f64) -> f64 {
        let k = loss.curvature(a);
        match self {
            ExampleTerms::Sd(l, _) => -(k + l[i]),
            _ => -k,
        }
    }

    fn decay(&self) -> f64 {
        match self {
            ExampleTerms::L2(l) => *l,
            _ => 0.0,
        }
    }
}

/// The closed response flow (M7 L2, M8 SD, unregularised), dimension k:
/// dz/dt = η [S² Uᵀ r(Uz) − λ z] with r_i = α(a_i) − λ_i (a_i − y_i γ_i) under SD.
#[derive(Debug, Clone)]
pub struct ResponseFlow {
    squared_strengths: Vec<f64>,
    coupling: DMatrix<f64>,
    loss: LossModel,
    terms: ExampleTerms,
    rate: f64,
    scratch: RefCell<Vec<f64>>,
}

impl ResponseFlow {
    /// The z-flow of `model`.
    pub fn new(model: &FeatureModel) -> Self {
        Self {
            squared_strengths: model.squared_strengths(),
            coupling: model.coupling().clone(),
            loss: model.loss(),
            terms: ExampleTerms::of(model),
            rate: model.rate(),
            scratch: RefCell::new(vec![0.0; model.examples()]),
        }
    }

    /// Margins a = U z.
    fn margins(&self, z: &[f64], a: &mut [f64]) {
        let n = self.coupling.nrows();
        a.fill(0.0);
        let u = self.coupling.as_slice();
        for (j, zj) in z.iter().enumerate() {
            let col = &u[j * n..(j + 1) * n];
            for (ai, uij) in a.iter_mut().zip(col) {
                *ai += uij * zj;
            }
        }
    }
}

impl VectorField for ResponseFlow {
    fn dim(&self) -> usize {
        self.squared_strengths.len()
    }

    fn eval(&self, z: &[f64], out: &mut [f64]) {
        let n = self.coupling.nrows();
        let mut r = self.scratch.borrow_mut();
        self.margins(z, &mut r);
        for (i, ri) in r.iter_mut().enumerate() {
            *ri = self.terms.residual(self.loss, i, *ri);
        }
        let u = self.coupling.as_slice();
        let decay = self.terms.decay();
        for (j, o) in out.iter_mut().enumerate() {
            let col = &u[j * n..(j + 1) * n];
            let drive: f64 = col.iter().zip(r.iter()).map(|(a, b)| a * b).sum();
            *o = self.rate * (self.squared_strengths[j] * drive - decay * z[j]);
        }
    }

    fn jacobian(&self, z: &[f64], out: &mut DMatrix<f64>) {
        // J = η (S² Uᵀ diag(r′) U − λ I), r′ = −(κ + λ_i) (M14, M15).
        let k = self.dim();
        let mut r = self.scratch.borrow_mut();
        self.margins(z, &mut r);
        for (i, ri) in r.iter_mut().enumerate() {
            *ri = self.terms.residual_slope(self.loss, i, *ri);
        }
        let u = &self.coupling;
        for q in 0..k {
            for p in 0..k {
                let mut acc = 0.0;
                for (i, ri) in r.iter().enumerate() {
                    acc += u[(i, p)] * ri * u[(i, q)];
                }
                let diag = if p == q { self.terms.decay() } else { 0.0 };
                out[(p, q)] = self.rate * (self.squared_strengths[p] * acc - diag);
            }
        }
    }

    fn response_dim(&self) -> usize {
        self.dim()
    }

    fn responses(&self, state: &[f64], out: &mut [f64]) {
        out.copy_from_slice(state);
    }

    fn space(&self) -> Space {
        Space::Responses
    }
}

/// The exact parameter flow (M5 L2, M6 SD, unregularised), dimension m:
/// dθ/dt = η [Bᵀ r(Bθ) − λ θ] with B = YΦ = U S Vᵀ.
#[derive(Debug, Clone)]
pub struct ParameterFlow {
    signed_features: DMatrix<f64>,
    projection: DMatrix<f64>,
    loss: LossModel,
    terms: ExampleTerms,
    rate: f64,
    scratch: RefCell<Vec<f64>>,
}

impl ParameterFlow {
    /// The θ-flow of `model` (Φ rebuilt as Y U S Vᵀ).
    pub fn new(model: &FeatureModel) -> Self {
        let mut b = model.tangent_features();
        for (i, y) in model.labels().iter().enumerate() {
            b.row_mut(i).scale_mut(*y);
        }
        let mut projection = model.feature_directions().transpose();
        for (j, s) in model.feature_strengths().iter().enumerate() {
            projection.row_mut(j).scale_mut(*s);
        }
        Self {
            signed_features: b,
            projection,
            loss: model.loss(),
            terms: ExampleTerms::of(model),
            rate: model.rate(),
            scratch: RefCell::new(vec![0.0; model.examples()]),
        }
    }
}

impl VectorField for ParameterFlow {
    fn dim(&self) -> usize {
        self.signed_features.ncols()
    }

    fn eval(&self, theta: &[f64], out: &mut [f64]) {
        let (n, _) = self.signed_features.shape();
        let b = self.signed_features.as_slice();
        let mut r = self.scratch.borrow_mut();
        r.fill(0.0);
        for (p, th) in theta.iter().enumerate() {
            for (ri, bij) in r.iter_mut().zip(&b[p * n..(p + 1) * n]) {
                *ri += bij * th;
            }
        }
        for (i, ri) in r.iter_mut().enumerate() {
            *ri = self.terms.residual(self.loss, i, *ri);
        }
        let decay = self.terms.decay();
        for (p, o) in out.iter_mut().enumerate() {
            let drive: f64 = b[p * n..(p + 1) * n]
                .iter()
                .zip(r.iter())
                .map(|(x, y)| x * y)
                .sum();
            *o = self.rate * (drive - decay * theta[p]);
        }
    }

    fn jacobian(&self, theta: &[f64], out: &mut DMatrix<f64>) {
        let b = &self.signed_features;
        let (n, m) = b.shape();
        let mut r = self.scratch.borrow_mut();
        for i in 0..n {
            let a: f64 = (0..m).map(|p| b[(i, p)] * theta[p]).sum();
            r[i] = self.terms.residual_slope(self.loss, i, a);
        }
        for q in 0..m {
            for p in 0..m {
                let acc: f64 = (0..n).map(|i| b[(i, p)] * r[i] * b[(i, q)]).sum();
                let diag = if p == q { self.terms.decay() } else { 0.0 };
                out[(p, q)] = self.rate * (acc - diag);
            }
        }
    }

    fn response_dim(&self) -> usize {
        self.projection.nrows()
    }

    fn responses(&self, theta: &[f64], out: &mut [f64]) {
        let (k, m) = self.projection.shape();
        for (j, o) in out.iter_mut().enumerate().take(k) {
            *o = (0..m).map(|p| self.projection[(j, p)] * theta[p]).sum();
        }
    }

    fn space(&self) -> Space {
        Space::Parameters
    }
}

/// Smallest α kept by the discrete dual map's clipping (docs/theory.md §6).
pub const DUAL_CLIP_LOW: f64 = f64::MIN_POSITIVE;
/// Largest α kept by the discrete dual map's clipping: the largest double below 1.
pub const DUAL_CLIP_HIGH: f64 = 1.0 - f64::EPSILON / 2.0;

/// The dual flow, gradient ascent on Σ H(α_i) − (1/2λ) αᵀ K α (M10, K = U S² Uᵀ) or, under SD,
/// the separable Σ H(α_i) − (1/2λ) ‖α‖² (M11), with H the conjugate of the loss model
/// (binary entropy for the cross-entropy, §3.3; H′(α) = a(α), [`LossModel::margin_of_weight`]).
/// Needs λ > 0, a square U and a loss with a smooth dual (every loss but the smooth hinge).
#[derive(Debug, Clone)]
pub struct DualFlow {
    /// K = U S² Uᵀ for L2; None for SD (K = I).
    kernel: Option<DMatrix<f64>>,
    /// Response map: z = response_map · α.
    response_map: DMatrix<f64>,
    lambda: f64,
    rate: f64,
    loss: LossModel,
    /// The open domain of α (the loss's [`LossModel::dual_domain`]).
    domain: (f64, f64),
}

impl DualFlow {
    /// The α-flow of `model`; errors name the field that rules the dual out.
    pub fn new(model: &FeatureModel) -> Result<Self, InputError> {
        let Some(domain) = model.loss().dual_domain() else {
            return Err(InputError::new(
                "loss",
                "the smooth hinge's dual (space \"alpha\") is box-constrained to [0, 1], not a smooth flow; use space \"z\" or \"theta\"",
            ));
        };
        if model.features() != model.examples() {
            return Err(InputError::new(
                "features",
                "the dual flow needs a full-rank model (U square); use space \"z\" or \"theta\"",
            ));
        }
        let u = model.coupling();
        let s2 = model.squared_strengths();
        let (kernel, response_map, lambda) = match model.regulariser() {
            Regulariser::L2 { lambda } if *lambda > 0.0 => {
                let mut us2 = u.clone();
                for (j, s) in s2.iter().enumerate() {
                    us2.column_mut(j).scale_mut(*s);
                }
                let kernel = &us2 * u.transpose();
                let map = us2.transpose() / *lambda;
                (Some(kernel), map, *lambda)
            }
            Regulariser::SpectralDecoupling(sd) if sd.is_uniform() && sd.lambda_positive > 0.0 => {
                (None, u.transpose() / sd.lambda_positive, sd.lambda_positive)
            }
            _ => {
                return Err(InputError::new(
                    "regulariser",
                    "the dual flow needs L2 with λ > 0 (M10) or uniform SD with λ > 0 and no targets (M11)",
                ));
            }
        };
        Ok(Self {
            kernel,
            response_map,
            lambda,
            rate: model.rate(),
            loss: model.loss(),
            domain,
        })
    }
}

impl VectorField for DualFlow {
    fn dim(&self) -> usize {
        self.response_map.ncols()
    }

    fn eval(&self, alpha: &[f64], out: &mut [f64]) {
        let n = self.dim();
        for i in 0..n {
            let a = alpha[i];
            if !(a > self.domain.0 && a < self.domain.1) {
                // Outside the domain of H: signal it so adaptive solvers reject the step.
                out[i] = f64::NAN;
                continue;
            }
            let coupling = match &self.kernel {
                Some(k) => (0..n).map(|j| k[(i, j)] * alpha[j]).sum::<f64>(),
                None => a,
            };
            out[i] = self.rate * (self.loss.margin_of_weight(a) - coupling / self.lambda);
        }
    }

    fn jacobian(&self, alpha: &[f64], out: &mut DMatrix<f64>) {
        let n = self.dim();
        for q in 0..n {
            for p in 0..n {
                let k = match &self.kernel {
                    Some(k) => k[(p, q)],
                    None => {
                        if p == q {
                            1.0
                        } else {
                            0.0
                        }
                    }
                };
                let barrier = if p == q {
                    self.loss.margin_of_weight_slope(alpha[p])
                } else {
                    0.0
                };
                out[(p, q)] = self.rate * (barrier - k / self.lambda);
            }
        }
    }

    fn response_dim(&self) -> usize {
        self.response_map.nrows()
    }

    fn responses(&self, alpha: &[f64], out: &mut [f64]) {
        let (k, n) = self.response_map.shape();
        for (j, o) in out.iter_mut().enumerate().take(k) {
            *o = (0..n).map(|i| self.response_map[(j, i)] * alpha[i]).sum();
        }
    }

    fn space(&self) -> Space {
        Space::Dual
    }

    fn project(&self, state: &mut [f64]) {
        // Clipping into the closed part of the domain the map can represent (cross-entropy:
        // [2⁻¹⁰²², 1 − 2⁻⁵³]; exponential tail: α ≥ 2⁻¹⁰²²; ℝ otherwise, no clipping).
        let (lo, hi) = self.domain;
        let low = if lo == 0.0 { DUAL_CLIP_LOW } else { lo };
        let high = if hi == 1.0 { DUAL_CLIP_HIGH } else { hi };
        for a in state {
            *a = a.clamp(low, high);
        }
    }

    fn default_initial_state(&self) -> Vec<f64> {
        vec![1e-8; self.dim()]
    }
}

/// One step of the discrete gradient-descent map x ← P(x + h f(x)) (explicit Euler of the flow;
/// with η = 1 it is gradient descent with learning rate h, and k steps reach time t = k h).
/// `field_value` receives f(x) (scratch of length dim).
pub fn gradient_descent_step(
    field: &dyn VectorField,
    state: &mut [f64],
    step: f64,
    field_value: &mut [f64],
) {
    field.eval(state, field_value);
    for (x, f) in state.iter_mut().zip(field_value.iter()) {
        *x += step * f;
    }
    field.project(state);
}

/// An optimiser map in the flow's own coordinates (docs/theory.md §8): the step `h` multiplies
/// the field f (with η = 1 and f = −∇L it is the learning rate), and the momentum maps carry a
/// velocity u (the PyTorch momentum buffer times −h), started at u₀ = 0.
///
/// - gradient descent: x_{k+1} = P(x_k + h f(x_k));
/// - heavy ball (PyTorch `SGD(momentum=μ)`): u_{k+1} = μ u_k + h f(x_k), x_{k+1} = P(x_k + u_{k+1}),
///   i.e. x_{k+1} = x_k + μ (x_k − x_{k−1}) + h f(x_k) with x_{−1} = x₀;
/// - Nesterov (PyTorch `SGD(momentum=μ, nesterov=True)`, which evaluates the gradient at x_k,
///   not at a look-ahead point): u_{k+1} = μ u_k + h f(x_k), x_{k+1} = P(x_k + h f(x_k) + μ u_{k+1}),
///   i.e. x_{k+1} = x_k + (1 + μ) h f(x_k) + μ² u_k.
///
/// P is the field's projection (the identity in z and θ; clipping into (0, 1) in α, where the
/// momentum maps are projected SGD: the buffer is not touched by the clipping). With μ = 0 both
/// momentum maps equal gradient descent bit for bit. Near a stable equilibrium with Jacobian
/// eigenvalue λ < 0 of the field, the linearised map loses stability by a flip (an eigenvalue
/// through −1) at h|λ| = 2 (gd), 2(1 + μ) (heavy ball), 2(1 + μ)/(1 + 2μ) (Nesterov); see
/// [`OptimiserMap::flip_step`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimiserMap {
    /// Gradient descent with step h.
    GradientDescent {
        /// h.
        step: f64,
    },
    /// Heavy ball with step h and momentum μ.
    HeavyBall {
        /// h.
        step: f64,
        /// μ ∈ [0, 1).
        momentum: f64,
    },
    /// Nesterov momentum (PyTorch semantics) with step h and momentum μ.
    Nesterov {
        /// h.
        step: f64,
        /// μ ∈ [0, 1).
        momentum: f64,
    },
}

impl OptimiserMap {
    /// The step h.
    pub fn step(&self) -> f64 {
        match *self {
            OptimiserMap::GradientDescent { step }
            | OptimiserMap::HeavyBall { step, .. }
            | OptimiserMap::Nesterov { step, .. } => step,
        }
    }

    /// The momentum μ (0 for gradient descent).
    pub fn momentum(&self) -> f64 {
        match *self {
            OptimiserMap::GradientDescent { .. } => 0.0,
            OptimiserMap::HeavyBall { momentum, .. } | OptimiserMap::Nesterov { momentum, .. } => {
                momentum
            }
        }
    }

    /// The same map with step h.
    pub fn with_step(self, h: f64) -> Self {
        match self {
            OptimiserMap::GradientDescent { .. } => OptimiserMap::GradientDescent { step: h },
            OptimiserMap::HeavyBall { momentum, .. } => {
                OptimiserMap::HeavyBall { step: h, momentum }
            }
            OptimiserMap::Nesterov { momentum, .. } => OptimiserMap::Nesterov { step: h, momentum },
        }
    }

    /// The same map with momentum μ (gradient descent is unchanged).
    pub fn with_momentum(self, mu: f64) -> Self {
        match self {
            OptimiserMap::GradientDescent { step } => OptimiserMap::GradientDescent { step },
            OptimiserMap::HeavyBall { step, .. } => OptimiserMap::HeavyBall { step, momentum: mu },
            OptimiserMap::Nesterov { step, .. } => OptimiserMap::Nesterov { step, momentum: mu },
        }
    }

    /// Whether the map carries a velocity (the momentum maps): its state is (x, u), of twice
    /// the field's dimension.
    pub fn has_velocity(&self) -> bool {
        !matches!(self, OptimiserMap::GradientDescent { .. })
    }

    /// Dimension of the map's state for a field of dimension `dim`: dim, or 2·dim with velocity.
    pub fn state_dim(&self, dim: usize) -> usize {
        if self.has_velocity() { 2 * dim } else { dim }
    }

    /// The step h* at which the map's fixed point at an equilibrium with field eigenvalue λ < 0
    /// (`rate` = |λ|) flips: an eigenvalue of the linearised map passes −1. Gradient descent
    /// 1 + hλ = −1: h* = 2/|λ|. Heavy ball, ρ² − (1 + μ + hλ) ρ + μ = 0 at ρ = −1:
    /// h* = 2(1 + μ)/|λ|. Nesterov, ρ² − (1 + μ + (1 + μ)hλ) ρ + μ(1 + hλ) = 0 at ρ = −1:
    /// h* = 2(1 + μ)/((1 + 2μ)|λ|).
    pub fn flip_step(&self, rate: f64) -> f64 {
        let mu = self.momentum();
        match self {
            OptimiserMap::GradientDescent { .. } => 2.0 / rate,
            OptimiserMap::HeavyBall { .. } => 2.0 * (1.0 + mu) / rate,
            OptimiserMap::Nesterov { .. } => 2.0 * (1.0 + mu) / ((1.0 + 2.0 * mu) * rate),
        }
    }

    /// One step of the map on `state` = x (gradient descent) or (x, u) (momentum maps, x first),
    /// with scratch `field_value` of the field's dimension (it receives f(x_k)).
    pub fn advance(&self, field: &dyn VectorField, state: &mut [f64], field_value: &mut [f64]) {
        let dim = field.dim();
        let (x, u) = state.split_at_mut(dim);
        match *self {
            OptimiserMap::GradientDescent { step } => {
                gradient_descent_step(field, x, step, field_value);
            }
            OptimiserMap::HeavyBall { step, momentum } => {
                field.eval(x, field_value);
                for ((x, u), f) in x.iter_mut().zip(u.iter_mut()).zip(field_value.iter()) {
                    *u = momentum * *u + step * f;
                    *x += *u;
                }
                field.project(x);
            }
            OptimiserMap::Nesterov { step, momentum } => {
                field.eval(x, field_value);
                for ((x, u), f) in x.iter_mut().zip(u.iter_mut()).zip(field_value.iter()) {
                    let hf = step * f;
                    *u = momentum * *u + hf;
                    *x += hf + momentum * *u;
                }
                field.project(x);
            }
        }
    }

    /// The map's Jacobian ∂F/∂(x, u) (state_dim × state_dim) from the field's Jacobian J at x
    /// (projection ignored: valid inside the domain). Gradient descent I + hJ; heavy ball
    /// [[I + hJ, μI], [hJ, μI]]; Nesterov [[I + (1 + μ)hJ, μ²I], [hJ, μI]].
    pub fn jacobian(&self, field_jacobian: &DMatrix<f64>) -> DMatrix<f64> {
        let d = field_jacobian.nrows();
        let (h, mu) = (self.step(), self.momentum());
        let n = self.state_dim(d);
        let mut out = DMatrix::zeros(n, n);
        let gain = match self {
            OptimiserMap::Nesterov { .. } => (1.0 + mu) * h,
            _ => h,
        };
        for i in 0..d {
            for j in 0..d {
                out[(i, j)] = gain * field_jacobian[(i, j)];
            }
            out[(i, i)] += 1.0;
        }
        if self.has_velocity() {
            let cross = match self {
                OptimiserMap::Nesterov { .. } => mu * mu,
                _ => mu,
            };
            for i in 0..d {
                for j in 0..d {
                    out[(d + i, j)] = h * field_jacobian[(i, j)];
                }
                out[(i, d + i)] = cross;
                out[(d + i, d + i)] = mu;
            }
        }
        out
    }
}
