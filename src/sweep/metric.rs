//! The metrics a sweep computes in every cell, and the names of their columns. Adding a metric
//! means a variant here, its columns in [`metric_columns`], its parsing in the spec layer and its
//! evaluation in `cell`.

/// A metric computed in every cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// The equilibrium z* (columns z1 … zk).
    Z,
    /// z_j*/z_j⁰, z⁰ the equilibrium of the same model with U = I (columns ratio1 … ratiok).
    StarvationRatio,
    /// M_ji = ∂z_j*/∂(s_i²) (columns M11, M12, …; "M{j}{i}").
    StarvationMatrix,
    /// Largest and smallest real part of the Jacobian's eigenvalues at z*.
    Stability,
    /// Unconstrained max-margin multipliers (K⁻¹1)_j, K = U S² Uᵀ: their sign change marks the
    /// support-set switch of the λ → 0 limit (columns mu1 … muk).
    MaxMarginMultiplier,
    /// z_j(T) from z = 0 (columns z1_at_T …).
    ResponseAt {
        /// T.
        time: f64,
    },
    /// First time z_j(t) reaches fraction q of z_j* from z = 0 (column time_to_q_zj); NaN if
    /// not reached before the horizon.
    TimeToFraction {
        /// j (0-based).
        feature: usize,
        /// q.
        fraction: f64,
        /// Horizon (default 40 / min |eigenvalue|).
        horizon: Option<f64>,
    },
    /// max_t z_j(t) from z = 0 up to the horizon and the relative overshoot (max − z_j*)/|z_j*|
    /// (columns max_zj, overshoot_zj).
    Overshoot {
        /// j (0-based).
        feature: usize,
        /// Horizon (default 40 / min |eigenvalue|).
        horizon: Option<f64>,
    },
    /// Stability margin of discrete gradient descent with step h: h·max|eigenvalue| (stable
    /// below 2; column gd_stability).
    GdStability {
        /// h.
        step: f64,
    },
}

impl Metric {
    /// Checks the metric against the base model (feature indices, square U where needed); the
    /// message says how to fix it.
    pub fn check(&self, base: &crate::model::FeatureModel) -> Result<(), String> {
        let k = base.features();
        match *self {
            Metric::MaxMarginMultiplier if base.features() != base.examples() => {
                Err("max_margin_multiplier needs a full-rank model (U square)".into())
            }
            Metric::TimeToFraction { feature, .. } | Metric::Overshoot { feature, .. }
                if feature >= k =>
            {
                Err(format!(
                    "feature {} does not exist; the model has features 1 to {k}",
                    feature + 1
                ))
            }
            Metric::TimeToFraction { fraction, .. } if !(fraction > 0.0 && fraction < 1.0) => {
                Err(format!("the fraction must lie in (0, 1), got {fraction}"))
            }
            Metric::ResponseAt { time } if !(time.is_finite() && time > 0.0) => {
                Err(format!("the time must be finite and > 0, got {time}"))
            }
            Metric::GdStability { step } if !(step.is_finite() && step > 0.0) => {
                Err(format!("the step must be finite and > 0, got {step}"))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn needs_equilibrium(self) -> bool {
        !matches!(
            self,
            Metric::MaxMarginMultiplier | Metric::ResponseAt { .. }
        )
    }
}

fn fmt_number(x: f64) -> String {
    format!("{x}")
}

/// Column names of the metrics, in order (k features).
pub fn metric_columns(metrics: &[Metric], k: usize) -> Vec<String> {
    let mut c = Vec::new();
    for m in metrics {
        match m {
            Metric::Z => c.extend((1..=k).map(|j| format!("z{j}"))),
            Metric::StarvationRatio => c.extend((1..=k).map(|j| format!("ratio{j}"))),
            Metric::StarvationMatrix => {
                for j in 1..=k {
                    for i in 1..=k {
                        c.push(if k < 10 {
                            format!("M{j}{i}")
                        } else {
                            format!("M{j}_{i}")
                        });
                    }
                }
            }
            Metric::Stability => {
                c.push("max_eigenvalue".into());
                c.push("min_eigenvalue".into());
            }
            Metric::MaxMarginMultiplier => c.extend((1..=k).map(|j| format!("mu{j}"))),
            Metric::ResponseAt { time } => {
                c.extend((1..=k).map(|j| format!("z{j}_at_{}", fmt_number(*time))))
            }
            Metric::TimeToFraction {
                feature, fraction, ..
            } => c.push(format!(
                "time_to_{}_z{}",
                fmt_number(*fraction),
                feature + 1
            )),
            Metric::Overshoot { feature, .. } => {
                c.push(format!("max_z{}", feature + 1));
                c.push(format!("overshoot_z{}", feature + 1));
            }
            Metric::GdStability { .. } => c.push("gd_stability".into()),
        }
    }
    c
}
