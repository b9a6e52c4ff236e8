//! The `starvation` command line: parse arguments, call the library, report.
//! Exit status: 0 success, 1 a numerical failure or a failed check, 2 bad input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use starvation::error::{Error, InputError};
use starvation::result::{runs_csv, runs_document, to_json_bytes};
use starvation::spec::{Spec, prepare_output_dir, read_spec, write_atomic};

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
    /// Run a spec and write its results (JSON + CSV) into the output folder.
    Run {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Validate a spec without running it.
    Check {
        /// Path of the JSON spec.
        spec: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(Error::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Run { spec, out } => run(&spec, &out),
        Command::Check { spec } => check(&spec),
    }
}

fn load(path: &Path) -> Result<Spec, InputError> {
    read_spec(path)
}

fn check(path: &Path) -> Result<ExitCode, Error> {
    let spec = load(path)?;
    let runs = spec.expand_runs()?;
    for r in &runs {
        r.check()?;
    }
    println!(
        "{}: valid ({} run{})",
        spec.name,
        runs.len(),
        if runs.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

fn run(path: &Path, out: &Path) -> Result<ExitCode, Error> {
    let spec = load(path)?;
    let runs = spec.expand_runs()?;
    for r in &runs {
        r.check()?;
    }
    prepare_output_dir(out)?;
    let start = Instant::now();
    let mut results = Vec::with_capacity(runs.len());
    for r in runs {
        let tr = r.simulate().map_err(|e| match e {
            Error::Solve(s) => Error::Solve(starvation::error::SolveError::Backend {
                method: r.label.clone(),
                message: s.to_string(),
            }),
            other => other,
        })?;
        results.push((r, tr));
    }
    let wall = start.elapsed().as_secs_f64();
    let doc = runs_document(&spec, &results, wall);
    let json_path = out.join(format!("{}.json", spec.name));
    let csv_path = out.join(format!("{}.csv", spec.name));
    write_atomic(&json_path, &to_json_bytes(&doc))?;
    write_atomic(&csv_path, runs_csv(&results).as_bytes())?;
    for (r, tr) in &results {
        let z: Vec<String> = tr
            .final_responses()
            .iter()
            .map(|v| format!("{v:.6}"))
            .collect();
        println!(
            "{:<24} {:>7} {:>6}  t = {:<10} z = [{}]  ({} field evaluations, {})",
            r.label,
            tr.method.name(),
            tr.space.name(),
            format!("{:.6}", tr.final_time()),
            z.join(", "),
            tr.stats.field_evaluations,
            tr.stop.name()
        );
    }
    println!(
        "wrote {} and {} ({wall:.3} s)",
        json_path.display(),
        csv_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
