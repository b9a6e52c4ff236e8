//! The `portrait` section checked and turned into [`PortraitSettings`], panel by panel:
//! `defaults` merged under each panel, its model built, its coordinates, ranges, grids,
//! streamlines and trajectories validated. An error names the field where it was written: in
//! the panel or in `defaults`.

use serde_json::{Value, json};

use super::coordinates::coordinate;
use super::spec::{Layout, PortraitPanelSpec, PortraitSpec, StreamlinesSpec, TrajectoriesSpec};
use crate::error::{InputError, require_non_negative, require_positive};
use crate::flow::Space;
use crate::model::FeatureModel;
use crate::portrait::{Fixed, PortraitSettings, StreamlineOptions, TrajectorySettings};
use crate::solve::{Output, SolveOptions};
use crate::spec::{
    OutputNames, Spec, check_state_values, from_value, merge, parse_method, parse_output,
    parse_space,
};

/// The checked `portrait` section: stem, layout and a plan per panel.
pub(super) struct PortraitPlan {
    /// The section as parsed.
    pub(super) section: PortraitSpec,
    /// File stem.
    pub(super) stem: String,
    /// Figure layout.
    pub(super) layout: Layout,
    /// One plan per panel, in order.
    pub(super) panels: Vec<PanelPlan>,
}

/// The validated settings of one portrait panel with what the figure needs besides.
pub(super) struct PanelPlan {
    /// The panel as written (after merging `defaults`).
    pub(super) spec: PortraitPanelSpec,
    /// The panel's model as JSON (the spec's `model` with the panel's merged onto it).
    pub(super) model_json: Value,
    /// The panel's model.
    pub(super) model: FeatureModel,
    /// What to compute.
    pub(super) settings: PortraitSettings,
    /// Name of the x coordinate ("z1").
    pub(super) x_name: String,
    /// Name of the y coordinate.
    pub(super) y_name: String,
}

/// Checks the `portrait` section of `spec` and plans its panels.
pub(super) fn plan_portrait(spec: &Spec, section: &Value) -> Result<PortraitPlan, InputError> {
    let ps = PortraitSpec::parse(section)?;
    let stem = ps.checked_frame(spec)?.name;
    OutputNames::with_spec_outputs(&spec.name, &[]).add_figure(&stem, "portrait.name")?;
    let layout = ps.layout(spec)?;
    let panels = ps
        .panels
        .iter()
        .enumerate()
        .map(|(i, raw)| plan_panel(spec, ps.defaults.as_ref(), raw, i))
        .collect::<Result<_, _>>()?;
    Ok(PortraitPlan {
        section: ps,
        stem,
        layout,
        panels,
    })
}

/// Plans panel `i` (`raw`, with `defaults` merged under it).
fn plan_panel(
    spec: &Spec,
    defaults: Option<&Value>,
    raw: &Value,
    i: usize,
) -> Result<PanelPlan, InputError> {
    let pf = format!("portrait.panels[{i}]");
    if !raw.is_object() {
        return Err(InputError::new(pf, "must be an object"));
    }
    let mut merged = defaults.cloned().unwrap_or_else(|| json!({}));
    if !merged.is_object() {
        return Err(InputError::new("portrait.defaults", "must be an object"));
    }
    merge(&mut merged, raw);
    let locate = |e: InputError| locate(e, raw, defaults, i);
    let ps: PortraitPanelSpec = from_value(merged, &pf).map_err(locate)?;
    let mut model_json = spec.model.clone().unwrap_or_else(|| json!({}));
    if let Some(m) = &ps.model {
        merge(&mut model_json, m);
    }
    let model = crate::spec::build_model(model_json.clone()).map_err(|e| {
        match e.field.strip_prefix("model.") {
            Some(rest) if has_path(raw, &format!("model.{rest}")) => {
                InputError::new(format!("{pf}.model.{rest}"), e.message)
            }
            Some(rest) if defaults.is_some_and(|d| has_path(d, &format!("model.{rest}"))) => {
                InputError::new(format!("portrait.defaults.model.{rest}"), e.message)
            }
            _ => e,
        }
    })?;
    let space =
        parse_space(ps.space.as_deref().unwrap_or("z"), &format!("{pf}.space")).map_err(locate)?;
    let flow = crate::flow::build_flow(&model, space).map_err(|e| {
        InputError::new(
            format!("{pf}.space"),
            format!("{} ({})", e.message, e.field),
        )
    })?;
    let dim = flow.dim();
    let x =
        coordinate(&ps.x.coordinate, space, dim, &format!("{pf}.x.coordinate")).map_err(locate)?;
    let y =
        coordinate(&ps.y.coordinate, space, dim, &format!("{pf}.y.coordinate")).map_err(locate)?;
    if x == y {
        return Err(locate(InputError::new(
            format!("{pf}.y.coordinate"),
            "must differ from x.coordinate",
        )));
    }
    let x_range =
        ps.x.checked_range(&format!("{pf}.x.range"))
            .map_err(locate)?;
    let y_range =
        ps.y.checked_range(&format!("{pf}.y.range"))
            .map_err(locate)?;
    if space == Space::Dual {
        let (lo, hi) = model.loss().dual_domain().unwrap_or((0.0, 1.0));
        for (r, f) in [(x_range, "x"), (y_range, "y")] {
            if r.0 < lo || r.1 > hi {
                return Err(locate(InputError::new(
                    format!("{pf}.{f}.range"),
                    format!(
                        "dual variables α of the {} loss live in ({lo}, {hi}); give a range inside it",
                        model.loss().name()
                    ),
                )));
            }
        }
    }
    let fixed = fixed_state(ps.fixed.as_ref(), space, model.loss(), dim, &pf).map_err(locate)?;
    if fixed == Fixed::Equilibrium && dim != 2 {
        // The portrait holds the other coordinates at the equilibrium: it must exist.
        crate::equilibrium::find_equilibrium(
            &model,
            None,
            &crate::equilibrium::EquilibriumOptions::default(),
        )
        .map_err(|e| {
            locate(InputError::new(
                format!("{pf}.fixed"),
                format!("the other coordinates are held at the equilibrium, but it cannot be found ({e}); give their values as a full state"),
            ))
        })?;
    }
    let arrows = ps
        .arrows
        .as_ref()
        .map(|a| a.counts(21, &format!("{pf}.arrows.grid")))
        .transpose()
        .map_err(locate)?;
    let nullclines = ps
        .nullclines
        .as_ref()
        .map(|a| a.counts(161, &format!("{pf}.nullclines.grid")))
        .transpose()
        .map_err(locate)?;
    let streamlines = ps
        .streamlines
        .as_ref()
        .map(|s| streamline_options(s, &pf))
        .transpose()
        .map_err(locate)?;
    let trajectories = ps
        .trajectories
        .as_ref()
        .map(|t| trajectory_settings(t, &format!("{pf}.trajectories"), &model, space, dim))
        .transpose()
        .map_err(locate)?;
    let x_name = ps.x.coordinate.trim().to_string();
    let y_name = ps.y.coordinate.trim().to_string();
    Ok(PanelPlan {
        settings: PortraitSettings {
            space,
            x,
            y,
            x_range,
            y_range,
            fixed,
            arrows,
            streamlines,
            nullclines,
            equilibria: ps.equilibria,
            trajectories,
        },
        spec: ps,
        model_json,
        model,
        x_name,
        y_name,
    })
}

/// Where the other coordinates are held: `"equilibrium"` (default) or a full state.
fn fixed_state(
    fixed: Option<&Value>,
    space: Space,
    loss: crate::model::LossModel,
    dim: usize,
    pf: &str,
) -> Result<Fixed, InputError> {
    let values = match fixed {
        None => return Ok(Fixed::Equilibrium),
        Some(Value::String(s)) if s == "equilibrium" => return Ok(Fixed::Equilibrium),
        Some(Value::Array(a)) => a.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>(),
        Some(_) => None,
    };
    match values {
        Some(v) if v.len() == dim => {
            check_state_values(space, loss, &v, &format!("{pf}.fixed"))?;
            Ok(Fixed::Values(v))
        }
        _ => Err(InputError::new(
            format!("{pf}.fixed"),
            format!(
                "must be \"equilibrium\" or a list of {dim} numbers (a full {} state)",
                space.name()
            ),
        )),
    }
}

/// Checked streamline options of panel `pf`.
fn streamline_options(s: &StreamlinesSpec, pf: &str) -> Result<StreamlineOptions, InputError> {
    let mut o = StreamlineOptions::default();
    if let Some(d) = s.density {
        if !(2..=200).contains(&d) {
            return Err(InputError::new(
                format!("{pf}.streamlines.density"),
                format!("must be between 2 and 200, got {d}"),
            ));
        }
        o.density = d;
    }
    if let Some(m) = s.min_speed {
        o.min_speed = require_non_negative(&format!("{pf}.streamlines.min_speed"), m)?;
    }
    if let Some(m) = s.max_length {
        o.max_length = require_positive(&format!("{pf}.streamlines.max_length"), m)?;
    }
    Ok(o)
}

/// Checked trajectory settings (`tf` is the `trajectories` field) for `model` in `space`.
fn trajectory_settings(
    t: &TrajectoriesSpec,
    tf: &str,
    model: &FeatureModel,
    space: Space,
    dim: usize,
) -> Result<TrajectorySettings, InputError> {
    let method = parse_method(
        t.method.as_deref().unwrap_or("auto"),
        &format!("{tf}.method"),
    )?;
    let mut o = SolveOptions::until(t.t_end);
    if let Some(v) = t.rtol {
        o.rtol = v;
    }
    if let Some(v) = t.atol {
        o.atol = v;
    }
    o.max_step = t.max_step;
    o.step = t.step;
    o.output = match &t.output {
        None => Output::Steps,
        Some(out) => parse_output(out.clone(), &format!("{tf}.output"))?,
    };
    o.validate_for_spec(method, model.features()).map_err(|e| {
        InputError::new(
            e.field.replacen("options.", &format!("{tf}."), 1),
            e.message,
        )
    })?;
    for (k, s) in t.starts.iter().enumerate() {
        if s.len() != 2 && s.len() != dim {
            return Err(InputError::new(
                format!("{tf}.starts[{k}]"),
                format!(
                    "has {} entries; give (x, y) or a full {} state of dimension {dim}",
                    s.len(),
                    space.name()
                ),
            ));
        }
        check_state_values(space, model.loss(), s, &format!("{tf}.starts[{k}]"))?;
    }
    if let Some(r) = &t.random
        && r.count > 10_000
    {
        return Err(InputError::new(
            format!("{tf}.random.count"),
            format!("must be at most 10000, got {}", r.count),
        ));
    }
    if t.starts.is_empty() && t.random.as_ref().is_none_or(|r| r.count == 0) {
        return Err(InputError::new(
            tf,
            "has no starts; give `starts` or `random`",
        ));
    }
    Ok(TrajectorySettings {
        starts: t.starts.clone(),
        random: t.random.as_ref().map(|r| (r.count, r.seed)),
        method,
        options: o,
    })
}

/// Rewrites an error under `portrait.panels[i]` to `portrait.defaults` when the offending
/// field came from the defaults.
fn locate(e: InputError, panel: &Value, defaults: Option<&Value>, i: usize) -> InputError {
    let own = format!("portrait.panels[{i}]");
    let Some(rest) = e.field.strip_prefix(&format!("{own}.")) else {
        return e;
    };
    let rest_path = rest.split(' ').next().unwrap_or(rest);
    if !has_path(panel, rest_path) && defaults.is_some_and(|d| has_path(d, rest_path)) {
        return InputError::new(format!("portrait.defaults.{rest}"), e.message);
    }
    e
}

/// Whether `path` (dotted, with `[i]` indices) exists in `v`.
fn has_path(v: &Value, path: &str) -> bool {
    let mut cur = v;
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(k) => (&part[..k], &part[k..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            match cur.get(key) {
                Some(n) => cur = n,
                None => return false,
            }
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let Some(i) = idx.trim_end_matches(']').parse::<usize>().ok() else {
                return false;
            };
            match cur.get(i) {
                Some(n) => cur = n,
                None => return false,
            }
        }
    }
    true
}
