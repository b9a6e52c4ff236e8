//! The input layer: JSON specs parsed into typed sections, validated with messages that name the
//! field and say how to fix it, and expanded into concrete runs. Pure: it reads a spec, never
//! writes a file.
//!
//! A spec is one JSON object. Its base `model` and `simulation` are merged with each entry of
//! `runs` (a partial override with a `label`), and every combination of the `vary` axes is run.
//! Unknown fields are rejected everywhere.

mod equilibrium;
mod expand;
mod experiment;
mod frame;
mod images;
mod json;
mod model;
mod names;
mod simulation;
mod sweep;
mod values;

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::InputError;

pub use equilibrium::{
    ContinuationSpec, EquilibriumSettings, EquilibriumSpec, MAX_ORBIT_POINTS, OrbitDiagramPlan,
    OrbitDiagramSpec, OrbitPanelPlan, OrbitPanelSpec, parse_parameter, strength_index,
};
pub use expand::{ExpandedRun, LabelledModel, merge};
pub use experiment::{
    CsvSpec, DataSpec, DynamicsSpec, ExperimentFigureKind, ExperimentFigureSpec, ExperimentPlan,
    ExperimentSpec, GridPlan, GridSpec, PredictionPlacement, SeedsSpec, SettingPlan, TrainingSpec,
    TwoMoonsSpec,
};
pub use frame::{
    CheckedFrame, FIGURE_SIDE_PIXELS, FigureFrame, FigureLayout, MAX_FIGURE_PIXELS, parse_figure,
    refuse_renamed,
};
pub use images::{
    ColoredMnistSpec, ImageDataSpec, ImagePlan, MethodSpec, STANDARD_DATA_ROOT, dataset_files,
    find_dataset, is_image_data,
};
pub use json::from_value;
pub use json::{parse_json, reject_duplicate_keys};
pub use model::{
    DirectionsSpec, FeaturesSpec, LogSpacedSpec, LossSpec, ModelSpec, PowerLawSpec,
    RegulariserSpec, SkewGeneratorSpec, build_model,
};
pub use names::{
    MAX_FILE_NAME_BYTES, NameUse, OutputNames, check_file_stem, figure_files, output_file, suffix,
};
pub use simulation::{
    MAX_RUNS_BYTES, RunSpec, SimulationParts, check_runs_memory, check_state_values, parse_method,
    parse_output, parse_space, simulation, simulation_setting_schema, trajectory_verdict,
};
pub use sweep::{AxisSpec, SolverSpec, SweepSpec, ThresholdSpec, sweep_plan};
pub use values::{RangeSpec, ValuesSpec};

/// Largest spec file read (64 MiB): far above any real spec (an explicit 2000 × 2000 Φ is about
/// 80 MB of text only when written with 20 digits per entry), small enough to read safely.
pub const MAX_SPEC_BYTES: u64 = 64 << 20;

/// Reads a regular text file of at most [`MAX_SPEC_BYTES`]; errors name `field`. Devices and
/// FIFOs (`/dev/zero`, a pipe) are refused instead of read without end.
pub fn read_text(path: &Path, field: &str) -> Result<String, InputError> {
    use std::io::Read;
    let fail = |what: String| InputError::new(field, what);
    let meta = std::fs::metadata(path).map_err(|e| {
        fail(format!(
            "cannot read {}: {e}; give the path of a JSON file",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(fail(format!(
            "{} is not a regular file; give the path of a JSON file",
            path.display()
        )));
    }
    if meta.len() > MAX_SPEC_BYTES {
        return Err(fail(format!(
            "{} has {} bytes, more than the {} MiB a spec may have; generate large inputs (features, grids) with the spec's generators instead of listing them",
            path.display(),
            meta.len(),
            MAX_SPEC_BYTES >> 20
        )));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let mut text = String::new();
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            fail(format!(
                "cannot read {}: {e}; give a UTF-8 JSON file",
                path.display()
            ))
        })?;
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(fail(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_SPEC_BYTES >> 20
        )));
    }
    Ok(text)
}

/// Most runs one spec may expand into (`runs` × the `vary` combinations): each run is a full
/// trajectory kept in memory with its document.
pub const MAX_RUNS: usize = 100_000;

/// Reads and parses a spec file; errors name the field (exit status 2 in the CLI).
pub fn read_spec(path: &Path) -> Result<Spec, InputError> {
    let spec = parse_spec(&read_text(path, "SPEC")?)?;
    Ok(Spec {
        base_dir: path.parent().map(Path::to_path_buf),
        ..spec
    })
}

/// Parses a spec from JSON text.
pub fn parse_spec(text: &str) -> Result<Spec, InputError> {
    let value = parse_json(text)?;
    let spec: Spec = from_value(value.clone(), "")?;
    let spec = Spec { raw: value, ..spec };
    spec.validate()?;
    Ok(spec)
}

/// The whole spec file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The JSON Schema the spec follows (`"../docs/spec.schema.json"` in the shipped specs), for
    /// editors: accepted and ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Name: used for output file names (letters, digits, '_', '-', '.').
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: String,
    /// Free text shown in outputs.
    #[serde(default)]
    pub description: String,
    /// Base model, merged under each run's `model`.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Partial<ModelSpec>>")]
    pub model: Option<Value>,
    /// Base simulation settings, merged under each run's `simulation`.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::Partial<crate::schema::SimulationSection>>")]
    pub simulation: Option<Value>,
    /// Runs: partial overrides of `model` / `simulation`, each with a `label`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<crate::schema::RunOverride>>")]
    pub runs: Option<Vec<Value>>,
    /// Parameters to vary: every combination is run.
    #[serde(default)]
    pub vary: Vec<VaryAxis>,
    /// Figures of the runs: one figure or a list of figures (each with its own `name`).
    #[serde(default)]
    #[schemars(with = "Option<crate::figures::OneOrMany<crate::figures::PlotSpec>>")]
    pub plot: Option<Value>,
    /// Equilibrium settings: Newton options and a continuation (`starvation equilibrium`).
    #[serde(default)]
    pub equilibrium: Option<EquilibriumSpec>,
    /// Phase portraits (`starvation portrait`).
    #[serde(default)]
    #[schemars(with = "Option<crate::figures::PortraitSpec>")]
    pub portrait: Option<Value>,
    /// A parameter sweep (`starvation sweep`).
    #[serde(default)]
    pub sweep: Option<SweepSpec>,
    /// Experiment section: real networks trained on data (see [`ExperimentSpec`]).
    #[serde(default)]
    pub experiment: Option<ExperimentSpec>,
    /// The spec as read, kept for provenance.
    #[serde(skip)]
    #[schemars(skip)]
    pub raw: Value,
    /// The folder of the spec file (files named in the spec are relative to it).
    #[serde(skip)]
    pub base_dir: Option<std::path::PathBuf>,
    /// Folders named by the user (`--data-dir`) where named data sets are looked for first.
    #[serde(skip)]
    pub data_dirs: Vec<std::path::PathBuf>,
}

/// One varied parameter: a dotted path into a run (e.g. `model.features.toy.s1`) and its values.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaryAxis {
    /// Dotted path into the merged run object.
    pub path: String,
    /// Values, in order.
    pub values: Vec<Value>,
}

impl Spec {
    fn validate(&self) -> Result<(), InputError> {
        check_file_stem(&self.name, "name", NameUse::Spec)?;
        if let Some(runs) = &self.runs
            && runs.is_empty()
        {
            return Err(InputError::new(
                "runs",
                "is empty; give at least one run, or leave `runs` out for a single run",
            ));
        }
        let runs = self.runs.as_ref().map_or(1, Vec::len).max(1) as u128;
        let combinations = self
            .vary
            .iter()
            .try_fold(runs, |acc, a| {
                acc.checked_mul(a.values.len().max(1) as u128)
            })
            .unwrap_or(u128::MAX);
        if combinations > MAX_RUNS as u128 {
            return Err(InputError::new(
                "vary",
                format!(
                    "asks for more than {MAX_RUNS} runs (runs × the product of the vary axes' lengths); vary fewer values, or use a `sweep` section for large grids"
                ),
            ));
        }
        for (i, axis) in self.vary.iter().enumerate() {
            if axis.values.is_empty() {
                return Err(InputError::new(
                    format!("vary[{i}].values"),
                    "is empty; give at least one value",
                ));
            }
            if axis.path.is_empty()
                || !(axis.path.starts_with("model.") || axis.path.starts_with("simulation."))
            {
                return Err(InputError::new(
                    format!("vary[{i}].path"),
                    format!(
                        "{:?} must start with \"model.\" or \"simulation.\" (e.g. \"model.features.toy.s1\")",
                        axis.path
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What a spec describes: each kind is one command's work (`starvation run`, `sweep`,
/// `portrait`, `equilibrium`; an experiment is run by `run`). Every front end (the command
/// line, `check`, `figures`, the Python package) routes by [`Spec::kind`] and [`Spec::tasks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecKind {
    /// Real networks trained on data (an `experiment` section).
    Experiment,
    /// A parameter sweep (a `sweep` section).
    Sweep,
    /// Integrated runs (a `simulation` section, with `runs`, `vary` and `plot`).
    Run,
    /// Phase portraits (a `portrait` section).
    Portrait,
    /// Equilibria of each model (an `equilibrium` section, or a spec with only models).
    Equilibrium,
}

impl SpecKind {
    /// The command that does this kind's work.
    pub fn command(self) -> &'static str {
        match self {
            SpecKind::Experiment | SpecKind::Run => "run",
            SpecKind::Sweep => "sweep",
            SpecKind::Portrait => "portrait",
            SpecKind::Equilibrium => "equilibrium",
        }
    }

    /// The order in which a spec with several sections is taken as one kind.
    const PRIORITY: [SpecKind; 5] = [
        SpecKind::Experiment,
        SpecKind::Sweep,
        SpecKind::Run,
        SpecKind::Portrait,
        SpecKind::Equilibrium,
    ];
}

impl Spec {
    /// Every kind of work the spec's sections describe, in the order `check` reports them: an
    /// experiment alone; otherwise a sweep, runs, equilibria (asked for, or when the spec has
    /// nothing else) and portraits.
    pub fn tasks(&self) -> Vec<SpecKind> {
        if self.experiment.is_some() {
            return vec![SpecKind::Experiment];
        }
        let mut tasks = Vec::new();
        if self.sweep.is_some() {
            tasks.push(SpecKind::Sweep);
        }
        if self.simulation.is_some() {
            tasks.push(SpecKind::Run);
        }
        if self.equilibrium.is_some()
            || (self.simulation.is_none() && self.sweep.is_none() && self.portrait.is_none())
        {
            tasks.push(SpecKind::Equilibrium);
        }
        if self.portrait.is_some() {
            tasks.push(SpecKind::Portrait);
        }
        tasks
    }

    /// The spec's main kind (what runs when no command is named): an experiment, else a sweep,
    /// runs, portraits, equilibria, the first the spec has.
    pub fn kind(&self) -> SpecKind {
        let tasks = self.tasks();
        SpecKind::PRIORITY
            .into_iter()
            .find(|k| tasks.contains(k))
            .unwrap_or(SpecKind::Equilibrium)
    }

    /// Whether the spec describes `kind` of work.
    pub fn has(&self, kind: SpecKind) -> bool {
        self.tasks().contains(&kind)
    }
}

impl Spec {
    /// What output documents record about this spec.
    pub fn source(&self) -> crate::result::Source<'_> {
        crate::result::Source {
            name: &self.name,
            description: &self.description,
            spec: &self.raw,
        }
    }
}
