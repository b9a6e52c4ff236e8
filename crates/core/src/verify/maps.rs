//! Check 11: the flip of the training map located by a sweep equals the eigenvalue prediction
//! (docs/theory.md §8).

use crate::flow::{Space, build_flow};
use crate::sweep::{AxisParameter, MapMethod, MapStart, Metric, SweepBuilder, ThresholdRequest};

use super::CheckResult;
use super::fixtures::{l2, toy};
use super::harness::{Context, Outcome, Spec, run, solve};

/// Iteration budget N of the `period` metric in this check.
pub const FLIP_ITERATIONS: usize = 200_000;

/// Relative tolerance of the located flip. Derivation: within relative distance ε of h* the
/// fixed point's flip multiplier is ρ = −(1 − 2ε) (gd; heavy ball the same to first order), and
/// from a start 10⁻⁶ away the iterates need k ≈ ln(10⁻⁶/τ)/(2ε) steps to come within τ = 1e−9
/// (the period test estimates the remaining distance by a Newton step, so it does not fire
/// earlier), so cells with ε ≲ 7/(2N) show no period; the growing 2-cycle on the other side
/// (multiplier 1 − O(ε)) has a dead zone of the same order. The located flip should lie within
/// ~10/N = 5e−5 of h*; measured differences are 3e−5 … 1e−4, the located value below h* (that
/// sign is not explained by this estimate). The check allows 2e−4 (= 40/N).
pub const FLIP_TOLERANCE: f64 = 2e-4;

/// Check 11 (docs/theory.md §8): for the M17 toy (L2) at several (s₁, δ, λ), a sweep of the
/// `period` metric along a `step` axis with a threshold period = 1.5 locates the flip of
/// gradient descent at h* = 2/|λ_min| and of heavy ball (μ = 0.3, 0.5) at h* = 2(1 + μ)/|λ_min|,
/// λ_min the most negative eigenvalue of the z-field's Jacobian at z*. The map starts next to z*
/// (`"start": "equilibrium"`). At large momentum (μ = 0.9 on the toy) the flip is not followed
/// by an attracting 2-cycle (the period jumps to 0, none up to P), and a threshold at 1.5 then
/// marks where a longer cycle appears, not the flip; the check keeps to μ ≤ 0.5.
pub fn flip_matches_eigenvalue_prediction(quick: bool) -> CheckResult {
    run(
        Spec {
            id: 11,
            name: "flip_matches_eigenvalue_prediction",
            claim: "the training map's period doubles at h* = 2/|λ_min| (gd) and 2(1 + μ)/|λ_min| (heavy ball), λ_min the most negative eigenvalue of the z-field's Jacobian at z*",
            source: "docs/theory.md §8 (optimiser maps, flip)",
            tolerance: "|h_located − h*|/h* ≤ 2e−4 (period test with 2·10⁵ iterations, τ = 1e−9)",
        },
        || {
            let models: Vec<(f64, f64, f64)> = if quick {
                vec![(4.0, 0.3, 0.01), (2.0, 0.0, 0.1)]
            } else {
                vec![
                    (4.0, 0.3, 0.01),
                    (2.0, 0.0, 0.1),
                    (6.0, 0.5, 0.01),
                    (3.0, 0.6, 0.05),
                ]
            };
            let maps = [
                (MapMethod::Gd, None),
                (MapMethod::HeavyBall, Some(0.3)),
                (MapMethod::HeavyBall, Some(0.5)),
            ];
            let mut worst = 0.0f64;
            let mut lines = Vec::new();
            for &(s1, delta, lambda) in &models {
                let model = toy(s1, 2.0, delta, l2(lambda))?;
                let what = format!("s1={s1} δ={delta} λ={lambda}");
                let eq = solve(&model, None, &what)?;
                let field = build_flow(&model, Space::Responses).ctx(&what)?;
                let mut jac = nalgebra::DMatrix::zeros(2, 2);
                field.jacobian(&eq.point, &mut jac);
                let rate = jac
                    .complex_eigenvalues()
                    .iter()
                    .fold(0.0f64, |m, e| m.max(e.norm()));
                for &(method, momentum) in &maps {
                    let predicted = method.map(1.0, momentum.unwrap_or(0.0)).flip_step(rate);
                    let located = locate_flip(&model, method, momentum, predicted)
                        .ctx(format_args!("{what}, {method:?}"))?;
                    let rel = (located - predicted).abs() / predicted;
                    worst = worst.max(rel);
                    lines.push(format!(
                        "{what} {method:?}{}: h* {predicted:.6} located {located:.6} (rel {rel:.1e})",
                        momentum.map(|m| format!(" μ={m}")).unwrap_or_default()
                    ));
                }
            }
            Ok(Outcome {
                measured: format!(
                    "largest relative difference {worst:.2e} over {} flips; {}",
                    lines.len(),
                    lines.join("; ")
                ),
                passed: worst <= FLIP_TOLERANCE,
            })
        },
    )
}

/// The flip located by a `period` sweep along a step axis bracketing `predicted` (±20 %).
fn locate_flip(
    model: &crate::model::FeatureModel,
    method: MapMethod,
    momentum: Option<f64>,
    predicted: f64,
) -> Result<f64, String> {
    let steps = (0..=8).map(|i| predicted * (0.8 + 0.05 * i as f64));
    let plan = SweepBuilder::new(model.clone())
        .axis(AxisParameter::Step, steps)
        .metric(Metric::Period {
            max: 4,
            method,
            step: None,
            momentum,
            iterations: Some(FLIP_ITERATIONS),
            transient: None,
            tolerance: None,
            start: MapStart::Equilibrium,
        })
        .threshold_request(ThresholdRequest {
            metric: "period".into(),
            level: 1.5,
            along: None,
            label: None,
            precision: Some(1e-7 * predicted),
        })
        .build()
        .map_err(|e| e.to_string())?;
    let result = plan.run(false);
    let record = result
        .lines
        .first()
        .and_then(|l| l.thresholds.first())
        .and_then(|crossings| crossings.first())
        .ok_or("no threshold record")?;
    if !record.status.is_found() {
        return Err(format!("flip not found ({})", record.status.name()));
    }
    Ok(record.value)
}
