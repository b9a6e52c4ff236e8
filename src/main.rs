//! The `starvation` command line: parse arguments, call a task of the library, write its files,
//! report (the arguments are declared in `args.rs`). Exit status: 0 success, 1 a numerical
//! failure or a failed check, 2 bad input.

mod args;
mod bars;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use bars::Bars;
use starvation::error::{Error, InputError};
use starvation::output::{
    OutputFile, SpecGuard, check_file_target, prepare_output_dir, write_atomic, write_files,
};
use starvation::spec::{Spec, SpecKind, read_spec};
use starvation::tasks::{self, FigureSpecKind, Outcome, SweepTask};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: clap's first line (with the list it announces), without its usage block.
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("invalid arguments");
            let mut first = first.trim_start_matches("error: ").to_string();
            if first.ends_with(':')
                && let Some(next) = lines.next()
            {
                first = format!("{first} {next}");
            }
            complain(&format!("{first}; see `starvation --help`"));
            return ExitCode::from(2);
        }
    };
    // Figure formats, checked before any work.
    match starvation::output::parse_formats(&cli.formats) {
        Ok(formats) => starvation::output::set_figure_formats(formats),
        Err(e) => {
            complain(&e.to_string());
            return ExitCode::from(2);
        }
    }
    // Worker threads from the environment, checked before any work.
    match tasks::threads::configure_threads() {
        Ok(Some(note)) => complain_note(&note),
        Ok(None) => {}
        Err(e) => {
            complain(&e.to_string());
            return ExitCode::from(2);
        }
    }
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
    bars::suspended(|| {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    });
}

/// Prints an error line on standard error (ignored if that is closed too).
fn complain(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {text}");
}

/// Prints a note (not an error) on standard error.
fn complain_note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
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
        Command::Run {
            spec,
            out,
            data_dir,
            shard,
        } => {
            let mut spec = read_for(&spec, &out, guard)?;
            spec.data_dirs = data_dir;
            match shard {
                Some(shard) => run_image_shard(&spec, &out, &shard, guard),
                None => run(&spec, &out, guard),
            }
        }
        Command::Check { spec, data_dir } => {
            let mut spec = read_spec(&spec)?;
            spec.data_dirs = data_dir;
            let summary = tasks::check(&spec)?;
            say(&format!("{summary}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures { specs, out } => figures(&specs, &out, guard),
        Command::Schema {
            kind,
            markdown,
            out,
        } => schema(&kind, markdown, out.as_deref()),
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
            tasks::equilibrium_plan(&parsed)?;
            prepare_output_dir(&out)?;
            let (_, outcome) = tasks::equilibrium(&parsed)?;
            finish(outcome, &out, guard)
        }
        Command::Verify { quick, spec, json } => verify(quick, spec.as_deref(), json.as_deref()),
        #[cfg(feature = "explore")]
        Command::Explore {
            spec,
            port,
            query,
            screenshot,
        } => match screenshot {
            Some(file) => {
                let bytes =
                    starvation::explore::screenshot(spec.as_deref(), query.as_deref(), &file)?;
                starvation::output::write_atomic(&file, &bytes)?;
                println!("starvation explore: wrote {}", file.display());
                Ok(ExitCode::SUCCESS)
            }
            None => starvation::explore::serve(spec.as_deref(), query.as_deref(), port)
                .map(|()| ExitCode::SUCCESS),
        },
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
    if spec.is_image_experiment() {
        let plan = spec.image_plan()?;
        starvation::figures::image_output_names(spec)?;
        prepare_output_dir(out)?;
        let bars = Bars::with_total(
            &format!("{} (every method and restart)", spec.name),
            plan.total_steps(),
            "steps",
        );
        let outcome = tasks::image_experiment(spec, &plan, &bars);
        drop(bars);
        return finish(outcome?, out, guard);
    }
    if spec.kind() == SpecKind::Experiment {
        let plan = tasks::experiment_plan(spec)?;
        prepare_output_dir(out)?;
        let bars = Bars::with_total(
            &format!("{} (every setting and seed)", spec.name),
            plan.total_epochs(),
            "epochs",
        );
        let outcome = tasks::experiment(spec, &plan, &bars);
        drop(bars);
        return finish(outcome?, out, guard);
    }
    prepare_output_dir(out)?;
    let (_, outcome) = tasks::run_with_progress(spec, &Bars::new())?;
    finish(outcome, out, guard)
}

/// `schema`: the JSON Schema of spec files (or its reference page), printed or written.
fn schema(kind: &str, markdown: bool, out: Option<&Path>) -> Result<ExitCode, Error> {
    use starvation::schema::{KINDS, reference_markdown, schema_text, spec_schema};
    let document = spec_schema(Some(kind)).ok_or_else(|| {
        let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
        InputError::new(
            "--kind",
            format!("unknown kind {kind:?}; use {} or all", names.join(", ")),
        )
    })?;
    let text = schema_text(&document);
    let page = reference_markdown(&document);
    match out {
        None => say(if markdown { &page } else { &text }),
        Some(dir) => {
            let (json_name, page_name) = if kind == "all" {
                (
                    "spec.schema.json".to_string(),
                    "spec-reference.md".to_string(),
                )
            } else {
                (
                    format!("spec.{kind}.schema.json"),
                    format!("spec-reference.{kind}.md"),
                )
            };
            prepare_output_dir(dir)?;
            let files = vec![
                OutputFile::bytes(json_name.clone(), text.into_bytes()),
                OutputFile::bytes(page_name.clone(), page.into_bytes()),
            ];
            write_files(dir, files)?;
            say(&format!(
                "wrote {} and {}\n",
                dir.join(json_name).display(),
                dir.join(page_name).display()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
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
    let report = task.execute(out, shard, !serial, guard, &Bars::new());
    say(&report?);
    Ok(ExitCode::SUCCESS)
}

fn merge(spec: &Spec, out: &Path, guard: &SpecGuard) -> Result<ExitCode, Error> {
    if spec.is_image_experiment() {
        let plan = spec.image_plan()?;
        starvation::figures::image_output_names(spec)?;
        let outcome = tasks::image_merge(spec, &plan, out)?;
        return finish(outcome, out, guard);
    }
    say(&SweepTask::new(spec)?.merge_in(out, guard, &Bars::new())?);
    Ok(ExitCode::SUCCESS)
}

/// `run --shard k/N`: image experiments only (sweeps shard with `sweep --shard`).
fn run_image_shard(
    spec: &Spec,
    out: &Path,
    shard: &str,
    guard: &SpecGuard,
) -> Result<ExitCode, Error> {
    if !spec.is_image_experiment() {
        return Err(InputError::new(
            "--shard",
            "shards image experiments (and sweeps, with `starvation sweep --shard`); this spec is neither: drop --shard",
        )
        .into());
    }
    let shard =
        starvation::sweep::shard::parse_shard(shard).map_err(|m| InputError::new("--shard", m))?;
    let plan = spec.image_plan()?;
    tasks::check_image_shard(&plan, shard)?;
    prepare_output_dir(out)?;
    let units = tasks::units_of_shard(&plan, Some(shard));
    let steps: u64 = units
        .iter()
        .map(|&(_, m)| plan.methods[m].steps as u64)
        .sum();
    let bars = Bars::with_total(
        &format!("{} shard {}/{}", spec.name, shard.0, shard.1),
        steps,
        "steps",
    );
    let outcome = tasks::image_shard(spec, &plan, shard, out, &bars);
    drop(bars);
    finish(outcome?, out, guard)
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
    let top = bars::display().bar("figure specs", specs.len() as u64, "specs");
    for (path, spec, kind) in &specs {
        say(&format!("── {}\n", path.display()));
        let done = match kind {
            FigureSpecKind::Sweep => sweep(spec, out, None, false, guard),
            FigureSpecKind::Portrait => portrait(spec, out, guard),
            FigureSpecKind::Run | FigureSpecKind::Experiment => run(spec, out, guard),
            FigureSpecKind::Equilibrium => {
                let (_, outcome) = tasks::equilibrium(spec)?;
                finish(outcome, out, guard)
            }
        };
        if done.is_err() {
            bars::display().remove(&top);
        }
        done?;
        top.inc(1);
    }
    bars::display().remove(&top);
    say(&format!(
        "{} figure specs regenerated into {}\n",
        specs.len(),
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
