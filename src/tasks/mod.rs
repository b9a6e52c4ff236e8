//! The library's commands: each task takes a validated spec (or options), computes, and returns
//! typed results plus the files to write ([`crate::output::OutputFile`]) and a text report. The
//! command line only parses arguments, calls a task, writes its files and prints its report.
//!
//! Every task validates its whole input before any work, so bad input fails before anything is
//! written.

pub mod bench;
mod check;
mod equilibrium;
mod experiment;
mod figures;
mod images;
pub mod progress;
mod run;
mod sweep;
pub mod threads;
mod verify;

pub use check::{CheckSummary, check};
pub use equilibrium::{EquilibriumEntry, EquilibriumOutcome, equilibrium, equilibrium_plan};
pub use experiment::{experiment, experiment_plan};
pub use figures::{FigureSpecKind, figure_specs};
pub use images::{
    TABLE_SUFFIXES, check_image_shard, image_experiment, image_merge, image_shard, units_of_shard,
};
pub use progress::{Meter, Progress, Silent};
pub use run::{RunOutcome, portrait, run, run_with_progress};
pub use sweep::{LineSink, ShardSource, SweepTask, SweepWritten, read_shards};
pub use verify::{
    MAX_VERIFY_MODELS, ModelChecks, SpecVerifyOutcome, VerifyOutcome, verify, verify_spec,
};

use std::fmt::Write as _;

/// A task's result: files to write and lines to print.
pub struct Outcome<'a> {
    /// Files for the output folder, in the order they are written.
    pub files: Vec<crate::output::OutputFile<'a>>,
    /// The report printed after the files are written.
    pub report: String,
}

/// Formats numbers as `[a, b, …]` with 10 decimals (reports).
pub(crate) fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.10}")).collect();
    format!("[{}]", parts.join(", "))
}

/// Appends a line to a report.
pub(crate) fn line(report: &mut String, text: impl std::fmt::Display) {
    let _ = writeln!(report, "{text}");
}
