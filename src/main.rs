//! The `starvation` command line: parse arguments, call a task of the library, write its files,
//! report. Exit status: 0 success, 1 a numerical failure or a failed check, 2 bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use starvation::error::{Error, InputError};
use starvation::output::{prepare_output_dir, write_atomic, write_files};
use starvation::spec::{Spec, read_spec};
use starvation::tasks::{self, FigureSpecKind, Outcome, SweepTask};

#[derive(Parser)]
#[command(
    name = "starvation",
    version,
    about = "Gradient-starvation dynamics simulator (Pezeshki et al., NeurIPS 2021)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a spec and write its results (NAME.run.json, NAME.run.csv and figures) into the output
    /// folder. Each command names its files after the spec and itself (NAME.run.*,
    /// NAME.equilibrium.json, NAME.sweep.*), and no output may replace the spec file.
    Run {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
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
    /// Merge the shard files of a sweep into the outputs of an unsharded run.
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
    /// Validate a spec without running it.
    Check {
        /// Path of the JSON spec.
        spec: PathBuf,
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
        /// cells written to a temporary folder), "network" (the paper's 2→500→1 network against
        /// PyTorch: `bench/peers/run.sh network`) or "all".
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
    },
    /// Check every claim of the paper numerically and print a table (exit status 1 if any fails).
    Verify {
        /// Coarser grids (a few seconds).
        #[arg(long)]
        quick: bool,
        /// Also write the table as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line, without its usage block.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let first = first.trim_start_matches("error: ");
            complain(&format!("{first}; see `starvation --help`"));
            return ExitCode::from(2);
        }
    };
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(Error::Input(e)) => {
            complain(&e.to_string());
            ExitCode::from(2)
        }
        Err(e) => {
            complain(&e.to_string());
            ExitCode::from(1)
        }
    }
}

/// Prints a report. A closed standard output (`| head -c0`) is not an error: the report is
/// dropped and the command goes on (its files are written before it reports anyway).
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Prints an error line on standard error (ignored if that is closed too).
fn complain(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {text}");
}

fn dispatch(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Run { spec, out } => {
            let parsed = read_spec(&spec)?;
            refuse_overwriting_spec(&spec, &parsed, &out)?;
            run(&parsed, &out)
        }
        Command::Check { spec } => {
            let summary = tasks::check(&read_spec(&spec)?)?;
            say(&format!("{summary}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures { specs, out } => figures(&specs, &out),
        Command::Sweep {
            spec,
            out,
            shard,
            serial,
        } => {
            let parsed = read_spec(&spec)?;
            refuse_overwriting_spec(&spec, &parsed, &out)?;
            sweep(&parsed, &out, shard.as_deref(), serial)
        }
        Command::Merge { spec, out } => {
            let parsed = read_spec(&spec)?;
            refuse_overwriting_spec(&spec, &parsed, &out)?;
            merge(&parsed, &out)
        }
        Command::Portrait { spec, out } => {
            let parsed = read_spec(&spec)?;
            refuse_overwriting_spec(&spec, &parsed, &out)?;
            portrait(&parsed, &out)
        }
        Command::Equilibrium { spec, out } => {
            let parsed = read_spec(&spec)?;
            refuse_overwriting_spec(&spec, &parsed, &out)?;
            prepare_output_dir(&out)?;
            let (_, outcome) = tasks::equilibrium(&parsed)?;
            finish(outcome, &out)
        }
        Command::Verify { quick, json } => verify(quick, json.as_deref()),
        #[cfg(feature = "explore")]
        Command::Explore { spec, port } => {
            starvation::explore::serve(spec.as_deref(), port).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench {
            part,
            side,
            peers,
            json,
        } => bench(&part, side, peers.as_deref(), json.as_deref()),
    }
}

/// The spec files read by this command: no output may replace one of them.
static SPEC_FILES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Writes a task's files into `out` (prepared before the work) as one set, then prints its
/// report. A file that would replace a spec read by this command is refused before anything is
/// written.
fn finish(outcome: Outcome<'_>, out: &Path) -> Result<ExitCode, Error> {
    if let (Ok(folder), Ok(specs)) = (out.canonicalize(), SPEC_FILES.lock()) {
        for f in &outcome.files {
            let target = folder.join(&f.name);
            if specs.contains(&target) {
                return Err(InputError::new(
                    "--out",
                    format!(
                        "{} would overwrite the spec {}; write into another folder (--out out)",
                        f.name,
                        target.display()
                    ),
                )
                .into());
            }
        }
    }
    write_files(out, outcome.files)?;
    say(&outcome.report);
    Ok(ExitCode::SUCCESS)
}

fn run(spec: &Spec, out: &Path) -> Result<ExitCode, Error> {
    if spec.experiment.is_some() {
        let plan = tasks::experiment_plan(spec)?;
        prepare_output_dir(out)?;
        let bar = progress_bar(plan.total_epochs() as usize, "epochs");
        let outcome = tasks::experiment(spec, &plan, &|e| bar.inc(e));
        bar.finish_and_clear();
        return finish(outcome?, out);
    }
    prepare_output_dir(out)?;
    let (_, outcome) = tasks::run(spec)?;
    finish(outcome, out)
}

fn portrait(spec: &Spec, out: &Path) -> Result<ExitCode, Error> {
    prepare_output_dir(out)?;
    let outcome = tasks::portrait(spec)?;
    finish(outcome, out)
}

fn verify(quick: bool, json: Option<&Path>) -> Result<ExitCode, Error> {
    if let Some(p) = json {
        check_json_target(p)?;
    }
    let outcome = tasks::verify(quick);
    if let Some(p) = json {
        write_atomic(p, &starvation::result::to_json_bytes(&outcome.document()))?;
    }
    say(&outcome.report());
    if let Some(p) = json {
        say(&format!("wrote {}\n", p.display()));
    }
    Ok(if outcome.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn progress_bar(total: usize, unit: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} · {{per_sec}} · {{eta}} left"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn sweep(spec: &Spec, out: &Path, shard: Option<&str>, serial: bool) -> Result<ExitCode, Error> {
    let task = SweepTask::new(spec)?;
    let shard = match shard {
        Some(text) => Some(
            starvation::sweep::shard::parse_shard(text)
                .map_err(|m| InputError::new("--shard", m))?,
        ),
        None => None,
    };
    task.check_run_size(shard)?;
    prepare_output_dir(out)?;
    let start = std::time::Instant::now();
    let Some((k, n)) = shard else {
        let bar = progress_bar(task.plan.cells(), "cells");
        let result = task.run(!serial, &|c| bar.inc(c as u64));
        bar.finish_and_clear();
        let computed = start.elapsed().as_secs_f64();
        finish(task.outputs(&result)?, out)?;
        say(&format!(
            "computed in {computed:.2} s, total {:.2} s ({:.0} cells/s)\n",
            start.elapsed().as_secs_f64(),
            task.plan.cells() as f64 / computed.max(1e-9)
        ));
        return Ok(ExitCode::SUCCESS);
    };
    let file = out.join(starvation::sweep::shard::shard_file_name(&spec.name, k, n));
    if std::fs::read_to_string(&file).is_ok_and(|t| task.shard_is_done(k, n, &t)) {
        say(&format!(
            "shard {k}/{n} of {} is already done ({}); skipping\n",
            spec.name,
            file.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let range = task.shard_range(k, n);
    let cells = range.len() * task.plan.line_length();
    let bar = progress_bar(cells, "cells");
    let shard_file = task.run_shard(k, n, !serial, &|c| bar.inc(c as u64));
    bar.finish_and_clear();
    write_atomic(
        &file,
        &serde_json::to_vec(&shard_file).map_err(io_error(&file))?,
    )?;
    say(&format!(
        "shard {k}/{n}: lines {}..{} ({cells} cells) in {:.2} s → {}\n",
        range.start,
        range.end,
        start.elapsed().as_secs_f64(),
        file.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn io_error(path: &Path) -> impl Fn(serde_json::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn merge(spec: &Spec, out: &Path) -> Result<ExitCode, Error> {
    let task = SweepTask::new(spec)?;
    task.check_run_size(None)?;
    let shards = tasks::read_shards(out, &spec.name)?;
    let count = shards.len();
    let result = task.merge(shards)?;
    finish(task.outputs(&result)?, out)?;
    say(&format!("merged {count} shards of {}\n", spec.name));
    Ok(ExitCode::SUCCESS)
}

fn bench(
    part: &str,
    side: usize,
    peers: Option<&Path>,
    json: Option<&Path>,
) -> Result<ExitCode, Error> {
    use tasks::bench::{BenchPart, bench, read_peers};
    let part = BenchPart::parse(part)?;
    let peers = peers.map(read_peers).transpose()?;
    if let Some(p) = json {
        check_json_target(p)?;
    }
    let outcome = bench(part, side, peers.as_ref())?;
    if let Some(p) = json {
        write_atomic(p, &starvation::result::to_json_bytes(&outcome.document))?;
    }
    say(&outcome.report);
    Ok(ExitCode::SUCCESS)
}

fn figures(dir: &Path, out: &Path) -> Result<ExitCode, Error> {
    let specs = tasks::figure_specs(dir)?;
    for (path, spec, _) in &specs {
        refuse_overwriting_spec(path, spec, out)?;
    }
    prepare_output_dir(out)?;
    for (path, spec, kind) in &specs {
        say(&format!("── {}\n", path.display()));
        match kind {
            FigureSpecKind::Sweep => sweep(spec, out, None, false)?,
            FigureSpecKind::Portrait => portrait(spec, out)?,
            FigureSpecKind::Run | FigureSpecKind::Experiment => run(spec, out)?,
        };
    }
    say(&format!(
        "{} figure specs regenerated into {}\n",
        specs.len(),
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// A `--json FILE` target must be a file path in a writable folder (checked before any work).
fn check_json_target(p: &Path) -> Result<(), InputError> {
    if p.is_dir() {
        return Err(InputError::new(
            "--json",
            format!(
                "{} is a folder; give a file name such as out/table.json",
                p.display()
            ),
        ));
    }
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        prepare_output_dir(dir).map_err(|e| InputError::new("--json", e.message))?;
    }
    Ok(())
}

/// Refuses, before any work, an output folder where one of the files a command may write for
/// `spec` (`NAME.run.json`, `NAME.sweep.csv`, a figure, a shard …) is the spec file itself.
fn refuse_overwriting_spec(spec_path: &Path, spec: &Spec, out: &Path) -> Result<(), InputError> {
    let (Ok(spec_file), Ok(folder)) = (spec_path.canonicalize(), out.canonicalize()) else {
        return Ok(());
    };
    if spec_file.parent() != Some(folder.as_path()) {
        return Ok(());
    }
    let file = spec_file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = &spec.name;
    const SUFFIXES: [&str; 7] = [
        ".run.json",
        ".run.csv",
        ".equilibrium.json",
        ".sweep.json",
        ".sweep.csv",
        ".thresholds.csv",
        ".levels.csv",
    ];
    let ours = file.ends_with(".data.json")
        || file
            .strip_prefix(name.as_str())
            .is_some_and(|rest| SUFFIXES.contains(&rest) || rest.starts_with(".shard-"));
    SPEC_FILES
        .lock()
        .map(|mut v| v.push(spec_file.clone()))
        .ok();
    if ours {
        return Err(InputError::new(
            "--out",
            format!(
                "{} holds the spec {file}, which has the name of an output of spec {name:?} and would overwrite it; write into another folder (--out out)",
                out.display()
            ),
        ));
    }
    Ok(())
}
