//! Figures described in specs: the `plot` section of run specs and the `portrait` section,
//! turned into [`crate::plot::Figure`]s plus the plotted data (written next to each image).

use serde_json::Value;

use crate::error::Error;
use crate::plot::Figure;
use crate::solve::Trajectory;
use crate::spec::{RunSpec, Spec};

/// One figure to write: file stem (without extension), the figure, and its plotted data.
#[derive(Debug, Clone)]
pub struct FigureOutput {
    /// File name without extension (PNG, SVG and `.data.json` share it).
    pub stem: String,
    /// The figure.
    pub figure: Figure,
    /// Every plotted number, loadable from Python.
    pub data: Value,
}

/// Figures of a run spec's `plot` section, drawn from its runs (empty without a `plot` section).
pub fn run_figures(_spec: &Spec, _runs: &[(RunSpec, Trajectory)]) -> Result<Vec<FigureOutput>, Error> {
    Ok(Vec::new())
}

/// Figures of a spec's `portrait` section (empty without one).
pub fn portrait_figures(_spec: &Spec) -> Result<Vec<FigureOutput>, Error> {
    Ok(Vec::new())
}
