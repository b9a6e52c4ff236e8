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
    ExperimentData, ExperimentProvenance, ExperimentSummary, GAP_DEFINITION, GridRecord,
    LocalSlope, MeanSpread, PowerLaw, ResponsesRecord, STOCHASTIC_DEFINITION, SettingRecord,
    StochasticRecord, WidthGapRecord, WidthGapSeries, experiment_document, fit_power_law,
    local_slopes, mean_finite, mean_rows, response_gap, responses_record, width_gap_csv,
    width_gap_series,
};
pub use images::{
    IMAGE_SHARD_FORMAT, ImageExperimentData, ImageProvenance, ImageShardFile, MethodCurves,
    PAPER_TABLE, PaperRow, PredictedResponses, ResponseCurves, RestartRow, Summary, TableRow,
    VariantCell, VariantsRecord, image_document, image_shard_file_name, table_csv, table_latex,
    table_markdown,
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

/// A CSV field as RFC 4180 writes it (quoted when it holds a comma, a quote, CR or LF; quotes
/// doubled), through `csv-core`'s writer.
pub fn csv_field(s: &str) -> String {
    let mut writer = csv_core::Writer::new();
    // csv-core's bound: a field takes at most 2 + 2·len bytes once quoted.
    let mut out = vec![0u8; 2 * s.len() + 2];
    let (_, _, written) = writer.field(s.as_bytes(), &mut out);
    let (_, closing) = writer.finish(&mut out[written..]);
    out.truncate(written + closing);
    String::from_utf8_lossy(&out).into_owned()
}

pub use crate::output::to_json_bytes;

/// A matrix as a list of rows.
pub(crate) fn matrix_rows(m: &nalgebra::DMatrix<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    /// Fields written by [`csv_field`] and joined by commas read back unchanged by an RFC 4180
    /// reader, including CR, LF, CRLF, quotes and commas; plain fields stay unquoted.
    #[test]
    fn csv_fields_read_back_unchanged() {
        let fields = [
            "plain",
            "a,b",
            "say \"hi\"",
            "cr\rhere",
            "lf\nhere",
            "crlf\r\n",
            "",
            "sd(0.001)",
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        assert_eq!(line[0], "plain");
        assert_eq!(line[7], "sd(0.001)");
        assert_eq!(line[3], "\"cr\rhere\"", "a CR is quoted");
        let text = format!("{}\n", line.join(","));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        let read: Vec<&str> = record.iter().collect();
        assert_eq!(read, fields);
    }
}
