//! Image experiments: an `experiment` section whose `data` is `{"colored_mnist": {…}}` (the
//! paper's Table 1 and Figure 4, issue #20), checked and expanded into an [`ImagePlan`].
//!
//! ```json
//! "experiment": {
//!   "data": { "colored_mnist": { "dataset": "fashion-mnist", "train_examples": 50000,
//!             "test_examples": 10000, "label_noise": 0.25, "colour_flip": [0.2, 0.1, 0.9],
//!             "subsample": 2, "label_threshold": 5 } },
//!   "methods": ["erm", "sd", "irm", {"name": "sd", "label": "sd-short", "steps": 500}],
//!   "seeds": 10,
//!   "precision": "f32",
//!   "record_every": 10,
//!   "figure": { "variants": true },
//!   "responses": { "examples": 1000, "indices": [0, 1, 2, 5, 10, 50] }
//! }
//! ```
//!
//! The data set is named, never a path: its folder is found (in this order) in each folder
//! given with `--data-dir`, in the folder named by `STARVATION_DATA`, next to the spec, and in
//! the standard install folder `/usr/share/datasets` — as `<folder>/<dataset>/` holding
//! `train-images-idx3-ubyte[.gz]` and `train-labels-idx1-ubyte[.gz]` (the first folder with
//! both wins). The images and labels are read and checked when the spec is checked, before any
//! work.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::experiment::{DATA_DIR_VARIABLE, ExperimentSpec, SeedsSpec};
use super::json::from_value;
use super::{Spec, check_file_stem, names::NameUse};
use crate::error::InputError;
use crate::images::{
    ColouredMnist, LabelledImages, MethodRun, Objective, Precision, read_labelled_images,
};

/// The standard install folder of named data sets (Debian's `dataset-*` packages).
pub const STANDARD_DATA_ROOT: &str = "/usr/share/datasets";
/// Largest number of methods.
pub const MAX_METHODS: usize = 16;
/// Largest amount of work of one image spec in multiply-adds (Σ methods × seeds × steps ×
/// per-step work): about 3 days on two cores at 50 GFLOP/s.
pub const MAX_IMAGE_WORK: f64 = 1e16;

/// Whether an `experiment` section trains image networks (`data` is `{"colored_mnist": …}`).
pub fn is_image_data(section: &ExperimentSpec) -> bool {
    section
        .data
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key("colored_mnist"))
}

/// The `colored_mnist` data section as written.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColoredMnistSpec {
    /// Name of the data set's folder (default "fashion-mnist"; "mnist" for the paper's own).
    #[serde(default = "default_dataset")]
    pub dataset: String,
    /// Images in the training environments (default 50 000).
    #[serde(default = "default_train_examples")]
    pub train_examples: usize,
    /// Images in the test environment, the file's last ones (default 10 000).
    #[serde(default = "default_test_examples")]
    pub test_examples: usize,
    /// Label noise (default 0.25).
    #[serde(default = "default_label_noise")]
    pub label_noise: f64,
    /// Colour flip per environment, the test environment's last (default [0.2, 0.1, 0.9]).
    #[serde(default = "default_colour_flip")]
    pub colour_flip: Vec<f64>,
    /// Subsampling (default 2).
    #[serde(default = "default_subsample")]
    pub subsample: usize,
    /// Classes below this are label 1 (default 5).
    #[serde(default = "default_label_threshold")]
    pub label_threshold: u8,
}

fn default_dataset() -> String {
    "fashion-mnist".into()
}
fn default_train_examples() -> usize {
    ColouredMnist::default().train_examples
}
fn default_test_examples() -> usize {
    ColouredMnist::default().test_examples
}
fn default_label_noise() -> f64 {
    ColouredMnist::default().label_noise
}
fn default_colour_flip() -> Vec<f64> {
    ColouredMnist::default().colour_flip
}
fn default_subsample() -> usize {
    ColouredMnist::default().subsample
}
fn default_label_threshold() -> u8 {
    ColouredMnist::default().label_threshold
}

impl ColoredMnistSpec {
    /// The engine's protocol.
    pub fn protocol(&self) -> ColouredMnist {
        ColouredMnist {
            train_examples: self.train_examples,
            test_examples: self.test_examples,
            label_noise: self.label_noise,
            colour_flip: self.colour_flip.clone(),
            subsample: self.subsample,
            label_threshold: self.label_threshold,
        }
    }
}

/// The data section of an image experiment.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageDataSpec {
    /// The paper's Colored-MNIST protocol on an MNIST-format data set.
    pub colored_mnist: ColoredMnistSpec,
}

/// One method as written: a name ("erm", "sd", "irm", "oracle"), or a name with overrides of the
/// protocol's settings.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodSpec {
    /// "erm", "sd", "irm" or "oracle".
    name: String,
    /// The row label in outputs (default the name).
    #[serde(default)]
    label: Option<String>,
    /// Adam steps (default the protocol's: ERM 1001, SD 2001, IRM 501).
    #[serde(default)]
    steps: Option<usize>,
    /// Adam's learning rate (default the protocol's).
    #[serde(default)]
    learning_rate: Option<f64>,
    /// Hidden widths (default [300, 300]; IRM [390, 390]).
    #[serde(default)]
    hidden: Option<Vec<usize>>,
    /// SD: c.
    #[serde(default)]
    coefficient: Option<f64>,
    /// SD: the step from which the cross-entropy is scaled by c.
    #[serde(default)]
    schedule_step: Option<usize>,
    /// IRM: λ of the L2 term.
    #[serde(default)]
    l2: Option<f64>,
    /// IRM: the penalty weight after annealing.
    #[serde(default)]
    penalty_weight: Option<f64>,
    /// IRM: the step from which the penalty weight applies.
    #[serde(default)]
    anneal_step: Option<usize>,
}

/// An image experiment ready to run.
#[derive(Debug, Clone)]
pub struct ImagePlan {
    /// The data section as written (with defaults).
    pub data: ColoredMnistSpec,
    /// The folder the images were read from.
    pub folder: PathBuf,
    /// The images and labels file.
    pub files: [PathBuf; 2],
    /// The images (read and checked).
    pub images: Arc<LabelledImages>,
    /// The methods, in the spec's order (each `name` is the row label in outputs).
    pub methods: Vec<MethodRun>,
    /// The restarts' seeds.
    pub seeds: Vec<u64>,
    /// Training precision.
    pub precision: Precision,
    /// Curve recording interval in steps.
    pub record_every: usize,
    /// Figure file stem (default the spec's name).
    pub stem: String,
    /// Figure title.
    pub title: Option<String>,
    /// Whether Figure 4 (the test variants) is drawn.
    pub variants: bool,
    /// The tangent-kernel responses tracked along training.
    pub responses: Option<crate::images::ResponseTracking>,
}

impl ImagePlan {
    /// Multiply-adds of the whole plan.
    pub fn work(&self) -> f64 {
        let n = self.data.train_examples;
        let dimension = 2
            * self.images.rows.div_ceil(self.data.subsample)
            * self.images.columns.div_ceil(self.data.subsample);
        self.methods
            .iter()
            .map(|m| m.multiply_adds(dimension, n) * m.steps as f64)
            .sum::<f64>()
            * self.seeds.len() as f64
    }

    /// Peak memory of the largest method (bytes, an upper estimate; methods and restarts run
    /// one after another): the rendered training and test images, the activations and their
    /// gradients over the full batch (4 · n · Σ widths), θ with its gradient and Adam's two
    /// moments, and with `responses` the tangent features and kernels of its images.
    pub fn peak_bytes(&self) -> f64 {
        let float = match self.precision {
            Precision::F32 => 4.0,
            _ => 8.0,
        };
        let n = self.data.train_examples as f64;
        let images = (self.data.train_examples + self.data.test_examples) as f64;
        let dimension = (2
            * self.images.rows.div_ceil(self.data.subsample)
            * self.images.columns.div_ceil(self.data.subsample)) as f64;
        let largest = self
            .methods
            .iter()
            .map(|m| {
                let mut widths = vec![dimension];
                widths.extend(m.hidden.iter().map(|&w| w as f64));
                widths.push(1.0);
                let parameters: f64 = widths.windows(2).map(|w| (w[0] + 1.0) * w[1]).sum();
                let hidden: f64 = m.hidden.iter().map(|&w| w as f64).sum();
                float * (4.0 * n * (hidden + 1.0) + 4.0 * parameters)
                    + self.responses.as_ref().map_or(0.0, |r| {
                        let e = r.examples as f64;
                        8.0 * (e * parameters + 4.0 * e * e)
                    })
            })
            .fold(0.0, f64::max);
        float * images * dimension + largest
    }

    /// Total steps over methods and seeds (the progress bar's length).
    pub fn total_steps(&self) -> u64 {
        self.methods.iter().map(|m| m.steps as u64).sum::<u64>() * self.seeds.len() as u64
    }
}

impl Spec {
    /// Whether this spec is an image experiment.
    pub fn is_image_experiment(&self) -> bool {
        self.experiment.as_ref().is_some_and(is_image_data)
    }

    /// The image experiment checked and expanded: every field validated, the data set found and
    /// read, the work bounded. Errors name the field (or the file).
    pub fn image_plan(&self) -> Result<ImagePlan, InputError> {
        let p = "experiment";
        let section = self
            .experiment
            .as_ref()
            .filter(|s| is_image_data(s))
            .ok_or_else(|| {
                InputError::new(
                    format!("{p}.data"),
                    "is not {\"colored_mnist\": {…}}; this plan is for image experiments",
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
        for (field, present) in [
            ("network", section.network.is_some()),
            ("training", section.training.is_some()),
            ("tracking", section.tracking.is_some()),
            ("grid", section.grid.is_some()),
            ("settings", section.settings.is_some()),
        ] {
            if present {
                return Err(InputError::new(
                    format!("{p}.{field}"),
                    "does not apply to image experiments; give the network and training per method in `methods` (e.g. {\"name\": \"erm\", \"steps\": 101, \"hidden\": [300, 300]})",
                ));
            }
        }
        let figure: super::ExperimentFigureSpec = match &section.figure {
            Some(v) => super::parse_figure(v, &format!("{p}.figure"))?,
            None => super::ExperimentFigureSpec::default(),
        };
        if figure.dynamics.is_some()
            || figure.kind != super::ExperimentFigureKind::Boundaries
            || figure.columns.is_some()
            || figure.panel_size.is_some()
            || figure.size.is_some()
        {
            return Err(InputError::new(
                format!("{p}.figure"),
                "image experiments take only `name`, `title` and `variants` here",
            ));
        }
        let data_value = section.data.clone().unwrap_or(Value::Null);
        let data: ImageDataSpec = from_value(data_value, &format!("{p}.data"))?;
        let data = data.colored_mnist;
        let field = format!("{p}.data.colored_mnist");
        let methods = methods(section.methods.as_deref())?;
        let seeds = seeds(section.seeds.as_ref())?;
        let record_every = section.record_every.unwrap_or(10);
        if record_every == 0 {
            return Err(InputError::new(
                format!("{p}.record_every"),
                "must be at least 1 (steps between points of the training curves)",
            ));
        }
        let stem = figure.name.clone().unwrap_or_else(|| self.name.clone());
        check_file_stem(&stem, &format!("{p}.figure.name"), NameUse::Figure)?;
        // Everything written is checked; now the files.
        let folder = find_dataset(
            &data.dataset,
            self.base_dir.as_deref(),
            &self.data_dirs,
            &format!("{field}.dataset"),
        )?;
        let files = dataset_files(&folder);
        let images = cached_images(&files, &field)?;
        data.protocol()
            .check(images.len(), images.rows, images.columns)
            .map_err(|e| {
                InputError::new(
                    format!("{p}.data.{}", e.field),
                    format!(
                        "{} (data set {:?} in {})",
                        e.message,
                        data.dataset,
                        folder.display()
                    ),
                )
            })?;
        let plan = ImagePlan {
            data,
            folder,
            files,
            images,
            methods,
            seeds,
            precision: section.precision.unwrap_or_default(),
            record_every,
            stem,
            title: figure.title.clone(),
            variants: figure.variants,
            responses: section.responses.clone(),
        };
        if let Some(r) = &plan.responses {
            r.check(plan.data.train_examples, &format!("{p}.responses"))?;
        }
        let bytes = plan.peak_bytes();
        if bytes.is_nan() || bytes > crate::network::MAX_MEMORY_BYTES {
            return Err(InputError::new(
                format!("{p}.methods"),
                format!(
                    "needs about {:.1} GiB at its peak (full-batch activations of the largest method over {} images), more than the {:.0} GiB one training may use; use narrower hidden layers or fewer train_examples",
                    bytes / (1u64 << 30) as f64,
                    plan.data.train_examples,
                    crate::network::MAX_MEMORY_BYTES / (1u64 << 30) as f64
                ),
            ));
        }
        let work = plan.work();
        if work.is_nan() || work > MAX_IMAGE_WORK {
            return Err(InputError::new(
                p,
                format!(
                    "asks for about {work:.1e} multiply-adds, more than the {MAX_IMAGE_WORK:.0e} one spec may run; use fewer seeds, steps or images"
                ),
            ));
        }
        Ok(plan)
    }
}

fn seeds(spec: Option<&SeedsSpec>) -> Result<Vec<u64>, InputError> {
    // The restarts: the experiment's own seed check (count or distinct list, 1 to MAX_SEEDS,
    // the count checked before the list is built); the paper's 10 by default.
    super::experiment::check_seeds(spec.unwrap_or(&SeedsSpec::Count(10)), "experiment.seeds")
}

fn methods(written: Option<&[Value]>) -> Result<Vec<MethodRun>, InputError> {
    let default = [Value::from("erm"), Value::from("sd"), Value::from("irm")];
    let written = written.unwrap_or(&default);
    if written.is_empty() || written.len() > MAX_METHODS {
        return Err(InputError::new(
            "experiment.methods",
            format!("give 1 to {MAX_METHODS} methods (the paper: [\"erm\", \"sd\", \"irm\"])"),
        ));
    }
    let mut out: Vec<MethodRun> = Vec::with_capacity(written.len());
    for (i, v) in written.iter().enumerate() {
        let field = format!("experiment.methods[{i}]");
        let spec: MethodSpec = match v {
            Value::String(s) => MethodSpec {
                name: s.clone(),
                label: None,
                steps: None,
                learning_rate: None,
                hidden: None,
                coefficient: None,
                schedule_step: None,
                l2: None,
                penalty_weight: None,
                anneal_step: None,
            },
            other => from_value(other.clone(), &field)?,
        };
        let mut run = MethodRun::protocol(&spec.name).ok_or_else(|| {
            InputError::new(
                format!("{field}.name"),
                format!(
                    "{:?} is not a method; give \"erm\", \"sd\", \"irm\" or \"oracle\" (ERM on grey images)",
                    spec.name
                ),
            )
        })?;
        if let Some(label) = &spec.label {
            check_file_stem(label, &format!("{field}.label"), NameUse::Figure)?;
            run.name = label.clone();
        }
        if let Some(s) = spec.steps {
            run.steps = s;
        }
        if let Some(l) = spec.learning_rate {
            run.learning_rate = l;
        }
        if let Some(h) = &spec.hidden {
            run.hidden = h.clone();
        }
        let misplaced = |name: &str| {
            InputError::new(
                format!("{field}.{name}"),
                format!("does not apply to method {:?}; leave it out", spec.name),
            )
        };
        match &mut run.objective {
            Objective::Sd {
                coefficient,
                schedule_step,
            } => {
                if let Some(c) = spec.coefficient {
                    *coefficient = c;
                }
                if let Some(s) = spec.schedule_step {
                    *schedule_step = s;
                }
            }
            Objective::Irm {
                l2,
                penalty_weight,
                anneal_step,
            } => {
                if let Some(v) = spec.l2 {
                    *l2 = v;
                }
                if let Some(v) = spec.penalty_weight {
                    *penalty_weight = v;
                }
                if let Some(v) = spec.anneal_step {
                    *anneal_step = v;
                }
            }
            Objective::Erm => {}
        }
        let sd = matches!(run.objective, Objective::Sd { .. });
        let irm = matches!(run.objective, Objective::Irm { .. });
        for (name, present, fits) in [
            ("coefficient", spec.coefficient.is_some(), sd),
            ("schedule_step", spec.schedule_step.is_some(), sd),
            ("l2", spec.l2.is_some(), irm),
            ("penalty_weight", spec.penalty_weight.is_some(), irm),
            ("anneal_step", spec.anneal_step.is_some(), irm),
        ] {
            if present && !fits {
                return Err(misplaced(name));
            }
        }
        run.check(&field)?;
        if out.iter().any(|m| m.name == run.name) {
            return Err(InputError::new(
                field,
                format!(
                    "{:?} is listed twice; give the second a \"label\" of its own",
                    run.name
                ),
            ));
        }
        out.push(run);
    }
    Ok(out)
}

/// The images and labels files of a data-set folder (gzip-compressed or raw).
pub fn dataset_files(folder: &Path) -> [PathBuf; 2] {
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"].map(|stem| {
        let gz = folder.join(format!("{stem}.gz"));
        if gz.is_file() { gz } else { folder.join(stem) }
    })
}

fn has_files(folder: &Path) -> bool {
    dataset_files(folder).iter().all(|f| f.is_file())
}

/// Finds the folder of the data set `name`: `<dir>/<name>` (or `<dir>` itself) for each of
/// `data_dirs` and `STARVATION_DATA`, then `<spec folder>/<name>`, then
/// [`STANDARD_DATA_ROOT`]`/<name>`; errors name `field` (or `--data-dir`).
pub fn find_dataset(
    name: &str,
    base_dir: Option<&Path>,
    data_dirs: &[PathBuf],
    field: &str,
) -> Result<PathBuf, InputError> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        return Err(InputError::new(
            field,
            format!(
                "{name:?} is not a data-set name; give a folder name such as \"fashion-mnist\" or \"mnist\" (letters, digits, '-', '_', '.'), never a path: name the folder holding it with --data-dir or {DATA_DIR_VARIABLE}"
            ),
        ));
    }
    let mut roots: Vec<(PathBuf, String)> = Vec::new();
    for d in data_dirs {
        if !d.is_dir() {
            return Err(InputError::new(
                "--data-dir",
                format!("{} is not a folder; name an existing folder", d.display()),
            ));
        }
        roots.push((d.clone(), "--data-dir".into()));
    }
    if let Some(extra) = std::env::var_os(DATA_DIR_VARIABLE).filter(|v| !v.is_empty()) {
        let extra = PathBuf::from(extra);
        if !extra.is_dir() {
            return Err(InputError::new(
                DATA_DIR_VARIABLE,
                format!(
                    "{} is not a folder; name an existing folder",
                    extra.display()
                ),
            ));
        }
        roots.push((extra, DATA_DIR_VARIABLE.into()));
    }
    let mut looked = Vec::new();
    for (root, _) in &roots {
        for folder in [root.join(name), root.clone()] {
            if has_files(&folder) {
                return Ok(folder);
            }
            looked.push(folder.display().to_string());
        }
    }
    let mut fixed = Vec::new();
    if let Some(b) = base_dir {
        fixed.push(b.join(name));
    }
    fixed.push(Path::new(STANDARD_DATA_ROOT).join(name));
    for folder in fixed {
        if has_files(&folder) {
            return Ok(folder);
        }
        looked.push(folder.display().to_string());
    }
    let hint = if name == "fashion-mnist" {
        " (Debian/Ubuntu: apt-get install dataset-fashion-mnist)"
    } else {
        ""
    };
    Err(InputError::new(
        field,
        format!(
            "data set {name:?} not found: no folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] among {}; install it{hint} or name its folder with --data-dir or {DATA_DIR_VARIABLE}",
            looked.join(", ")
        ),
    ))
}

/// The files' identity: path, length and modification time of each.
type FileStamp = Vec<(PathBuf, u64, Option<std::time::SystemTime>)>;

/// The last data set read in this process, reused while its files are unchanged (a process
/// that checks many specs, such as `figures` or a fuzzer, reads and decompresses it once).
static LAST_READ: std::sync::Mutex<Option<(FileStamp, Arc<LabelledImages>)>> =
    std::sync::Mutex::new(None);

fn cached_images(files: &[PathBuf; 2], field: &str) -> Result<Arc<LabelledImages>, InputError> {
    let stamp: FileStamp = files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            (
                f.clone(),
                meta.as_ref().map_or(0, |m| m.len()),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    let mut last = LAST_READ.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((s, images)) = last.as_ref()
        && *s == stamp
    {
        return Ok(images.clone());
    }
    let images = Arc::new(read_labelled_images(&files[0], &files[1], 10, field)?);
    *last = Some((stamp, images.clone()));
    Ok(images)
}
