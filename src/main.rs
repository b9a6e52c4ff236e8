//! The `starvation` command line: parse arguments, call a task of the library, write its files,
//! report. Exit status: 0 success, 1 a numerical failure or a failed check, 2 bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use starvation::error::Error;
use starvation::output::{
    SpecGuard, check_file_target, prepare_output_dir, write_atomic, write_files,
};
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

/// Reads a spec whose outputs go to `out`, refusing an `out` where one would replace it.
fn read_for(path: &Path, out: &Path, guard: &mut SpecGuard) -> Result<Spec, Error> {
    let spec = read_spec(path)?;
    guard.protect(path, &spec.name, &starvation::spec::suffix::ALL, out)?;
    Ok(spec)
}

fn dispatch(command: Command) -> Result<ExitCode, Error> {
    let mut guard = SpecGuard::new();
    let guard = &mut guard;
    match command {
        Command::Run { spec, out } => run(&read_for(&spec, &out, guard)?, &out, guard),
        Command::Check { spec } => {
            let summary = tasks::check(&read_spec(&spec)?)?;
            say(&format!("{summary}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures { specs, out } => figures(&specs, &out, guard),
        Command::Sweep {
            spec,
            out,
            shard,
            serial,
        } => sweep(
            &read_for(&spec, &out, guard)?,
            &out,
            shard.as_deref(),
            serial,
            guard,
        ),
        Command::Merge { spec, out } => merge(&read_for(&spec, &out, guard)?, &out, guard),
        Command::Portrait { spec, out } => portrait(&read_for(&spec, &out, guard)?, &out, guard),
        Command::Equilibrium { spec, out } => {
            let parsed = read_for(&spec, &out, guard)?;
            prepare_output_dir(&out)?;
            let (_, outcome) = tasks::equilibrium(&parsed)?;
            finish(outcome, &out, guard)
        }
        Command::Verify { quick, spec, json } => verify(quick, spec.as_deref(), json.as_deref()),
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

/// Writes a task's files into `out` (prepared before the work) as one set, then prints its
/// report. A file that would replace a spec read by this command is refused before anything is
/// written.
fn finish(outcome: Outcome<'_>, out: &Path, guard: &SpecGuard) -> Result<ExitCode, Error> {
    guard.check(out, outcome.files.iter().map(|f| f.name.as_str()))?;
    write_files(out, outcome.files)?;
    say(&outcome.report);
    Ok(ExitCode::SUCCESS)
}

fn run(spec: &Spec, out: &Path, guard: &SpecGuard) -> Result<ExitCode, Error> {
    if spec.experiment.is_some() {
        let plan = tasks::experiment_plan(spec)?;
        prepare_output_dir(out)?;
        let bar = progress_bar(plan.total_epochs() as usize, "epochs");
        let outcome = tasks::experiment(spec, &plan, &|e| bar.inc(e));
        bar.finish_and_clear();
        return finish(outcome?, out, guard);
    }
    prepare_output_dir(out)?;
    let (_, outcome) = tasks::run(spec)?;
    finish(outcome, out, guard)
}

fn portrait(spec: &Spec, out: &Path, guard: &SpecGuard) -> Result<ExitCode, Error> {
    prepare_output_dir(out)?;
    let outcome = tasks::portrait(spec)?;
    finish(outcome, out, guard)
}

/// `verify` (the paper's claims) or `verify --spec` (the checks that apply to a spec's models).
fn verify(quick: bool, spec: Option<&Path>, json: Option<&Path>) -> Result<ExitCode, Error> {
    use starvation::result::to_json_bytes;
    let spec = spec.map(read_spec).transpose()?;
    if let Some(s) = &spec {
        s.expand_models()?; // every model valid before anything is created
    }
    if let Some(p) = json {
        check_file_target(p, "--json")?;
    }
    let (report, failed, document) = match &spec {
        None => {
            let o = tasks::verify(quick);
            (o.report(), o.failed(), to_json_bytes(&o.document()))
        }
        Some(s) => {
            let o = tasks::verify_spec(s)?;
            (o.report(), o.failed(), to_json_bytes(&o.document(s)))
        }
    };
    if let Some(p) = json {
        write_atomic(p, &document)?;
    }
    say(&report);
    if let Some(p) = json {
        say(&format!("wrote {}\n", p.display()));
    }
    Ok(if failed == 0 {
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

fn sweep(
    spec: &Spec,
    out: &Path,
    shard: Option<&str>,
    serial: bool,
    guard: &SpecGuard,
) -> Result<ExitCode, Error> {
    let task = SweepTask::new(spec)?;
    let shard = task.shard_of(shard)?;
    prepare_output_dir(out)?;
    let bar = progress_bar(task.cells_to_compute(shard), "cells");
    let report = task.execute(out, shard, !serial, guard, &|c| bar.inc(c as u64));
    bar.finish_and_clear();
    say(&report?);
    Ok(ExitCode::SUCCESS)
}

fn merge(spec: &Spec, out: &Path, guard: &SpecGuard) -> Result<ExitCode, Error> {
    say(&SweepTask::new(spec)?.merge_in(out, guard)?);
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
        check_file_target(p, "--json")?;
    }
    let outcome = bench(part, side, peers.as_ref())?;
    if let Some(p) = json {
        write_atomic(p, &starvation::result::to_json_bytes(&outcome.document))?;
    }
    say(&outcome.report);
    Ok(ExitCode::SUCCESS)
}

fn figures(dir: &Path, out: &Path, guard: &mut SpecGuard) -> Result<ExitCode, Error> {
    let specs = tasks::figure_specs(dir)?;
    for (path, spec, _) in &specs {
        guard.protect(path, &spec.name, &starvation::spec::suffix::ALL, out)?;
    }
    let guard = &*guard;
    prepare_output_dir(out)?;
    for (path, spec, kind) in &specs {
        say(&format!("── {}\n", path.display()));
        match kind {
            FigureSpecKind::Sweep => sweep(spec, out, None, false, guard)?,
            FigureSpecKind::Portrait => portrait(spec, out, guard)?,
            FigureSpecKind::Run | FigureSpecKind::Experiment => run(spec, out, guard)?,
        };
    }
    say(&format!(
        "{} figure specs regenerated into {}\n",
        specs.len(),
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
