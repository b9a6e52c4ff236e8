//! `run` (integrate every run of a spec, draw its `plot` section) and `portrait` (draw a spec's
//! `portrait` section).

use std::time::Instant;

use super::progress::{Progress, Silent};
use super::{Outcome, line};
use crate::error::{Error, InputError, SolveError};
use crate::output::OutputFile;
use crate::solve::Trajectory;
use crate::spec::{RunSpec, Spec, SpecKind};

/// The integrated runs of a spec.
pub struct RunOutcome {
    /// Each run with its trajectory and wall time in seconds.
    pub runs: Vec<(RunSpec, Trajectory, f64)>,
    /// Total wall time in seconds.
    pub wall_seconds: f64,
}

/// Integrates every run of `spec` (validated first) and returns the run document, the CSV
/// table and the figures of its `plot` section.
///
/// A spec with an `experiment` section trains its networks instead (see [`super::experiment`];
/// the returned [`RunOutcome`] then holds no runs).
pub fn run(spec: &Spec) -> Result<(RunOutcome, Outcome<'static>), Error> {
    run_with_progress(spec, &Silent)
}

/// [`run`], reporting its progress: one stage for the runs (in runs), or for an experiment one
/// per setting and seed (in epochs).
pub fn run_with_progress(
    spec: &Spec,
    progress: &dyn Progress,
) -> Result<(RunOutcome, Outcome<'static>), Error> {
    if spec.is_image_experiment() {
        let plan = spec.image_plan()?;
        let outcome = super::image_experiment(spec, &plan, progress)?;
        let runs = RunOutcome {
            runs: Vec::new(),
            wall_seconds: 0.0,
        };
        return Ok((runs, outcome));
    }
    if spec.kind() == SpecKind::Experiment {
        let plan = super::experiment_plan(spec)?;
        let outcome = super::experiment(spec, &plan, progress)?;
        let runs = RunOutcome {
            runs: Vec::new(),
            wall_seconds: 0.0,
        };
        return Ok((runs, outcome));
    }
    crate::figures::check_sections(spec)?;
    let runs = spec.expand_runs()?;
    for r in &runs {
        r.check()?;
    }
    crate::spec::check_runs_memory(&runs)?;
    let start = Instant::now();
    let mut results = Vec::with_capacity(runs.len());
    let mut seconds = Vec::with_capacity(runs.len());
    let meter = progress.stage(&spec.name, runs.len() as u64, "runs");
    for r in runs {
        let t0 = Instant::now();
        let tr = r.simulate().map_err(|e| match e {
            Error::Solve(s) => Error::Solve(SolveError::Backend {
                method: r.label.clone(),
                message: s.to_string(),
            }),
            other => other,
        })?;
        seconds.push(t0.elapsed().as_secs_f64());
        results.push((r, tr));
        meter.advance(1);
    }
    drop(meter);
    let figures = crate::figures::run_figures(spec, &results)?;
    let wall = start.elapsed().as_secs_f64();
    let inputs: Vec<_> = results
        .iter()
        .zip(&seconds)
        .map(|((r, t), s)| (r.input(), t, *s))
        .collect();
    let end_states: Vec<_> = results
        .iter()
        .map(|(r, tr)| crate::equilibrium::end_state::check_end_state(&r.model, tr, &r.options))
        .collect();
    let doc = crate::result::runs_document(spec.source(), &inputs, &end_states, wall);
    let mut files = vec![
        OutputFile::json(format!("{}.run.json", spec.name), &doc),
        OutputFile::bytes(
            format!("{}.run.csv", spec.name),
            crate::result::runs_csv(&inputs).into_bytes(),
        ),
    ];
    drop(inputs);
    let mut report = String::new();
    for w in &doc.data.warnings {
        line(&mut report, format!("warning: {w}"));
    }
    for ((r, tr), sec) in results.iter().zip(&seconds) {
        let z: Vec<String> = tr
            .final_responses()
            .iter()
            .map(|v| format!("{v:.6}"))
            .collect();
        line(
            &mut report,
            format!(
                "{:<24} {:>7} {:>6}  t = {:<10} z = [{}]  ({} field evaluations, {:.1} µs, {})",
                r.label,
                tr.method.name(),
                tr.space.name(),
                format!("{:.6}", tr.final_time()),
                z.join(", "),
                tr.stats.field_evaluations,
                1e6 * sec,
                tr.stop.name()
            ),
        );
    }
    line(
        &mut report,
        format!(
            "wrote {}.run.json and {}.run.csv ({wall:.3} s)",
            spec.name, spec.name
        ),
    );
    figure_files(&figures, &mut files, &mut report);
    let outcome = RunOutcome {
        runs: results
            .into_iter()
            .zip(seconds)
            .map(|((r, t), s)| (r, t, s))
            .collect(),
        wall_seconds: wall,
    };
    Ok((outcome, Outcome { files, report }))
}

/// The phase portraits of `spec`'s `portrait` section.
pub fn portrait(spec: &Spec) -> Result<Outcome<'static>, Error> {
    if !spec.has(SpecKind::Portrait) {
        return Err(InputError::new(
            "portrait",
            "is missing; this command draws a spec's `portrait` section",
        )
        .into());
    }
    let figures = crate::figures::portrait_figures(spec)?;
    let mut files = Vec::new();
    let mut report = String::new();
    figure_files(&figures, &mut files, &mut report);
    Ok(Outcome { files, report })
}

/// Adds each figure's files in the chosen formats ([`crate::output::figure_formats`]: PNG and
/// SVG unless `--formats` says otherwise) and its data JSON to `files`, with a report line.
pub(crate) fn figure_files(
    figures: &[crate::figures::FigureOutput],
    files: &mut Vec<OutputFile<'_>>,
    report: &mut String,
) {
    use crate::output::FigureFormat;
    let formats = crate::output::figure_formats();
    for f in figures {
        for &format in formats {
            match format {
                FigureFormat::Tex => tex_files(&f.figure, &f.stem, files),
                other => files.push(OutputFile::figure(
                    format!("{}.{}", f.stem, other.name()),
                    f.figure.clone(),
                )),
            }
        }
        files.push(OutputFile::json(format!("{}.data.json", f.stem), &f.data));
        let names: Vec<&str> = formats
            .iter()
            .map(|f| match f {
                FigureFormat::Tex => "pgfplots.tex",
                other => other.name(),
            })
            .collect();
        line(
            report,
            format!(
                "drew {0}.{{{1}}} and {0}.data.json",
                f.stem,
                names.join(",")
            ),
        );
    }
}

/// The pgfplots export of a figure: `STEM.pgfplots.tex` and the tables and images beside it. An export
/// that fails (a heat map's PNG not encodable) fails when its `.pgfplots.tex` is written.
#[cfg(feature = "plot")]
fn tex_files(figure: &crate::plot::Figure, stem: &str, files: &mut Vec<OutputFile<'_>>) {
    match crate::plot::pgfplots(figure, stem) {
        Ok(export) => files.extend(
            export
                .into_iter()
                .map(|(name, bytes)| OutputFile::bytes(name, bytes)),
        ),
        Err(e) => {
            let message = e.to_string();
            files.push(OutputFile::stream(
                format!("{stem}.pgfplots.tex"),
                move |_| Err(std::io::Error::other(message)),
            ));
        }
    }
}

/// Without the renderer: the `.pgfplots.tex` fails to write, saying how to build with it.
#[cfg(not(feature = "plot"))]
fn tex_files(_figure: &crate::plot::Figure, stem: &str, files: &mut Vec<OutputFile<'_>>) {
    files.push(OutputFile::stream(format!("{stem}.pgfplots.tex"), |_| {
        Err(std::io::Error::other(
            "this build has no renderer; build with the `plot` feature to export pgfplots",
        ))
    }));
}
