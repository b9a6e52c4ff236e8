//! The `experiment` section: real networks trained on data (the paper's Figures 1–3,
//! `docs/theory.md` §7), checked and expanded into one training plan per setting.
//!
//! ```json
//! "experiment": {
//!   "data": { "two_moons": { "examples": 300, "noise": 0.1, "seed": 0, "margin": 0.1,
//!                            "rotation_degrees": 0 } },
//!   "network": { "hidden": [500], "dropout": 0, "batch_norm": false,
//!                "parameterisation": "standard" },
//!   "training": { "optimiser": { "sgd": { "learning_rate": 0.01, "momentum": 0.9 } },
//!                 "epochs": 1000, "weight_decay": 0, "sd": 0, "loss": "exact", "batch_size": 32 },
//!   "seeds": 10,
//!   "tracking": { "indices": [1, 6], "convention": "kernel", "every": 10, "predictions": true },
//!   "grid": { "range": [-2, 2], "resolution": 100 },
//!   "settings": [ { "label": "Δ = −0.1", "data": { "two_moons": { "margin": -0.1 } } },
//!                 { "label": "Δ = +0.1" } ],
//!   "figure": { "title": "…", "columns": 2, "dynamics": { "indices": [1, 6] } }
//! }
//! ```
//!
//! Every field has the paper's default. `data` is `{"two_moons": {…}}` or
//! `{"csv": {"path": "points.csv", "label_column": "y"}}` (path relative to the spec file).
//! `seeds` is a count (seeds 0 … N−1) or a list. `settings` are labelled partial overrides of
//! `data`, `network`, `training` and `seeds`, deep-merged over the base (a different enum
//! variant, e.g. `{"adam": {…}}` over `{"sgd": {…}}`, replaces); without `settings` the base is
//! the only setting. The data set of a setting is the same for every seed; seeds change the
//! initialisation (and dropout masks).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::json::from_value;
use super::{CheckedFrame, FigureFrame, Spec, merge, parse_figure, read_text};
use crate::error::InputError;
use crate::network::{
    Architecture, Dataset, Optimiser, Tracking, Training, TwoMoons, check_training,
};

/// The environment variable naming a folder whose data files specs may read besides their own
/// folder (absolute paths, or paths leaving the spec's folder, must lie inside it).
pub const DATA_DIR_VARIABLE: &str = "STARVATION_DATA";

/// Resolves a data file path written in a spec: relative to the spec's folder `base_dir` (the
/// working folder when the spec has none); the file, with `..` and symbolic links resolved,
/// must lie inside that folder or inside the folder named by `STARVATION_DATA`. Anything else
/// is an input error naming `field`, before the file is opened.
pub fn resolve_data_path(
    base_dir: Option<&Path>,
    written: &str,
    field: &str,
) -> Result<PathBuf, InputError> {
    let base = base_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let joined = base.join(written);
    let fail = |why: String| InputError::new(field, why);
    let resolved = joined.canonicalize().map_err(|e| {
        fail(format!(
            "cannot read the data file {}: {e}; give a path relative to the spec's folder",
            joined.display()
        ))
    })?;
    let mut roots = vec![base.canonicalize().unwrap_or(base.clone())];
    if let Some(extra) = std::env::var_os(DATA_DIR_VARIABLE).filter(|v| !v.is_empty()) {
        let extra = PathBuf::from(extra);
        roots.push(extra.canonicalize().map_err(|e| {
            InputError::new(
                DATA_DIR_VARIABLE,
                format!(
                    "{} cannot be read: {e}; name an existing folder",
                    extra.display()
                ),
            )
        })?);
    }
    if roots.iter().any(|r| resolved.starts_with(r)) {
        return Ok(resolved);
    }
    Err(fail(format!(
        "{written:?} leads outside the spec's folder{} (an absolute path, `..` or a symbolic link); put the file in the spec's folder, or name its folder in {DATA_DIR_VARIABLE}",
        if roots.len() > 1 {
            " and the data folder"
        } else {
            ""
        }
    )))
}

/// Largest number of examples of an experiment's data set.
pub const MAX_EXPERIMENT_EXAMPLES: usize = 100_000;
/// Largest number of hidden layers.
pub const MAX_DEPTH: usize = 16;
/// Largest number of seeds of one setting.
pub const MAX_SEEDS: usize = 1_000;
/// Largest number of settings.
pub const MAX_SETTINGS: usize = 64;
/// Largest grid resolution (points per axis of the decision-function grid).
pub const MAX_GRID: usize = 1_000;
/// Largest amount of work of one spec, in multiply-adds: Σ over settings of epochs ×
/// parameters × examples × seeds (about an hour on two cores).
pub const MAX_WORK: f64 = 2e13;
/// Largest tangent-feature matrix (examples × parameters) when responses are tracked.
pub const MAX_TANGENT_ENTRIES: usize = 50_000_000;

/// The `experiment` section as written.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// Base data set (default: the paper's two moons), or an image experiment's
    /// `{"colored_mnist": …}`.
    #[serde(default)]
    #[schemars(with = "Option<crate::schema::ExperimentDataSchema>")]
    pub data: Option<Value>,
    /// Base network (default: 2 → 500 → 1).
    #[serde(default)]
    #[schemars(with = "Option<Architecture>")]
    pub network: Option<Value>,
    /// Base training (default: SGD 10⁻², momentum 0.9, 1000 epochs).
    #[serde(default)]
    #[schemars(with = "Option<TrainingSpec>")]
    pub training: Option<Value>,
    /// Seeds: a count or a list (default 10).
    #[serde(default)]
    pub seeds: Option<SeedsSpec>,
    /// What to record along training (default: the loss only).
    #[serde(default)]
    pub tracking: Option<Tracking>,
    /// The grid of the decision function (default 100 × 100 over [−2, 2]²).
    #[serde(default)]
    pub grid: Option<GridSpec>,
    /// Labelled overrides, one per panel.
    #[serde(default)]
    #[schemars(with = "Option<Vec<crate::schema::ExperimentSetting>>")]
    pub settings: Option<Vec<Value>>,
    /// The figures drawn from the results ([`ExperimentFigureSpec`], read by
    /// [`super::parse_figure`]).
    #[serde(default)]
    #[schemars(with = "Option<ExperimentFigureSpec>")]
    pub figure: Option<Value>,
    /// Image experiments only (`{"colored_mnist": …}` data): the methods of Table 1, each a name
    /// ("erm", "sd", "irm", "oracle") or an object with a `name` and overrides (see
    /// `spec::images`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<crate::schema::ImageMethodSchema>>")]
    pub methods: Option<Vec<Value>>,
    /// Image experiments only: "f32" (default) or "f64".
    #[serde(default)]
    pub precision: Option<crate::images::Precision>,
    /// Image experiments only: record the training curve every this many steps (default 10).
    #[serde(default)]
    pub record_every: Option<usize>,
    /// Image experiments only: the tangent kernel's eigen-directions at initialisation on the
    /// first `examples` training images and |z_k| of `indices` along training, with the
    /// linearised network's gradient flow on those images beside them (ERM, SD, the oracle).
    #[serde(default)]
    pub responses: Option<crate::images::ResponseTracking>,
}

/// A data set as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DataSpec {
    /// The paper's two moons.
    TwoMoons(TwoMoonsSpec),
    /// Points and labels from a CSV file with a header row.
    Csv(CsvSpec),
}

/// The two-moons generator's options (theory.md §7), defaults from the paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoMoonsSpec {
    /// n (default 300).
    #[serde(default = "default_examples")]
    pub examples: usize,
    /// Noise standard deviation (default 0.1).
    #[serde(default = "default_noise")]
    pub noise: f64,
    /// Generator seed (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Δ (default 0.1: separable with gap 0.2).
    #[serde(default = "default_margin")]
    pub margin: f64,
    /// Rotation of the points in degrees (default 0).
    #[serde(default)]
    pub rotation_degrees: f64,
}

fn default_examples() -> usize {
    300
}
fn default_noise() -> f64 {
    0.1
}
fn default_margin() -> f64 {
    0.1
}

/// A CSV data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CsvSpec {
    /// Path of the file, relative to the spec file.
    pub path: String,
    /// The label column (default "y"); every other column is an input coordinate.
    #[serde(default = "default_label_column")]
    pub label_column: String,
}

fn default_label_column() -> String {
    "y".into()
}

/// Training as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// The optimiser (default SGD 10⁻², momentum 0.9), checked by [`Optimiser::check`].
    #[serde(default)]
    pub optimiser: Optimiser,
    /// Full-batch epochs (default 1000).
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Weight decay w (default 0).
    #[serde(default)]
    pub weight_decay: f64,
    /// Spectral decoupling c (default 0).
    #[serde(default)]
    pub sd: f64,
    /// Minibatch size B, 1 … n (default: full batch). An epoch is one pass over the data in
    /// ⌈n/B⌉ steps, its order redrawn per epoch from the network's seed (docs/theory.md §9).
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// How minibatches are drawn: "reshuffle" (default; a permutation per epoch, as PyTorch's
    /// `shuffle=True`) or "independent" (every batch drawn afresh, as the minibatch SDE assumes).
    #[serde(default)]
    pub batch_sampling: crate::network::BatchSampling,
    /// The per-example loss ℓ(y ŷ) of the mean training loss (default "exact", the logistic
    /// loss log(1 + e^(−yŷ)), the paper's; "squared" ½(yŷ − 1)²; "smooth_hinge"; or the
    /// cross-entropy's approximations "quadratic", "exponential_tail"). The predictions use the
    /// same loss.
    #[serde(default)]
    pub loss: crate::model::LossModel,
}

fn default_epochs() -> usize {
    1000
}

/// Seeds: a count N (seeds 0 … N−1) or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SeedsSpec {
    /// Seeds 0 … N−1.
    Count(usize),
    /// These seeds.
    List(Vec<u64>),
}

/// The decision-function grid as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// [lo, hi] on both axes (default [−2, 2]).
    #[serde(default = "default_range")]
    pub range: [f64; 2],
    /// Points per axis (default 100).
    #[serde(default = "default_resolution")]
    pub resolution: usize,
}

fn default_range() -> [f64; 2] {
    [-2.0, 2.0]
}
fn default_resolution() -> usize {
    100
}

impl Default for GridSpec {
    fn default() -> Self {
        Self {
            range: default_range(),
            resolution: default_resolution(),
        }
    }
}

/// What the experiment's figures show.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentFigureKind {
    /// One decision-boundary panel per setting (and the dynamics panel when asked).
    #[default]
    Boundaries,
    /// The gap between the real and the linearised network's responses against the width of
    /// the last hidden layer, one point per setting, log–log with a fitted power law.
    WidthGap,
    /// Minibatch noise (theory.md §9; needs `tracking.sde`): one panel per setting of |z_k|
    /// against epochs for the indices of `dynamics.indices` (default: the tracked ones), the
    /// real networks, the stochastic map and the SDE, each as mean (thick) and mean ± spread
    /// (thin).
    Stochastic,
}

/// Where the linearised network's prediction is drawn.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PredictionPlacement {
    /// In a second figure (`STEM_predictions`), real (solid) against linearised (dotted).
    #[default]
    Separate,
    /// Dotted in the dynamics panel itself.
    Overlay,
    /// Not drawn.
    None,
}

/// The dynamics panel: seed-averaged |z_k| against epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DynamicsSpec {
    /// Eigen-indices drawn (default: the tracked ones).
    #[serde(default)]
    pub indices: Option<Vec<usize>>,
    /// Where the linearised network's |z| goes (default a second figure).
    #[serde(default)]
    pub predictions: PredictionPlacement,
    /// Epochs on a logarithmic axis (epoch 0 is then left out).
    #[serde(default)]
    pub log_epochs: bool,
    /// Panel title (default "|z| of the tangent features").
    #[serde(default)]
    pub title: Option<String>,
}

/// The figure options of an experiment: the frame of every figure ([`FigureFrame`]) and what
/// is drawn. An experiment draws one or two figures (`NAME` and `NAME_predictions`), so their
/// default sizes follow from `panel_size`, pixels per panel; `size` fixes the first figure's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentFigureSpec {
    /// File stem (default: the spec's name; the predictions figure adds `_predictions`).
    #[serde(default)]
    #[schemars(extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))]
    pub name: Option<String>,
    /// Overall title (default none).
    #[serde(default)]
    pub title: Option<String>,
    /// `[width, height]` of the first figure in pixels (default from `panel_size`).
    #[serde(default)]
    pub size: Option<[u32; 2]>,
    /// Panels per row (default: up to 5).
    #[serde(default)]
    pub columns: Option<usize>,
    /// Pixels per panel along each axis, 120…2000 (default 440).
    #[serde(default)]
    pub panel_size: Option<u32>,
    /// Boundaries (default) or the width gap.
    #[serde(default)]
    pub kind: ExperimentFigureKind,
    /// The dynamics panel (needs `tracking`).
    #[serde(default)]
    pub dynamics: Option<DynamicsSpec>,
    /// Image experiments only: also draw the paper's Figure 4 (accuracy and prediction entropy
    /// on the test images as digit / blank × grey / coloured, last restart of each method).
    #[serde(default)]
    pub variants: bool,
}

impl ExperimentFigureSpec {
    /// The frame fields ([`FigureFrame`]).
    pub fn frame(&self) -> FigureFrame {
        FigureFrame {
            name: self.name.clone(),
            title: self.title.clone(),
            size: self.size,
            columns: self.columns,
        }
    }
}

/// One setting, ready to train.
#[derive(Debug, Clone)]
pub struct SettingPlan {
    /// Its label (panel title).
    pub label: String,
    /// The data set as written (merged).
    pub data: DataSpec,
    /// The network as written (merged).
    pub network: Architecture,
    /// The training as written (merged).
    pub training_spec: TrainingSpec,
    /// The data set.
    pub dataset: Dataset,
    /// The training configuration.
    pub training: Training,
    /// The seeds.
    pub seeds: Vec<u64>,
}

impl SettingPlan {
    /// Number of trainable parameters of the network (weights and biases; batch norm's scale
    /// and shift).
    pub fn parameters(&self) -> usize {
        let mut fan_in = self.dataset.dimension;
        let mut total = 0usize;
        for &w in &self.network.hidden {
            total = total.saturating_add(fan_in.saturating_mul(w).saturating_add(w));
            if self.network.batch_norm {
                total = total.saturating_add(2 * w);
            }
            fan_in = w;
        }
        total.saturating_add(fan_in + 1)
    }

    /// Multiply-adds of training every seed, with what `tracking` adds (the tangent features,
    /// projections and, with predictions, the linearised network's training and the kernel
    /// drift; see [`crate::network::training_work`]).
    pub fn work(&self, tracking: Option<&Tracking>) -> f64 {
        crate::network::training_work(&self.dataset, &self.training, tracking)
            * self.seeds.len() as f64
    }
}

/// The decision-function grid, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GridPlan {
    /// Lower end on both axes.
    pub lo: f64,
    /// Upper end on both axes.
    pub hi: f64,
    /// Points per axis.
    pub resolution: usize,
}

impl GridPlan {
    /// The coordinates along one axis (evenly spaced, ends included).
    pub fn axis(&self) -> Vec<f64> {
        let n = self.resolution;
        (0..n)
            .map(|i| self.lo + (self.hi - self.lo) * i as f64 / (n - 1) as f64)
            .collect()
    }

    /// The grid points, row-major with x fastest: (x_i, y_j) at j · resolution + i.
    pub fn points(&self) -> Vec<f64> {
        let a = self.axis();
        let mut out = Vec::with_capacity(2 * a.len() * a.len());
        for &y in &a {
            for &x in &a {
                out.push(x);
                out.push(y);
            }
        }
        out
    }
}

/// The experiment, checked and expanded.
#[derive(Debug, Clone)]
pub struct ExperimentPlan {
    /// The settings, in order.
    pub settings: Vec<SettingPlan>,
    /// What is recorded along training.
    pub tracking: Option<Tracking>,
    /// The decision-function grid (None when the data are not two-dimensional).
    pub grid: Option<GridPlan>,
    /// The figure options.
    pub figure: ExperimentFigureSpec,
    /// The figure's checked frame (file stem, title, size, columns).
    pub frame: CheckedFrame,
}

impl ExperimentPlan {
    /// Multiply-adds of the whole experiment (see [`SettingPlan::work`]).
    pub fn work(&self) -> f64 {
        self.settings
            .iter()
            .map(|s| s.work(self.tracking.as_ref()))
            .sum()
    }

    /// Epochs summed over settings and seeds (the progress total).
    pub fn total_epochs(&self) -> u64 {
        self.settings
            .iter()
            .map(|s| s.training.epochs as u64 * s.seeds.len() as u64)
            .sum()
    }
}

impl Spec {
    /// The `experiment` section checked and expanded into settings ready to train: every field
    /// validated (the data set built or read, the engine's [`check_training`] called), the work
    /// bounded. Errors name the field.
    pub fn experiment_plan(&self) -> Result<ExperimentPlan, InputError> {
        let section = self.experiment.as_ref().ok_or_else(|| {
            InputError::new(
                "experiment",
                "is missing; this command trains the networks of a spec's `experiment` section",
            )
        })?;
        let others = [
            ("model", self.model.is_some()),
            ("simulation", self.simulation.is_some()),
            ("runs", self.runs.is_some()),
            ("vary", !self.vary.is_empty()),
            ("plot", self.plot.is_some()),
            ("equilibrium", self.equilibrium.is_some()),
            ("portrait", self.portrait.is_some()),
            ("sweep", self.sweep.is_some()),
        ];
        if let Some((name, _)) = others.iter().find(|(_, present)| *present) {
            return Err(InputError::new(
                *name,
                "cannot be combined with an `experiment` section; put the experiment in a spec of its own",
            ));
        }
        plan(section, &self.name, self.base_dir.as_deref())
    }
}

/// Reads a spec section value with defaults (an absent one is `{}`).
fn typed<T: serde::de::DeserializeOwned>(v: &Value, field: &str) -> Result<T, InputError> {
    from_value(v.clone(), field)
}

/// Which prefix names a merged field: the setting's override when it holds `pointer`, the
/// base otherwise.
fn origin(over: Option<&Value>, pointer: &str, setting: &str, base: &str) -> String {
    let dotted = pointer.trim_start_matches('/').replace('/', ".");
    if over.is_some_and(|o| o.pointer(pointer).is_some()) {
        format!("{setting}.{dotted}")
    } else {
        format!("{base}.{dotted}")
    }
}

fn plan(
    section: &ExperimentSpec,
    spec_name: &str,
    base_dir: Option<&Path>,
) -> Result<ExperimentPlan, InputError> {
    let p = "experiment";
    if super::images::is_image_data(section) {
        return Err(InputError::new(
            format!("{p}.data.colored_mnist"),
            "is an image experiment; it is planned by `Spec::image_plan`",
        ));
    }
    for (field, present) in [
        ("methods", section.methods.is_some()),
        ("precision", section.precision.is_some()),
        ("record_every", section.record_every.is_some()),
        ("responses", section.responses.is_some()),
        (
            "figure.variants",
            section
                .figure
                .as_ref()
                .and_then(|f| f.get("variants"))
                .is_some_and(|v| v != &Value::Bool(false)),
        ),
    ] {
        if present {
            return Err(InputError::new(
                format!("{p}.{field}"),
                "belongs to image experiments (`\"data\": {\"colored_mnist\": {…}}`); leave it out here",
            ));
        }
    }
    let base_data = section
        .data
        .clone()
        .unwrap_or_else(|| json!({"two_moons": {}}));
    let base_network = section.network.clone().unwrap_or_else(|| json!({}));
    let base_training = section.training.clone().unwrap_or_else(|| json!({}));
    // The base alone must parse (errors name the base's fields).
    typed::<DataSpec>(&base_data, &format!("{p}.data"))?;
    typed::<Architecture>(&base_network, &format!("{p}.network"))?;
    typed::<TrainingSpec>(&base_training, &format!("{p}.training"))?;
    let base_seeds = section.seeds.clone().unwrap_or(SeedsSpec::Count(10));
    let settings: Vec<Value> = match &section.settings {
        None => vec![json!({})],
        Some(s) if s.is_empty() => {
            return Err(InputError::new(
                format!("{p}.settings"),
                "is empty; give at least one setting, or leave `settings` out to train the base once",
            ));
        }
        Some(s) if s.len() > MAX_SETTINGS => {
            return Err(InputError::new(
                format!("{p}.settings"),
                format!(
                    "has {} settings, more than the {MAX_SETTINGS} one figure holds; split them into several specs",
                    s.len()
                ),
            ));
        }
        Some(s) => s.clone(),
    };
    let mut plans = Vec::with_capacity(settings.len());
    for (i, over) in settings.iter().enumerate() {
        let sp = if section.settings.is_some() {
            format!("{p}.settings[{i}]")
        } else {
            p.to_string()
        };
        plans.push(setting(
            section,
            over,
            &sp,
            section.settings.is_some(),
            (&base_data, &base_network, &base_training, &base_seeds),
            base_dir,
        )?);
    }
    let mut labels: Vec<&str> = Vec::new();
    for (i, s) in plans.iter().enumerate() {
        if labels.contains(&s.label.as_str()) {
            return Err(InputError::new(
                format!("{p}.settings[{i}].label"),
                format!(
                    "{:?} is the label of an earlier setting; give every setting its own label",
                    s.label
                ),
            ));
        }
        labels.push(&s.label);
    }
    let tracking = section
        .tracking
        .as_ref()
        .map(|t| check_tracking(t, &plans))
        .transpose()?;
    let figure: ExperimentFigureSpec = match &section.figure {
        Some(v) => parse_figure(v, &format!("{p}.figure"))?,
        None => ExperimentFigureSpec::default(),
    };
    let frame = figure.frame().check(&format!("{p}.figure"), spec_name)?;
    check_figure(&figure, tracking.as_ref(), &plans)?;
    let two_d = plans.iter().all(|s| s.dataset.dimension == 2);
    let grid = section.grid.clone().unwrap_or_default();
    let grid = check_grid(&grid)?;
    if figure.kind == ExperimentFigureKind::Boundaries && !two_d {
        return Err(InputError::new(
            format!("{p}.data"),
            "has points with other than 2 coordinates; decision-boundary figures need 2-D data (use `\"figure\": {\"kind\": \"width_gap\"}` or 2-D data)",
        ));
    }
    let plan = ExperimentPlan {
        settings: plans,
        tracking,
        grid: (two_d && figure.kind == ExperimentFigureKind::Boundaries).then_some(grid),
        figure,
        frame,
    };
    for (i, s) in plan.settings.iter().enumerate() {
        crate::network::check_memory(
            &s.dataset,
            &s.training,
            plan.tracking.as_ref(),
            s.seeds.len(),
            rayon::current_num_threads(),
            &if section.settings.is_some() {
                format!("{p}.settings[{i}]")
            } else {
                p.to_string()
            },
        )?;
    }
    let work = plan.work();
    if work.is_nan() || work > MAX_WORK {
        return Err(InputError::new(
            p,
            format!(
                "asks for about {work:.1e} multiply-adds (Σ epochs × parameters × examples × seeds, with tracking and predictions), more than the {MAX_WORK:.0e} one spec may run (about an hour on two cores); use fewer epochs, seeds or hidden units in some settings, or split the settings into several specs"
            ),
        ));
    }
    check_sde_steps(&plan)?;
    Ok(plan)
}

/// Euler–Maruyama's stability bound for `tracking.sde`: it needs λ_max of the tangent kernel at
/// initialisation, one kernel per seed (n² m multiply-adds each, counted in the work bound, which
/// is checked first).
fn check_sde_steps(plan: &ExperimentPlan) -> Result<(), InputError> {
    let f = "experiment.tracking";
    let Some(t) = &plan.tracking else {
        return Ok(());
    };
    let Some(sde) = &t.sde else {
        return Ok(());
    };
    for (i, s) in plan.settings.iter().enumerate() {
        for &seed in &s.seeds {
            let tangent =
                crate::network::tangent_features(&s.dataset, &s.training.architecture, seed)
                    .map_err(|e| InputError::new(f, e.to_string()))?;
            crate::network::check_sde_step(&s.dataset, &s.training, sde, &tangent.kernel).map_err(
                |e| {
                    InputError::new(
                        format!("experiment.{}", e.field),
                        format!("(setting {i}, {:?}, seed {seed}) {}", s.label, e.message),
                    )
                },
            )?;
        }
    }
    Ok(())
}

type Base<'a> = (&'a Value, &'a Value, &'a Value, &'a SeedsSpec);

fn setting(
    section: &ExperimentSpec,
    over: &Value,
    sp: &str,
    listed: bool,
    (base_data, base_network, base_training, base_seeds): Base<'_>,
    base_dir: Option<&Path>,
) -> Result<SettingPlan, InputError> {
    let _ = section;
    let p = "experiment";
    let Some(obj) = over.as_object() else {
        return Err(InputError::new(
            sp,
            "must be an object such as {\"label\": \"Adam\", \"training\": {\"optimiser\": {\"adam\": {}}}}",
        ));
    };
    for k in obj.keys() {
        if !["label", "data", "network", "training", "seeds"].contains(&k.as_str()) {
            return Err(InputError::new(
                format!("{sp}.{k}"),
                "unknown field; a setting has `label`, `data`, `network`, `training` and `seeds`",
            ));
        }
    }
    let label = match obj.get("label") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => {
            return Err(InputError::new(
                format!("{sp}.label"),
                "must be a non-empty string (the panel title)",
            ));
        }
        None if listed => {
            return Err(InputError::new(
                format!("{sp}.label"),
                "is missing; give every setting a label (its panel title)",
            ));
        }
        None => String::new(),
    };
    // Each override alone must parse (errors name the setting's own fields), then the merge.
    let mut merged = Vec::new();
    for (key, base) in [
        ("data", base_data),
        ("network", base_network),
        ("training", base_training),
    ] {
        let mut v = base.clone();
        if let Some(o) = obj.get(key) {
            match key {
                "data" => typed::<DataSpec>(o, &format!("{sp}.data")).map(|_| ())?,
                "network" => typed::<Architecture>(o, &format!("{sp}.network")).map(|_| ())?,
                _ => typed::<TrainingSpec>(o, &format!("{sp}.training")).map(|_| ())?,
            }
            merge(&mut v, o);
        }
        merged.push(v);
    }
    let at = |key: &str, pointer: &str| {
        origin(
            obj.get(key),
            pointer,
            &format!("{sp}.{key}"),
            &format!("{p}.{key}"),
        )
    };
    let data: DataSpec = typed(&merged[0], &format!("{sp}.data"))?;
    let network: Architecture = typed(&merged[1], &format!("{sp}.network"))?;
    let training_spec: TrainingSpec = typed(&merged[2], &format!("{sp}.training"))?;
    let seeds_spec = match obj.get("seeds") {
        Some(v) => typed::<SeedsSpec>(v, &format!("{sp}.seeds"))?,
        None => base_seeds.clone(),
    };
    let seeds_field = if obj.contains_key("seeds") {
        format!("{sp}.seeds")
    } else {
        format!("{p}.seeds")
    };
    let seeds = check_seeds(&seeds_spec, &seeds_field)?;
    check_depth(&network, &at)?;
    let dataset = build_data(&data, base_dir, &at)?;
    let training = Training {
        architecture: network.clone(),
        optimiser: training_spec.optimiser.clone(),
        epochs: training_spec.epochs,
        weight_decay: training_spec.weight_decay,
        sd: training_spec.sd,
        batch_size: training_spec.batch_size,
        batch_sampling: training_spec.batch_sampling,
        loss: training_spec.loss,
    };
    let plan = SettingPlan {
        label,
        data,
        network,
        training_spec,
        dataset,
        training,
        seeds,
    };
    check_training(&plan.dataset, &plan.training).map_err(|e| written_at(e, &at, sp))?;
    Ok(plan)
}

/// An error of [`check_training`] (fields `architecture.…`, `optimiser.…`, `epochs`,
/// `weight_decay`, `sd`) named where the value was written: in the setting's `network` or
/// `training` override when it holds the field, in the base otherwise.
fn written_at(e: InputError, at: &dyn Fn(&str, &str) -> String, sp: &str) -> InputError {
    let (path, index) = match e.field.find('[') {
        Some(i) => (&e.field[..i], &e.field[i..]),
        None => (e.field.as_str(), ""),
    };
    let (section, rest) = match path.split_once('.') {
        Some(("architecture", rest)) => ("network", rest),
        Some(("optimiser", _)) => ("training", path),
        None if [
            "epochs",
            "weight_decay",
            "sd",
            "batch_size",
            "batch_sampling",
        ]
        .contains(&path) =>
        {
            ("training", path)
        }
        _ => return e.within(sp),
    };
    let field = at(section, &format!("/{}", rest.replace('.', "/")));
    InputError::new(format!("{field}{index}"), e.message)
}

fn non_negative(v: f64, field: &str) -> Result<f64, InputError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(InputError::new(
            field,
            format!("must be a finite number ≥ 0, got {v}"),
        ))
    }
}

pub(super) fn check_seeds(s: &SeedsSpec, field: &str) -> Result<Vec<u64>, InputError> {
    let seeds: Vec<u64> = match s {
        SeedsSpec::Count(n) => {
            if *n == 0 || *n > MAX_SEEDS {
                return Err(InputError::new(
                    field,
                    format!(
                        "must be a count between 1 and {MAX_SEEDS} or a list of seeds, got {n}"
                    ),
                ));
            }
            (0..*n as u64).collect()
        }
        SeedsSpec::List(v) => {
            if v.is_empty() || v.len() > MAX_SEEDS {
                return Err(InputError::new(
                    field,
                    format!("must list between 1 and {MAX_SEEDS} seeds, got {}", v.len()),
                ));
            }
            let mut sorted = v.clone();
            sorted.sort_unstable();
            if sorted.windows(2).any(|w| w[0] == w[1]) {
                return Err(InputError::new(
                    field,
                    "lists a seed twice; give distinct seeds",
                ));
            }
            v.clone()
        }
    };
    Ok(seeds)
}

fn build_data(
    data: &DataSpec,
    base_dir: Option<&Path>,
    at: &dyn Fn(&str, &str) -> String,
) -> Result<Dataset, InputError> {
    match data {
        DataSpec::TwoMoons(m) => {
            let n = m.examples;
            if !(2..=MAX_EXPERIMENT_EXAMPLES).contains(&n) {
                return Err(InputError::new(
                    at("data", "/two_moons/examples"),
                    format!("must be between 2 and {MAX_EXPERIMENT_EXAMPLES}, got {n}"),
                ));
            }
            non_negative(m.noise, &at("data", "/two_moons/noise"))?;
            if !(m.margin.is_finite() && m.margin.abs() <= 10.0) {
                return Err(InputError::new(
                    at("data", "/two_moons/margin"),
                    format!(
                        "must be a number between −10 and 10 (the paper: ±0.1), got {}",
                        m.margin
                    ),
                ));
            }
            if !(m.rotation_degrees.is_finite() && m.rotation_degrees.abs() <= 360.0) {
                return Err(InputError::new(
                    at("data", "/two_moons/rotation_degrees"),
                    format!(
                        "must be an angle in degrees between −360 and 360, got {}",
                        m.rotation_degrees
                    ),
                ));
            }
            Dataset::two_moons(&TwoMoons {
                examples: n,
                noise: m.noise,
                seed: m.seed,
                margin: m.margin,
                rotation_degrees: m.rotation_degrees,
            })
            .map_err(|e| e.within(&at("data", "/two_moons")))
        }
        DataSpec::Csv(c) => {
            let field = at("data", "/csv/path");
            if c.path.trim().is_empty() {
                return Err(InputError::new(
                    field,
                    "is empty; give the CSV file's path relative to the spec file",
                ));
            }
            let path = resolve_data_path(base_dir, &c.path, &field)?;
            let text = read_text(&path, &field)?;
            let d = Dataset::from_csv(&text, &c.label_column, &at("data", "/csv"))?;
            if d.len() < 2 || d.len() > MAX_EXPERIMENT_EXAMPLES {
                return Err(InputError::new(
                    field,
                    format!(
                        "{} has {} examples; give between 2 and {MAX_EXPERIMENT_EXAMPLES}",
                        path.display(),
                        d.len()
                    ),
                ));
            }
            Ok(d)
        }
    }
}

/// The spec's bounds on the depth (the widths and dropout are checked by [`check_training`]).
fn check_depth(n: &Architecture, at: &dyn Fn(&str, &str) -> String) -> Result<(), InputError> {
    if n.hidden.is_empty() || n.hidden.len() > MAX_DEPTH {
        return Err(InputError::new(
            at("network", "/hidden"),
            format!(
                "must list between 1 and {MAX_DEPTH} hidden widths (the paper: [500]), got {}",
                n.hidden.len()
            ),
        ));
    }
    Ok(())
}

fn check_tracking(t: &Tracking, settings: &[SettingPlan]) -> Result<Tracking, InputError> {
    let f = "experiment.tracking";
    if t.indices.is_empty() || t.indices.len() > 64 {
        return Err(InputError::new(
            format!("{f}.indices"),
            "must list between 1 and 64 eigen-indices (counting from 0; the paper's Figure 2: [1, 6])",
        ));
    }
    let n_min = settings.iter().map(|s| s.dataset.len()).min().unwrap_or(0);
    for (i, &k) in t.indices.iter().enumerate() {
        if k >= n_min {
            return Err(InputError::new(
                format!("{f}.indices[{i}]"),
                format!(
                    "{k} is not an eigen-index of a data set with {n_min} examples; give indices below {n_min}"
                ),
            ));
        }
    }
    if t.every == 0 {
        return Err(InputError::new(
            format!("{f}.every"),
            "must be at least 1 (record every this many epochs)",
        ));
    }
    for (i, s) in settings.iter().enumerate() {
        let entries = s.dataset.len().saturating_mul(s.parameters());
        if entries > MAX_TANGENT_ENTRIES {
            return Err(InputError::new(
                f,
                format!(
                    "setting {i} ({:?}) has a tangent-feature matrix of {} examples × {} parameters, more than the {MAX_TANGENT_ENTRIES} entries tracking allows; track a narrower network or move this setting to a spec without `tracking`",
                    s.label,
                    s.dataset.len(),
                    s.parameters()
                ),
            ));
        }
        crate::network::check_tracking(&s.dataset, &s.training, t).map_err(|e| {
            InputError::new(
                format!("experiment.{}", e.field),
                format!("(setting {i}, {:?}) {}", s.label, e.message),
            )
        })?;
        let records = s.training.epochs / t.every + 2;
        if records.saturating_mul(t.indices.len()) > 20_000_000 {
            return Err(InputError::new(
                format!("{f}.every"),
                format!(
                    "records {records} epochs of {} indices in setting {i}; record less often (a larger `every`)",
                    t.indices.len()
                ),
            ));
        }
    }
    Ok(t.clone())
}

fn check_figure(
    fig: &ExperimentFigureSpec,
    tracking: Option<&Tracking>,
    settings: &[SettingPlan],
) -> Result<(), InputError> {
    let f = "experiment.figure";
    if let Some(s) = fig.panel_size
        && !(120..=2000).contains(&s)
    {
        return Err(InputError::new(
            format!("{f}.panel_size"),
            format!("must be between 120 and 2000 pixels, got {s}"),
        ));
    }
    if let Some(d) = &fig.dynamics {
        let Some(t) = tracking else {
            return Err(InputError::new(
                format!("{f}.dynamics"),
                "needs `experiment.tracking` (the responses it draws); add a tracking section or remove `dynamics`",
            ));
        };
        if let Some(ix) = &d.indices {
            if ix.is_empty() {
                return Err(InputError::new(
                    format!("{f}.dynamics.indices"),
                    "is empty; give tracked eigen-indices or leave it out",
                ));
            }
            for (i, k) in ix.iter().enumerate() {
                if !t.indices.contains(k) {
                    return Err(InputError::new(
                        format!("{f}.dynamics.indices[{i}]"),
                        format!("{k} is not tracked; add it to experiment.tracking.indices"),
                    ));
                }
            }
        }
        if d.predictions != PredictionPlacement::None && !t.predictions {
            return Err(InputError::new(
                format!("{f}.dynamics.predictions"),
                "needs `\"predictions\": true` in experiment.tracking; set it, or \"none\"",
            ));
        }
    }
    if fig.kind == ExperimentFigureKind::Stochastic && tracking.is_none_or(|t| t.sde.is_none()) {
        return Err(InputError::new(
            format!("{f}.kind"),
            "\"stochastic\" draws the minibatch SDE against the real networks; add `\"sde\": {}` (with `\"predictions\": true`) to experiment.tracking",
        ));
    }
    if fig.kind == ExperimentFigureKind::WidthGap {
        if !tracking.is_some_and(|t| t.predictions) {
            return Err(InputError::new(
                format!("{f}.kind"),
                "\"width_gap\" compares real and linearised responses; add `\"tracking\": {\"indices\": […], \"predictions\": true}`",
            ));
        }
        if settings.len() < 2 {
            return Err(InputError::new(
                format!("{f}.kind"),
                "\"width_gap\" needs at least two settings of different widths",
            ));
        }
        let mut widths: Vec<usize> = settings
            .iter()
            .map(|s| s.network.hidden.last().copied().unwrap_or(0))
            .collect();
        widths.sort_unstable();
        widths.dedup();
        if widths.len() < 2 {
            return Err(InputError::new(
                "experiment.settings",
                "all have the same last hidden width; a width gap needs settings of at least two widths",
            ));
        }
    }
    Ok(())
}

fn check_grid(g: &GridSpec) -> Result<GridPlan, InputError> {
    let f = "experiment.grid";
    let [lo, hi] = g.range;
    if !(lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo) < 1e12) {
        return Err(InputError::new(
            format!("{f}.range"),
            format!("must be [lo, hi] with finite lo < hi (the paper: [-2, 2]), got [{lo}, {hi}]"),
        ));
    }
    if !(2..=MAX_GRID).contains(&g.resolution) {
        return Err(InputError::new(
            format!("{f}.resolution"),
            format!(
                "must be between 2 and {MAX_GRID} points per axis (the paper: 100), got {}",
                g.resolution
            ),
        ));
    }
    Ok(GridPlan {
        lo,
        hi,
        resolution: g.resolution,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_optimiser_variant_replaces_the_base() {
        let mut base = json!({"optimiser": {"sgd": {"learning_rate": 0.01}}, "epochs": 5});
        merge(&mut base, &json!({"optimiser": {"adam": {}}}));
        let t: TrainingSpec = typed(&base, "t").expect("parses");
        assert!(matches!(t.optimiser, Optimiser::Adam { .. }));
        assert_eq!(t.epochs, 5);
    }

    #[test]
    fn grid_axis_has_both_ends() {
        let g = GridPlan {
            lo: -2.0,
            hi: 2.0,
            resolution: 5,
        };
        assert_eq!(g.axis(), vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert_eq!(g.points().len(), 50);
        assert_eq!(&g.points()[..4], &[-2.0, -2.0, -1.0, -2.0]);
    }

    #[test]
    fn the_paper_network_has_2001_parameters() {
        let plan = SettingPlan {
            label: String::new(),
            data: DataSpec::TwoMoons(typed(&json!({}), "d").expect("defaults")),
            network: typed(&json!({}), "n").expect("defaults"),
            training_spec: typed(&json!({}), "t").expect("defaults"),
            dataset: Dataset {
                dimension: 2,
                points: vec![0.0; 600],
                labels: vec![1.0; 300],
            },
            training: Training {
                architecture: Architecture {
                    hidden: vec![500],
                    dropout: 0.0,
                    batch_norm: false,
                    parameterisation: crate::network::Parameterisation::Standard,
                },
                optimiser: Optimiser::Sgd {
                    learning_rate: 0.01,
                    momentum: 0.9,
                },
                epochs: 1000,
                weight_decay: 0.0,
                sd: 0.0,
                batch_size: None,
                batch_sampling: Default::default(),
                loss: crate::model::LossModel::Exact,
            },
            seeds: (0..10).collect(),
        };
        assert_eq!(plan.parameters(), 2 * 500 + 500 + 500 + 1);
        // No tracking: epochs × parameters × examples × seeds.
        assert_eq!(plan.work(None), 1000.0 * 2001.0 * 300.0 * 10.0);
    }
}
