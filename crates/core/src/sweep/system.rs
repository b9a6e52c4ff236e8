//! The data of a sweep cell, below the metrics that read it and the line evaluation that fills
//! it: a cell's system (the toy's fast form or a general model) built from the axis values, what
//! the equilibrium stage found, and a line of cells as the metrics see it.

use nalgebra::DMatrix;

use super::{AxisParameter, AxisValue, SweepPlan};
use crate::error::InputError;
use crate::model::{FeatureModel, LossModel, Regulariser};
use crate::toy::{ToyProblem, ToyRegulariser};

/// The two-feature toy in the fast path's terms.
#[derive(Debug, Clone, Copy)]
pub(super) struct ToyCell {
    /// s₁.
    pub s1: f64,
    /// s₂.
    pub s2: f64,
    /// δ of the coupling (M17).
    pub delta: f64,
    /// λ.
    pub lambda: f64,
    /// The rate η.
    pub rate: f64,
    /// L2 or uniform SD.
    pub kind: ToyRegulariser,
}

/// A cell's system: the fast toy path or a general model.
#[derive(Debug, Clone)]
pub(super) enum CellSystem {
    Toy(ToyCell),
    General(Box<FeatureModel>),
}

/// Builds the system of a cell from the base model and the axis values: the values at indices
/// `idx` (one per axis), except on axis `along`, which takes `value`.
pub(super) fn cell_system(
    plan: &SweepPlan,
    idx: &[usize],
    along: usize,
    value: &AxisValue,
) -> Result<CellSystem, String> {
    let values = || {
        plan.axes
            .iter()
            .zip(idx)
            .enumerate()
            .map(|(k, (a, &i))| (a.parameter, if k == along { value } else { &a.values[i] }))
    };
    if plan.settings.fast_toy_path
        && let Some(toy) = toy_cell_of_values(&plan.base, values())
    {
        return Ok(CellSystem::Toy(toy));
    }
    let mut model = plan.base.clone();
    let err = |e: InputError| format!("{}: {}", e.field, e.message);
    // Categorical first, then numbers, then the ratio (it reads s₂).
    for (p, v) in values() {
        match (p, v) {
            (AxisParameter::Regulariser, AxisValue::Regulariser(r)) => {
                model = model.with_regulariser(r.clone()).map_err(err)?
            }
            (AxisParameter::Loss, AxisValue::Loss(l)) => model = model.with_loss(*l),
            _ => {}
        }
    }
    for (p, v) in values() {
        let x = v.number();
        match p {
            AxisParameter::Strength(j) => model = model.with_strength(j, x).map_err(err)?,
            AxisParameter::Delta => model = model.with_toy_coupling(x).map_err(err)?,
            AxisParameter::Lambda => model = model.with_lambda(x).map_err(err)?,
            AxisParameter::Rate => model = model.with_rate(x).map_err(err)?,
            _ => {}
        }
    }
    for (p, v) in values() {
        if p == AxisParameter::StrengthRatio {
            let s2 = model.feature_strengths()[1];
            model = model.with_strength(0, v.number() * s2).map_err(err)?;
        }
    }
    Ok(
        match toy_cell(&model).filter(|_| plan.settings.fast_toy_path) {
            Some(toy) => CellSystem::Toy(toy),
            None => CellSystem::General(Box::new(model)),
        },
    )
}

/// The toy cell of a sweep over the toy's numbers, without building the cell's model: what
/// building it and asking [`toy_cell`] gives, when every axis sets a number of the toy (s₁, s₂,
/// s₁/s₂, δ, λ, η) to a value the model accepts; `None` otherwise (the cell's model is then built
/// and checked as usual).
fn toy_cell_of_values<'a>(
    base: &FeatureModel,
    values: impl Iterator<Item = (AxisParameter, &'a AxisValue)>,
) -> Option<ToyCell> {
    let mut cell = toy_cell(base)?;
    let mut ratio = None;
    for (p, v) in values {
        let x = match v {
            AxisValue::Number(x) => *x,
            _ => return None,
        };
        if !x.is_finite() {
            return None;
        }
        match p {
            AxisParameter::Strength(0) if x > 0.0 => cell.s1 = x,
            AxisParameter::Strength(1) if x > 0.0 => cell.s2 = x,
            AxisParameter::Delta if x.abs() < 1.0 => cell.delta = x,
            AxisParameter::Lambda if x > 0.0 => cell.lambda = x,
            AxisParameter::Rate if x > 0.0 => cell.rate = x,
            AxisParameter::StrengthRatio => ratio = Some(x),
            _ => return None,
        }
    }
    if let Some(r) = ratio {
        let s1 = r * cell.s2;
        if !(s1 > 0.0 && s1.is_finite()) {
            return None;
        }
        cell.s1 = s1;
    }
    Some(cell)
}

/// The toy cell of `model` when the fast path applies: the model was built as the toy (M17,
/// [`FeatureModel::toy_delta`]), with labels (+1, +1), the exact loss and L2 or uniform SD with
/// λ > 0.
fn toy_cell(model: &FeatureModel) -> Option<ToyCell> {
    let delta = model.toy_delta()?;
    if model.labels() != [1.0, 1.0] || model.loss() != LossModel::Exact {
        return None;
    }
    let (kind, lambda) = match model.regulariser() {
        Regulariser::L2 { lambda } if *lambda > 0.0 => (ToyRegulariser::L2, *lambda),
        Regulariser::SpectralDecoupling(sd) if sd.is_uniform() && sd.lambda_positive > 0.0 => {
            (ToyRegulariser::Sd, sd.lambda_positive)
        }
        _ => return None,
    };
    Some(ToyCell {
        s1: model.feature_strengths()[0],
        s2: model.feature_strengths()[1],
        delta,
        lambda,
        rate: model.rate(),
        kind,
    })
}

/// Whether the cells of `model` take the toy's fast paths (2 × 2 Newton, lane-batched DOP853)
/// in a sweep that allows them.
pub fn takes_toy_fast_path(model: &FeatureModel) -> bool {
    toy_cell(model).is_some()
}

/// What the equilibrium stage found in one cell.

#[derive(Debug, Clone, Default)]
pub(super) struct EquilibriumData {
    /// z*.
    pub z: Vec<f64>,
    /// The starvation matrix, when asked for.
    pub matrix: Option<DMatrix<f64>>,
    /// Real parts of the eigenvalues (with the rate η), ascending.
    pub eigen_re: Vec<f64>,
    /// Largest modulus of the eigenvalues.
    pub eigen_abs_max: f64,
    /// The uncoupled reference z⁰, when asked for.
    pub uncoupled: Option<Vec<f64>>,
}

/// The toy's equilibrium problem of a cell.
pub(super) fn toy_problem(c: &ToyCell) -> ToyProblem {
    ToyProblem {
        s1_squared: c.s1 * c.s1,
        s2_squared: c.s2 * c.s2,
        delta: c.delta,
        lambda: c.lambda,
        regulariser: c.kind,
    }
}

/// The cells of one line as the metrics see them: each cell's system (None where the cell
/// failed) and equilibrium data (None where not computed or failed).
pub(super) struct LineCells<'a> {
    pub plan: &'a SweepPlan,
    /// k.
    pub features: usize,
    pub systems: Vec<Option<CellSystem>>,
    pub equilibria: Vec<Option<EquilibriumData>>,
    /// Per cell: the step and momentum set by `step` / `momentum` axes (None without the axis).
    pub map_parameters: Vec<(Option<f64>, Option<f64>)>,
}

/// The general model of a cell (the toy's fast form rebuilt as a model).
pub(super) fn model_of(system: &CellSystem) -> Result<FeatureModel, String> {
    match system {
        CellSystem::General(m) => Ok(m.as_ref().clone()),
        CellSystem::Toy(c) => {
            let regulariser = match c.kind {
                ToyRegulariser::L2 => Regulariser::L2 { lambda: c.lambda },
                ToyRegulariser::Sd => Regulariser::SpectralDecoupling(
                    crate::model::SpectralDecoupling::uniform(c.lambda),
                ),
            };
            FeatureModel::two_feature_toy(c.s1, c.s2, c.delta)
                .and_then(|m| m.with_regulariser(regulariser))
                .and_then(|m| m.with_rate(c.rate))
                .map_err(|e| e.to_string())
        }
    }
}
