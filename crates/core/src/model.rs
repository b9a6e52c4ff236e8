//! The paper's quantities (docs/theory.md §1–§2): feature strengths s, coupling U, labels y, feature
//! directions V, the regulariser, the loss model and the rate η, validated once when built.
//!
//! Four constructors: the two-feature toy U(δ) (M17), an explicit U and s, the SVD of a
//! tangent-feature matrix Φ (M3), and a seeded Haar-random U with a chosen spectrum.

use nalgebra::{DMatrix, DVector};

use crate::error::{InputError, require_finite, require_non_negative, require_positive};
use crate::numerics::SeededRng;

/// Orthogonality tolerance for an explicit coupling: max |UᵀU − I| must not exceed this.
pub const ORTHOGONALITY_TOLERANCE: f64 = 1e-10;

/// Regulariser R(θ) of M2.
#[derive(Debug, Clone, PartialEq)]
pub enum Regulariser {
    /// R = 0 (no equilibrium exists; responses grow like log t).
    None,
    /// Weight decay R = (λ/2)‖θ‖² (the paper's default).
    L2 {
        /// λ ≥ 0.
        lambda: f64,
    },
    /// Spectral Decoupling R = ½ Σ_i λ_{c(i)} (ŷ_i − γ_{c(i)})².
    SpectralDecoupling(SpectralDecoupling),
}

/// Spectral Decoupling settings, per class (class +1 and class −1).
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralDecoupling {
    /// λ_c for examples labelled +1.
    pub lambda_positive: f64,
    /// λ_c for examples labelled −1.
    pub lambda_negative: f64,
    /// Target γ_c of the logit ŷ for examples labelled +1 (0 in the theory).
    pub target_positive: f64,
    /// Target γ_c of the logit ŷ for examples labelled −1 (0 in the theory).
    pub target_negative: f64,
}

impl SpectralDecoupling {
    /// The theory's SD: one λ for both classes and targets γ = 0.
    pub fn uniform(lambda: f64) -> Self {
        Self {
            lambda_positive: lambda,
            lambda_negative: lambda,
            target_positive: 0.0,
            target_negative: 0.0,
        }
    }

    /// True when λ is the same for both classes and both targets are zero (Theorem 2's setting).
    pub fn is_uniform(&self) -> bool {
        self.lambda_positive == self.lambda_negative
            && self.target_positive == 0.0
            && self.target_negative == 0.0
    }
}

impl Regulariser {
    /// The strength λ (for per-class SD, the λ of class +1); 0 without a regulariser.
    pub fn lambda(&self) -> f64 {
        match self {
            Regulariser::None => 0.0,
            Regulariser::L2 { lambda } => *lambda,
            Regulariser::SpectralDecoupling(sd) => sd.lambda_positive,
        }
    }

    /// Short name used in outputs: "none", "l2" or "sd".
    pub fn name(&self) -> &'static str {
        match self {
            Regulariser::None => "none",
            Regulariser::L2 { .. } => "l2",
            Regulariser::SpectralDecoupling(_) => "sd",
        }
    }

    fn validate(&self) -> Result<(), InputError> {
        match self {
            Regulariser::None => Ok(()),
            Regulariser::L2 { lambda } => {
                require_non_negative("regulariser.l2.lambda", *lambda).map(|_| ())
            }
            Regulariser::SpectralDecoupling(sd) => {
                require_non_negative("regulariser.sd.lambda", sd.lambda_positive)?;
                require_non_negative("regulariser.sd.lambda", sd.lambda_negative)?;
                require_finite("regulariser.sd.targets", sd.target_positive)?;
                require_finite("regulariser.sd.targets", sd.target_negative)?;
                Ok(())
            }
        }
    }
}

/// Which per-example loss the flows use (docs/theory.md §3.4), as a function ℓ(a) of the margin
/// a = y ŷ. The first three are the cross-entropy and its two approximations; `Squared` and
/// `SmoothHinge` are other losses altogether.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LossModel {
    /// Cross-entropy as is: gradient weight σ(−a).
    #[default]
    Exact,
    /// Second-order expansion log 2 − a/2 + a²/8: gradient weight 1/2 − a/4.
    Quadratic,
    /// Exponential tail e^{−a}: gradient weight e^{−a}.
    ExponentialTail,
    /// The squared loss ½(a − 1)² = ½(y ŷ − 1)² (y = ±1): gradient weight 1 − a, curvature 1.
    /// Its flows are linear; under L2 the equilibrium decouples (M20), so it has no starvation.
    Squared,
    /// The quadratically smoothed hinge: ½ − a for a ≤ 0, ½(1 − a)² for 0 < a < 1, 0 for
    /// a ≥ 1. Gradient weight 1, 1 − a, 0 (continuous); curvature 0, 1, 0 (jumps at a = 0 and
    /// a = 1, where the flow's Jacobian is discontinuous; the value at a kink is the right-hand
    /// one).
    SmoothHinge,
}

impl LossModel {
    /// Every loss model, in the order of the spec's documentation.
    pub const ALL: [LossModel; 5] = [
        LossModel::Exact,
        LossModel::Quadratic,
        LossModel::ExponentialTail,
        LossModel::Squared,
        LossModel::SmoothHinge,
    ];

    /// Per-example loss ℓ(a) at margin a.
    #[inline]
    pub fn loss(self, a: f64) -> f64 {
        match self {
            LossModel::Exact => crate::numerics::softplus(-a),
            LossModel::Quadratic => std::f64::consts::LN_2 - 0.5 * a + 0.125 * a * a,
            LossModel::ExponentialTail => (-a).exp(),
            LossModel::Squared => 0.5 * (a - 1.0) * (a - 1.0),
            LossModel::SmoothHinge => {
                if a <= 0.0 {
                    0.5 - a
                } else if a < 1.0 {
                    0.5 * (1.0 - a) * (1.0 - a)
                } else {
                    0.0
                }
            }
        }
    }

    /// Gradient weight α(a) = −ℓ′(a): σ(−a), 1/2 − a/4, e^{−a}, 1 − a, or clamp(1 − a, 0, 1).
    #[inline]
    pub fn weight(self, a: f64) -> f64 {
        match self {
            LossModel::Exact => crate::numerics::logistic(-a),
            LossModel::Quadratic => 0.5 - 0.25 * a,
            LossModel::ExponentialTail => (-a).exp(),
            LossModel::Squared => 1.0 - a,
            LossModel::SmoothHinge => (1.0 - a).clamp(0.0, 1.0),
        }
    }

    /// Size of the gradient weight's terms before cancellation: α(a) for the exact and
    /// exponential-tail models (positive), 1/2 + |a|/4 for the quadratic one (zero at a = 2),
    /// 1 + |a| for the squared loss and for the smooth hinge's middle piece (zero at a = 1).
    #[inline]
    pub fn weight_size(self, a: f64) -> f64 {
        match self {
            LossModel::Quadratic => 0.5 + 0.25 * a.abs(),
            LossModel::Squared => 1.0 + a.abs(),
            LossModel::SmoothHinge if a > 0.0 && a < 1.0 => 1.0 + a,
            other => other.weight(a),
        }
    }

    /// Curvature κ(a) = ℓ″(a) = −α′(a): σ(a)σ(−a), 1/4, e^{−a}, 1, or 1 on 0 ≤ a < 1 and 0
    /// elsewhere (M14's D; for the smooth hinge the right-hand derivative at the kinks).
    #[inline]
    pub fn curvature(self, a: f64) -> f64 {
        match self {
            LossModel::Exact => crate::numerics::logistic_slope(a),
            LossModel::Quadratic => 0.25,
            LossModel::ExponentialTail => (-a).exp(),
            LossModel::Squared => 1.0,
            LossModel::SmoothHinge => {
                if (0.0..1.0).contains(&a) {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Whether the curvature is a constant (the flows are then linear in z).
    pub fn is_quadratic(self) -> bool {
        matches!(self, LossModel::Quadratic | LossModel::Squared)
    }

    /// Whether ℓ(a) has a minimiser (the squared loss and the smooth hinge do, at a = 1 and on
    /// a ≥ 1; the quadratic model at a = 2): then responses stop growing without a regulariser.
    pub fn has_minimiser(self) -> bool {
        matches!(
            self,
            LossModel::Quadratic | LossModel::Squared | LossModel::SmoothHinge
        )
    }

    /// The open interval of dual variables α (the range of the weight α(a) = −ℓ′(a)) on which
    /// the conjugate H(α) = min_a [ℓ(a) + α a] is smooth (docs/theory.md §3.3): (0, 1) for the
    /// cross-entropy, (0, ∞) for the exponential tail, ℝ for the quadratic model and the squared
    /// loss. `None` for the smooth hinge, whose dual lives on the closed box [0, 1] with the
    /// examples beyond the margin at α = 0 (a constrained problem, not a smooth flow).
    pub fn dual_domain(self) -> Option<(f64, f64)> {
        match self {
            LossModel::Exact => Some((0.0, 1.0)),
            LossModel::ExponentialTail => Some((0.0, f64::INFINITY)),
            LossModel::Quadratic | LossModel::Squared => Some((f64::NEG_INFINITY, f64::INFINITY)),
            LossModel::SmoothHinge => None,
        }
    }

    /// The margin at which the weight is α, a(α) = H′(α) (the inverse of [`LossModel::weight`]):
    /// log((1 − α)/α), −log α, 2 − 4α or 1 − α; NaN outside [`LossModel::dual_domain`].
    #[inline]
    pub fn margin_of_weight(self, alpha: f64) -> f64 {
        match self {
            LossModel::Exact if alpha > 0.0 && alpha < 1.0 => (-alpha).ln_1p() - alpha.ln(),
            LossModel::ExponentialTail if alpha > 0.0 => -alpha.ln(),
            LossModel::Quadratic => 2.0 - 4.0 * alpha,
            LossModel::Squared => 1.0 - alpha,
            _ => f64::NAN,
        }
    }

    /// da/dα = H″(α) = −1/ℓ″(a(α)): −1/(α(1 − α)), −1/α, −4 or −1.
    #[inline]
    pub fn margin_of_weight_slope(self, alpha: f64) -> f64 {
        match self {
            LossModel::Exact => -1.0 / (alpha * (1.0 - alpha)),
            LossModel::ExponentialTail => -1.0 / alpha,
            LossModel::Quadratic => -4.0,
            LossModel::Squared => -1.0,
            LossModel::SmoothHinge => f64::NAN,
        }
    }

    /// Short name used in specs and outputs.
    pub fn name(self) -> &'static str {
        match self {
            LossModel::Exact => "exact",
            LossModel::Quadratic => "quadratic",
            LossModel::ExponentialTail => "exponential_tail",
            LossModel::Squared => "squared",
            LossModel::SmoothHinge => "smooth_hinge",
        }
    }

    /// The loss model of a name (`name()`'s inverse).
    pub fn from_name(name: &str) -> Option<LossModel> {
        LossModel::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// How the strengths of a random model are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Spectrum {
    /// Explicit strengths s_j.
    List(Vec<f64>),
    /// s_j = largest · j^(−exponent), j = 1..n.
    PowerLaw {
        /// s_1.
        largest: f64,
        /// Decay exponent (≥ 0).
        exponent: f64,
    },
    /// s_j² log-spaced from `max_squared` down to `min_squared` (a stiff spectrum).
    LogSpacedSquares {
        /// Largest s_j².
        max_squared: f64,
        /// Smallest s_j².
        min_squared: f64,
    },
}

/// Singular values dropped as zero when building from Φ (rank deficiency).
#[derive(Debug, Clone, PartialEq)]
pub struct RankReport {
    /// Rows of Φ (examples).
    pub examples: usize,
    /// Nonzero singular values kept.
    pub rank: usize,
    /// The dropped singular values.
    pub dropped: Vec<f64>,
    /// Threshold below which a singular value counts as zero.
    pub threshold: f64,
}

/// A validated model of the paper: everything the flows need.
///
/// Shapes: n examples, k features (k = n unless Φ was rank deficient), m parameters.
#[derive(Debug, Clone)]
pub struct FeatureModel {
    feature_strengths: Vec<f64>,
    coupling: DMatrix<f64>,
    labels: Vec<f64>,
    feature_directions: DMatrix<f64>,
    regulariser: Regulariser,
    loss: LossModel,
    rate: f64,
    rank_report: Option<RankReport>,
    generator: Option<CouplingGenerator>,
}

/// A coupling U(δ) generated from a strength δ, so that δ can be swept and continued.
#[derive(Debug, Clone, PartialEq)]
pub enum CouplingGenerator {
    /// Identity except the 2 × 2 block of features (p, q) (0-based), which is U(δ) of M17:
    /// U_pp = U_qq = √(1 − δ²), U_pq = −δ, U_qp = δ. With n = 2 and (p, q) = (0, 1) this is the
    /// paper's toy coupling exactly.
    Rotation {
        /// The plane (p, q), 0-based, p ≠ q.
        plane: [usize; 2],
    },
    /// U(δ) = exp(δ·A) for a skew-symmetric A (orthogonal for every δ).
    SkewExponential {
        /// A (n × n, Aᵀ = −A).
        generator: DMatrix<f64>,
    },
}

impl CouplingGenerator {
    /// U(δ) for n examples; errors name `delta`.
    pub fn coupling(&self, n: usize, delta: f64) -> Result<DMatrix<f64>, InputError> {
        require_finite("delta", delta)?;
        match self {
            CouplingGenerator::Rotation { plane: [p, q] } => {
                if delta.abs() >= 1.0 {
                    return Err(InputError::new(
                        "delta",
                        format!(
                            "must satisfy |δ| < 1 (the rotation's block is U(δ) of M17, with c = √(1 − δ²) > 0), got {delta}"
                        ),
                    ));
                }
                let mut u = DMatrix::identity(n, n);
                let c = (1.0 - delta * delta).sqrt();
                u[(*p, *p)] = c;
                u[(*q, *q)] = c;
                u[(*p, *q)] = -delta;
                u[(*q, *p)] = delta;
                Ok(u)
            }
            CouplingGenerator::SkewExponential { generator } => Ok((generator * delta).exp()),
        }
    }
}

/// A seeded random skew-symmetric n × n matrix with largest |eigenvalue| 1: A = (G − Gᵀ)/2 for
/// Gaussian G, divided by its spectral norm (so exp(δA) turns by angles up to |δ|).
pub fn random_skew_symmetric(n: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = SeededRng::new(seed);
    let g = DMatrix::from_fn(n, n, |_, _| rng.normal());
    let a = (&g - g.transpose()) * 0.5;
    let norm = a.clone().svd(false, false).singular_values.max();
    if norm > 0.0 { a / norm } else { a }
}

/// U(δ) of M17: [[c, −δ], [δ, c]], c = √(1 − δ²).
pub fn toy_coupling(delta: f64) -> DMatrix<f64> {
    let c = (1.0 - delta * delta).sqrt();
    DMatrix::from_row_slice(2, 2, &[c, -delta, delta, c])
}

/// Largest |UᵀU − I| entry: 0 for a matrix with orthonormal columns.
pub fn orthogonality_defect(u: &DMatrix<f64>) -> f64 {
    let g = u.transpose() * u;
    let mut worst = 0.0f64;
    for i in 0..g.nrows() {
        for j in 0..g.ncols() {
            let target = if i == j { 1.0 } else { 0.0 };
            worst = worst.max((g[(i, j)] - target).abs());
        }
    }
    worst
}

/// A Haar-distributed random matrix with orthonormal columns (rows × cols), from `seed`.
pub fn random_orthonormal(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
    let mut rng = SeededRng::new(seed);
    let g = DMatrix::from_fn(rows, cols, |_, _| rng.normal());
    let qr = g.qr();
    let mut q = qr.q();
    let r = qr.r();
    // Sign fix so the distribution is Haar (not biased by the QR's sign convention).
    for j in 0..cols {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    q
}

impl FeatureModel {
    /// The paper's two-feature toy: s = (s_1, s_2), U = U(δ) of M17, y = (+1, +1), V = I.
    pub fn two_feature_toy(s1: f64, s2: f64, delta: f64) -> Result<Self, InputError> {
        require_positive("s1", s1)?;
        require_positive("s2", s2)?;
        require_finite("delta", delta)?;
        if delta.abs() >= 1.0 {
            return Err(InputError::new(
                "delta",
                format!("must satisfy |δ| < 1 (U(δ) needs c = √(1 − δ²) > 0), got {delta}"),
            ));
        }
        let mut toy = Self::assemble(
            vec![s1, s2],
            toy_coupling(delta),
            vec![1.0, 1.0],
            DMatrix::identity(2, 2),
            None,
        )?;
        toy.generator = Some(CouplingGenerator::Rotation { plane: [0, 1] });
        Ok(toy)
    }

    /// Explicit strengths and a square orthogonal coupling U (n × n, rows = examples).
    pub fn from_coupling(
        feature_strengths: Vec<f64>,
        coupling: DMatrix<f64>,
        labels: Option<Vec<f64>>,
    ) -> Result<Self, InputError> {
        let n = coupling.nrows();
        if n == 0 {
            return Err(InputError::new(
                "coupling",
                "is empty; give U as a non-empty list of rows",
            ));
        }
        if coupling.ncols() != n {
            return Err(InputError::new(
                "coupling",
                format!(
                    "must be square (n × n), got {} × {}",
                    coupling.nrows(),
                    coupling.ncols()
                ),
            ));
        }
        if feature_strengths.len() != n {
            return Err(InputError::new(
                "strengths",
                format!(
                    "has {} entries but the coupling U is {n} × {n}; give one strength per column of U",
                    feature_strengths.len()
                ),
            ));
        }
        if coupling.iter().any(|x| !x.is_finite()) {
            return Err(InputError::new(
                "coupling",
                "contains a non-finite entry; every entry of U must be a finite number",
            ));
        }
        let defect = orthogonality_defect(&coupling);
        if defect > ORTHOGONALITY_TOLERANCE {
            return Err(InputError::new(
                "coupling",
                format!(
                    "U is not orthogonal (max |UᵀU − I| = {defect:.3e} > {ORTHOGONALITY_TOLERANCE:e}); give an orthogonal matrix, or use the `toy` or `random` model"
                ),
            ));
        }
        let labels = labels.unwrap_or_else(|| vec![1.0; n]);
        Self::assemble(
            feature_strengths,
            coupling,
            labels,
            DMatrix::identity(n, n),
            None,
        )
    }

    /// From tangent features Φ (n × m) and labels y by the SVD Y Φ = U S Vᵀ (M3).
    ///
    /// Singular values below `max(n, m) · ε · s_max` count as zero: the model keeps the k nonzero
    /// ones and records the dropped ones in [`FeatureModel::rank_report`]. Each singular pair's
    /// sign is fixed so that Σ_i U_ij ≥ 0 (responses to a feature grow positive under training).
    pub fn from_tangent_features(phi: DMatrix<f64>, labels: Vec<f64>) -> Result<Self, InputError> {
        let (n, m) = phi.shape();
        if n == 0 || m == 0 {
            return Err(InputError::new(
                "phi",
                "is empty; give Φ as a list of n rows of m numbers",
            ));
        }
        if labels.len() != n {
            return Err(InputError::new(
                "labels",
                format!(
                    "has {} entries but Φ has {n} rows; give one label (+1 or −1) per row",
                    labels.len()
                ),
            ));
        }
        check_labels(&labels)?;
        if phi.iter().any(|x| !x.is_finite()) {
            return Err(InputError::new(
                "phi",
                "contains a non-finite entry; every entry of Φ must be a finite number",
            ));
        }
        let mut yphi = phi.clone();
        for (i, &y) in labels.iter().enumerate() {
            yphi.row_mut(i).scale_mut(y);
        }
        let svd = yphi.svd(true, true);
        let (Some(u_full), Some(vt_full)) = (svd.u, svd.v_t) else {
            return Err(InputError::new("phi", "the SVD of YΦ failed to converge"));
        };
        let sv = svd.singular_values;
        let mut order: Vec<usize> = (0..sv.len()).collect();
        order.sort_by(|&a, &b| sv[b].total_cmp(&sv[a]));
        let s_max = order.first().map(|&i| sv[i]).unwrap_or(0.0);
        let threshold = (n.max(m) as f64) * f64::EPSILON * s_max;
        let kept: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| sv[i] > threshold)
            .collect();
        if kept.is_empty() {
            return Err(InputError::new(
                "phi",
                "is zero (no nonzero singular value); give tangent features with at least one nonzero entry",
            ));
        }
        let dropped: Vec<f64> = order
            .iter()
            .copied()
            .filter(|&i| sv[i] <= threshold)
            .map(|i| sv[i])
            .collect();
        let k = kept.len();
        let mut u = DMatrix::zeros(n, k);
        let mut v = DMatrix::zeros(m, k);
        let mut s = Vec::with_capacity(k);
        for (col, &i) in kept.iter().enumerate() {
            let mut uc: DVector<f64> = u_full.column(i).into_owned();
            let mut vc: DVector<f64> = vt_full.row(i).transpose();
            if uc.sum() < 0.0 || (uc.sum() == 0.0 && first_nonzero_is_negative(&uc)) {
                uc.neg_mut();
                vc.neg_mut();
            }
            u.set_column(col, &uc);
            v.set_column(col, &vc);
            s.push(sv[i]);
        }
        let report = (k < n).then_some(RankReport {
            examples: n,
            rank: k,
            dropped,
            threshold,
        });
        Self::assemble(s, u, labels, v, report)
    }

    /// A Haar-random orthogonal U (n × n) from `seed` with the given spectrum.
    pub fn random(
        examples: usize,
        seed: u64,
        spectrum: &Spectrum,
        labels: Option<Vec<f64>>,
    ) -> Result<Self, InputError> {
        if examples == 0 {
            return Err(InputError::new("examples", "must be ≥ 1"));
        }
        crate::error::require_at_most("examples", examples, crate::error::MAX_EXAMPLES)?;
        let strengths = match spectrum {
            Spectrum::List(s) => {
                if s.len() != examples {
                    return Err(InputError::new(
                        "strengths",
                        format!(
                            "has {} entries but examples = {examples}; give one strength per example",
                            s.len()
                        ),
                    ));
                }
                s.clone()
            }
            Spectrum::PowerLaw { largest, exponent } => {
                require_positive("power_law.largest", *largest)?;
                require_non_negative("power_law.exponent", *exponent)?;
                (1..=examples)
                    .map(|j| largest * (j as f64).powf(-exponent))
                    .collect()
            }
            Spectrum::LogSpacedSquares {
                max_squared,
                min_squared,
            } => {
                require_positive("log_spaced.max_squared", *max_squared)?;
                require_positive("log_spaced.min_squared", *min_squared)?;
                if min_squared > max_squared {
                    return Err(InputError::new(
                        "log_spaced.min_squared",
                        "must not exceed max_squared",
                    ));
                }
                let (hi, lo) = (max_squared.ln(), min_squared.ln());
                (0..examples)
                    .map(|j| {
                        let f = if examples == 1 {
                            0.0
                        } else {
                            j as f64 / (examples - 1) as f64
                        };
                        (hi + (lo - hi) * f).exp().sqrt()
                    })
                    .collect()
            }
        };
        let labels = labels.unwrap_or_else(|| vec![1.0; examples]);
        Self::assemble(
            strengths,
            random_orthonormal(examples, examples, seed),
            labels,
            DMatrix::identity(examples, examples),
            None,
        )
    }

    fn assemble(
        feature_strengths: Vec<f64>,
        coupling: DMatrix<f64>,
        labels: Vec<f64>,
        feature_directions: DMatrix<f64>,
        rank_report: Option<RankReport>,
    ) -> Result<Self, InputError> {
        for (j, &s) in feature_strengths.iter().enumerate() {
            require_positive(&format!("strengths[{j}]"), s)?;
        }
        if labels.len() != coupling.nrows() {
            return Err(InputError::new(
                "labels",
                format!(
                    "has {} entries but the model has {} examples; give one label (+1 or −1) per example",
                    labels.len(),
                    coupling.nrows()
                ),
            ));
        }
        check_labels(&labels)?;
        Ok(Self {
            feature_strengths,
            coupling,
            labels,
            feature_directions,
            regulariser: Regulariser::L2 { lambda: 0.01 },
            loss: LossModel::Exact,
            rate: 1.0,
            rank_report,
            generator: None,
        })
    }

    /// The same model with the regulariser R (validated).
    pub fn with_regulariser(mut self, regulariser: Regulariser) -> Result<Self, InputError> {
        regulariser.validate()?;
        self.regulariser = regulariser;
        Ok(self)
    }

    /// The same model with the loss model.
    pub fn with_loss(mut self, loss: LossModel) -> Self {
        self.loss = loss;
        self
    }

    /// The same model with rate η > 0.
    pub fn with_rate(mut self, rate: f64) -> Result<Self, InputError> {
        self.rate = require_positive("rate", rate)?;
        Ok(self)
    }

    /// The same model with strength s_j replaced (j 0-based).
    pub fn with_strength(mut self, j: usize, s: f64) -> Result<Self, InputError> {
        if j >= self.features() {
            return Err(InputError::new(
                "strengths",
                format!(
                    "feature {} does not exist (the model has {})",
                    j + 1,
                    self.features()
                ),
            ));
        }
        self.feature_strengths[j] = require_positive(&format!("strengths[{j}]"), s)?;
        Ok(self)
    }

    /// The same two-feature model with coupling U(δ) of M17.
    pub fn with_toy_coupling(mut self, delta: f64) -> Result<Self, InputError> {
        if let Some(g) = &self.generator {
            self.coupling = g.coupling(self.examples(), delta)?;
            return Ok(self);
        }
        if self.features() != 2 || self.examples() != 2 {
            return Err(InputError::new(
                "delta",
                "δ sets the coupling U(δ) of M17, which needs a two-feature model",
            ));
        }
        require_finite("delta", delta)?;
        if delta.abs() >= 1.0 {
            return Err(InputError::new(
                "delta",
                format!("must satisfy |δ| < 1, got {delta}"),
            ));
        }
        self.coupling = toy_coupling(delta);
        Ok(self)
    }

    /// The same model with λ replaced in its regulariser (both classes under SD). A model
    /// without a regulariser has no λ: that is an error (set a regulariser first).
    pub fn with_lambda(self, lambda: f64) -> Result<Self, InputError> {
        let regulariser = match self.regulariser.clone() {
            Regulariser::None => {
                return Err(InputError::new(
                    "lambda",
                    "the model has no regulariser, so λ cannot be set; give it an l2 or sd regulariser",
                ));
            }
            Regulariser::L2 { .. } => Regulariser::L2 { lambda },
            Regulariser::SpectralDecoupling(sd) => {
                let ratio = if sd.lambda_positive > 0.0 {
                    sd.lambda_negative / sd.lambda_positive
                } else {
                    1.0
                };
                Regulariser::SpectralDecoupling(SpectralDecoupling {
                    lambda_positive: lambda,
                    lambda_negative: lambda * ratio,
                    ..sd
                })
            }
        };
        self.with_regulariser(regulariser)
    }

    /// The same model with coupling U replaced by the identity (every example carries one
    /// feature): the uncoupled reference of the starvation ratio z_j*/z_j⁰.
    pub fn uncoupled(mut self) -> Self {
        let k = self.features();
        self.coupling = DMatrix::identity(k, k);
        self.labels = self.labels.into_iter().take(k).collect();
        while self.labels.len() < k {
            self.labels.push(1.0);
        }
        self
    }

    /// The same model with feature directions V (m × k, orthonormal columns) replaced by a
    /// seeded random one in m ≥ k parameters. V does not affect z (docs/theory.md §6).
    pub fn with_random_directions(
        mut self,
        parameters: usize,
        seed: u64,
    ) -> Result<Self, InputError> {
        let k = self.features();
        crate::error::require_at_most(
            "parameters",
            parameters,
            crate::error::MAX_MATRIX_ENTRIES / k.max(1),
        )?;
        if parameters < k {
            return Err(InputError::new(
                "parameters",
                format!("must be ≥ the number of features ({k}), got {parameters}"),
            ));
        }
        self.feature_directions = random_orthonormal(parameters, k, seed);
        Ok(self)
    }

    /// Number of examples n.
    pub fn examples(&self) -> usize {
        self.coupling.nrows()
    }

    /// Number of features k (= n unless Φ was rank deficient).
    pub fn features(&self) -> usize {
        self.feature_strengths.len()
    }

    /// Number of parameters m.
    pub fn parameters(&self) -> usize {
        self.feature_directions.nrows()
    }

    /// Feature strengths s_j (the singular values S of M3).
    pub fn feature_strengths(&self) -> &[f64] {
        &self.feature_strengths
    }

    /// Squared strengths s_j² (the diagonal of S²).
    pub fn squared_strengths(&self) -> Vec<f64> {
        self.feature_strengths.iter().map(|s| s * s).collect()
    }

    /// Coupling U (n × k): column j says how feature j is shared among the examples.
    pub fn coupling(&self) -> &DMatrix<f64> {
        &self.coupling
    }

    /// Labels y_i ∈ {−1, +1}.
    pub fn labels(&self) -> &[f64] {
        &self.labels
    }

    /// Feature directions V (m × k), columns orthonormal.
    pub fn feature_directions(&self) -> &DMatrix<f64> {
        &self.feature_directions
    }

    /// Tangent features Φ = Y U S Vᵀ (n × m), rebuilt from the factors.
    pub fn tangent_features(&self) -> DMatrix<f64> {
        let mut us = self.coupling.clone();
        for (j, s) in self.feature_strengths.iter().enumerate() {
            us.column_mut(j).scale_mut(*s);
        }
        let mut phi = us * self.feature_directions.transpose();
        for (i, y) in self.labels.iter().enumerate() {
            phi.row_mut(i).scale_mut(*y);
        }
        phi
    }

    /// The regulariser.
    pub fn regulariser(&self) -> &Regulariser {
        &self.regulariser
    }

    /// The loss model.
    pub fn loss(&self) -> LossModel {
        self.loss
    }

    /// Rate η of the gradient flow.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Singular values dropped when Φ was rank deficient, if any.
    pub fn rank_report(&self) -> Option<&RankReport> {
        self.rank_report.as_ref()
    }

    /// The generator of the coupling, when U = U(δ) was generated ([`FeatureModel::generated`]).
    pub fn coupling_generator(&self) -> Option<&CouplingGenerator> {
        self.generator.as_ref()
    }

    /// δ when the model was built as the paper's two-feature toy (M17): by
    /// [`FeatureModel::two_feature_toy`] or as a `rotation` of two features, and since moved only
    /// by [`FeatureModel::with_toy_coupling`] (or made [`FeatureModel::uncoupled`], δ = 0). Its
    /// coupling is then U(δ) of M17 exactly, so the toy's fast paths apply. A model given by an
    /// explicit matrix is not the toy, whatever its entries.
    pub fn toy_delta(&self) -> Option<f64> {
        match self.generator {
            Some(CouplingGenerator::Rotation { .. })
                if self.examples() == 2 && self.features() == 2 =>
            {
                Some(self.coupling[(1, 0)])
            }
            _ => None,
        }
    }

    /// The plane (p, q) (0-based) and δ when the coupling was built as U(δ) of M17 in the plane
    /// of two features (the toy, or a `rotation` generator): U_qp = δ.
    pub fn rotation_plane(&self) -> Option<([usize; 2], f64)> {
        match self.generator {
            Some(CouplingGenerator::Rotation { plane: [p, q] }) => {
                Some(([p, q], self.coupling[(q, p)]))
            }
            _ => None,
        }
    }

    /// Whether δ can be set ([`FeatureModel::with_toy_coupling`]): the two-feature toy or a
    /// generated coupling.
    pub fn has_delta(&self) -> bool {
        self.generator.is_some() || (self.features() == 2 && self.examples() == 2)
    }

    /// Strengths s (n of them), coupling U(δ) from `generator`, labels (default all +1) and
    /// V = I; δ can then be swept and continued.
    pub fn generated(
        feature_strengths: Vec<f64>,
        generator: CouplingGenerator,
        delta: f64,
        labels: Option<Vec<f64>>,
    ) -> Result<Self, InputError> {
        let n = feature_strengths.len();
        if n == 0 {
            return Err(InputError::new(
                "strengths",
                "is empty; give one strength per feature",
            ));
        }
        crate::error::require_at_most("strengths", n, crate::error::MAX_EXAMPLES)?;
        match &generator {
            CouplingGenerator::Rotation { plane: [p, q] } => {
                if p == q || *p >= n || *q >= n {
                    return Err(InputError::new(
                        "plane",
                        format!(
                            "must name two different features between 1 and {n}, e.g. [1, 2]; got [{}, {}]",
                            p + 1,
                            q + 1
                        ),
                    ));
                }
            }
            CouplingGenerator::SkewExponential { generator: a } => {
                if a.nrows() != n || a.ncols() != n {
                    return Err(InputError::new(
                        "generator.matrix",
                        format!(
                            "is {} × {} but there are {n} strengths; give an {n} × {n} matrix",
                            a.nrows(),
                            a.ncols()
                        ),
                    ));
                }
                if a.iter().any(|x| !x.is_finite()) {
                    return Err(InputError::new(
                        "generator.matrix",
                        "contains a non-finite entry",
                    ));
                }
                let defect = (a + a.transpose()).amax();
                if defect > 1e-12 * a.amax().max(1.0) {
                    return Err(InputError::new(
                        "generator.matrix",
                        format!(
                            "is not skew-symmetric (largest |A + Aᵀ| entry {defect:.3e}); give A with A[i][j] = −A[j][i] and zero diagonal"
                        ),
                    ));
                }
            }
        }
        let u = generator.coupling(n, delta)?;
        let labels = labels.unwrap_or_else(|| vec![1.0; n]);
        let mut model =
            Self::assemble(feature_strengths, u, labels, DMatrix::identity(n, n), None)?;
        model.generator = Some(generator);
        Ok(model)
    }

    /// What is unusual about this model, one sentence each: a non-square coupling U (examples ≠
    /// features, so U = I references and M13 do not apply) and singular values of Φ dropped as
    /// zero (rank deficiency). Empty for an ordinary square model.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        let (n, k) = (self.examples(), self.features());
        if n != k {
            w.push(format!(
                "U is {n} × {k} (non-square): {n} examples but {k} features; references with U = I (z⁰, z*/z⁰) and the SD margin law M13 do not apply"
            ));
        }
        if let Some(r) = &self.rank_report
            && !r.dropped.is_empty()
        {
            w.push(format!(
                "Φ is rank deficient: rank {} of {} examples; dropped singular values {:?} (below {:.1e})",
                r.rank, r.examples, r.dropped, r.threshold
            ));
        }
        w
    }

    /// Per-example SD strengths λ_{c(i)} and label-signed targets y_i γ_{c(i)} (zeros unless SD).
    pub fn sd_example_terms(&self) -> (Vec<f64>, Vec<f64>) {
        match &self.regulariser {
            Regulariser::SpectralDecoupling(sd) => self
                .labels
                .iter()
                .map(|&y| {
                    if y > 0.0 {
                        (sd.lambda_positive, sd.target_positive)
                    } else {
                        (sd.lambda_negative, -sd.target_negative)
                    }
                })
                .unzip(),
            _ => (vec![0.0; self.examples()], vec![0.0; self.examples()]),
        }
    }

    /// Uᵀ1 (length k), which sets the uncoupled responses' signs (M17: (c + δ, c − δ)).
    pub fn coupling_column_sums(&self) -> Vec<f64> {
        self.coupling.row_sum().iter().copied().collect()
    }

    /// Responses z = S Vᵀ θ (M4) of a parameter vector θ.
    pub fn responses_from_parameters(&self, theta: &[f64]) -> Vec<f64> {
        let th = DVector::from_column_slice(theta);
        let vt = self.feature_directions.transpose() * th;
        vt.iter()
            .zip(&self.feature_strengths)
            .map(|(v, s)| v * s)
            .collect()
    }

    /// The minimum-norm θ = V S⁻¹ z with responses z.
    pub fn parameters_from_responses(&self, z: &[f64]) -> Vec<f64> {
        let scaled = DVector::from_iterator(
            z.len(),
            z.iter().zip(&self.feature_strengths).map(|(z, s)| z / s),
        );
        (&self.feature_directions * scaled)
            .iter()
            .copied()
            .collect()
    }
}

fn first_nonzero_is_negative(v: &DVector<f64>) -> bool {
    v.iter().find(|x| **x != 0.0).is_some_and(|x| *x < 0.0)
}

fn check_labels(labels: &[f64]) -> Result<(), InputError> {
    for (i, &y) in labels.iter().enumerate() {
        if y != 1.0 && y != -1.0 {
            return Err(InputError::new(
                format!("labels[{i}]"),
                format!("must be +1 or −1, got {y}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svd_recovers_factors_of_a_known_model() {
        let base = FeatureModel::random(4, 7, &Spectrum::List(vec![3.0, 2.0, 1.0, 0.5]), None)
            .unwrap()
            .with_random_directions(9, 3)
            .unwrap();
        let phi = base.tangent_features();
        let rebuilt = FeatureModel::from_tangent_features(phi.clone(), vec![1.0; 4]).unwrap();
        for (a, b) in rebuilt.feature_strengths().iter().zip([3.0, 2.0, 1.0, 0.5]) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!((rebuilt.tangent_features() - phi).amax() < 1e-12);
    }

    #[test]
    fn rank_deficiency_is_reported() {
        let phi = DMatrix::from_row_slice(
            3,
            4,
            &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
        );
        let m = FeatureModel::from_tangent_features(phi, vec![1.0, -1.0, 1.0]).unwrap();
        let report = m.rank_report().unwrap();
        assert_eq!(report.rank, 2);
        assert_eq!(m.features(), 2);
        assert!(orthogonality_defect(m.coupling()) < 1e-12);
    }
}
