//! `figures`: every figure spec of a folder, validated together before any is run.

use std::path::{Path, PathBuf};

use crate::error::{Error, InputError};
use crate::spec::{Spec, SpecKind, read_spec};

/// What kind of figure a spec draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureSpecKind {
    /// A sweep with `plots`.
    Sweep,
    /// A `portrait` section.
    Portrait,
    /// Runs with a `plot` section.
    Run,
    /// An `experiment` section (networks trained on data).
    Experiment,
    /// An `equilibrium` section with an `orbit_diagram`.
    Equilibrium,
}

/// Reads and fully validates every `*.json` spec in `dir` that draws a figure, in file-name
/// order; the first invalid one is an error naming its file, before anything runs. A file two
/// specs would both write into the one output folder is an error too.
pub fn figure_specs(dir: &Path) -> Result<Vec<(PathBuf, Spec, FigureSpecKind)>, Error> {
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
    let within = |path: &Path, e: InputError| {
        InputError::new(format!("{}: {}", path.display(), e.field), e.message)
    };
    let mut out = Vec::new();
    let mut written: Vec<(String, String)> = Vec::new();
    for path in paths {
        let spec = read_spec(&path).map_err(|e| within(&path, e))?;
        // Image experiments train for hours on a data set that may be absent: `run` them.
        if spec.is_image_experiment() {
            continue;
        }
        // The first kind of the spec that draws figures: an experiment, a sweep with `plots`,
        // portraits, runs with a `plot` section.
        let tasks = spec.tasks();
        let draws = |k: &SpecKind| match k {
            SpecKind::Experiment | SpecKind::Portrait => true,
            SpecKind::Sweep => spec.sweep.as_ref().is_some_and(|s| !s.plots.is_empty()),
            SpecKind::Run => spec.plot.is_some(),
            SpecKind::Equilibrium => spec
                .equilibrium
                .as_ref()
                .is_some_and(|e| e.orbit_diagram.is_some()),
        };
        let kind = [
            SpecKind::Experiment,
            SpecKind::Sweep,
            SpecKind::Portrait,
            SpecKind::Run,
            SpecKind::Equilibrium,
        ]
        .into_iter()
        .find(|k| tasks.contains(k) && draws(k));
        let kind = match kind {
            Some(SpecKind::Experiment) => FigureSpecKind::Experiment,
            Some(SpecKind::Sweep) => FigureSpecKind::Sweep,
            Some(SpecKind::Portrait) => FigureSpecKind::Portrait,
            Some(SpecKind::Run) => FigureSpecKind::Run,
            Some(SpecKind::Equilibrium) => FigureSpecKind::Equilibrium,
            _ => continue,
        };
        let in_file = |e: Error| match e {
            Error::Input(i) => Error::Input(within(&path, i)),
            other => other,
        };
        super::check(&spec).map_err(in_file)?;
        // What the command will do with this spec must be possible too: a sweep in one process.
        let names = match kind {
            FigureSpecKind::Sweep => {
                super::SweepTask::new(&spec)
                    .map_err(in_file)?
                    .check_run_size(None)
                    .map_err(|e| within(&path, e))?;
                crate::figures::sweep_output_names(&spec)
            }
            FigureSpecKind::Portrait => crate::figures::portrait_output_names(&spec),
            FigureSpecKind::Run => crate::figures::run_output_names(&spec),
            FigureSpecKind::Experiment => crate::figures::experiment_output_names(&spec),
            FigureSpecKind::Equilibrium => crate::figures::equilibrium_output_names(&spec),
        }
        .map_err(|e| within(&path, e))?;
        // Every spec writes into the same folder: no file may be written by two of them.
        for (file, field) in names.files() {
            if let Some((other, _)) = written.iter().find(|(_, f)| f == file) {
                return Err(InputError::new(
                    format!("{}: {field}", path.display()),
                    format!(
                        "{file} is also written by {}; give the specs (or their figures) different names",
                        Path::new(other).display()
                    ),
                )
                .into());
            }
            written.push((path.display().to_string(), file.to_string()));
        }
        out.push((path, spec, kind));
    }
    Ok(out)
}
