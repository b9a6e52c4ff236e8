//! `figures`: every figure spec of a folder, validated together before any is run.

use std::path::{Path, PathBuf};

use crate::error::{Error, InputError};
use crate::spec::{Spec, read_spec};

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
}

/// Reads and fully validates every `*.json` spec in `dir` that draws a figure, in file-name
/// order; the first invalid one is an error naming its file, before anything runs.
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
    for path in paths {
        let spec = read_spec(&path).map_err(|e| within(&path, e))?;
        let has_sweep_plots = spec.sweep.as_ref().is_some_and(|s| !s.plots.is_empty());
        let kind = if spec.experiment.is_some() {
            FigureSpecKind::Experiment
        } else if has_sweep_plots {
            FigureSpecKind::Sweep
        } else if spec.portrait.is_some() {
            FigureSpecKind::Portrait
        } else if spec.plot.is_some() {
            FigureSpecKind::Run
        } else {
            continue;
        };
        super::check(&spec).map_err(|e| match e {
            Error::Input(i) => Error::Input(within(&path, i)),
            other => other,
        })?;
        out.push((path, spec, kind));
    }
    Ok(out)
}
