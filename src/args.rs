//! The command line's arguments (clap): one subcommand per task, with the help texts
//! `starvation --help` prints.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "starvation",
    version,
    about = "Gradient-starvation dynamics simulator (Pezeshki et al., NeurIPS 2021)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Formats of every figure written, comma-separated: png, svg, pdf (vector, one page), tex
    /// (pgfplots: STEM.pgfplots.tex with its data tables STEM-pP-*.dat beside it).
    #[arg(long, global = true, value_name = "LIST", default_value = "png,svg")]
    pub formats: String,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a spec and write its results (NAME.run.json, NAME.run.csv and figures; for an
    /// `experiment` spec, NAME.experiment.json and figures) into the output folder. Each command names its files after the spec and itself (NAME.run.*,
    /// NAME.equilibrium.json, NAME.sweep.*), and no output may replace the spec file.
    Run {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// A folder where named data sets (`"dataset": "mnist"`) are looked for first, as
        /// FOLDER/NAME or FOLDER itself (repeatable; then STARVATION_DATA, the spec's folder and
        /// /usr/share/datasets).
        #[arg(long, value_name = "FOLDER")]
        data_dir: Vec<PathBuf>,
        /// For image experiments: train only shard k of N of the (restart, method) units
        /// (1-based, e.g. 3/16) into NAME.image-shard-k-of-N.json; `merge` assembles the
        /// outputs. A finished shard is skipped on rerun.
        #[arg(long)]
        shard: Option<String>,
    },
    /// Draw the phase portraits of a spec's `portrait` section (PNG, SVG and data JSON).
    Portrait {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Run a parameter sweep (a spec with a `sweep` section): cells in parallel, thresholds,
    /// CSV tables, JSON and heat maps.
    Sweep {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Run only shard k of N (1-based, e.g. 3/16); a finished shard is skipped on rerun.
        #[arg(long)]
        shard: Option<String>,
        /// Run on one thread (the results are identical either way).
        #[arg(long)]
        serial: bool,
    },
    /// Merge the shard files of a sweep (`sweep --shard`) or of an image experiment
    /// (`run --shard`) into the outputs of an unsharded run.
    Merge {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Folder holding the shard files; the merged outputs are written there too.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Regenerate every figure spec in a folder (runs with a `plot` section, portraits, sweeps
    /// with `plots`) into the output folder: the gallery, `plots/` by default (every other
    /// command writes into `out/` by default).
    Figures {
        /// Folder of specs.
        #[arg(long, default_value = "simulations")]
        specs: PathBuf,
        /// Output folder.
        #[arg(long, default_value = "plots")]
        out: PathBuf,
    },
    /// Print the JSON Schema of spec files (every section, field, type, default and description,
    /// generated from the types specs are read into), or its reference page with --markdown;
    /// with --out, write both (spec.schema.json and spec-reference.md) into that folder.
    Schema {
        /// Which kind of spec: run, sweep, experiment, portrait, equilibrium or all (the sections
        /// that kind reads).
        #[arg(long, default_value = "all")]
        kind: String,
        /// Print the reference page (Markdown) instead of the schema.
        #[arg(long)]
        markdown: bool,
        /// Write spec.schema.json and spec-reference.md into this folder (for a single kind,
        /// spec.KIND.schema.json and spec-reference.KIND.md) instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a spec without running it.
    Check {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// A folder where named data sets are looked for first (as for `run`).
        #[arg(long, value_name = "FOLDER")]
        data_dir: Vec<PathBuf>,
    },
    /// Equilibrium, stability, starvation matrix and closed forms of each model of a spec.
    Equilibrium {
        /// Path of the JSON spec (its `model`, `runs`/`vary` and optional `equilibrium` section).
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// The standard benchmark (trajectories and equilibria on the s₁ × δ grid of
    /// docs/architecture.md), single- and multi-threaded, with ratios to the peers' figures.
    Bench {
        /// Which part: "trajectories", "equilibria", "sweep" (simulations/bench_sweep.json, 2^20
        /// cells written to a temporary folder), "period_sweep" (simulations/
        /// bench_period_sweep.json: the period of the toy's gd map on 2^20 (s₁, h) cells, up
        /// to 10⁴ iterations each), "network" (the paper's 2→500→1 network against
        /// PyTorch: `bench/peers/run.sh network`), "colored_mnist" (one step of Table 1's
        /// protocol on Fashion-MNIST against the machine's GEMM rate and PyTorch:
        /// `bench/peers/run.sh colored_mnist`) or "all" (every part but colored_mnist).
        #[arg(default_value = "all")]
        part: String,
        /// Points per grid axis (the grid has side² points; 1024 is the standard 2^20).
        #[arg(long, default_value_t = 1024)]
        side: usize,
        /// JSON printed by bench/peers/run.sh on this machine.
        #[arg(long)]
        peers: Option<PathBuf>,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Interactive phase-portrait and phase-diagram explorer in the browser: a local web server
    /// on 127.0.0.1 (the URL is printed; Ctrl-C stops it).
    #[cfg(feature = "explore")]
    Explore {
        /// Spec whose `model` section the page opens with (default: the paper's toy).
        spec: Option<PathBuf>,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8737)]
        port: u16,
        /// Opening state as the page's URL query (`s1=6&traj=1,0.5`, or a whole explorer URL);
        /// its parameters replace the spec's.
        #[arg(long, value_name = "QUERY")]
        query: Option<String>,
        /// Render the view's portrait (the page's PNG/SVG download, server-side renderer) to
        /// FILE (.png or .svg) and exit without serving.
        #[arg(long, value_name = "FILE")]
        screenshot: Option<PathBuf>,
    },
    /// Check every claim of the paper numerically and print a table (exit status 1 if any fails);
    /// with --spec, the claims that apply to the spec's own models.
    Verify {
        /// Coarser grids (a few seconds).
        #[arg(long, conflicts_with = "spec")]
        quick: bool,
        /// Check the models of this spec (its `model` section after `runs`/`vary`) instead.
        #[arg(long, value_name = "FILE")]
        spec: Option<PathBuf>,
        /// Also write the table as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}
