//! `sweep`, `sweep --shard k/N` and `merge`: a validated sweep plan, its evaluation (whole or one
//! shard), the merge of shard files, and the tables, JSON document and figures of a result.

use super::progress::Progress;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use super::{Outcome, line};
use crate::error::{Error, InputError};
use crate::output::{OutputFile, OutputSet, SpecGuard, stage_files, write_atomic_with};
use crate::result::{
    SweepDocumentBuilder, axis_threshold_csv_row, sweep_csv_rows, thresholds_csv_rows,
    write_sweep_csv_header, write_thresholds_csv_header,
};
use crate::spec::Spec;
use crate::sweep::{
    LevelSetRequest, LineResult, ShardFile, ShardHeader, ShardReadError, ShardWriter, SweepPlan,
    SweepResult, chunk_lines, level_sets, merge_shards, read_shard, run_lines, shard,
    stream_axis_thresholds, stream_lines, summary,
};

/// Most cells one process evaluates (a sweep or a shard), or holds for figures and level sets
/// (which need the whole table: at about 150 bytes a cell, 2 × 10⁷ cells stay within a few GB
/// on a 24 GiB machine). Tables themselves are streamed to disk in bounded memory.
pub const MAX_CELLS_PER_RUN: usize = 20_000_000;

/// A shard file found by [`read_shards`]: its path and header (its results stay on disk).
#[derive(Debug, Clone)]
pub struct ShardSource {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub header: ShardHeader,
}

/// Where a sweep's lines go, chunk by chunk and in order, to be written (see
/// [`SweepTask::write_streamed`]).
pub type LineSink<'a> = dyn FnMut(Vec<LineResult>) -> Result<(), Error> + 'a;

/// What writing a sweep's outputs produced: the report to print and the summary counts.
#[derive(Debug, Clone)]
pub struct SweepWritten {
    /// Lines to print once the files are in place.
    pub report: String,
    /// Counts: cells, failed cells, thresholds found.
    pub summary: BTreeMap<&'static str, usize>,
    /// The files written, in order.
    pub paths: Vec<PathBuf>,
}

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
        crate::figures::sweep::sweep_figures(&spec.name, &plots, &plan, &SweepResult::default())?;
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

    /// Checks, before any work, that a merge can hold what its figures and level sets need (the
    /// tables themselves are streamed, whatever the grid's size).
    pub fn check_merge_size(&self) -> Result<(), InputError> {
        if self.holds_table() {
            self.check_run_size(None)
        } else {
            Ok(())
        }
    }

    /// Whether the outputs need the whole cell table in memory (figures, level sets).
    fn holds_table(&self) -> bool {
        !self.plots.is_empty() || !self.levels.is_empty()
    }

    /// The names of every file the outputs may have (for checks before any work, such as
    /// never replacing the spec file).
    pub fn output_names(&self) -> Result<Vec<String>, Error> {
        let name = &self.spec.name;
        let mut names = vec![
            format!("{name}.sweep.csv"),
            format!("{name}.thresholds.csv"),
            format!("{name}.levels.csv"),
            format!("{name}.sweep.json"),
        ];
        let empty = SweepResult::default();
        let figures = crate::figures::sweep::sweep_figures(name, &self.plots, &self.plan, &empty)?;
        for f in &figures {
            for format in crate::output::figure_formats() {
                let ext = match format {
                    crate::output::FigureFormat::Tex => "pgfplots.tex",
                    other => other.name(),
                };
                names.push(format!("{}.{ext}", f.stem));
            }
            names.push(format!("{}.data.json", f.stem));
        }
        Ok(names)
    }

    /// Parses `--shard k/N` (1-based) and checks the size of the run it asks for (before any
    /// work).
    pub fn shard_of(&self, text: Option<&str>) -> Result<Option<(usize, usize)>, InputError> {
        let shard = text
            .map(|t| shard::parse_shard(t).map_err(|m| InputError::new("--shard", m)))
            .transpose()?;
        self.check_run_size(shard)?;
        Ok(shard)
    }

    /// Cells a run computes: the whole grid, or the lines of shard k of n.
    pub fn cells_to_compute(&self, shard: Option<(usize, usize)>) -> usize {
        match shard {
            None => self.plan.cells(),
            Some((k, n)) => self.shard_range(k, n).len() * self.plan.line_length(),
        }
    }

    /// The `sweep` command in the prepared folder `out`: the whole sweep as one output set, or
    /// shard k of n as its shard file (skipped when a complete one is there). No output may
    /// replace a spec in `guard`. Reports one [`Progress`] stage, in cells. Returns the report.
    pub fn execute(
        &self,
        out: &Path,
        shard: Option<(usize, usize)>,
        parallel: bool,
        guard: &SpecGuard,
        progress: &dyn Progress,
    ) -> Result<String, Error> {
        let start = std::time::Instant::now();
        let name = &self.spec.name;
        let label = match shard {
            None => name.clone(),
            Some((k, n)) => format!("{name} shard {k}/{n}"),
        };
        let meter = progress.stage(&label, self.cells_to_compute(shard) as u64, "cells");
        let progress = &|cells: usize| meter.advance(cells as u64);
        let Some((k, n)) = shard else {
            guard.check(out, self.output_names()?.iter().map(String::as_str))?;
            let mut report = self.run_to(out, parallel, progress)?.report;
            let seconds = start.elapsed().as_secs_f64();
            line(
                &mut report,
                format!(
                    "computed and written in {seconds:.2} s ({:.0} cells/s)",
                    self.plan.cells() as f64 / seconds.max(1e-9)
                ),
            );
            return Ok(report);
        };
        let file = out.join(shard::shard_file_name(name, k, n));
        if self.existing_shard(k, n, &file)? {
            return Ok(format!(
                "shard {k}/{n} of {name} is already done ({}); skipping\n",
                file.display()
            ));
        }
        self.run_shard_to(&file, k, n, parallel, progress)?;
        let range = self.shard_range(k, n);
        Ok(format!(
            "shard {k}/{n}: lines {}..{} ({} cells) in {:.2} s → {}\n",
            range.start,
            range.end,
            self.cells_to_compute(shard),
            start.elapsed().as_secs_f64(),
            file.display()
        ))
    }

    /// The `merge` command: the shard files in `out` merged into the outputs of an unsharded
    /// run there (no output may replace a spec in `guard`). Reports one [`Progress`] stage, in
    /// lines read. Returns the report.
    pub fn merge_in(
        &self,
        out: &Path,
        guard: &SpecGuard,
        progress: &dyn Progress,
    ) -> Result<String, Error> {
        self.check_merge_size()?;
        guard.check(out, self.output_names()?.iter().map(String::as_str))?;
        let shards = read_shards(out, &self.spec.name)?;
        let meter = progress.stage(
            &format!("merge {}", self.spec.name),
            self.plan.lines() as u64,
            "lines",
        );
        let mut report = self
            .merge_to(out, &shards, &|lines| meter.advance(lines as u64))?
            .report;
        drop(meter);
        line(
            &mut report,
            format!("merged {} shards of {}", shards.len(), self.spec.name),
        );
        Ok(report)
    }

    /// Runs the whole sweep and writes its outputs into `out` as one set (see
    /// [`Self::write_streamed`]): lines are evaluated chunk by chunk (in parallel when
    /// `parallel`) and streamed to the tables, so memory does not grow with the grid.
    pub fn run_to(
        &self,
        out: &Path,
        parallel: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<SweepWritten, Error> {
        self.write_streamed(out, parallel, &mut |sink| {
            stream_lines(
                &self.plan,
                0..self.plan.lines(),
                chunk_lines(&self.plan),
                parallel,
                progress,
                sink,
            )
        })
    }

    /// Runs shard k (1-based) of n and writes its shard file `file` atomically, streaming the
    /// lines chunk by chunk (the same bytes as serialising [`Self::run_shard`]'s result).
    pub fn run_shard_to(
        &self,
        file: &Path,
        k: usize,
        n: usize,
        parallel: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), Error> {
        let range = self.shard_range(k, n);
        let hash = self.hash();
        write_atomic_with(file, |w| {
            let shape = shard::ShardShape::of_plan(&self.plan);
            let mut shard = ShardWriter::begin(w, &hash, k, n, range.clone(), shape)?;
            stream_lines(
                &self.plan,
                range.clone(),
                chunk_lines(&self.plan),
                parallel,
                progress,
                &mut |lines: Vec<LineResult>| lines.iter().try_for_each(|l| shard.push(l)),
            )?;
            shard.finish().map(|_| ())
        })
    }

    /// Whether the file at `path` is shard k of n of this spec, complete and intact (read line
    /// by line).
    pub fn shard_file_is_done(&self, k: usize, n: usize, path: &Path) -> bool {
        matches!(self.existing_shard(k, n, path), Ok(true))
    }

    /// For a rerun of `--shard k/n`: `Ok(false)` when `path` does not exist, `Ok(true)` when it
    /// is this spec's shard k of n, complete and intact; otherwise an error naming the file,
    /// the line and what is wrong (altered, truncated, of another spec, or another shard saved
    /// under this shard's name), before anything is written.
    pub fn existing_shard(&self, k: usize, n: usize, path: &Path) -> Result<bool, InputError> {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => {
                return Err(InputError::new(
                    "--out",
                    format!(
                        "{}: cannot be read ({e}); remove it or fix its permissions",
                        path.display()
                    ),
                ));
            }
        };
        let header = read_shard::<()>(file, &mut |_| Ok(()))
            .map_err(|e| InputError::new("--out", shard_problem(path, e)))?;
        self.check_shard_header(path, k, n, &header)?;
        Ok(true)
    }

    /// Checks that a shard file's header is this spec's shard k of n with its lines and shape.
    fn check_shard_header(
        &self,
        path: &Path,
        k: usize,
        n: usize,
        header: &ShardHeader,
    ) -> Result<(), InputError> {
        let file = path.display();
        if header.spec_hash != self.hash() {
            return Err(InputError::new(
                "--out",
                format!(
                    "{file}: was made from a different spec (hash {} ≠ {}); remove it, or run the spec it belongs to",
                    header.spec_hash,
                    self.hash()
                ),
            ));
        }
        if (header.shard, header.of) != (k, n) {
            return Err(InputError::new(
                "--out",
                format!(
                    "{file}: holds shard {}/{} but is saved under the name of shard {k}/{n}; rename it to {}",
                    header.shard,
                    header.of,
                    shard::shard_file_name(&self.spec.name, header.shard, header.of)
                ),
            ));
        }
        let expected = self.shard_range(k, n);
        if header.range() != expected {
            return Err(InputError::new(
                "--out",
                format!(
                    "{file}: holds lines {}..{} but this spec's shard {k}/{n} is lines {}..{}; rerun it",
                    header.lines[0], header.lines[1], expected.start, expected.end
                ),
            ));
        }
        let shape = shard::ShardShape::of_plan(&self.plan);
        if header.shape != shape && !expected.is_empty() {
            return Err(InputError::new(
                "--out",
                format!(
                    "{file}: its lines have {} cells of {} columns and {} threshold records, this spec's have {} cells of {} columns and {}; rerun it",
                    header.shape.cells,
                    header.shape.columns,
                    header.shape.thresholds,
                    shape.cells,
                    shape.columns,
                    shape.thresholds
                ),
            ));
        }
        Ok(())
    }

    /// Merges shard files into the outputs of an unsharded run, written into `out` as one set:
    /// the split is checked first, then the shards are read line by line, in order, and
    /// streamed to the tables (the same bytes as the unsharded run). Thresholds along another
    /// axis than the last are not in shard files: the merge locates them.
    ///
    /// `progress(lines)` is called as lines are read.
    pub fn merge_to(
        &self,
        out: &Path,
        shards: &[ShardSource],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<SweepWritten, Error> {
        for s in shards {
            self.check_shard_header(&s.path, s.header.shard, s.header.of, &s.header)?;
        }
        let headers: Vec<ShardHeader> = shards.iter().map(|s| s.header.clone()).collect();
        let order = shard::check_split(&headers, &self.hash(), self.plan.lines())
            .map_err(|m| InputError::new("--out", m))?;
        let chunk = chunk_lines(&self.plan);
        self.write_streamed(out, true, &mut |sink| {
            let mut pending = Vec::with_capacity(chunk);
            for &i in &order {
                let path = &shards[i].path;
                let file = std::fs::File::open(path).map_err(|e| Error::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let header = read_shard(file, &mut |l| {
                    progress(1);
                    pending.push(l);
                    if pending.len() >= chunk {
                        sink(std::mem::take(&mut pending))?;
                    }
                    Ok::<(), Error>(())
                })
                .map_err(|e| match e {
                    ShardReadError::Stopped(e) => e,
                    invalid => InputError::new("--out", shard_problem(path, invalid)).into(),
                })?;
                if header != shards[i].header {
                    return Err(InputError::new(
                        "--out",
                        format!(
                            "{} changed while it was merged; rerun the merge",
                            path.display()
                        ),
                    )
                    .into());
                }
            }
            if !pending.is_empty() {
                sink(pending)?;
            }
            Ok(())
        })
    }

    /// Writes the outputs of the lines `feed` hands to its sink (in order, chunk by chunk) into
    /// `out` as one set: the cell and threshold tables are streamed (rows formatted in
    /// parallel), then the thresholds along other axes than the last are located (in parallel
    /// when `parallel`) and streamed after them; the document keeps counts, thresholds and
    /// failed cells (bounded, see [`crate::result::MAX_DOCUMENT_ROWS`]), and the lines
    /// themselves are kept only when figures or level sets need them. Nothing is visible until
    /// every file is complete.
    pub fn write_streamed(
        &self,
        out: &Path,
        parallel: bool,
        feed: &mut dyn FnMut(&mut LineSink<'_>) -> Result<(), Error>,
    ) -> Result<SweepWritten, Error> {
        let name = &self.spec.name;
        let plan = &self.plan;
        let mut set = OutputSet::begin(out)?;
        let mut cells = set.open(&format!("{name}.sweep.csv"))?;
        let mut thresholds = set.open(&format!("{name}.thresholds.csv"))?;
        write_sweep_csv_header(plan, &mut cells).map_err(|e| cells.error(&e))?;
        write_thresholds_csv_header(plan, &mut thresholds).map_err(|e| thresholds.error(&e))?;
        let mut doc = SweepDocumentBuilder::default();
        let mut kept = Vec::new();
        let holds = self.holds_table();
        feed(&mut |lines: Vec<LineResult>| {
            let rows: Vec<(Vec<u8>, Vec<u8>)> = lines
                .par_iter()
                .map(|l| {
                    let (mut c, mut t) = (Vec::new(), Vec::new());
                    sweep_csv_rows(plan, l, &mut c);
                    thresholds_csv_rows(plan, l, &mut t);
                    (c, t)
                })
                .collect();
            for (c, t) in &rows {
                cells.write_all(c).map_err(|e| cells.error(&e))?;
                thresholds.write_all(t).map_err(|e| thresholds.error(&e))?;
            }
            for l in &lines {
                doc.push_line(plan, l);
            }
            if holds {
                kept.extend(lines);
            }
            Ok(())
        })?;
        cells.finish()?;
        let mut kept_axis = Vec::new();
        stream_axis_thresholds(plan, chunk_lines(plan), parallel, &mut |records| {
            let mut rows = Vec::new();
            for a in &records {
                axis_threshold_csv_row(plan, a, &mut rows);
                doc.push_axis_threshold(plan, a);
            }
            thresholds
                .write_all(&rows)
                .map_err(|e| thresholds.error(&e))?;
            if holds {
                kept_axis.extend(records);
            }
            Ok::<(), Error>(())
        })?;
        thresholds.finish()?;
        let summary = doc.summary();
        let result = SweepResult {
            lines: kept,
            axis_thresholds: kept_axis,
        };
        let figures = crate::figures::sweep::sweep_figures(name, &self.plots, plan, &result)?;
        let mut files = Vec::new();
        let sets: Vec<_> = self
            .levels
            .iter()
            .flat_map(|r| level_sets(plan, &result, r))
            .collect();
        let mut document = doc.finish(self.spec.source(), plan);
        document.data.level_sets = crate::result::level_set_records(&sets);
        if !sets.is_empty() {
            document.data.levels_table = Some(format!("{name}.levels.csv"));
            files.push(OutputFile::bytes(
                format!("{name}.levels.csv"),
                crate::result::levels_csv(&sets).into_bytes(),
            ));
        }
        files.push(OutputFile::json(format!("{name}.sweep.json"), &document));
        let report = self.report(&summary, &figures, &mut files);
        stage_files(&mut set, files)?;
        let paths = set.commit()?;
        Ok(SweepWritten {
            report,
            summary,
            paths,
        })
    }

    /// The report of a sweep's outputs; adds the figure files to `files`.
    fn report<'a>(
        &self,
        s: &BTreeMap<&'static str, usize>,
        figures: &[crate::figures::FigureOutput],
        files: &mut Vec<OutputFile<'a>>,
    ) -> String {
        let name = &self.spec.name;
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
        super::run::figure_files(figures, files, &mut report);
        report
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
        let mut r = run_lines(&self.plan, 0..self.plan.lines(), parallel, progress);
        r.axis_thresholds = crate::sweep::run_axis_thresholds(&self.plan, parallel);
        r
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
        let shape = shard::ShardShape::of_plan(&self.plan);
        ShardFile::with_shape(&self.hash(), k, n, range, shape, result)
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
        let mut r = merge_shards(shards, &self.hash(), self.plan.lines())
            .map_err(|m| InputError::new("--out", m))?;
        r.axis_thresholds = crate::sweep::run_axis_thresholds(&self.plan, true);
        Ok(r)
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
        let report = self.report(&summary(result), &figures, &mut files);
        Ok(Outcome { files, report })
    }
}

/// Finds the shard files of sweep `name` in `dir` (any split) and checks each, reading it line
/// by line (nothing is held); a file that is not a complete shard is an error naming it.
pub fn read_shards(dir: &Path, name: &str) -> Result<Vec<ShardSource>, InputError> {
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
        let path = entry.path();
        let reader = std::fs::File::open(&path).map_err(|e| {
            InputError::new(
                "--out",
                format!(
                    "{}: cannot be read ({e}); fix its permissions",
                    path.display()
                ),
            )
        })?;
        let header = read_shard::<()>(reader, &mut |_| Ok(()))
            .map_err(|e| InputError::new("--out", shard_problem(&path, e)))?;
        // The name says which shard it should hold.
        if let Some((k, n)) = shard_numbers_in_name(&file, &prefix)
            && (k, n) != (header.shard, header.of)
        {
            return Err(InputError::new(
                "--out",
                format!(
                    "{}: holds shard {}/{} but is saved under the name of shard {k}/{n}; rename it to {}",
                    path.display(),
                    header.shard,
                    header.of,
                    shard::shard_file_name(name, header.shard, header.of)
                ),
            ));
        }
        shards.push(ShardSource { path, header });
    }
    Ok(shards)
}

/// The (k, n) of a shard file name `{prefix}{k}-of-{n}.json`.
fn shard_numbers_in_name(file: &str, prefix: &str) -> Option<(usize, usize)> {
    let middle = file.strip_prefix(prefix)?.strip_suffix(".json")?;
    let (k, n) = middle.split_once("-of-")?;
    Some((k.parse().ok()?, n.parse().ok()?))
}

/// The one-line message for a shard file that is not intact: the file, then what is wrong.
fn shard_problem<E>(path: &Path, e: ShardReadError<E>) -> String {
    match e {
        ShardReadError::Invalid(what) => format!("{}: {what}", path.display()),
        ShardReadError::Stopped(_) => format!("{}: reading stopped", path.display()),
    }
}
