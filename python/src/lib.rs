//! Python bindings of the `starvation` engine (module `starvation._core`).
//!
//! This layer converts between Python objects and the library's types and releases the GIL
//! while the engine computes; the public Python API (`starvation/__init__.py`) is built on it.
//! Model and simulation settings cross as spec fragments (the JSON the CLI reads), validated by
//! the library's own parsers, so bad input raises `ValueError` with the CLI's one-line message.

mod convert;
mod tasks;
mod toy_fast;

use std::time::Instant;

use numpy::ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use starvation::error::{Error, InputError};
use starvation::flow::{Space, build_flow};
use starvation::model::FeatureModel;
use starvation::portrait::{
    Fixed, Portrait, PortraitSettings, StreamlineOptions, TrajectorySettings,
};
use starvation::solve::{Method, Output, SolveOptions, Trajectory, integrate as solve};

use convert::{NumericalError, error, input_error, to_python, to_value};

/// A validated model: the `model` section of a spec and the engine's model built from it.
#[pyclass(frozen, module = "starvation._core")]
struct Model {
    section: Value,
    model: FeatureModel,
}

#[pymethods]
impl Model {
    /// Builds a model from a `model` section (a dict in the spec's JSON form).
    #[new]
    fn new(section: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = to_value(section, "model")?;
        let model = tasks::model(value.clone()).map_err(input_error)?;
        Ok(Self {
            section: value,
            model,
        })
    }

    /// The `model` section this model was built from.
    #[getter]
    fn spec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.section)
    }

    /// Number of features k.
    #[getter]
    fn features(&self) -> usize {
        self.model.features()
    }

    /// Number of examples n.
    #[getter]
    fn examples(&self) -> usize {
        self.model.examples()
    }

    /// Number of parameters d.
    #[getter]
    fn parameters(&self) -> usize {
        self.model.parameters()
    }

    /// Feature strengths s (k,).
    #[getter]
    fn strengths<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f64>> {
        self.model.feature_strengths().to_vec().into_pyarray(py)
    }

    /// Coupling U (n × k).
    #[getter]
    fn coupling<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray2<f64>> {
        let u = self.model.coupling();
        Array2::from_shape_fn((u.nrows(), u.ncols()), |(i, j)| u[(i, j)]).into_pyarray(py)
    }

    /// Labels y (n,).
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<f64>> {
        self.model.labels().to_vec().into_pyarray(py)
    }

    /// Regulariser name ("none", "l2", "sd").
    #[getter]
    fn regulariser(&self) -> &'static str {
        self.model.regulariser().name()
    }

    /// λ of the regulariser (0 without one).
    #[getter]
    fn lam(&self) -> f64 {
        self.model.regulariser().lambda()
    }

    /// Loss model name.
    #[getter]
    fn loss(&self) -> &'static str {
        self.model.loss().name()
    }

    /// Rate η.
    #[getter]
    fn rate(&self) -> f64 {
        self.model.rate()
    }

    fn __repr__(&self) -> String {
        format!(
            "Model({} features, {} examples, regulariser={}, λ={}, loss={}, rate={})",
            self.model.features(),
            self.model.examples(),
            self.model.regulariser().name(),
            self.model.regulariser().lambda(),
            self.model.loss().name(),
            self.model.rate()
        )
    }
}

fn rows<'py>(py: Python<'py>, rows: &[Vec<f64>], width: usize) -> Bound<'py, numpy::PyArray2<f64>> {
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Array2::from_shape_vec((rows.len(), width), flat)
        .expect("rows of equal width")
        .into_pyarray(py)
}

/// Integrates `model`'s flow with a `simulation` section (dict); returns arrays and statistics.
/// `wall_seconds` is the time spent in the engine's integrator alone.
#[pyfunction]
fn integrate<'py>(
    py: Python<'py>,
    model: &Model,
    simulation: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let section = to_value(simulation, "simulation")?;
    let parts = tasks::simulation(section, model.model.features()).map_err(input_error)?;
    let m = &model.model;
    let (result, seconds) = py
        .detach(|| -> Result<(Trajectory, f64), Error> {
            let field = build_flow(m, parts.space).map_err(|e| e.within("model"))?;
            let y0 = match &parts.initial_state {
                Some(y) => {
                    if y.len() != field.dim() {
                        return Err(InputError::new(
                            "simulation.initial_state",
                            format!(
                                "has {} entries but the {} state has dimension {}",
                                y.len(),
                                parts.space,
                                field.dim()
                            ),
                        )
                        .into());
                    }
                    y.clone()
                }
                None => field.default_initial_state(),
            };
            let start = Instant::now();
            let tr =
                solve(field.as_ref(), &y0, parts.method, &parts.options).map_err(|e| match e {
                    Error::Input(i) => Error::Input(InputError::new(
                        i.field.replacen("options.", "simulation.", 1),
                        i.message,
                    )),
                    other => other,
                })?;
            let seconds = start.elapsed().as_secs_f64();
            // The engine's test of a result: an overflowed trajectory is a numerical failure.
            starvation::spec::trajectory_verdict(&tr)?;
            Ok((tr, seconds))
        })
        .map_err(error)?;
    let out = PyDict::new(py);
    let k = m.features();
    let dim = result.states.first().map(Vec::len).unwrap_or(0);
    out.set_item("t", result.times.clone().into_pyarray(py))?;
    out.set_item("z", rows(py, &result.responses, k))?;
    out.set_item("y", rows(py, &result.states, dim))?;
    let s = &result.stats;
    let stats = PyDict::new(py);
    stats.set_item("field_evaluations", s.field_evaluations)?;
    stats.set_item("jacobian_evaluations", s.jacobian_evaluations)?;
    stats.set_item("factorisations", s.factorisations)?;
    stats.set_item("linear_solves", s.linear_solves)?;
    stats.set_item("accepted_steps", s.accepted_steps)?;
    stats.set_item("rejected_steps", s.rejected_steps)?;
    out.set_item("stats", stats)?;
    out.set_item("stop_reason", result.stop.name())?;
    out.set_item("method", result.method.name())?;
    out.set_item("space", result.space.name())?;
    let used = PyList::empty(py);
    for seg in &result.methods_used {
        used.append((seg.method.name(), seg.from))?;
    }
    out.set_item("methods_used", used)?;
    let events = PyList::empty(py);
    for e in &result.events {
        let d = PyDict::new(py);
        d.set_item("kind", e.kind)?;
        let lc = e.index.map(|i| parts.options.events.level_crossings[i]);
        d.set_item("feature", lc.map(|l| l.feature + 1))?;
        d.set_item("level", lc.map(|l| l.level))?;
        d.set_item("time", e.time)?;
        d.set_item("bracket", e.bracket.map(|b| (b[0], b[1])))?;
        d.set_item("z", e.responses.clone().into_pyarray(py))?;
        d.set_item("y", e.state.clone().into_pyarray(py))?;
        events.append(d)?;
    }
    out.set_item("events", events)?;
    out.set_item("wall_seconds", seconds)?;
    Ok(out)
}

/// Runs spec text as the CLI command `command` (None: chosen by the spec's sections) and
/// returns the document it would write.
/// Data paths in the spec are resolved against `base_dir` (the spec file's folder).
#[pyfunction]
#[pyo3(signature = (text, command=None, base_dir=None))]
fn run_spec<'py>(
    py: Python<'py>,
    text: &str,
    command: Option<&str>,
    base_dir: Option<std::path::PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = tasks::parse(text, base_dir.as_deref()).map_err(input_error)?;
    let command = command
        .unwrap_or_else(|| tasks::default_command(&spec))
        .to_string();
    let doc = py
        .detach(|| tasks::document(&spec, &command))
        .map_err(error)?;
    to_python(py, &doc)
}

/// The text of a spec file read with the command line's checks (regular file, size limit, no
/// devices or FIFOs, UTF-8, JSON syntax and duplicate keys); ValueError naming SPEC otherwise.
#[pyfunction]
fn read_spec_text(path: std::path::PathBuf) -> PyResult<String> {
    tasks::read_spec_text(&path).map_err(input_error)
}

/// A sweep spec (text) evaluated: axes, the cell table as a (cells × columns) array, statuses,
/// thresholds and the CLI's document.
#[pyfunction]
fn sweep<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyDict>> {
    let spec = tasks::parse(text, None).map_err(input_error)?;
    let (plan, result) = py.detach(|| tasks::sweep(&spec)).map_err(error)?;
    let out = PyDict::new(py);
    let axes = PyList::empty(py);
    for a in &plan.axes {
        let d = PyDict::new(py);
        d.set_item("name", &a.name)?;
        let numeric = a
            .values
            .iter()
            .all(|v| matches!(v, starvation::sweep::AxisValue::Number(_)));
        if numeric {
            let v: Vec<f64> = a.values.iter().map(|v| v.number()).collect();
            d.set_item("values", v.into_pyarray(py))?;
        } else {
            let v: Vec<String> = a.values.iter().map(|v| v.label()).collect();
            d.set_item("values", v)?;
        }
        axes.append(d)?;
    }
    out.set_item("axes", axes)?;
    out.set_item("columns", plan.columns.clone())?;
    let width = plan.columns.len();
    let cells = plan.cells();
    let mut values = Vec::with_capacity(cells * width);
    let status = PyList::empty(py);
    for l in &result.lines {
        for c in &l.cells {
            values.extend_from_slice(&c.values);
            status.append(c.failure.as_ref().map(|f| f.to_string()))?;
        }
    }
    out.set_item(
        "values",
        Array2::from_shape_vec((cells, width), values)
            .map_err(|e| NumericalError::new_err(format!("internal: sweep table shape: {e}")))?
            .into_pyarray(py),
    )?;
    out.set_item("status", status)?;
    out.set_item(
        "threshold_branches",
        threshold_branches(py, &plan, &result)?,
    )?;
    out.set_item(
        "thresholds",
        to_python(
            py,
            &serde_json::to_value(
                starvation::result::sweep_document(spec.source(), &plan, &result)
                    .data
                    .thresholds,
            )
            .unwrap_or(Value::Null),
        )?,
    )?;
    out.set_item(
        "document",
        to_python(
            py,
            &serde_json::to_value(starvation::result::sweep_document(
                spec.source(),
                &plan,
                &result,
            ))
            .unwrap_or(Value::Null),
        )?,
    )?;
    Ok(out)
}

/// The threshold curves of a sweep with two or more axes, as the figures chain them: for every
/// threshold along the last axis and every combination of the outer axes but the one before
/// last (`x`), the found crossings of neighbouring lines chained into branches by
/// `starvation::sweep::branches` (a segment only joins crossings of the same direction on
/// neighbouring lines). Each branch: `threshold` (index), `metric`, `level`, `x` and `y` (the
/// axis names), `fixed` {axis name: value index} and `points` (m × 2: x value, threshold value).
fn threshold_branches<'py>(
    py: Python<'py>,
    plan: &starvation::SweepPlan,
    result: &starvation::SweepResult,
) -> PyResult<Bound<'py, PyList>> {
    use starvation::sweep::{CrossingDirection, CrossingPoint, branches};
    let out = PyList::empty(py);
    let n = plan.axes.len();
    if n < 2 {
        return Ok(out);
    }
    let xa = n - 2;
    let by_line: std::collections::HashMap<usize, &starvation::sweep::LineResult> =
        result.lines.iter().map(|l| (l.line, l)).collect();
    // Lines in order; the outer index of a line is its mixed-radix digits over axes 0..n-1.
    let groups = plan.lines() / plan.axes[xa].values.len().max(1);
    for (ti, t) in plan.line_thresholds().enumerate() {
        for g in 0..groups {
            // Line k of this group: x index k, the other outer axes from g (x is the fastest).
            let lines: Vec<usize> = (0..plan.axes[xa].values.len())
                .map(|k| g * plan.axes[xa].values.len() + k)
                .collect();
            let found: Vec<Vec<&starvation::ThresholdRecord>> = lines
                .iter()
                .map(|line| {
                    by_line
                        .get(line)
                        .and_then(|l| l.thresholds.get(ti))
                        .map(|r| r.iter().filter(|r| r.status.is_found()).collect())
                        .unwrap_or_default()
                })
                .collect();
            let crossings: Vec<Vec<CrossingPoint>> = found
                .iter()
                .map(|rs| {
                    rs.iter()
                        .map(|r| CrossingPoint {
                            position: r.value,
                            direction: r.direction.unwrap_or(CrossingDirection::Touching),
                        })
                        .collect()
                })
                .collect();
            let idx = plan.line_indices(lines[0]);
            for branch in branches(&crossings) {
                let points: Vec<f64> = branch
                    .iter()
                    .flat_map(|&(k, j)| [plan.axes[xa].values[k].number(), found[k][j].value])
                    .collect();
                let d = PyDict::new(py);
                d.set_item("threshold", ti)?;
                d.set_item("metric", &t.metric)?;
                d.set_item("level", t.level)?;
                d.set_item("x", &plan.axes[xa].name)?;
                d.set_item("y", &plan.axes[n - 1].name)?;
                let fixed = PyDict::new(py);
                for (a, &i) in plan.axes[..xa].iter().zip(&idx) {
                    fixed.set_item(&a.name, i)?;
                }
                d.set_item("fixed", fixed)?;
                d.set_item(
                    "points",
                    Array2::from_shape_vec((branch.len(), 2), points)
                        .map_err(|e| NumericalError::new_err(format!("internal: {e}")))?
                        .into_pyarray(py),
                )?;
                out.append(d)?;
            }
        }
    }
    Ok(out)
}

/// Equilibria and starvation matrices of the two-feature toy at n points (arrays of length n or
/// 1), in parallel with the GIL released; with `starvation_ratio`, also z_j*/z_j⁰.
#[pyfunction]
#[pyo3(signature = (s1, s2, delta, lam, rate, regulariser, tolerance, max_iterations, starvation_ratio=true))]
#[allow(clippy::too_many_arguments)]
fn toy_equilibria<'py>(
    py: Python<'py>,
    s1: PyReadonlyArray1<'py, f64>,
    s2: PyReadonlyArray1<'py, f64>,
    delta: PyReadonlyArray1<'py, f64>,
    lam: PyReadonlyArray1<'py, f64>,
    rate: f64,
    regulariser: &str,
    tolerance: f64,
    max_iterations: u32,
    starvation_ratio: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (s1, s2, delta, lam) = (
        s1.as_slice()?,
        s2.as_slice()?,
        delta.as_slice()?,
        lam.as_slice()?,
    );
    let n = [s1.len(), s2.len(), delta.len(), lam.len()]
        .into_iter()
        .max()
        .unwrap_or(0);
    let inputs = toy_fast::ToyInputs {
        s1,
        s2,
        delta,
        lambda: lam,
        rate,
        regulariser: toy_fast::regulariser(regulariser).map_err(input_error)?,
        tolerance,
        max_iterations,
    };
    toy_fast::validate(&inputs, n).map_err(input_error)?;
    let (r, ratio) = py.detach(|| {
        let r = toy_fast::solve(&inputs, n);
        let ratio = starvation_ratio.then(|| toy_fast::starvation_ratio(&inputs, &r.z));
        (r, ratio)
    });
    let out = PyDict::new(py);
    out.set_item(
        "z",
        Array2::from_shape_vec((n, 2), r.z)
            .expect("n × 2")
            .into_pyarray(py),
    )?;
    out.set_item(
        "starvation_matrix",
        Array3::from_shape_vec((n, 2, 2), r.starvation)
            .expect("n × 2 × 2")
            .into_pyarray(py),
    )?;
    out.set_item(
        "eigenvalues",
        Array2::from_shape_vec((n, 2), r.eigenvalues)
            .expect("n × 2")
            .into_pyarray(py),
    )?;
    if let Some(ratio) = ratio {
        out.set_item(
            "starvation_ratio",
            Array2::from_shape_vec((n, 2), ratio)
                .expect("n × 2")
                .into_pyarray(py),
        )?;
    }
    out.set_item("iterations", r.iterations.into_pyarray(py))?;
    out.set_item("residual", r.residual.into_pyarray(py))?;
    out.set_item("converged", r.converged.into_pyarray(py))?;
    Ok(out)
}

/// The CLI benchmark's equilibrium grid timed in-process: (seconds, checksum).
#[pyfunction]
fn bench_equilibria(py: Python<'_>, side: usize, threads: usize) -> (f64, f64) {
    py.detach(|| toy_fast::bench_equilibria(side, threads))
}

/// The orbit diagram of the optimiser map `method` ("gd", "heavy_ball", "nesterov"; momentum μ)
/// on `model`'s z-flow against the steps `steps`, started next to z*: per step the kept iterates
/// of coordinate `coordinate` (0-based) after `transient` dropped ones, which iteration diverged,
/// λ_min and the predicted flip (docs/theory.md §8).
#[pyfunction]
#[pyo3(signature = (model, method, momentum, steps, coordinate, transient, points))]
#[allow(clippy::too_many_arguments)]
fn orbit_diagram<'py>(
    py: Python<'py>,
    model: &Model,
    method: &str,
    momentum: Option<f64>,
    steps: Vec<f64>,
    coordinate: usize,
    transient: usize,
    points: usize,
) -> PyResult<Bound<'py, PyDict>> {
    use starvation::equilibrium::orbit_diagram::{OrbitDiagramSettings, orbit_diagram as diagram};
    use starvation::sweep::MapMethod;
    if method == "adam" {
        return Err(input_error(InputError::new(
            "method",
            "\"adam\" is not an autonomous map (its bias correction depends on the step count) and has no map in z; use \"gd\", \"heavy_ball\" or \"nesterov\"",
        )));
    }
    let map_method: MapMethod =
        starvation::spec::from_value(Value::String(method.to_string()), "method")
            .map_err(input_error)?;
    let momentum = map_method
        .momentum_of(momentum)
        .map_err(|m| input_error(InputError::new("momentum", m)))?;
    let settings = OrbitDiagramSettings {
        steps,
        coordinate,
        transient,
        points,
    };
    let m = &model.model;
    let result = py
        .detach(|| -> Result<_, Error> {
            settings.check(m.features())?;
            let z_star =
                starvation::equilibrium::find_equilibrium(m, None, &Default::default())?.point;
            let field = build_flow(m, Space::Responses)?;
            let map = map_method.map(1.0, momentum);
            Ok(diagram(field.as_ref(), &map, &z_star, &settings)?)
        })
        .map_err(error)?;
    let out = PyDict::new(py);
    out.set_item("method", result.method)?;
    out.set_item("momentum", result.momentum)?;
    out.set_item("coordinate", result.coordinate)?;
    out.set_item("equilibrium", result.equilibrium.clone().into_pyarray(py))?;
    out.set_item("lambda_min", result.lambda_min)?;
    out.set_item("predicted_flip", result.predicted_flip)?;
    out.set_item("transient", result.transient)?;
    let steps: Vec<f64> = result.columns.iter().map(|c| c.step).collect();
    out.set_item("steps", steps.into_pyarray(py))?;
    let diverged: Vec<i64> = result
        .columns
        .iter()
        .map(|c| c.diverged_at.map_or(-1, |k| k as i64))
        .collect();
    out.set_item("diverged_at", diverged.into_pyarray(py))?;
    let flat: Vec<f64> = result
        .columns
        .iter()
        .flat_map(|c| {
            if c.points.is_empty() {
                vec![0.0; points]
            } else {
                c.points.clone()
            }
        })
        .collect();
    let grid = Array2::from_shape_vec((result.columns.len(), points), flat)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    out.set_item("points", grid.into_pyarray(py))?;
    Ok(out)
}

/// `starvation verify`: the checks as a document.
#[pyfunction]
#[pyo3(signature = (quick=false))]
fn verify<'py>(py: Python<'py>, quick: bool) -> PyResult<Bound<'py, PyAny>> {
    let doc = py.detach(|| tasks::verify(quick));
    to_python(py, &doc)
}

fn parse_space(name: &str) -> Result<Space, InputError> {
    starvation::spec::parse_space(name, "space")
}

fn parse_method(name: &str) -> Result<Method, InputError> {
    starvation::spec::parse_method(name, "method")
}

fn polyline<'py>(py: Python<'py>, points: &[(f64, f64)]) -> Bound<'py, numpy::PyArray2<f64>> {
    let flat: Vec<f64> = points.iter().flat_map(|p| [p.0, p.1]).collect();
    Array2::from_shape_vec((points.len(), 2), flat)
        .expect("n × 2")
        .into_pyarray(py)
}

/// Phase-portrait data of `model` on the (x, y) slice: field samples, streamlines,
/// nullclines, equilibria and trajectories.
#[pyfunction]
#[pyo3(signature = (model, space, x, y, x_range, y_range, fixed, arrows, streamlines, nullclines, equilibria, starts, random, t_end, method, rtol, atol, count))]
#[allow(clippy::too_many_arguments)]
fn portrait<'py>(
    py: Python<'py>,
    model: &Model,
    space: &str,
    x: usize,
    y: usize,
    x_range: (f64, f64),
    y_range: (f64, f64),
    fixed: Option<Vec<f64>>,
    arrows: Option<(usize, usize)>,
    streamlines: Option<usize>,
    nullclines: Option<(usize, usize)>,
    equilibria: bool,
    starts: Vec<Vec<f64>>,
    random: Option<(usize, u64)>,
    t_end: f64,
    method: &str,
    rtol: f64,
    atol: f64,
    count: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let space = parse_space(space).map_err(input_error)?;
    let method = parse_method(method).map_err(input_error)?;
    for (name, c) in [("x", x), ("y", y)] {
        if c == 0 {
            return Err(input_error(InputError::new(
                name,
                "coordinates are numbered from 1 (1 is the first state coordinate)",
            )));
        }
    }
    if x == y {
        return Err(input_error(InputError::new(
            "y",
            format!("is the same coordinate as x ({x}); choose two different coordinates"),
        )));
    }
    let trajectories = (!starts.is_empty() || random.is_some()).then(|| TrajectorySettings {
        starts,
        random,
        method,
        options: SolveOptions::until(t_end)
            .tolerances(rtol, atol)
            .output(Output::Count(count)),
    });
    let settings = PortraitSettings {
        space,
        x: x - 1,
        y: y - 1,
        x_range,
        y_range,
        fixed: fixed.map(Fixed::Values).unwrap_or(Fixed::Equilibrium),
        arrows,
        streamlines: streamlines.map(|density| StreamlineOptions {
            density,
            ..StreamlineOptions::default()
        }),
        nullclines,
        equilibria,
        trajectories,
    };
    let m = &model.model;
    let p: Portrait = py
        .detach(|| starvation::portrait::portrait(m, &settings))
        .map_err(error)?;
    let out = PyDict::new(py);
    out.set_item("base", p.base.clone().into_pyarray(py))?;
    match &p.arrows {
        Some(a) => {
            let g = a.grid;
            let d = PyDict::new(py);
            let xs: Vec<f64> = (0..g.nx).map(|i| g.x(i)).collect();
            let ys: Vec<f64> = (0..g.ny).map(|j| g.y(j)).collect();
            d.set_item("x", xs.into_pyarray(py))?;
            d.set_item("y", ys.into_pyarray(py))?;
            d.set_item(
                "u",
                Array2::from_shape_vec((g.ny, g.nx), a.u.clone())
                    .expect("ny × nx")
                    .into_pyarray(py),
            )?;
            d.set_item(
                "v",
                Array2::from_shape_vec((g.ny, g.nx), a.v.clone())
                    .expect("ny × nx")
                    .into_pyarray(py),
            )?;
            out.set_item("arrows", d)?;
        }
        None => out.set_item("arrows", py.None())?,
    }
    let lines = PyList::empty(py);
    for s in &p.streamlines {
        lines.append(polyline(py, s))?;
    }
    out.set_item("streamlines", lines)?;
    match &p.nullclines {
        Some(n) => {
            let pair = PyList::empty(py);
            for c in n {
                let pieces = PyList::empty(py);
                for piece in &c.pieces {
                    pieces.append(polyline(py, piece))?;
                }
                pair.append(pieces)?;
            }
            out.set_item("nullclines", pair)?;
        }
        None => out.set_item("nullclines", py.None())?,
    }
    let eqs = PyList::empty(py);
    for e in &p.equilibria {
        let d = PyDict::new(py);
        d.set_item("x", e.x)?;
        d.set_item("y", e.y)?;
        d.set_item("state", e.state.clone().into_pyarray(py))?;
        let ev: Vec<(f64, f64)> = e.eigenvalues.clone();
        d.set_item("eigenvalues", ev)?;
        d.set_item("stability", e.stability.name())?;
        d.set_item("residual", e.residual)?;
        d.set_item("of_full_flow", e.of_full_flow)?;
        eqs.append(d)?;
    }
    out.set_item("equilibria", eqs)?;
    let trs = PyList::empty(py);
    for t in &p.trajectories {
        let d = PyDict::new(py);
        d.set_item("start", t.start.clone().into_pyarray(py))?;
        d.set_item("t", t.times.clone().into_pyarray(py))?;
        d.set_item("xy", polyline(py, &t.points))?;
        d.set_item("stop_reason", t.stop.name())?;
        trs.append(d)?;
    }
    out.set_item("trajectories", trs)?;
    Ok(out)
}

/// The engine's version and the git commit it was built from.
#[pyfunction]
fn engine_version() -> (String, String) {
    let p = starvation::output::provenance_base();
    let get = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string()
    };
    (get("crate_version"), get("git_commit"))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Worker threads from RAYON_NUM_THREADS, checked and capped as in the command line.
    match starvation::tasks::threads::configure_threads() {
        Ok(Some(note)) => eprintln!("starvation: {note}"),
        Ok(None) => {}
        Err(e) => return Err(convert::input_error(e)),
    }
    m.add("NumericalError", m.py().get_type::<NumericalError>())?;
    m.add_class::<Model>()?;
    m.add_function(wrap_pyfunction!(integrate, m)?)?;
    m.add_function(wrap_pyfunction!(run_spec, m)?)?;
    m.add_function(wrap_pyfunction!(read_spec_text, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(toy_equilibria, m)?)?;
    m.add_function(wrap_pyfunction!(bench_equilibria, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(portrait, m)?)?;
    m.add_function(wrap_pyfunction!(orbit_diagram, m)?)?;
    m.add_function(wrap_pyfunction!(engine_version, m)?)?;
    Ok(())
}
