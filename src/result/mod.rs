//! Typed output documents. Every document has a `data` block (numbers only, so files diff
//! cleanly between runs) and a `provenance` block (spec, crate version, git commit, solver
//! settings, statistics, wall time). Tables are column-oriented, columns in their natural order,
//! so that `pandas.DataFrame(doc["data"]["runs"][0]["table"])` works.

mod equilibrium;
mod experiment;
mod images;
mod model;
mod run;
mod sweep;

use serde::{Serialize, Serializer};
use serde_json::Value;

pub use equilibrium::{
    BranchRecord, ClosedFormRecord, EquilibriumEntry, EquilibriumRecord, ModelRecord,
    equilibrium_data, equilibrium_document,
};
pub use experiment::{
    ExperimentData, ExperimentProvenance, ExperimentSummary, GAP_DEFINITION, GridRecord, PowerLaw,
    ResponsesRecord, SettingRecord, WidthGapRecord, experiment_document, fit_power_law,
    mean_finite, mean_rows, response_gap, responses_record,
};
pub use images::{
    ImageExperimentData, ImageProvenance, MethodCurves, PAPER_TABLE, PaperRow, ResponseCurves,
    RestartRow, Summary, TableRow, VariantCell, VariantsRecord, image_document, table_csv,
    table_latex, table_markdown,
};
pub use model::{MAX_DIRECTION_ENTRIES, ModelInternals};
pub use run::{
    EventRecord, RunInput, TrajectoryProvenance, TrajectoryRecord, model_warnings, runs_csv,
    runs_document,
};
pub use sweep::{
    FailedCell, LevelSetRecord, MAX_DOCUMENT_ROWS, SweepAxisRecord, SweepData,
    SweepDocumentBuilder, ThresholdRow, axis_threshold_csv_row, level_set_records, levels_csv,
    sweep_csv_rows, sweep_document, thresholds_csv_rows, write_sweep_csv, write_sweep_csv_header,
    write_thresholds_csv, write_thresholds_csv_header,
};

/// What every document says about the spec it came from.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Spec name.
    pub name: &'a str,
    /// Spec description.
    pub description: &'a str,
    /// The spec as read.
    pub spec: &'a Value,
}

/// A document: data and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct Document<D: Serialize, P: Serialize> {
    /// The numbers.
    pub data: D,
    /// Where they come from.
    pub provenance: Provenance<P>,
}

/// The provenance block: crate, version and commit, then the document's own entries.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance<P: Serialize> {
    /// Always "starvation".
    #[serde(rename = "crate")]
    pub krate: &'static str,
    /// Crate version.
    pub crate_version: &'static str,
    /// Git commit of the build.
    pub git_commit: &'static str,
    /// The document's own provenance.
    #[serde(flatten)]
    pub details: P,
}

impl<P: Serialize> Provenance<P> {
    /// The provenance of this build with `details`.
    pub fn new(details: P) -> Self {
        Self {
            krate: "starvation",
            crate_version: env!("CARGO_PKG_VERSION"),
            git_commit: crate::output::git_commit(),
            details,
        }
    }
}

/// Named columns in order, serialised as a JSON object whose keys keep that order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table(pub Vec<(String, Vec<Option<f64>>)>);

impl Table {
    /// Adds a column of finite values (non-finite ones become null).
    pub fn push(&mut self, name: impl Into<String>, values: impl IntoIterator<Item = f64>) {
        self.0
            .push((name.into(), values.into_iter().map(finite).collect()));
    }
}

impl Serialize for Table {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// `Some(x)` for finite x, else `None` (JSON null: JSON has no NaN or ∞).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Quotes a CSV field when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub use crate::output::to_json_bytes;

/// A matrix as a list of rows.
pub(crate) fn matrix_rows(m: &nalgebra::DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}
