//! The model's internals as written into every document: shapes, strengths s, coupling U,
//! directions V (small models), rank, dropped singular values and warnings.

use serde::Serialize;

use super::matrix_rows;
use crate::model::FeatureModel;

/// Largest V (entries m·k) written in full; larger ones are described by their shape only.
pub const MAX_DIRECTION_ENTRIES: usize = 400;

/// A model's internals (M3: YΦ = U S Vᵀ).
#[derive(Debug, Clone, Serialize)]
pub struct ModelInternals {
    /// n.
    pub examples: usize,
    /// k.
    pub features: usize,
    /// m.
    pub parameters: usize,
    /// Shape of U as [n, k].
    pub coupling_shape: [usize; 2],
    /// Feature strengths s_j (singular values of YΦ).
    pub strengths: Vec<f64>,
    /// Coupling U, rows = examples.
    pub coupling: Vec<Vec<f64>>,
    /// Feature directions V (m × k, rows = parameters) when m·k ≤ 400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directions: Option<Vec<Vec<f64>>>,
    /// Labels y.
    pub labels: Vec<f64>,
    /// Rank of YΦ (= k).
    pub rank: usize,
    /// Singular values dropped as zero (rank-deficient Φ); empty otherwise.
    pub dropped_singular_values: Vec<f64>,
    /// What is unusual about the model ([`FeatureModel::warnings`]).
    pub warnings: Vec<String>,
}

impl ModelInternals {
    /// The internals of `m`.
    pub fn new(m: &FeatureModel) -> Self {
        let v = m.feature_directions();
        Self {
            examples: m.examples(),
            features: m.features(),
            parameters: m.parameters(),
            coupling_shape: [m.coupling().nrows(), m.coupling().ncols()],
            strengths: m.feature_strengths().to_vec(),
            coupling: matrix_rows(m.coupling()),
            directions: (v.len() <= MAX_DIRECTION_ENTRIES).then(|| matrix_rows(v)),
            labels: m.labels().to_vec(),
            rank: m.features(),
            dropped_singular_values: m
                .rank_report()
                .map(|r| r.dropped.clone())
                .unwrap_or_default(),
            warnings: m.warnings(),
        }
    }
}
