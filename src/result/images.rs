//! The document of an image experiment (`NAME.experiment.json`, the paper's Table 1 and
//! Figure 4): per method its train and test accuracy over restarts (`table`, fractions), the
//! paper's MNIST numbers beside them (labelled as such, percent), the training curves, every
//! restart's numbers, and the test variants of Figure 4; plus the table as CSV, Markdown and
//! LaTeX.

use serde::Serialize;

use super::{Document, Provenance, Source, finite};
use crate::images::Precision;
use crate::spec::ColoredMnistSpec;

/// Mean, standard deviation (population, numpy's default as in the IRM code) and the values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: Option<f64>,
    /// Standard deviation over the values (divisor n).
    pub sd: Option<f64>,
    /// The values, one per restart.
    pub values: Vec<Option<f64>>,
}

impl Summary {
    /// The summary of `values` (non-finite ones are null and left out of mean and sd).
    pub fn of(values: &[f64]) -> Self {
        let finite_values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite_values.len() as f64;
        let (mean, sd) = if finite_values.is_empty() {
            (None, None)
        } else {
            let mean = finite_values.iter().sum::<f64>() / n;
            let var = finite_values
                .iter()
                .map(|v| (v - mean).powi(2))
                .sum::<f64>()
                / n;
            (finite(mean), finite(var.sqrt()))
        };
        Self {
            mean,
            sd,
            values: values.iter().map(|&v| finite(v)).collect(),
        }
    }
}

/// One row of Table 1.
#[derive(Debug, Clone, Serialize)]
pub struct TableRow {
    /// The method ("erm", "sd", "irm", "oracle", or its label).
    pub method: String,
    /// Accuracy on the training environments (fraction).
    pub train_accuracy: Summary,
    /// Accuracy on the test environment (fraction).
    pub test_accuracy: Summary,
    /// Steps of the protocol's loop.
    pub steps: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Wall-clock seconds per restart.
    pub seconds: Summary,
}

/// The paper's Table 1 row (Colored MNIST, 10 restarts), percent.
#[derive(Debug, Clone, Serialize)]
pub struct PaperRow {
    /// The method.
    pub method: &'static str,
    /// Train accuracy [mean, sd], percent.
    pub train_accuracy_percent: [f64; 2],
    /// Test accuracy [mean, sd], percent.
    pub test_accuracy_percent: [f64; 2],
}

/// The paper's Table 1 (MNIST).
pub const PAPER_TABLE: [PaperRow; 3] = [
    PaperRow {
        method: "erm",
        train_accuracy_percent: [91.08, 0.43],
        test_accuracy_percent: [23.70, 0.76],
    },
    PaperRow {
        method: "sd",
        train_accuracy_percent: [70.04, 0.91],
        test_accuracy_percent: [68.40, 1.24],
    },
    PaperRow {
        method: "irm",
        train_accuracy_percent: [70.54, 0.67],
        test_accuracy_percent: [67.08, 1.47],
    },
];

/// A method's training curves over restarts.
#[derive(Debug, Clone, Serialize)]
pub struct MethodCurves {
    /// The method.
    pub method: String,
    /// The recorded steps.
    pub steps: Vec<usize>,
    /// Mean over restarts of the training accuracy at each recorded step.
    pub train_accuracy: Vec<Option<f64>>,
    /// Its standard deviation over restarts.
    pub train_accuracy_sd: Vec<Option<f64>>,
    /// Mean over restarts of the test accuracy.
    pub test_accuracy: Vec<Option<f64>>,
    /// Its standard deviation over restarts.
    pub test_accuracy_sd: Vec<Option<f64>>,
    /// Mean over restarts of the objective's loss.
    pub loss: Vec<Option<f64>>,
    /// The tangent-kernel responses, when tracked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<ResponseCurves>,
}

/// |z_k| = |u_kᵀ ŷ| along training on the tracked training images (u_k: eigenvectors of the
/// tangent kernel at initialisation, descending eigenvalues), mean over restarts.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseCurves {
    /// The tracked eigen-indices (from 0).
    pub indices: Vec<usize>,
    /// `features[i][s]`: mean |z| of index `indices[i]` at `steps[s]`.
    pub features: Vec<Vec<Option<f64>>>,
    /// Mean over restarts of the kernel's largest eigenvalues at initialisation.
    pub spectrum: Vec<Option<f64>>,
    /// The linearised network's |z_k| on the same images (ERM, SD and the oracle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linearised: Option<PredictedResponses>,
}

/// The linearised network's gradient flow on the tracked images, from the tangent kernel at
/// initialisation (theory.md §10), mean over restarts.
#[derive(Debug, Clone, Serialize)]
pub struct PredictedResponses {
    /// c of the flow's loss BCE + c·mean(ŷ²): 0 for ERM; 1 for SD (the ratio of its last phase).
    pub sd: f64,
    /// Flow times λ₀·t (t of the summed loss at rate 1, λ₀ the kernel's largest eigenvalue).
    pub times: Vec<f64>,
    /// `features[i][s]`: mean |z| of index `indices[i]` at `times[s]`.
    pub features: Vec<Vec<Option<f64>>>,
}

/// One restart of one method.
#[derive(Debug, Clone, Serialize)]
pub struct RestartRow {
    /// The method.
    pub method: String,
    /// The seed.
    pub seed: u64,
    /// Final train accuracy.
    pub train_accuracy: Option<f64>,
    /// Final test accuracy.
    pub test_accuracy: Option<f64>,
    /// Final loss.
    pub loss: Option<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Seconds per step.
    pub seconds_per_step: f64,
}

/// One cell of Figure 4.
#[derive(Debug, Clone, Serialize)]
pub struct VariantCell {
    /// "digit" or "blank" (every pixel the image's mean intensity).
    pub shape: &'static str,
    /// "grey" (both channels image / 2) or "coloured" (the protocol's).
    pub colour: &'static str,
    /// Accuracy on the test labels.
    pub accuracy: Option<f64>,
    /// Mean binary entropy of σ(ŷ), bits.
    pub entropy_bits: Option<f64>,
}

/// Figure 4's numbers for one method.
#[derive(Debug, Clone, Serialize)]
pub struct VariantsRecord {
    /// The method.
    pub method: String,
    /// The restart's seed (the last).
    pub seed: u64,
    /// The four cells.
    pub cells: Vec<VariantCell>,
}

/// What the document's `data` block holds.
#[derive(Debug, Clone, Serialize)]
pub struct ImageExperimentData {
    /// Spec name.
    pub name: String,
    /// Spec description.
    pub description: String,
    /// The data set's name.
    pub dataset: String,
    /// The folder it was read from.
    pub data_folder: String,
    /// The protocol as run.
    pub colored_mnist: ColoredMnistSpec,
    /// Training precision.
    pub precision: Precision,
    /// The restarts' seeds.
    pub seeds: Vec<u64>,
    /// Table 1: one row per method, accuracies as fractions.
    pub table: Vec<TableRow>,
    /// The paper's Table 1 on MNIST (percent), for comparison: not our numbers.
    pub paper_mnist: Vec<PaperRow>,
    /// Training curves per method.
    pub curves: Vec<MethodCurves>,
    /// Every restart.
    pub restarts: Vec<RestartRow>,
    /// Figure 4's numbers (when asked).
    pub variants: Option<Vec<VariantsRecord>>,
    /// How to read the numbers.
    pub notes: Vec<String>,
}

/// The provenance of an image experiment.
#[derive(Debug, Clone, Serialize)]
pub struct ImageProvenance {
    /// The spec as read.
    pub spec: serde_json::Value,
    /// Threads of the matrix products.
    pub threads: usize,
    /// Wall time.
    pub wall_time_seconds: f64,
    /// Mean seconds per training step, per method.
    pub seconds_per_step: Vec<(String, f64)>,
}

/// The document.
pub fn image_document(
    source: Source<'_>,
    data: ImageExperimentData,
    wall_seconds: f64,
    seconds_per_step: Vec<(String, f64)>,
) -> Document<ImageExperimentData, ImageProvenance> {
    Document {
        data,
        provenance: Provenance::new(ImageProvenance {
            spec: source.spec.clone(),
            threads: rayon::current_num_threads(),
            wall_time_seconds: wall_seconds,
            seconds_per_step,
        }),
    }
}

fn percent(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.2}", 100.0 * v))
}

fn paper_row(method: &str) -> Option<&'static PaperRow> {
    PAPER_TABLE.iter().find(|p| p.method == method)
}

/// Table 1 as CSV (percent; the paper's MNIST columns empty for methods it does not list).
pub fn table_csv(data: &ImageExperimentData) -> String {
    let mut out = String::from(
        "method,restarts,train_accuracy_percent_mean,train_accuracy_percent_sd,test_accuracy_percent_mean,test_accuracy_percent_sd,paper_mnist_train_percent_mean,paper_mnist_train_percent_sd,paper_mnist_test_percent_mean,paper_mnist_test_percent_sd\n",
    );
    for r in &data.table {
        let paper = paper_row(&r.method).map_or(",,,".to_string(), |p| {
            format!(
                "{},{},{},{}",
                p.train_accuracy_percent[0],
                p.train_accuracy_percent[1],
                p.test_accuracy_percent[0],
                p.test_accuracy_percent[1]
            )
        });
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            super::csv_field(&r.method),
            r.train_accuracy.values.len(),
            percent(r.train_accuracy.mean).replace('—', ""),
            percent(r.train_accuracy.sd).replace('—', ""),
            percent(r.test_accuracy.mean).replace('—', ""),
            percent(r.test_accuracy.sd).replace('—', ""),
            paper
        ));
    }
    out
}

fn pm(s: &Summary) -> String {
    format!("{} ± {}", percent(s.mean), percent(s.sd))
}

/// Table 1 as Markdown, ours beside the paper's MNIST numbers.
pub fn table_markdown(data: &ImageExperimentData) -> String {
    let restarts = data.seeds.len();
    let mut out = format!(
        "| Method | Train accuracy (%), ours on {0} | Test accuracy (%), ours on {0} | Train (%), paper on MNIST | Test (%), paper on MNIST |\n|---|---|---|---|---|\n",
        data.dataset
    );
    for r in &data.table {
        let (pt, pe) = paper_row(&r.method).map_or(("—".into(), "—".into()), |p| {
            (
                format!(
                    "{:.2} ± {:.2}",
                    p.train_accuracy_percent[0], p.train_accuracy_percent[1]
                ),
                format!(
                    "{:.2} ± {:.2}",
                    p.test_accuracy_percent[0], p.test_accuracy_percent[1]
                ),
            )
        });
        out.push_str(&format!(
            "| {} | {} | {} | {pt} | {pe} |\n",
            r.method.to_uppercase(),
            pm(&r.train_accuracy),
            pm(&r.test_accuracy)
        ));
    }
    out.push_str(&format!(
        "\nOurs: mean ± standard deviation over {restarts} restart{}; the paper: 10 restarts on MNIST (Pezeshki et al. 2021, Table 1). A colour-blind optimum is 75 / 75.\n",
        if restarts == 1 { "" } else { "s" }
    ));
    out
}

/// Table 1 as a LaTeX tabular (booktabs).
pub fn table_latex(data: &ImageExperimentData) -> String {
    let mut out = String::from(
        "% Table 1: Colored-MNIST protocol; ours beside the paper's MNIST numbers.\n\\begin{tabular}{lcccc}\n\\toprule\n",
    );
    out.push_str(&format!(
        "Method & Train (ours, {0}) & Test (ours, {0}) & Train (paper, MNIST) & Test (paper, MNIST) \\\\\n\\midrule\n",
        data.dataset.replace('_', "\\_")
    ));
    let tex = |s: &Summary| format!("${} \\pm {}$", percent(s.mean), percent(s.sd));
    for r in &data.table {
        let (pt, pe) = paper_row(&r.method).map_or(("--".into(), "--".into()), |p| {
            (
                format!(
                    "${:.2} \\pm {:.2}$",
                    p.train_accuracy_percent[0], p.train_accuracy_percent[1]
                ),
                format!(
                    "${:.2} \\pm {:.2}$",
                    p.test_accuracy_percent[0], p.test_accuracy_percent[1]
                ),
            )
        });
        out.push_str(&format!(
            "{} & {} & {} & {pt} & {pe} \\\\\n",
            r.method.to_uppercase().replace('_', "\\_"),
            tex(&r.train_accuracy),
            tex(&r.test_accuracy)
        ));
    }
    out.push_str("\\bottomrule\n\\end{tabular}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_uses_the_population_standard_deviation() {
        let s = Summary::of(&[0.5, 0.7]);
        assert_eq!(s.mean, Some(0.6));
        assert!((s.sd.unwrap() - 0.1).abs() < 1e-15);
        let s = Summary::of(&[f64::NAN, 0.25]);
        assert_eq!(s.values, vec![None, Some(0.25)]);
        assert_eq!(s.mean, Some(0.25));
    }
}

/// The format tag of image-experiment shard files.
pub const IMAGE_SHARD_FORMAT: &str = "starvation-image-shard-1";

/// A shard of an image experiment (`run --shard k/N`): the records of its (restart, method)
/// units, merged by `merge` into the outputs of an unsharded run. Only the last restart's
/// records keep their networks (Figure 4 is drawn from them); the others' parameters are
/// dropped to keep the file small.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageShardFile {
    /// Always [`IMAGE_SHARD_FORMAT`].
    pub format: String,
    /// Hash of the spec it was made from (shards of different specs never mix).
    pub spec_hash: String,
    /// k (1-based).
    pub shard: usize,
    /// N.
    pub of: usize,
    /// The records, in the unsharded order of their units.
    pub records: Vec<crate::images::RestartRecord>,
}

/// The file name of shard k of n of the image experiment `name`.
pub fn image_shard_file_name(name: &str, k: usize, n: usize) -> String {
    format!("{name}.image-shard-{k}-of-{n}.json")
}
