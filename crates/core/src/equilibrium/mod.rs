//! Fixed points of the response flow (docs/theory.md §4): Newton's method with a backtracking line
//! search on the strictly convex z-loss, stability from the Jacobian's eigenvalues, the
//! starvation matrix M16 and other sensitivities, and continuation along a parameter.
//!
//! In z coordinates the flow is dz/dt = −η S² ∇Φ(z) with
//! - L2: Φ = Σ_i ℓ((Uz)_i) + (λ/2) zᵀ S⁻² z,
//! - SD: Φ = Σ_i ℓ((Uz)_i) + ½ Σ_i λ_i ((Uz)_i − y_i γ_i)²,
//! - none: Φ = Σ_i ℓ((Uz)_i) (a minimiser exists only for the quadratic loss model),
//!
//! so every equilibrium is the unique minimiser of Φ, and J = −η S² H with H = ∇²Φ (M14, M15).

pub mod closed_form;
pub mod end_state;
pub mod orbit;
pub mod orbit_diagram;
pub mod report;
mod verdict;

pub use verdict::{require_finite, verdict};

use nalgebra::{Cholesky, DMatrix, DVector};

use crate::error::{InputError, SolveError};
use crate::model::{FeatureModel, LossModel, Regulariser, toy_coupling};

/// Options of [`find_equilibrium`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct EquilibriumOptions {
    /// Converged when the weighted residual (RMS over j of |∂Φ/∂z_j| divided by the summed sizes
    /// of the terms that balance in it, so rounding alone gives ~1e−16) is at most this
    /// (default 1e−12).
    pub tolerance: f64,
    /// Newton iterations allowed (default 100).
    pub max_iterations: usize,
}

impl EquilibriumOptions {
    /// The same options with the residual tolerance `tolerance`.
    pub fn with_tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }
}

impl Default for EquilibriumOptions {
    fn default() -> Self {
        Self {
            tolerance: 1e-12,
            max_iterations: 100,
        }
    }
}

/// Stability class of a fixed point from its Jacobian's eigenvalues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stability {
    /// All eigenvalues real and negative.
    StableNode,
    /// All real parts negative, some eigenvalues complex.
    StableFocus,
    /// All real parts positive.
    Unstable,
    /// Real parts of both signs.
    Saddle,
    /// Some real part zero (to rounding).
    NonHyperbolic,
}

impl Stability {
    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Stability::StableNode => "stable_node",
            Stability::StableFocus => "stable_focus",
            Stability::Unstable => "unstable",
            Stability::Saddle => "saddle",
            Stability::NonHyperbolic => "non_hyperbolic",
        }
    }

    /// Classifies eigenvalues (re, im); |re| ≤ `zero` counts as zero.
    pub fn classify(eigenvalues: &[(f64, f64)], zero: f64) -> Stability {
        let neg = eigenvalues.iter().filter(|e| e.0 < -zero).count();
        let pos = eigenvalues.iter().filter(|e| e.0 > zero).count();
        let complex = eigenvalues.iter().any(|e| e.1.abs() > zero);
        if neg + pos < eigenvalues.len() {
            Stability::NonHyperbolic
        } else if pos == 0 {
            if complex {
                Stability::StableFocus
            } else {
                Stability::StableNode
            }
        } else if neg == 0 {
            Stability::Unstable
        } else {
            Stability::Saddle
        }
    }
}

/// A fixed point of the response flow, as a record.
#[derive(Debug, Clone)]
pub struct Equilibrium {
    /// z*.
    pub point: Vec<f64>,
    /// Weighted residual at z* (see [`EquilibriumOptions::tolerance`]).
    pub residual: f64,
    /// Newton iterations used.
    pub iterations: usize,
    /// Jacobian of the flow at z* (M14/M15).
    pub jacobian: DMatrix<f64>,
    /// Its eigenvalues (re, im), sorted by real part (most negative first).
    pub eigenvalues: Vec<(f64, f64)>,
    /// Stability class.
    pub stability: Stability,
    /// Margins a* = U z*.
    pub margins: Vec<f64>,
}

/// The convex objective Φ of one model, evaluated with scratch-free helpers.
struct Objective<'a> {
    model: &'a FeatureModel,
    squared_strengths: Vec<f64>,
    kind: Kind,
}

enum Kind {
    None,
    L2(f64),
    /// λ_i and y_i γ_i per example.
    Sd(Vec<f64>, Vec<f64>),
}

/// Φ, its gradient g, its Hessian H and the scale of g's balancing terms at one point.
struct Local {
    value: f64,
    gradient: DVector<f64>,
    scale: DVector<f64>,
    margins: DVector<f64>,
}

impl<'a> Objective<'a> {
    fn new(model: &'a FeatureModel) -> Result<Self, SolveError> {
        let kind = match model.regulariser() {
            Regulariser::None => Kind::None,
            Regulariser::L2 { lambda } if *lambda > 0.0 => Kind::L2(*lambda),
            Regulariser::L2 { .. } => Kind::None,
            Regulariser::SpectralDecoupling(_) => {
                let (l, g) = model.sd_example_terms();
                if l.iter().all(|x| *x == 0.0) {
                    Kind::None
                } else {
                    Kind::Sd(l, g)
                }
            }
        };
        let loss = model.loss();
        let unique = loss.is_quadratic();
        if matches!(kind, Kind::None) && !unique {
            return Err(SolveError::Undefined(if loss == LossModel::SmoothHinge {
                "the smooth hinge without a regulariser has no unique equilibrium (every z with all margins ≥ 1 is one); give λ > 0".into()
            } else {
                "no equilibrium exists with λ = 0 (no regulariser): the loss has no minimiser and the responses grow like log t; give λ > 0".into()
            }));
        }
        if let Kind::Sd(l, _) = &kind
            && l.contains(&0.0)
            && !unique
        {
            return Err(SolveError::Undefined(
                "SD with λ = 0 for one class has no unique equilibrium for this loss; give both classes λ > 0".into(),
            ));
        }
        Ok(Self {
            model,
            squared_strengths: model.squared_strengths(),
            kind,
        })
    }

    fn local(&self, z: &DVector<f64>) -> Local {
        let u = self.model.coupling();
        let loss = self.model.loss();
        let a = u * z;
        let mut value = 0.0;
        let mut weights = DVector::zeros(a.len());
        let mut penalty = DVector::zeros(a.len());
        // Sizes of the terms before they cancel: the residual is measured against these.
        let mut term_size = DVector::zeros(a.len());
        for i in 0..a.len() {
            value += loss.loss(a[i]);
            weights[i] = loss.weight(a[i]);
            term_size[i] = loss.weight_size(a[i]);
            if let Kind::Sd(l, g) = &self.kind {
                let d = a[i] - g[i];
                value += 0.5 * l[i] * d * d;
                penalty[i] = l[i] * d;
                term_size[i] += l[i] * (a[i].abs() + g[i].abs());
            }
        }
        let drive = u.transpose() * &weights;
        let mut decay = u.transpose() * &penalty;
        let mut scale = u.abs().transpose() * &term_size;
        if let Kind::L2(lambda) = self.kind {
            for j in 0..z.len() {
                decay[j] = lambda * z[j] / self.squared_strengths[j];
                value += 0.5 * lambda * z[j] * z[j] / self.squared_strengths[j];
                scale[j] += decay[j].abs();
            }
        }
        let gradient = &decay - &drive;
        Local {
            value,
            gradient,
            scale,
            margins: a,
        }
    }

    fn hessian(&self, margins: &DVector<f64>) -> DMatrix<f64> {
        let u = self.model.coupling();
        let loss = self.model.loss();
        let mut d = DVector::zeros(margins.len());
        for i in 0..margins.len() {
            d[i] = loss.curvature(margins[i]);
            if let Kind::Sd(l, _) = &self.kind {
                d[i] += l[i];
            }
        }
        let mut du = u.clone();
        for i in 0..du.nrows() {
            du.row_mut(i).scale_mut(d[i]);
        }
        let mut h = u.transpose() * du;
        if let Kind::L2(lambda) = self.kind {
            for j in 0..h.nrows() {
                h[(j, j)] += lambda / self.squared_strengths[j];
            }
        }
        h
    }
}

/// RMS over j of |g_j| / scale_j, where scale_j sums the sizes of the terms of g_j before they
/// cancel (|U|ᵀ|α| plus the regulariser's terms), floored at 1e−8 of the largest.
fn weighted_residual(gradient: &DVector<f64>, scale: &DVector<f64>) -> f64 {
    let top = scale.amax();
    if top == 0.0 {
        return if gradient.amax() == 0.0 {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let floor = 1e-8 * top;
    let sum: f64 = gradient
        .iter()
        .zip(scale.iter())
        .map(|(g, s)| {
            let r = g / s.max(floor);
            r * r
        })
        .sum();
    (sum / gradient.len() as f64).sqrt()
}

/// The equilibrium z* of the model's response flow by Newton's method with backtracking (Armijo)
/// line search, from `start` (default z = 0).
pub fn find_equilibrium(
    model: &FeatureModel,
    start: Option<&[f64]>,
    options: &EquilibriumOptions,
) -> Result<Equilibrium, SolveError> {
    let objective = Objective::new(model)?;
    let k = model.features();
    let mut z = match start {
        Some(s) if s.len() == k && s.iter().all(|x| x.is_finite()) => DVector::from_column_slice(s),
        _ => DVector::zeros(k),
    };
    let mut local = objective.local(&z);
    let mut residual = weighted_residual(&local.gradient, &local.scale);
    let mut iterations = 0;
    while residual > options.tolerance {
        if iterations >= options.max_iterations {
            return Err(SolveError::NoConvergence {
                iterations,
                residual,
            });
        }
        iterations += 1;
        let h = objective.hessian(&local.margins);
        let Some(chol) = Cholesky::new(h) else {
            return Err(SolveError::NoConvergence {
                iterations,
                residual,
            });
        };
        let step = chol.solve(&(-&local.gradient));
        let slope = local.gradient.dot(&step);
        // Backtracking (Armijo) on Φ from the full Newton step. Once the predicted decrease is
        // below Φ's rounding, Φ cannot rank the points and the full step is taken (Newton is in
        // its quadratic regime there).
        let rounding = 1e-13 * (local.value.abs() + 1.0);
        let mut t = 1.0;
        let (candidate, next) = loop {
            let candidate = &z + &step * t;
            let next = objective.local(&candidate);
            if next.value <= local.value + 1e-4 * t * slope || -slope * t < rounding {
                break (candidate, next);
            }
            t *= 0.5;
            if t < 1e-12 {
                return Err(SolveError::NoConvergence {
                    iterations,
                    residual,
                });
            }
        };
        z = candidate;
        local = next;
        residual = weighted_residual(&local.gradient, &local.scale);
        if !residual.is_finite() {
            return Err(SolveError::NoConvergence {
                iterations,
                residual,
            });
        }
    }
    let h = objective.hessian(&local.margins);
    let s2 = &objective.squared_strengths;
    let mut jacobian = h.clone();
    for (p, s2p) in s2.iter().enumerate() {
        jacobian.row_mut(p).scale_mut(-model.rate() * s2p);
    }
    let eigenvalues = try_eigenvalues_of(&jacobian).ok_or_else(|| {
        SolveError::Undefined(
            "the eigenvalues of the Jacobian at the equilibrium did not converge".into(),
        )
    })?;
    let zero = 1e-12 * eigenvalues.iter().map(|e| e.0.abs()).fold(0.0, f64::max);
    let stability = Stability::classify(&eigenvalues, zero);
    let equilibrium = Equilibrium {
        point: z.iter().copied().collect(),
        residual,
        iterations,
        jacobian,
        eigenvalues,
        stability,
        margins: local.margins.iter().copied().collect(),
    };
    equilibrium.verdict(options.tolerance)?;
    Ok(equilibrium)
}

/// Eigenvalues (re, im) of a general square matrix, sorted by real part; NaN entries if the
/// QR iteration does not converge (see [`try_eigenvalues_of`]).
pub fn eigenvalues_of(m: &DMatrix<f64>) -> Vec<(f64, f64)> {
    try_eigenvalues_of(m).unwrap_or_else(|| vec![(f64::NAN, f64::NAN); m.nrows()])
}

/// Eigenvalues (re, im) of a general square matrix, sorted by real part, or None if the shifted
/// QR iteration of the Schur decomposition does not converge.
///
/// nalgebra's unbounded Schur iteration can cycle forever on a matrix that is a multiple of the
/// identity up to rounding (nalgebra issue #1528; it happens for the Jacobian of a model with
/// equal strengths), so the iteration is bounded; when it stops, the eigenvalues come from the
/// symmetric solver if the matrix is symmetric to rounding, or from the similar matrix D⁻¹MD
/// (D = diag(2^(i/n)), same eigenvalues, a different iteration).
pub fn try_eigenvalues_of(m: &DMatrix<f64>) -> Option<Vec<(f64, f64)>> {
    let n = m.nrows();
    let max_iterations = 100 * (n + 1);
    let schur = |a: DMatrix<f64>| {
        nalgebra::Schur::try_new(a, f64::EPSILON, max_iterations).map(|s| {
            s.complex_eigenvalues()
                .iter()
                .map(|c| (c.re, c.im))
                .collect::<Vec<_>>()
        })
    };
    let mut ev = schur(m.clone()).or_else(|| {
        if (m - m.transpose()).amax() <= 1e-14 * m.amax() {
            let sym = (m + m.transpose()) * 0.5;
            Some(
                sym.symmetric_eigen()
                    .eigenvalues
                    .iter()
                    .map(|x| (*x, 0.0))
                    .collect(),
            )
        } else {
            let d = |i: usize| 2f64.powf(i as f64 / n as f64);
            schur(DMatrix::from_fn(n, n, |i, j| m[(i, j)] * d(j) / d(i)))
        }
    })?;
    ev.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Some(ev)
}

/// Sensitivities of an equilibrium: the starvation matrix M_ji = ∂z_j*/∂(s_i²) (M16 and its SD
/// and loss-model counterparts) and ∂z*/∂λ; all from the implicit-function theorem.
#[derive(Debug, Clone)]
pub struct Sensitivities {
    /// M (k × k): column i is ∂z*/∂(s_i²).
    pub starvation_matrix: DMatrix<f64>,
    /// ∂z*/∂λ (uniform λ; for per-class SD, both classes scaled together).
    pub lambda: Vec<f64>,
}

/// Solves (S²H) x = rhs, i.e. x = H⁻¹ S⁻² rhs, with H the Hessian of Φ at the equilibrium.
fn solve_with_flow_jacobian(
    model: &FeatureModel,
    eq: &Equilibrium,
    rhs: &DVector<f64>,
) -> Result<DVector<f64>, SolveError> {
    // eq.jacobian = −η S² H, so S²H = −J/η.
    let a = -&eq.jacobian / model.rate();
    a.lu()
        .solve(rhs)
        .ok_or_else(|| SolveError::Undefined("the Jacobian at the equilibrium is singular".into()))
}

/// Starvation matrix and ∂z*/∂λ at the equilibrium `eq` of `model`.
pub fn sensitivities(model: &FeatureModel, eq: &Equilibrium) -> Result<Sensitivities, SolveError> {
    let k = model.features();
    let u = model.coupling();
    let loss = model.loss();
    let a = DVector::from_column_slice(&eq.margins);
    let z = DVector::from_column_slice(&eq.point);
    let w = a.map(|x| loss.weight(x));
    // r = Uᵀ (weights − SD penalty): ∂F/∂(s_i²) = e_i r_i with F = S² Uᵀ(…) − λ z.
    let (lambdas, targets) = model.sd_example_terms();
    let sd = matches!(model.regulariser(), Regulariser::SpectralDecoupling(_));
    let residual_weights = if sd {
        DVector::from_iterator(
            a.len(),
            (0..a.len()).map(|i| w[i] - lambdas[i] * (a[i] - targets[i])),
        )
    } else {
        w.clone()
    };
    let r = u.transpose() * &residual_weights;
    let mut m = DMatrix::zeros(k, k);
    for i in 0..k {
        let mut rhs = DVector::zeros(k);
        rhs[i] = r[i];
        let col = solve_with_flow_jacobian(model, eq, &rhs)?;
        m.set_column(i, &col);
    }
    let dlambda_rhs = if sd {
        // F = S² Uᵀ(w − Λ(a − Yγ)); ∂F/∂λ (classes scaled together) = −S² Uᵀ Λ/λ (a − Yγ).
        let lam = model.regulariser().lambda();
        let per = DVector::from_iterator(
            a.len(),
            (0..a.len()).map(|i| -(lambdas[i] / lam) * (a[i] - targets[i])),
        );
        let s2 = model.squared_strengths();
        let mut v = u.transpose() * per;
        for j in 0..k {
            v[j] *= s2[j];
        }
        v
    } else {
        -z
    };
    let dl = solve_with_flow_jacobian(model, eq, &dlambda_rhs)?;
    Ok(Sensitivities {
        starvation_matrix: m,
        lambda: dl.iter().copied().collect(),
    })
}

/// ∂z*/∂δ for a two-feature model with coupling U(δ) of M17.
pub fn delta_sensitivity(
    model: &FeatureModel,
    eq: &Equilibrium,
    delta: f64,
) -> Result<Vec<f64>, SolveError> {
    if model.features() != 2 || model.examples() != 2 {
        return Err(SolveError::Undefined(
            "∂z*/∂δ needs a two-feature model".into(),
        ));
    }
    let u = toy_coupling(delta);
    if (&u - model.coupling()).amax() > 1e-12 {
        return Err(SolveError::Undefined(
            "the model's coupling is not U(δ) for the given δ".into(),
        ));
    }
    let c = (1.0 - delta * delta).sqrt();
    let du = DMatrix::from_row_slice(2, 2, &[-delta / c, -1.0, 1.0, -delta / c]);
    let loss = model.loss();
    let z = DVector::from_column_slice(&eq.point);
    let a = DVector::from_column_slice(&eq.margins);
    let (lambdas, targets) = model.sd_example_terms();
    let sd = matches!(model.regulariser(), Regulariser::SpectralDecoupling(_));
    let r = DVector::from_iterator(
        2,
        (0..2).map(|i| {
            let w = loss.weight(a[i]);
            if sd {
                w - lambdas[i] * (a[i] - targets[i])
            } else {
                w
            }
        }),
    );
    let d = DVector::from_iterator(
        2,
        (0..2).map(|i| loss.curvature(a[i]) + if sd { lambdas[i] } else { 0.0 }),
    );
    // ∂F/∂δ = S² [U′ᵀ r − Uᵀ D U′ z]
    let duz = &du * &z;
    let inner = DVector::from_iterator(2, (0..2).map(|i| d[i] * duz[i]));
    let mut rhs = du.transpose() * r - u.transpose() * inner;
    let s2 = model.squared_strengths();
    for j in 0..2 {
        rhs[j] *= s2[j];
    }
    let x = solve_with_flow_jacobian(model, eq, &rhs)?;
    Ok(x.iter().copied().collect())
}

/// A parameter to continue along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// Strength s_j (0-based j).
    Strength(usize),
    /// Coupling δ of M17 (two-feature models).
    Delta,
    /// Regularisation strength λ.
    Lambda,
}

impl Parameter {
    /// The model with this parameter set to `value`.
    pub fn apply(self, base: &FeatureModel, value: f64) -> Result<FeatureModel, InputError> {
        match self {
            Parameter::Strength(j) => base.clone().with_strength(j, value),
            Parameter::Delta => base.clone().with_toy_coupling(value),
            Parameter::Lambda => base.clone().with_lambda(value),
        }
    }

    /// Name used in outputs ("s1", "delta", "lambda").
    pub fn name(self) -> String {
        match self {
            Parameter::Strength(j) => format!("s{}", j + 1),
            Parameter::Delta => "delta".into(),
            Parameter::Lambda => "lambda".into(),
        }
    }
}

/// One point of a continuation branch.
#[derive(Debug, Clone)]
pub struct BranchPoint {
    /// Parameter value.
    pub value: f64,
    /// The equilibrium there.
    pub equilibrium: Equilibrium,
}

/// Equilibria along `values` of `parameter` (in the given order), each Newton solve warm-started
/// from the previous point. Returns the ordered branch.
pub fn continuation(
    base: &FeatureModel,
    parameter: Parameter,
    values: &[f64],
    options: &EquilibriumOptions,
) -> Result<Vec<BranchPoint>, crate::error::Error> {
    let mut branch: Vec<BranchPoint> = Vec::with_capacity(values.len());
    for &value in values {
        let model = parameter.apply(base, value)?;
        let start = branch.last().map(|b| b.equilibrium.point.clone());
        let equilibrium = find_equilibrium(&model, start.as_deref(), options)?;
        branch.push(BranchPoint { value, equilibrium });
    }
    Ok(branch)
}
