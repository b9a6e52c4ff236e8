//! Everything `starvation equilibrium` reports about one model: the equilibrium record, its
//! sensitivities, the uncoupled reference z⁰ and the closed forms side by side with the exact
//! values and their relative errors.

use super::closed_form::{
    first_order_exponential_tail, first_order_starvation, lambert_uncoupled, quadratic_equilibrium,
    sd_margin, sd_margin_lambert, squared_equilibrium, uncoupled_response,
};
use super::{
    Equilibrium, EquilibriumOptions, Sensitivities, delta_sensitivity, find_equilibrium,
    sensitivities,
};
use crate::error::SolveError;
use crate::model::{FeatureModel, LossModel, Regulariser};

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

/// A closed form that does not apply to the model, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct NotApplicable {
    /// What would have been compared.
    pub name: String,
    /// Where the closed form comes from (docs/theory.md tag).
    pub source: &'static str,
    /// Why it does not apply (one sentence).
    pub reason: String,
}

/// Largest share of the value that the neglected second-order term of M18/M19 may have for
/// the first-order form to be compared. The term bδ² is estimated by Richardson from the exact
/// values at δ and δ/2 (q = q₀ + aδ + bδ² ⇒ bδ² = 2(q(δ) − 2q(δ/2) + q₀)); its size depends on
/// δ·e^{z₁⁰−z₂⁰}, not on δ alone, so no fixed δ limit is honest.
pub const SECOND_ORDER_SHARE_LIMIT: f64 = 0.1;

/// The toy model at coupling δ with `model`'s strengths, regulariser, loss and rate.
fn toy_at(model: &FeatureModel, delta: f64) -> Result<FeatureModel, SolveError> {
    let s = model.feature_strengths();
    let rebuilt = FeatureModel::two_feature_toy(s[0], s[1], delta)
        .and_then(|m| m.with_regulariser(model.regulariser().clone()))
        .and_then(|m| m.with_rate(model.rate()))
        .map_err(|e| SolveError::Undefined(e.to_string()))?;
    Ok(rebuilt.with_loss(model.loss()))
}

/// Estimated |bδ²| / |q(δ)| (largest over entries) for a toy quantity q, with q₀ = q(0).
fn second_order_share(
    model: &FeatureModel,
    delta: f64,
    options: &EquilibriumOptions,
    at_delta: &[f64],
    at_zero: &[f64],
    quantity: impl Fn(&FeatureModel, &Equilibrium) -> Result<Vec<f64>, SolveError>,
) -> Result<f64, SolveError> {
    let half = toy_at(model, delta / 2.0)?;
    let eq = find_equilibrium(&half, None, options)?;
    let q_half = quantity(&half, &eq)?;
    Ok(at_delta
        .iter()
        .zip(&q_half)
        .zip(at_zero)
        .map(|((q, h), q0)| (2.0 * (q - 2.0 * h + q0)).abs() / q.abs().max(f64::MIN_POSITIVE))
        .fold(0.0, f64::max))
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
    /// Closed forms of this model's family that do not apply to it, with the reason.
    pub not_applicable: Vec<NotApplicable>,
}

/// Equilibrium, sensitivities and closed forms of `model`.
pub fn analyse(
    model: &FeatureModel,
    start: Option<&[f64]>,
    options: &EquilibriumOptions,
) -> Result<EquilibriumReport, SolveError> {
    let equilibrium = find_equilibrium(model, start, options)?;
    let sens = sensitivities(model, &equilibrium)?;
    let delta = model.toy_delta();
    let delta_sens = match delta {
        Some(d) => Some(delta_sensitivity(model, &equilibrium, d)?),
        None => None,
    };
    let s2 = model.squared_strengths();
    let z = &equilibrium.point;
    let mut closed = Vec::new();
    let mut not_applicable = Vec::new();
    let mut skip = |name: &str, source: &'static str, reason: String| {
        not_applicable.push(NotApplicable {
            name: name.to_string(),
            source,
            reason,
        })
    };
    let mut uncoupled = None;
    let square = model.examples() == model.features();
    let shape = format!(
        "this model has n = {} examples and k = {} features",
        model.examples(),
        model.features()
    );
    // Share of the second-order term in the quantity each first-order form approximates.
    let share = match (delta, model.regulariser(), model.loss()) {
        (Some(d), Regulariser::L2 { .. }, LossModel::Exact) if d != 0.0 => Some(
            second_order_share(
                model,
                d,
                options,
                &[sens.starvation_matrix[(1, 0)]],
                &[0.0],
                |m, e| Ok(vec![sensitivities(m, e)?.starvation_matrix[(1, 0)]]),
            )
            .ok(),
        ),
        (Some(d), Regulariser::L2 { lambda }, LossModel::ExponentialTail) if d != 0.0 => {
            let z0: Vec<f64> = s2
                .iter()
                .map(|s| uncoupled_response(*s, *lambda, model.loss()))
                .collect();
            Some(
                second_order_share(model, d, options, &equilibrium.point, &z0, |_, e| {
                    Ok(e.point.clone())
                })
                .ok(),
            )
        }
        _ => None,
    };
    let first_order_ok = share
        .flatten()
        .is_some_and(|x| x <= SECOND_ORDER_SHARE_LIMIT);
    let share = share.flatten();
    let first_order_reason = |d: f64| {
        format!(
            "first order in δ: at δ = {d} the O(δ²) term, estimated from the exact values at δ and δ/2, is {:.0} % of the value; compared only below {:.0} %",
            100.0 * share.unwrap_or(f64::NAN),
            100.0 * SECOND_ORDER_SHARE_LIMIT
        )
    };
    match model.regulariser() {
        Regulariser::L2 { .. } if !square => skip(
            "uncoupled z⁰, z*/z⁰ and W(s²/λ)",
            "docs/theory.md §3.4 (U = I)",
            format!("the uncoupled reference U = I needs as many examples as features; {shape}"),
        ),
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
            if model.loss() == LossModel::Squared {
                for (j, q) in squared_equilibrium(model).into_iter().enumerate() {
                    closed.push(ClosedFormComparison::new(
                        format!("z{}* vs s²(Uᵀ1)/(s²+λ)", j + 1),
                        "M20 (squared loss)",
                        z[j],
                        q,
                    ));
                }
            }
            if let (Some(d), LossModel::Exact, false) = (delta, model.loss(), first_order_ok) {
                skip(
                    "dz₂*/d(s₁²) vs first order in δ",
                    "M18",
                    first_order_reason(d),
                );
            }
            if let (Some(d), LossModel::ExponentialTail, false) =
                (delta, model.loss(), first_order_ok)
            {
                skip("z* vs first order in δ", "M19", first_order_reason(d));
            }
            if let (Some(d), LossModel::Exact, true) = (delta, model.loss(), first_order_ok) {
                closed.push(ClosedFormComparison::new(
                    "dz₂*/d(s₁²) vs first order in δ".into(),
                    "M18",
                    sens.starvation_matrix[(1, 0)],
                    first_order_starvation(s2[0], s2[1], l, d),
                ));
            }
            if let (Some(d), LossModel::ExponentialTail, true) =
                (delta, model.loss(), first_order_ok)
            {
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
        Regulariser::SpectralDecoupling(sd)
            if sd.is_uniform() && sd.lambda_positive > 0.0 && !square =>
        {
            skip(
                "margins a* vs root of σ(−a) = λa",
                "M13",
                format!(
                    "M13 follows from the SD equilibrium only for square U (invertible S²U); {shape}"
                ),
            )
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
    let report = EquilibriumReport {
        equilibrium,
        sensitivities: sens,
        delta_sensitivity: delta_sens,
        delta,
        uncoupled,
        closed_forms: closed,
        not_applicable,
    };
    report.verdict(options.tolerance)?;
    Ok(report)
}
