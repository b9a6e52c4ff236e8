//! Independent references the checks compare against: central finite differences of the
//! equilibrium and the end state of a long integration of the flow (with its derived horizon).

use std::fmt::Display;

use nalgebra::DMatrix;

use crate::flow::{Space, build_flow};
use crate::model::{FeatureModel, Regulariser};
use crate::solve::{Method, Output, SolveOptions, integrate};

use super::harness::{Checked, Context, solve};

/// Central finite differences of z* with respect to s_i² (relative step h), warm-started at z.
pub(super) fn finite_difference_m(
    model: &FeatureModel,
    z: &[f64],
    h: f64,
    what: impl Display,
) -> Checked<DMatrix<f64>> {
    let k = model.features();
    let s2 = model.squared_strengths();
    let mut fd = DMatrix::zeros(k, k);
    for (i, &s2i) in s2.iter().enumerate() {
        let plus = model
            .clone()
            .with_strength(i, (s2i * (1.0 + h)).sqrt())
            .ctx(&what)?;
        let minus = model
            .clone()
            .with_strength(i, (s2i * (1.0 - h)).sqrt())
            .ctx(&what)?;
        let zp = solve(&plus, Some(z), format_args!("{what} (s{}² + h)", i + 1))?.point;
        let zm = solve(&minus, Some(z), format_args!("{what} (s{}² − h)", i + 1))?.point;
        let ds = plus.squared_strengths()[i] - minus.squared_strengths()[i];
        for j in 0..k {
            fd[(j, i)] = (zp[j] - zm[j]) / ds;
        }
    }
    Ok(fd)
}

/// T = ln(s_max R / 1e−12) / μ of check 1's doc comment.
pub(super) fn convergence_horizon(model: &FeatureModel) -> f64 {
    let s = model.feature_strengths();
    let s_max = s.iter().fold(0.0f64, |m, x| m.max(*x));
    let s_min = s.iter().fold(f64::INFINITY, |m, x| m.min(*x));
    let n = model.examples() as f64;
    let eta = model.rate();
    let (lambdas, targets) = model.sd_example_terms();
    let phi0 = n * model.loss().loss(0.0)
        + 0.5
            * lambdas
                .iter()
                .zip(&targets)
                .map(|(l, g)| l * g * g)
                .sum::<f64>();
    let (mu, r) = match model.regulariser() {
        Regulariser::L2 { lambda } => (eta * lambda, (2.0 * phi0 / lambda).sqrt()),
        Regulariser::SpectralDecoupling(_) => {
            let lmin = lambdas.iter().fold(f64::INFINITY, |m, x| m.min(*x));
            let g = targets.iter().map(|x| x * x).sum::<f64>().sqrt();
            (
                eta * lmin * s_min * s_min,
                (g + (2.0 * phi0 / lmin).sqrt()) / s_min,
            )
        }
        Regulariser::None => (eta * s_min * s_min / 4.0, 2.0 * n.sqrt() / s_min),
    };
    (s_max * r / 1e-12).ln() / mu
}

/// Relative tolerance of [`long_run`]'s integration.
pub(super) const LONG_RUN_RTOL: f64 = 1e-11;
/// Absolute tolerance of [`long_run`]'s integration.
pub(super) const LONG_RUN_ATOL: f64 = 1e-13;

/// End state of the response flow from z = 0 at t_end (Method::Auto, rtol 1e−11).
pub(super) fn long_run(model: &FeatureModel, t_end: f64, what: &str) -> Checked<Vec<f64>> {
    let field = build_flow(model, Space::Responses).ctx(format_args!("flow of {what}"))?;
    let mut options = SolveOptions::until(t_end)
        .tolerances(LONG_RUN_RTOL, LONG_RUN_ATOL)
        .output(Output::Count(2));
    options.max_steps = 2_000_000;
    let tr = integrate(
        field.as_ref(),
        &vec![0.0; field.dim()],
        Method::Auto,
        &options,
    )
    .ctx(format_args!("integration of {what}"))?;
    Ok(tr.final_responses().to_vec())
}
