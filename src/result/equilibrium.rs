//! The document of `equilibrium`: per model z*, margins, stability, eigenvalues, Jacobian, the
//! starvation matrix (M16), sensitivities, closed forms and an optional continuation branch.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Document, Provenance, Source, Table, matrix_rows};
use crate::equilibrium::BranchPoint;
use crate::equilibrium::report::EquilibriumReport;
use crate::model::FeatureModel;

/// One model's equilibrium results, ready to be written.
pub struct EquilibriumEntry {
    /// Label of the run.
    pub label: String,
    /// Vary values.
    pub parameters: BTreeMap<String, Value>,
    /// The model.
    pub model: FeatureModel,
    /// The report.
    pub report: EquilibriumReport,
    /// Continuation branch (parameter name and points), if requested.
    pub branch: Option<(String, Vec<BranchPoint>)>,
}

/// A closed form beside the exact value, or the reason it does not apply to this model.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedFormRecord {
    /// What is compared.
    pub name: String,
    /// docs/theory.md tag.
    pub source: &'static str,
    /// Whether the closed form applies to this model (false: no values, see `reason`).
    pub applies: bool,
    /// Why it does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Exact value.
    pub exact: Option<f64>,
    /// Closed form's value.
    pub closed_form: Option<f64>,
    /// Relative error.
    pub relative_error: Option<f64>,
}

/// A continuation branch: the parameter's values and z* (and the largest eigenvalue) there.
#[derive(Debug, Clone, Serialize)]
pub struct BranchRecord {
    /// Parameter name.
    pub parameter: String,
    /// Columns: the parameter, z1 … zk, max_eigenvalue.
    pub table: Table,
}

/// One model's data block.
#[derive(Debug, Clone, Serialize)]
pub struct EquilibriumRecord {
    /// Label.
    pub label: String,
    /// Vary values.
    pub parameters: BTreeMap<String, Value>,
    /// The model's internals: shapes, strengths s, coupling U, directions V (small models),
    /// labels, rank, dropped singular values and warnings.
    pub model: super::ModelInternals,
    /// z*.
    pub z: Vec<f64>,
    /// Margins a* = U z*.
    pub margins: Vec<f64>,
    /// Stability class.
    pub stability: &'static str,
    /// Eigenvalues of the Jacobian as [re, im].
    pub eigenvalues: Vec<[f64; 2]>,
    /// Jacobian rows.
    pub jacobian: Vec<Vec<f64>>,
    /// M16, rows j, columns i.
    pub starvation_matrix: Vec<Vec<f64>>,
    /// What the matrix's entries are.
    pub starvation_matrix_convention: &'static str,
    /// ∂z*/∂λ.
    pub dz_dlambda: Vec<f64>,
    /// δ of the toy coupling, when the model is the toy.
    pub delta: Option<f64>,
    /// ∂z*/∂δ for the toy.
    pub dz_ddelta: Option<Vec<f64>>,
    /// z⁰: the equilibrium with U = I.
    pub uncoupled_z: Option<Vec<f64>>,
    /// z*/z⁰.
    pub starvation_ratio: Option<Vec<f64>>,
    /// Closed forms beside the exact values.
    pub closed_forms: Vec<ClosedFormRecord>,
    /// Continuation branch.
    pub branch: Option<BranchRecord>,
}

/// The data block of one equilibrium entry.
pub fn equilibrium_data(e: &EquilibriumEntry) -> EquilibriumRecord {
    let r = &e.report;
    let eq = &r.equilibrium;
    let ratio = r
        .uncoupled
        .as_ref()
        .map(|z0| eq.point.iter().zip(z0).map(|(z, u)| z / u).collect());
    let branch = e.branch.as_ref().map(|(name, points)| {
        let k = points
            .first()
            .map(|p| p.equilibrium.point.len())
            .unwrap_or(0);
        let mut table = Table::default();
        table.push(name.clone(), points.iter().map(|p| p.value));
        for j in 0..k {
            table.push(
                format!("z{}", j + 1),
                points.iter().map(|p| p.equilibrium.point[j]),
            );
        }
        table.push(
            "max_eigenvalue",
            points.iter().map(|p| {
                p.equilibrium
                    .eigenvalues
                    .last()
                    .map(|e| e.0)
                    .unwrap_or(f64::NAN)
            }),
        );
        BranchRecord {
            parameter: name.clone(),
            table,
        }
    });
    EquilibriumRecord {
        label: e.label.clone(),
        parameters: e.parameters.clone(),
        model: super::ModelInternals::new(&e.model),
        z: eq.point.clone(),
        margins: eq.margins.clone(),
        stability: eq.stability.name(),
        eigenvalues: eq.eigenvalues.iter().map(|&(re, im)| [re, im]).collect(),
        jacobian: matrix_rows(&eq.jacobian),
        starvation_matrix: matrix_rows(&r.sensitivities.starvation_matrix),
        starvation_matrix_convention: "row j, column i: ∂z_j*/∂(s_i²) (M16)",
        dz_dlambda: r.sensitivities.lambda.clone(),
        delta: r.delta,
        dz_ddelta: r.delta_sensitivity.clone(),
        uncoupled_z: r.uncoupled.clone(),
        starvation_ratio: ratio,
        closed_forms: r
            .closed_forms
            .iter()
            .map(|c| ClosedFormRecord {
                name: c.name.clone(),
                source: c.source,
                applies: true,
                reason: None,
                exact: super::finite(c.exact),
                closed_form: super::finite(c.closed_form),
                relative_error: super::finite(c.relative_error),
            })
            .chain(r.not_applicable.iter().map(|n| ClosedFormRecord {
                name: n.name.clone(),
                source: n.source,
                applies: false,
                reason: Some(n.reason.clone()),
                exact: None,
                closed_form: None,
                relative_error: None,
            }))
            .collect(),
        branch,
    }
}

/// One model as summarised in provenance (its internals s, U, V are in the data block).
#[derive(Debug, Clone, Serialize)]
pub struct ModelRecord {
    /// Label.
    pub label: String,
    /// n.
    pub examples: usize,
    /// k.
    pub features: usize,
    /// Regulariser name.
    pub regulariser: &'static str,
    /// λ.
    pub lambda: f64,
    /// Loss model.
    pub loss: &'static str,
    /// η.
    pub rate: f64,
    /// Newton iterations.
    pub newton_iterations: usize,
    /// Weighted residual at z*.
    pub weighted_residual: f64,
}

/// The data block of the equilibrium document.
#[derive(Debug, Clone, Serialize)]
pub struct EquilibriumData {
    /// Spec name.
    pub name: String,
    /// Description.
    pub description: String,
    /// One record per model.
    pub models: Vec<EquilibriumRecord>,
    /// Warnings about unusual models, "label: warning".
    pub warnings: Vec<String>,
}

/// The provenance of the equilibrium document.
#[derive(Debug, Clone, Serialize)]
pub struct EquilibriumProvenance {
    /// The spec as read.
    pub spec: Value,
    /// One summary per model.
    pub models: Vec<ModelRecord>,
    /// Wall time in seconds.
    pub wall_time_seconds: f64,
}

/// The document of `equilibrium`.
pub fn equilibrium_document(
    source: Source<'_>,
    entries: &[EquilibriumEntry],
    wall_seconds: f64,
) -> Document<EquilibriumData, EquilibriumProvenance> {
    Document {
        data: EquilibriumData {
            name: source.name.to_string(),
            description: source.description.to_string(),
            models: entries.iter().map(equilibrium_data).collect(),
            warnings: super::model_warnings(entries.iter().map(|e| (e.label.as_str(), &e.model))),
        },
        provenance: Provenance::new(EquilibriumProvenance {
            spec: source.spec.clone(),
            models: entries
                .iter()
                .map(|e| ModelRecord {
                    label: e.label.clone(),
                    examples: e.model.examples(),
                    features: e.model.features(),
                    regulariser: e.model.regulariser().name(),
                    lambda: e.model.regulariser().lambda(),
                    loss: e.model.loss().name(),
                    rate: e.model.rate(),
                    newton_iterations: e.report.equilibrium.iterations,
                    weighted_residual: e.report.equilibrium.residual,
                })
                .collect(),
            wall_time_seconds: wall_seconds,
        }),
    }
}
