//! `sweep`, `sweep --shard k/N` and `merge`: a validated sweep plan, its evaluation (whole or one
//! shard), the merge of shard files, and the tables, JSON document and figures of a result.

use std::path::Path;

use serde_json::Value;

use super::{Outcome, line};
use crate::error::{Error, InputError};
use crate::output::OutputFile;
use crate::spec::Spec;
use crate::sweep::{
    LevelSetRequest, ShardFile, SweepPlan, SweepResult, level_sets, merge_shards, run_lines, shard,
    summary,
};

/// Most cells one process evaluates and holds (a sweep, a shard, or a merge): at about 150
/// bytes a cell with its table row, 2 × 10⁷ cells stay within a few GB on a 24 GiB machine.
pub const MAX_CELLS_PER_RUN: usize = 20_000_000;

/// A validated sweep: the spec, its plan and its figure specs.
pub struct SweepTask<'s> {
    /// The spec.
    pub spec: &'s Spec,
    /// The grid, metrics and thresholds.
    pub plan: SweepPlan,
    plots: Vec<Value>,
    levels: Vec<LevelSetRequest>,
}

impl<'s> SweepTask<'s> {
    /// Validates the sweep section and its figure specs (before any work).
    pub fn new(spec: &'s Spec) -> Result<Self, Error> {
        let plan = crate::spec::sweep_plan(spec)?;
        let plots: Vec<Value> = spec
            .sweep
            .as_ref()
            .map(|s| s.plots.clone())
            .unwrap_or_default();
        crate::figures::sweep::sweep_figures(
            &spec.name,
            &plots,
            &plan,
            &SweepResult { lines: Vec::new() },
        )?;
        let levels: Vec<LevelSetRequest> = spec
            .sweep
            .as_ref()
            .map(|s| s.level_sets.clone())
            .unwrap_or_default();
        for (i, r) in levels.iter().enumerate() {
            crate::sweep::level_set::check(r, &plan, &format!("sweep.level_sets[{i}]"))?;
        }
        Ok(Self {
            spec,
            plan,
            plots,
            levels,
        })
    }

    /// Checks, before any work, that the cells one process would hold (the whole grid, or the
    /// lines of shard k of n) fit in memory; the message says how to split the work.
    pub fn check_run_size(&self, shard: Option<(usize, usize)>) -> Result<(), InputError> {
        let cells = match shard {
            Some((k, n)) => self.shard_range(k, n).len() * self.plan.line_length(),
            None => self.plan.cells(),
        };
        if cells <= MAX_CELLS_PER_RUN {
            return Ok(());
        }
        let shards = self.plan.cells().div_ceil(MAX_CELLS_PER_RUN);
        Err(InputError::new(
            "sweep.axes",
            format!(
                "{cells} cells in one process is more than the {MAX_CELLS_PER_RUN} it can hold; run it as shards (--shard k/N with N ≥ {shards}) or use fewer values per axis"
            ),
        ))
    }

    /// Whether the spec has figures to draw.
    pub fn has_plots(&self) -> bool {
        !self.plots.is_empty()
    }

    /// The hash that ties shard files to this spec.
    pub fn hash(&self) -> String {
        shard::spec_hash(&self.spec.raw)
    }

    /// Evaluates every line; `progress(cells)` is called as lines finish.
    pub fn run(&self, parallel: bool, progress: &(dyn Fn(usize) + Sync)) -> SweepResult {
        run_lines(&self.plan, 0..self.plan.lines(), parallel, progress)
    }

    /// The lines of shard k (1-based) of n.
    pub fn shard_range(&self, k: usize, n: usize) -> std::ops::Range<usize> {
        shard::shard_range(self.plan.lines(), k - 1, n)
    }

    /// Evaluates shard k (1-based) of n.
    pub fn run_shard(
        &self,
        k: usize,
        n: usize,
        parallel: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> ShardFile {
        let range = self.shard_range(k, n);
        let result = run_lines(&self.plan, range.clone(), parallel, progress);
        ShardFile::with_range(&self.hash(), k, n, range, result)
    }

    /// Whether `existing` (the text of a shard file) is shard k of n of this spec, complete.
    pub fn shard_is_done(&self, k: usize, n: usize, existing: &str) -> bool {
        ShardFile::parse(existing).is_some_and(|s| {
            s.spec_hash == self.hash()
                && s.shard == k
                && s.of == n
                && s.range() == self.shard_range(k, n)
        })
    }

    /// Joins shard files into the result of an unsharded run.
    pub fn merge(&self, shards: Vec<ShardFile>) -> Result<SweepResult, Error> {
        merge_shards(shards, &self.hash(), self.plan.lines())
            .map_err(|m| InputError::new("--out", m).into())
    }

    /// The outputs of a result: `NAME.sweep.csv` (one row per cell), `NAME.thresholds.csv`,
    /// `NAME.sweep.json` (axes, thresholds, failed cells, provenance) and the figures.
    pub fn outputs<'a>(&'a self, result: &'a SweepResult) -> Result<Outcome<'a>, Error> {
        let name = &self.spec.name;
        let figures = crate::figures::sweep::sweep_figures(name, &self.plots, &self.plan, result)?;
        let plan = &self.plan;
        let mut files = vec![
            OutputFile::stream(format!("{name}.sweep.csv"), move |w| {
                crate::result::write_sweep_csv(plan, result, w)
            }),
            OutputFile::stream(format!("{name}.thresholds.csv"), move |w| {
                crate::result::write_thresholds_csv(plan, result, w)
            }),
        ];
        let sets: Vec<_> = self
            .levels
            .iter()
            .flat_map(|r| level_sets(plan, result, r))
            .collect();
        let mut doc = crate::result::sweep_document(self.spec.source(), plan, result);
        doc.data.level_sets = crate::result::level_set_records(&sets);
        if !sets.is_empty() {
            doc.data.levels_table = Some(format!("{name}.levels.csv"));
            files.push(OutputFile::bytes(
                format!("{name}.levels.csv"),
                crate::result::levels_csv(&sets).into_bytes(),
            ));
        }
        files.push(OutputFile::json(format!("{name}.sweep.json"), &doc));
        let s = summary(result);
        let mut report = String::new();
        for w in self.plan.base.warnings() {
            line(&mut report, format!("warning: base model: {w}"));
        }
        line(
            &mut report,
            format!(
                "{name}: {} cells ({} failed), {} thresholds found; wrote {name}.{{sweep.json,sweep.csv,thresholds.csv}}",
                s["cells"], s["failed_cells"], s["thresholds_found"],
            ),
        );
        super::run::figure_files(&figures, &mut files, &mut report);
        Ok(Outcome { files, report })
    }
}

/// Reads the shard files of sweep `name` in `dir` (any split); a file that is not a complete
/// shard is an error naming it.
pub fn read_shards(dir: &Path, name: &str) -> Result<Vec<ShardFile>, InputError> {
    let prefix = format!("{name}.shard-");
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            "--out",
            format!(
                "cannot read {}: {e}; give the folder of the shard files",
                dir.display()
            ),
        )
    })?;
    let mut shards = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !(file.starts_with(&prefix) && file.ends_with(".json")) {
            continue;
        }
        let parsed = std::fs::read_to_string(entry.path())
            .ok()
            .filter(|t| crate::spec::reject_duplicate_keys(t).is_ok())
            .and_then(|t| ShardFile::parse(&t));
        match parsed {
            Some(s) => shards.push(s),
            None => {
                return Err(InputError::new(
                    "--out",
                    format!("{file} is not a complete shard file; rerun that shard"),
                ));
            }
        }
    }
    Ok(shards)
}
