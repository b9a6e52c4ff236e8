//! Reproducibility: the JSON spec that redraws a view with the CLI (`starvation portrait`, and
//! `starvation equilibrium` for its readouts), and the portrait in the house style, rendered
//! from that same spec by the same code as `starvation portrait`.

use serde_json::{Value, json};

use super::portrait_view::ranges;
use super::query::View;
use crate::equilibrium::{EquilibriumOptions, find_equilibrium};
use crate::error::{Error, SolveError};
use crate::plot::{ImageFormat, render};

/// Name of the downloaded spec (and of its output files).
pub const SPEC_NAME: &str = "explore_view";

fn title(view: &View) -> String {
    let reg = match view.model.regulariser() {
        crate::model::Regulariser::None => "no regulariser".to_string(),
        r => format!("{} (λ = {})", r.name().to_uppercase(), r.lambda()),
    };
    match view.toy {
        Some(t) => format!(
            "s₁ = {}, s₂ = {}, δ = {}, {reg}, {} loss",
            t.s1,
            t.s2,
            t.delta,
            view.model.loss().name()
        ),
        None => format!(
            "{} features, {reg}, {} loss",
            view.model.features(),
            view.model.loss().name()
        ),
    }
}

/// The spec reproducing `view`: its `model` section and a one-panel `portrait` section with the
/// view's ranges, grids, streamline density and trajectories (plus, with the gradient-descent
/// overlay on, a `simulation` section running it: `starvation run`).
pub fn view_spec(view: &View) -> Value {
    let z_star = find_equilibrium(&view.model, None, &EquilibriumOptions::default())
        .ok()
        .map(|e| e.point);
    let (xr, yr) = ranges(view, z_star.as_deref());
    let mut panel = json!({
        "title": title(view),
        "space": "z",
        "x": { "coordinate": format!("z{}", view.x + 1), "range": [xr.0, xr.1] },
        "y": { "coordinate": format!("z{}", view.y + 1), "range": [yr.0, yr.1] },
        "fixed": "equilibrium",
        "arrows": { "grid": [view.arrows, view.arrows] },
        "streamlines": { "density": view.density },
        "nullclines": { "grid": view.nullcline_grid },
        "equilibria": true,
        "legend": true
    });
    if !view.starts.is_empty() {
        panel["trajectories"] = json!({
            "starts": view.starts.iter().map(|(a, b)| [*a, *b]).collect::<Vec<_>>(),
            "t_end": view.t_end,
            "method": "auto",
            "output": "steps",
            "label": "trajectories"
        });
    }
    let mut spec = json!({
        "name": SPEC_NAME,
        "description": format!(
            "Phase portrait of the response flow saved from `starvation explore` ({}). Draw with: starvation portrait {SPEC_NAME}.json --out plots; readouts with: starvation equilibrium {SPEC_NAME}.json",
            title(view)
        ),
        "model": view.model_json,
        "portrait": {
            "title": "Phase portrait of the response flow",
            "size": [900, 780],
            "columns": 1,
            "panels": [panel]
        }
    });
    if let Some(h) = view.gd_step {
        spec["simulation"] = json!({
            "method": "gd",
            "step": h,
            "t_end": view.t_end,
            "output": { "count": 401 }
        });
    }
    spec
}

/// The view's portrait as PNG or SVG bytes, drawn from [`view_spec`] by the `portrait` command's
/// code.
pub fn view_figure(view: &View, format: ImageFormat) -> Result<Vec<u8>, Error> {
    let text = serde_json::to_string(&view_spec(view)).map_err(|e| {
        Error::Solve(SolveError::Backend {
            method: "explore".into(),
            message: format!("spec serialisation failed: {e}"),
        })
    })?;
    let spec = crate::spec::parse_spec(&text)?;
    let figures = crate::figures::portrait_figures(&spec)?;
    let figure = figures.into_iter().next().ok_or_else(|| {
        Error::Solve(SolveError::Backend {
            method: "explore".into(),
            message: "the portrait section drew no figure".into(),
        })
    })?;
    render(&figure.figure, format)
}
