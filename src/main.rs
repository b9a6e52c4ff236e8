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
    /// Draw the phase portraits of a spec's `portrait` section (PNG, SVG and data JSON).
    Portrait {
        /// Path of the JSON spec.
        spec: PathBuf,
        /// Output folder (created if missing).
        #[arg(long, default_value = "plots")]
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
    /// with `plots`) into the output folder.
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
    /// The standard benchmark of docs/architecture.md (trajectories and equilibria on the s₁ × δ
    /// grid), single- and multi-threaded, with ratios to the peers' figures if given.
    Bench {
        /// Which part: "trajectories", "equilibria", "sweep" (simulations/bench_sweep.json, 2^20
        /// cells written to a temporary folder) or "all".
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
        Command::Figures { specs, out } => figures(&specs, &out),
        Command::Sweep {
            spec,
            out,
            shard,
            serial,
        } => sweep(&spec, &out, shard.as_deref(), serial),
        Command::Merge { spec, out } => merge(&spec, &out),
        Command::Portrait { spec, out } => portrait(&spec, &out),
        Command::Equilibrium { spec, out } => equilibrium(&spec, &out),
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

fn load(path: &Path) -> Result<Spec, InputError> {
    read_spec(path)
}

fn check(path: &Path) -> Result<ExitCode, Error> {
    let spec = load(path)?;
    starvation::figures::check_sections(&spec)?;
    let mut parts = Vec::new();
    if spec.sweep.is_some() {
        let (plan, _) = sweep_plan(&spec)?;
        parts.push(format!(
            "a sweep of {} cells in {} lines",
            plan.cells(),
            plan.lines()
        ));
    }
    if spec.simulation.is_some() {
        let runs = spec.expand_runs()?;
        for r in &runs {
            r.check()?;
        }
        parts.push(format!(
            "{} run{}",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" }
        ));
    }
    if spec.equilibrium.is_some()
        || (spec.simulation.is_none() && spec.sweep.is_none() && spec.portrait.is_none())
    {
        let settings = spec.equilibrium_section()?;
        let models = spec.expand_models()?;
        for (_, _, m) in &models {
            settings.check_model(m)?;
        }
        parts.push(format!(
            "{} equilibrium model{}",
            models.len(),
            if models.len() == 1 { "" } else { "s" }
        ));
    }
    if spec.portrait.is_some() {
        parts.push("a portrait section".into());
    }
    println!("{}: valid ({})", spec.name, parts.join(", "));
    Ok(ExitCode::SUCCESS)
}

fn run(path: &Path, out: &Path) -> Result<ExitCode, Error> {
    let spec = load(path)?;
    starvation::figures::check_sections(&spec)?;
    let runs = spec.expand_runs()?;
    for r in &runs {
        r.check()?;
    }
    prepare_output_dir(out)?;
    let start = Instant::now();
    let mut results = Vec::with_capacity(runs.len());
    let mut seconds = Vec::with_capacity(runs.len());
    for r in runs {
        let t0 = Instant::now();
        let tr = r.simulate().map_err(|e| match e {
            Error::Solve(s) => Error::Solve(starvation::error::SolveError::Backend {
                method: r.label.clone(),
                message: s.to_string(),
            }),
            other => other,
        })?;
        seconds.push(t0.elapsed().as_secs_f64());
        results.push((r, tr));
    }
    let figures = starvation::figures::run_figures(&spec, &results)?;
    let wall = start.elapsed().as_secs_f64();
    let doc = runs_document(&spec, &results, &seconds, wall);
    let json_path = out.join(format!("{}.json", spec.name));
    let csv_path = out.join(format!("{}.csv", spec.name));
    write_atomic(&json_path, &to_json_bytes(&doc))?;
    write_atomic(&csv_path, runs_csv(&results).as_bytes())?;
    for ((r, tr), sec) in results.iter().zip(&seconds) {
        let z: Vec<String> = tr
            .final_responses()
            .iter()
            .map(|v| format!("{v:.6}"))
            .collect();
        println!(
            "{:<24} {:>7} {:>6}  t = {:<10} z = [{}]  ({} field evaluations, {:.1} µs, {})",
            r.label,
            tr.method.name(),
            tr.space.name(),
            format!("{:.6}", tr.final_time()),
            z.join(", "),
            tr.stats.field_evaluations,
            1e6 * sec,
            tr.stop.name()
        );
    }
    println!(
        "wrote {} and {} ({wall:.3} s)",
        json_path.display(),
        csv_path.display()
    );
    write_figures(&figures, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes each figure as PNG, SVG and its plotted data as JSON.
fn write_figures(figures: &[starvation::figures::FigureOutput], out: &Path) -> Result<(), Error> {
    for f in figures {
        for ext in ["png", "svg"] {
            let path = out.join(format!("{}.{ext}", f.stem));
            starvation::plot::save(&f.figure, &path)?;
        }
        let data = out.join(format!("{}.data.json", f.stem));
        write_atomic(&data, &to_json_bytes(&f.data))?;
        println!(
            "drew {}.{{png,svg}} and {}",
            out.join(&f.stem).display(),
            data.display()
        );
    }
    Ok(())
}

fn portrait(path: &Path, out: &Path) -> Result<ExitCode, Error> {
    let spec = load(path)?;
    if spec.portrait.is_none() {
        return Err(InputError::new(
            "portrait",
            "is missing; this command draws a spec's `portrait` section",
        )
        .into());
    }
    let figures = starvation::figures::portrait_figures(&spec)?;
    prepare_output_dir(out)?;
    write_figures(&figures, out)?;
    Ok(ExitCode::SUCCESS)
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.10}")).collect();
    format!("[{}]", parts.join(", "))
}

fn equilibrium(path: &Path, out: &Path) -> Result<ExitCode, Error> {
    use starvation::equilibrium::{continuation, report::analyse};
    use starvation::result::{EquilibriumEntry, equilibrium_document};
    let spec = load(path)?;
    let settings = spec.equilibrium_section()?;
    let models = spec.expand_models()?;
    for (_, _, m) in &models {
        settings.check_model(m)?;
    }
    prepare_output_dir(out)?;
    let start = Instant::now();
    let mut entries = Vec::new();
    for (label, parameters, model) in models {
        let report =
            analyse(&model, settings.start.as_deref(), &settings.options).map_err(|e| {
                Error::Solve(starvation::error::SolveError::Backend {
                    method: label.clone(),
                    message: e.to_string(),
                })
            })?;
        let branch = match &settings.continuation {
            Some((parameter, values)) => Some((
                parameter.name(),
                continuation(&model, *parameter, values, &settings.options)?,
            )),
            None => None,
        };
        entries.push(EquilibriumEntry {
            label,
            parameters,
            model,
            report,
            branch,
        });
    }
    let wall = start.elapsed().as_secs_f64();
    for e in &entries {
        let r = &e.report;
        let eq = &r.equilibrium;
        println!("── {} ─────────────────────────────", e.label);
        println!("  z*            {}", fmt_vec(&eq.point));
        println!("  margins a*    {}", fmt_vec(&eq.margins));
        let ev: Vec<String> = eq
            .eigenvalues
            .iter()
            .map(|(re, im)| {
                if *im == 0.0 {
                    format!("{re:.6e}")
                } else {
                    format!("{re:.6e}{im:+.2e}i")
                }
            })
            .collect();
        println!(
            "  eigenvalues   [{}]  → {}",
            ev.join(", "),
            eq.stability.name()
        );
        println!(
            "  residual      {:.2e} after {} Newton iterations",
            eq.residual, eq.iterations
        );
        if let Some(z0) = &r.uncoupled {
            println!("  uncoupled z⁰  {}", fmt_vec(z0));
            let ratio: Vec<f64> = eq.point.iter().zip(z0).map(|(a, b)| a / b).collect();
            println!("  z*/z⁰         {}", fmt_vec(&ratio));
        }
        let m = &r.sensitivities.starvation_matrix;
        println!("  starvation matrix M_ji = ∂z_j*/∂(s_i²):");
        for j in 0..m.nrows() {
            let row: Vec<String> = (0..m.ncols())
                .map(|i| format!("{:>14.6e}", m[(j, i)]))
                .collect();
            println!("    z{:<3} {}", j + 1, row.join(" "));
        }
        println!("  ∂z*/∂λ        {}", fmt_vec(&r.sensitivities.lambda));
        if let (Some(d), Some(dd)) = (r.delta, &r.delta_sensitivity) {
            println!("  ∂z*/∂δ (δ = {d})  {}", fmt_vec(dd));
        }
        if !r.closed_forms.is_empty() {
            println!("  closed forms:");
            println!(
                "    {:<34} {:<30} {:>16} {:>16} {:>10}",
                "quantity", "source", "exact", "closed form", "rel. err"
            );
            for c in &r.closed_forms {
                println!(
                    "    {:<34} {:<30} {:>16.10} {:>16.10} {:>10.2e}",
                    c.name, c.source, c.exact, c.closed_form, c.relative_error
                );
            }
        }
        if let Some((name, points)) = &e.branch {
            println!(
                "  continuation in {name}: {} points, z* from {} to {}",
                points.len(),
                fmt_vec(
                    &points
                        .first()
                        .map(|p| p.equilibrium.point.clone())
                        .unwrap_or_default()
                ),
                fmt_vec(
                    &points
                        .last()
                        .map(|p| p.equilibrium.point.clone())
                        .unwrap_or_default()
                )
            );
        }
    }
    let doc = equilibrium_document(&spec, &entries, wall);
    let path = out.join(format!("{}.json", spec.name));
    write_atomic(&path, &to_json_bytes(&doc))?;
    println!("wrote {} ({wall:.3} s)", path.display());
    Ok(ExitCode::SUCCESS)
}

fn verify(quick: bool, json: Option<&Path>) -> Result<ExitCode, Error> {
    if let Some(p) = json {
        check_json_target(p)?;
    }
    let start = Instant::now();
    let results = starvation::verify::run_all(quick);
    let wall = start.elapsed().as_secs_f64();
    println!("{:>3}  {:<46} {:<44} result", "#", "claim", "source");
    for r in &results {
        println!(
            "{:>3}  {:<46} {:<44} {}",
            r.id,
            r.name,
            r.source,
            if r.passed { "PASS" } else { "FAIL" }
        );
        println!("       claim:     {}", r.claim);
        println!("       tolerance: {}", r.tolerance);
        println!("       measured:  {}", r.measured);
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    println!(
        "{} of {} checks passed ({wall:.2} s{})",
        results.len() - failed,
        results.len(),
        if quick { ", quick" } else { "" }
    );
    if let Some(p) = json {
        let mut prov = starvation::spec::provenance_base();
        prov.insert("quick".into(), serde_json::json!(quick));
        prov.insert("wall_time_seconds".into(), serde_json::json!(wall));
        let doc = serde_json::json!({
            "data": { "checks": results.iter().map(|r| r.to_json()).collect::<Vec<_>>() },
            "provenance": prov,
        });
        write_atomic(p, &to_json_bytes(&doc))?;
        println!("wrote {}", p.display());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn sweep_plan(
    spec: &Spec,
) -> Result<(starvation::sweep::SweepPlan, Vec<serde_json::Value>), Error> {
    let plan = starvation::sweep::SweepPlan::from_spec(spec)?;
    let plots: Vec<serde_json::Value> = spec
        .sweep
        .as_ref()
        .and_then(|s| s.get("plots"))
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    // Validate the figure specs before any work.
    starvation::sweep::plots::sweep_figures(
        &spec.name,
        &plots,
        &plan,
        &starvation::sweep::SweepResult { lines: Vec::new() },
    )?;
    Ok((plan, plots))
}

fn write_sweep_outputs(
    spec: &Spec,
    plan: &starvation::sweep::SweepPlan,
    plots: &[serde_json::Value],
    result: &starvation::sweep::SweepResult,
    out: &Path,
) -> Result<(), Error> {
    use starvation::result::{sweep_document, write_sweep_csv, write_thresholds_csv};
    use starvation::spec::write_atomic_with;
    let figures = starvation::sweep::plots::sweep_figures(&spec.name, plots, plan, result)?;
    write_atomic_with(&out.join(format!("{}.csv", spec.name)), |w| {
        write_sweep_csv(plan, result, w)
    })?;
    write_atomic_with(&out.join(format!("{}.thresholds.csv", spec.name)), |w| {
        write_thresholds_csv(plan, result, w)
    })?;
    let doc = sweep_document(spec, plan, result);
    write_atomic(
        &out.join(format!("{}.json", spec.name)),
        &to_json_bytes(&doc),
    )?;
    write_figures(&figures, out)?;
    let s = starvation::sweep::summary(result);
    println!(
        "{}: {} cells ({} failed), {} thresholds found; wrote {}.{{json,csv,thresholds.csv}} in {}",
        spec.name,
        s["cells"],
        s["failed_cells"],
        s["thresholds_found"],
        spec.name,
        out.display()
    );
    Ok(())
}

fn progress_bar(total: usize) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} cells · {per_sec} · {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn sweep(path: &Path, out: &Path, shard: Option<&str>, serial: bool) -> Result<ExitCode, Error> {
    use starvation::sweep::{run_lines, shard as sh, shard_range};
    let spec = load(path)?;
    let (plan, plots) = sweep_plan(&spec)?;
    let shard = match shard {
        Some(text) => Some(sh::parse_shard(text).map_err(|m| InputError::new("--shard", m))?),
        None => None,
    };
    prepare_output_dir(out)?;
    let lines = plan.lines();
    let start = Instant::now();
    match shard {
        Some((k, n)) => {
            let range = shard_range(lines, k - 1, n);
            let file = out.join(sh::shard_file_name(&spec.name, k, n));
            let hash = sh::spec_hash(&spec);
            if let Some(done) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| sh::parse_shard_document(&v))
                && done.hash == hash
                && done.lines == range
            {
                println!(
                    "shard {k}/{n} of {} is already done ({}); skipping",
                    spec.name,
                    file.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let cells = (range.end - range.start) * plan.line_length();
            let bar = progress_bar(cells);
            let result = run_lines(&plan, range.clone(), !serial, &|c| bar.inc(c as u64));
            bar.finish_and_clear();
            let doc = sh::shard_document(&hash, k, n, range.clone(), &result);
            write_atomic(&file, &serde_json::to_vec(&doc).unwrap_or_default())?;
            println!(
                "shard {k}/{n}: lines {}..{} ({cells} cells) in {:.2} s → {}",
                range.start,
                range.end,
                start.elapsed().as_secs_f64(),
                file.display()
            );
        }
        None => {
            let bar = progress_bar(plan.cells());
            let result = run_lines(&plan, 0..lines, !serial, &|c| bar.inc(c as u64));
            bar.finish_and_clear();
            let computed = start.elapsed().as_secs_f64();
            write_sweep_outputs(&spec, &plan, &plots, &result, out)?;
            println!(
                "computed in {computed:.2} s, total {:.2} s ({:.0} cells/s)",
                start.elapsed().as_secs_f64(),
                plan.cells() as f64 / computed.max(1e-9)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(path: &Path, out: &Path) -> Result<ExitCode, Error> {
    use starvation::sweep::shard as sh;
    let spec = load(path)?;
    let (plan, plots) = sweep_plan(&spec)?;
    let prefix = format!("{}.shard-", spec.name);
    let entries = std::fs::read_dir(out)
        .map_err(|e| InputError::new("--out", format!("cannot read {}: {e}", out.display())))?;
    let mut shards = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(&prefix) && name.ends_with(".json")) {
            continue;
        }
        let parsed = std::fs::read_to_string(entry.path())
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| sh::parse_shard_document(&v));
        match parsed {
            Some(s) => shards.push(s),
            None => {
                return Err(InputError::new(
                    "--out",
                    format!("{name} is not a complete shard file; rerun that shard"),
                )
                .into());
            }
        }
    }
    let count = shards.len();
    let result = sh::merge_shards(shards, &sh::spec_hash(&spec), plan.lines())
        .map_err(|m| InputError::new("--out", m))?;
    println!("merged {count} shards of {}", spec.name);
    write_sweep_outputs(&spec, &plan, &plots, &result, out)?;
    Ok(ExitCode::SUCCESS)
}

fn bench(
    part: &str,
    side: usize,
    peers: Option<&Path>,
    json: Option<&Path>,
) -> Result<ExitCode, Error> {
    use starvation::bench::{Grid, Peers, Timing, equilibria, trajectories};
    if !["trajectories", "equilibria", "sweep", "all"].contains(&part) {
        return Err(InputError::new("PART", format!("unknown benchmark {part:?}; use \"trajectories\", \"equilibria\", \"sweep\" or \"all\"")).into());
    }
    if side < 2 {
        return Err(InputError::new("--side", "must be ≥ 2").into());
    }
    let peers = match peers {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                InputError::new("--peers", format!("cannot read {}: {e}", p.display()))
            })?;
            let raw: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                InputError::new(
                    "--peers",
                    format!("{} is not the JSON of run-peers.sh: {e}", p.display()),
                )
            })?;
            Some(Peers { raw })
        }
        None => None,
    };
    if let Some(p) = json {
        check_json_target(p)?;
    }
    let grid = Grid { side };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut rows: Vec<(Timing, Option<(String, f64)>)> = Vec::new();
    let peer = |name: &str, value: Option<f64>| value.map(|v| (name.to_string(), v));
    if part == "trajectories" || part == "all" {
        for t_end in [250.0, 3000.0] {
            for threads in [1, cores] {
                let t = trajectories(grid, t_end, threads);
                let p = peers.as_ref().and_then(|p| {
                    peer(
                        "JAX/diffrax Tsit5 (vmapped, CPU)",
                        p.jax_micros("Tsit5", Some(t_end)),
                    )
                });
                rows.push((t, p));
            }
            if let Some(p) = peers.as_ref().and_then(|p| p.scipy_millis("DOP853", t_end)) {
                println!(
                    "SciPy solve_ivp DOP853 to t = {t_end}: {:.1} µs per trajectory",
                    1e3 * p
                );
            }
        }
    }
    if part == "equilibria" || part == "all" {
        for threads in [1, cores] {
            let t = equilibria(grid, threads);
            let p = peers.as_ref().and_then(|p| {
                peer(
                    "JAX Newton ×40 (vmapped, CPU)",
                    p.jax_micros("Newton", None),
                )
            });
            rows.push((t, p));
        }
    }
    if part == "sweep" || part == "all" {
        rows.push((bench_sweep(cores)?, None));
    }
    println!(
        "{:<34} {:>7} {:>9} {:>12}  {:<34} {:>10} {:>8}",
        "benchmark",
        "threads",
        "points",
        "µs / point",
        "peer on this machine",
        "peer µs",
        "speed-up"
    );
    for (t, p) in &rows {
        let (pname, pv, ratio) = match p {
            Some((n, v)) => (
                n.as_str(),
                format!("{v:.2}"),
                format!("{:.1}×", v / t.micros_per_point()),
            ),
            None => ("—", "—".into(), "—".into()),
        };
        println!(
            "{:<34} {:>7} {:>9} {:>12.4}  {:<34} {:>10} {:>8}",
            t.name,
            t.threads,
            t.points,
            t.micros_per_point(),
            pname,
            pv,
            ratio
        );
    }
    for (t, _) in &rows {
        println!(
            "  {} ({} threads): checksum {:.12e}, {}",
            t.name, t.threads, t.checksum, t.extra
        );
    }
    if let Some(p) = json {
        let mut prov = starvation::spec::provenance_base();
        prov.insert("cores".into(), serde_json::json!(cores));
        prov.insert(
            "peers".into(),
            peers
                .as_ref()
                .map(|p| p.raw.clone())
                .unwrap_or(serde_json::Value::Null),
        );
        let doc = serde_json::json!({
            "data": { "rows": rows.iter().map(|(t, p)| serde_json::json!({
                "benchmark": t.name, "threads": t.threads, "points": t.points,
                "seconds": t.seconds, "us_per_point": t.micros_per_point(), "checksum": t.checksum,
                "extra": t.extra, "peer": p.as_ref().map(|(n, v)| serde_json::json!({"name": n, "us_per_point": v})),
            })).collect::<Vec<_>>() },
            "provenance": prov,
        });
        write_atomic(p, &to_json_bytes(&doc))?;
        println!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn figures(dir: &Path, out: &Path) -> Result<ExitCode, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        InputError::new(
            "--specs",
            format!(
                "cannot read {}: {e}; give the folder of specs",
                dir.display()
            ),
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut drawn = 0;
    for path in paths {
        let spec = load(&path)
            .map_err(|e| InputError::new(format!("{}: {}", path.display(), e.field), e.message))?;
        let has_sweep_plots = spec
            .sweep
            .as_ref()
            .and_then(|s| s.get("plots"))
            .and_then(|p| p.as_array())
            .is_some_and(|p| !p.is_empty());
        if has_sweep_plots {
            println!("── {}", path.display());
            sweep(&path, out, None, false)?;
            drawn += 1;
        } else if spec.portrait.is_some() {
            println!("── {}", path.display());
            portrait(&path, out)?;
            drawn += 1;
        } else if spec.plot.is_some() {
            println!("── {}", path.display());
            run(&path, out)?;
            drawn += 1;
        }
    }
    println!("{drawn} figure specs regenerated into {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Peak resident memory of this process so far (Linux: VmHWM), in MiB.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The 2^20-cell sweep of simulations/bench_sweep.json, end to end (spec to files on disk).
fn bench_sweep(cores: usize) -> Result<starvation::bench::Timing, Error> {
    let spec_path = Path::new("simulations/bench_sweep.json");
    let out = std::env::temp_dir().join(format!("starvation-bench-sweep-{}", std::process::id()));
    let start = Instant::now();
    let spec = load(spec_path).map_err(|e| {
        InputError::new(
            format!("simulations/bench_sweep.json: {}", e.field),
            e.message,
        )
    })?;
    let (plan, plots) = sweep_plan(&spec)?;
    prepare_output_dir(&out)?;
    let result = starvation::sweep::run_lines(&plan, 0..plan.lines(), true, &|_| {});
    let computed = start.elapsed().as_secs_f64();
    write_sweep_outputs(&spec, &plan, &plots, &result, &out)?;
    let seconds = start.elapsed().as_secs_f64();
    let bytes: u64 = std::fs::read_dir(&out)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&out);
    let s = starvation::sweep::summary(&result);
    Ok(starvation::bench::Timing {
        name: "sweep 2^20 cells, end to end".into(),
        threads: cores,
        points: plan.cells(),
        seconds,
        checksum: result
            .lines
            .iter()
            .flat_map(|l| l.cells.iter())
            .map(|c| c.values.iter().filter(|v| v.is_finite()).sum::<f64>())
            .sum(),
        extra: serde_json::json!({
            "seconds_end_to_end": seconds,
            "seconds_computing": computed,
            "peak_memory_mib": peak_memory_mib(),
            "bytes_written": bytes,
            "thresholds_found": s["thresholds_found"],
            "failed_cells": s["failed_cells"],
        }),
    })
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
