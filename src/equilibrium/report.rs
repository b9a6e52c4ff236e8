//! Everything `starvation equilibrium` reports about one model: the equilibrium record, its
//! sensitivities, the uncoupled reference z⁰ and the closed forms side by side with the exact
//! values and their relative errors.

use super::closed_form::{
    first_order_exponential_tail, first_order_starvation, lambert_uncoupled, quadratic_equilibrium,
    sd_margin, sd_margin_lambert, uncoupled_response,
};
use super::{
    Equilibrium, EquilibriumOptions, Sensitivities, delta_sensitivity, find_equilibrium,
    sensitivities,
};
use crate::error::SolveError;
use crate::model::{FeatureModel, LossModel, Regulariser, toy_coupling};

/// One closed form next to the exact value it approximates.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedFormComparison {
    /// What is compared (e.g. "z₂* vs W(s₂²/λ)").
    pub name: String,
    /// Where the closed form comes from (docs/theory.md tag).
    pub source: &'static str,
    /// The exact value (from the equilibrium).
    pub exact: f64,
    /// The closed form's value.
    pub closed_form: f64,
    /// |closed − exact| / |exact| (absolute error if exact = 0).
    pub relative_error: f64,
}

impl ClosedFormComparison {
    fn new(name: String, source: &'static str, exact: f64, closed_form: f64) -> Self {
        let diff = (closed_form - exact).abs();
        let relative_error = if exact != 0.0 {
            diff / exact.abs()
        } else {
            diff
        };
        Self {
            name,
            source,
            exact,
            closed_form,
            relative_error,
        }
    }
}

/// The full report on one model's equilibrium.
#[derive(Debug, Clone)]
pub struct EquilibriumReport {
    /// The equilibrium record.
    pub equilibrium: Equilibrium,
    /// Starvation matrix and ∂z*/∂λ.
    pub sensitivities: Sensitivities,
    /// ∂z*/∂δ when the model is the M17 toy.
    pub delta_sensitivity: Option<Vec<f64>>,
    /// δ when the model's coupling is U(δ) of M17.
    pub delta: Option<f64>,
    /// Uncoupled responses z_j⁰ (U = I, same s, λ, loss), when λ > 0 under L2.
    pub uncoupled: Option<Vec<f64>>,
    /// Closed forms next to the exact values.
    pub closed_forms: Vec<ClosedFormComparison>,
}

/// The δ of a two-feature model whose coupling is U(δ) of M17, if it is one.
pub fn toy_delta(model: &FeatureModel) -> Option<f64> {
    if model.features() != 2 || model.examples() != 2 {
        return None;
    }
    let u = model.coupling();
    let delta = u[(1, 0)];
    ((toy_coupling(delta) - u).amax() <= 1e-14).then_some(delta)
}

/// Equilibrium, sensitivities and closed forms of `model`.
pub fn analyse(
    model: &FeatureModel,
    start: Option<&[f64]>,
    options: &EquilibriumOptions,
) -> Result<EquilibriumReport, SolveError> {
    let equilibrium = find_equilibrium(model, start, options)?;
    let sens = sensitivities(model, &equilibrium)?;
    let delta = toy_delta(model);
    let delta_sens = match delta {
        Some(d) => Some(delta_sensitivity(model, &equilibrium, d)?),
        None => None,
    };
    let s2 = model.squared_strengths();
    let z = &equilibrium.point;
    let mut closed = Vec::new();
    let mut uncoupled = None;
    match model.regulariser() {
        Regulariser::L2 { lambda } if *lambda > 0.0 => {
            let l = *lambda;
            let z0: Vec<f64> = s2
                .iter()
                .map(|s| uncoupled_response(*s, l, model.loss()))
                .collect();
            for (j, s) in s2.iter().enumerate() {
                closed.push(ClosedFormComparison::new(
                    format!("uncoupled z{}⁰ vs W(s{}²/λ)", j + 1, j + 1),
                    "docs/theory.md §3.4 (exp. tail, U = I)",
                    z0[j],
                    lambert_uncoupled(*s, l),
                ));
            }
            if model.loss() == LossModel::Quadratic {
                for (j, q) in quadratic_equilibrium(model).into_iter().enumerate() {
                    closed.push(ClosedFormComparison::new(
                        format!("z{}* vs 2s²(Uᵀ1)/(s²+4λ)", j + 1),
                        "docs/theory.md §3.4 (quadratic)",
                        z[j],
                        q,
                    ));
                }
            }
            if let (Some(d), LossModel::Exact) = (delta, model.loss()) {
                closed.push(ClosedFormComparison::new(
                    "dz₂*/d(s₁²) vs first order in δ".into(),
                    "M18",
                    sens.starvation_matrix[(1, 0)],
                    first_order_starvation(s2[0], s2[1], l, d),
                ));
            }
            if let (Some(d), LossModel::ExponentialTail) = (delta, model.loss()) {
                let approx = first_order_exponential_tail(s2[0], s2[1], l, d);
                for j in 0..2 {
                    closed.push(ClosedFormComparison::new(
                        format!("z{}* vs first order in δ", j + 1),
                        "M19",
                        z[j],
                        approx[j],
                    ));
                }
            }
            uncoupled = Some(z0);
        }
        Regulariser::SpectralDecoupling(sd) if sd.is_uniform() && sd.lambda_positive > 0.0 => {
            let l = sd.lambda_positive;
            if model.loss() == LossModel::Exact {
                let exact = sd_margin(l);
                for (i, a) in equilibrium.margins.iter().enumerate() {
                    closed.push(ClosedFormComparison::new(
                        format!("margin a{}* vs root of σ(−a) = λa", i + 1),
                        "M13",
                        *a,
                        exact,
                    ));
                }
                closed.push(ClosedFormComparison::new(
                    "a*(λ) vs W(1/λ)".into(),
                    "docs/theory.md §3.4 (SD margin)",
                    exact,
                    sd_margin_lambert(l),
                ));
            }
        }
        _ => {}
    }
    Ok(EquilibriumReport {
        equilibrium,
        sensitivities: sens,
        delta_sensitivity: delta_sens,
        delta,
        uncoupled,
        closed_forms: closed,
    })
}
