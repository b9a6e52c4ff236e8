//! The portrait a view shows, as serde data for the page: the response flow's field arrows,
//! streamlines, nullclines and equilibrium on the (z_x, z_y) slice ([`crate::portrait`]), the
//! clicked trajectories (adaptive integration of the full flow), the optional gradient-descent
//! run from the origin (the paper's discrete map), and the equilibrium readouts of
//! `starvation equilibrium` ([`crate::equilibrium::report::analyse`]).

use serde::Serialize;

use super::query::View;
use crate::equilibrium::EquilibriumOptions;
use crate::equilibrium::report::analyse;
use crate::error::Error;
use crate::flow::{Space, build_flow};
use crate::portrait::{
    Fixed, PortraitSettings, StreamlineOptions, TrajectorySettings, portrait, trajectories,
};
use crate::solve::{Method, Output, SolveOptions};

/// Most points sent per trajectory (longer ones are thinned evenly, ends kept).
const MAX_POINTS: usize = 4000;
/// Most (t, z) samples sent per trajectory for the time-series panel.
const MAX_SERIES: usize = 1000;

/// The slice's arrows: field components at the nodes of an `nx` × `ny` grid over the ranges.
#[derive(Debug, Serialize)]
pub struct ArrowsData {
    /// Nodes along x.
    pub nx: usize,
    /// Nodes along y.
    pub ny: usize,
    /// ż_x at node (i, j), entry j·nx + i (null where not finite).
    pub u: Vec<f64>,
    /// ż_y at the nodes.
    pub v: Vec<f64>,
}

/// The equilibrium on the slice.
#[derive(Debug, Serialize)]
pub struct EquilibriumMarker {
    /// (z_x*, z_y*).
    pub point: [f64; 2],
    /// Stability class name.
    pub stability: &'static str,
    /// Whether the point is inside the drawn rectangle.
    pub visible: bool,
    /// Eigendirections of the flow's Jacobian at z* (real eigenvalues only).
    pub eigenvectors: Vec<EigenDirection>,
}

/// One real eigenvalue of the flow's Jacobian J at z* and its eigenvector.
#[derive(Debug, Serialize)]
pub struct EigenDirection {
    /// The eigenvalue λ.
    pub eigenvalue: f64,
    /// A unit eigenvector v (J v = λ v) in all coordinates.
    pub vector: Vec<f64>,
    /// (v_x, v_y): its projection on the drawn coordinates.
    pub projected: [f64; 2],
}

/// One trajectory projected on the slice.
#[derive(Debug, Serialize)]
pub struct TrajectoryData {
    /// (x, y) start.
    pub start: [f64; 2],
    /// Points (x, y).
    pub points: Vec<[f64; 2]>,
    /// Why it stopped.
    pub stop: &'static str,
    /// Method name.
    pub method: &'static str,
    /// Times of the series samples.
    pub times: Vec<f64>,
    /// z at those times, every coordinate (the time-series panel).
    pub series: Vec<Vec<f64>>,
}

/// One closed form beside its exact value.
#[derive(Debug, Serialize)]
pub struct ClosedFormRow {
    /// What is compared.
    pub name: String,
    /// docs/theory.md tag.
    pub source: &'static str,
    /// Exact value.
    pub exact: f64,
    /// Closed form.
    pub closed_form: f64,
    /// Relative error.
    pub relative_error: f64,
}

/// What `starvation equilibrium` prints, as numbers.
#[derive(Debug, Serialize)]
pub struct Readouts {
    /// z*.
    pub z: Vec<f64>,
    /// a* = U z*.
    pub margins: Vec<f64>,
    /// Eigenvalues (re, im) of the flow's Jacobian at z*.
    pub eigenvalues: Vec<[f64; 2]>,
    /// Stability class.
    pub stability: &'static str,
    /// Weighted residual.
    pub residual: f64,
    /// Newton iterations.
    pub iterations: usize,
    /// Starvation matrix M16, rows j: ∂z_j*/∂(s_i²).
    pub starvation_matrix: Vec<Vec<f64>>,
    /// ∂z*/∂λ.
    pub dz_dlambda: Vec<f64>,
    /// ∂z*/∂δ for the toy.
    pub dz_ddelta: Option<Vec<f64>>,
    /// z⁰ (U = I).
    pub uncoupled: Option<Vec<f64>>,
    /// z*/z⁰.
    pub ratios: Option<Vec<f64>>,
    /// Closed forms.
    pub closed_forms: Vec<ClosedFormRow>,
}

/// Everything the page draws in the portrait and prints beside it.
#[derive(Debug, Serialize)]
pub struct PortraitData {
    /// Number of features n.
    pub features: usize,
    /// Plotted coordinates (0-based).
    pub coordinates: [usize; 2],
    /// x range drawn.
    pub x_range: [f64; 2],
    /// y range drawn.
    pub y_range: [f64; 2],
    /// The full state the slice passes through.
    pub base: Vec<f64>,
    /// Arrows.
    pub arrows: ArrowsData,
    /// Streamlines (x, y).
    pub streamlines: Vec<Vec<[f64; 2]>>,
    /// Nullclines ż_x = 0 and ż_y = 0, each as pieces.
    pub nullclines: [Vec<Vec<[f64; 2]>>; 2],
    /// The equilibrium, when the flow has one.
    pub equilibrium: Option<EquilibriumMarker>,
    /// Clicked trajectories.
    pub trajectories: Vec<TrajectoryData>,
    /// The gradient-descent run from the origin.
    pub gd: Option<TrajectoryData>,
    /// Readouts, when the flow has an equilibrium.
    pub readouts: Option<Readouts>,
    /// Why there are no readouts.
    pub no_equilibrium: Option<String>,
    /// Server time spent, milliseconds.
    pub compute_ms: f64,
}

/// An automatic range around 0 and the equilibrium coordinate `e` (when known).
fn auto_range(e: Option<f64>) -> (f64, f64) {
    let (lo, hi) = match e {
        Some(e) if e.is_finite() => (e.min(0.0), e.max(0.0)),
        _ => (0.0, 1.0),
    };
    let span = (hi - lo).max(1.0);
    (lo - 0.25 * span, hi + 0.25 * span)
}

/// The solve options of the explorer's trajectories (and of the downloaded spec).
pub fn trajectory_options(t_end: f64) -> SolveOptions {
    SolveOptions::until(t_end).output(Output::Steps)
}

/// The solve options of the gradient-descent run (step h, 400 recorded steps).
pub fn gd_options(t_end: f64, step: f64) -> SolveOptions {
    let mut o = SolveOptions::until(t_end).output(Output::Count(401));
    o.step = Some(step);
    o.max_steps = (t_end / step).ceil() as usize + 1;
    o
}

/// The portrait settings of a view with its ranges resolved (shared with the downloaded spec).
pub fn settings(view: &View, x_range: (f64, f64), y_range: (f64, f64)) -> PortraitSettings {
    PortraitSettings {
        space: Space::Responses,
        x: view.x,
        y: view.y,
        x_range,
        y_range,
        fixed: Fixed::Equilibrium,
        arrows: Some((view.arrows, view.arrows)),
        streamlines: Some(StreamlineOptions {
            density: view.density,
            ..StreamlineOptions::default()
        }),
        nullclines: Some((view.nullcline_grid, view.nullcline_grid)),
        equilibria: true,
        trajectories: (!view.starts.is_empty()).then(|| TrajectorySettings {
            starts: view.starts.iter().map(|(a, b)| vec![*a, *b]).collect(),
            random: None,
            method: Method::Auto,
            options: trajectory_options(view.t_end),
        }),
    }
}

/// The ranges a view draws: the fixed ones, or automatic ones around 0 and z*.
pub fn ranges(view: &View, z_star: Option<&[f64]>) -> ((f64, f64), (f64, f64)) {
    (
        view.x_range
            .unwrap_or_else(|| auto_range(z_star.map(|z| z[view.x]))),
        view.y_range
            .unwrap_or_else(|| auto_range(z_star.map(|z| z[view.y]))),
    )
}

fn pairs(points: &[(f64, f64)]) -> Vec<[f64; 2]> {
    points.iter().map(|(a, b)| [*a, *b]).collect()
}

fn thinned(points: &[(f64, f64)]) -> Vec<[f64; 2]> {
    if points.len() <= MAX_POINTS {
        return pairs(points);
    }
    let last = points.len() - 1;
    (0..MAX_POINTS)
        .map(|k| {
            let (a, b) = points[k * last / (MAX_POINTS - 1)];
            [a, b]
        })
        .collect()
}

/// At most [`MAX_SERIES`] (t, z) samples of a trajectory, evenly thinned, ends kept.
fn series(times: &[f64], states: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = times.len().min(states.len());
    if n <= MAX_SERIES {
        return (times[..n].to_vec(), states[..n].to_vec());
    }
    let last = n - 1;
    (0..MAX_SERIES)
        .map(|k| {
            let i = k * last / (MAX_SERIES - 1);
            (times[i], states[i].clone())
        })
        .unzip()
}

/// Unit eigenvectors of `jacobian` for its real eigenvalues (|Im λ| ≤ 1e−9 |λ|): the right
/// singular vector of J − λI for its smallest singular value, sign fixed so that its largest
/// component is positive.
pub fn eigen_directions(
    jacobian: &nalgebra::DMatrix<f64>,
    eigenvalues: &[(f64, f64)],
    x: usize,
    y: usize,
) -> Vec<EigenDirection> {
    let n = jacobian.nrows();
    eigenvalues
        .iter()
        .filter(|(re, im)| re.is_finite() && im.abs() <= 1e-9 * re.abs().max(1e-300))
        .filter_map(|&(lambda, _)| {
            let shifted = jacobian - nalgebra::DMatrix::<f64>::identity(n, n) * lambda;
            let svd = shifted.svd(false, true);
            let v_t = svd.v_t?;
            let k = svd
                .singular_values
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))?
                .0;
            let mut v: Vec<f64> = v_t.row(k).iter().copied().collect();
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |m, c| if c.abs() > m.abs() { c } else { m });
            if big < 0.0 {
                v.iter_mut().for_each(|c| *c = -*c);
            }
            v.iter().all(|c| c.is_finite()).then(|| EigenDirection {
                eigenvalue: lambda,
                projected: [v[x], v[y]],
                vector: v,
            })
        })
        .collect()
}

/// The field's components at the arrow nodes must be finite: a model whose flow overflows on
/// the drawn rectangle is a numerical failure (422) naming the first such node, not a picture
/// with holes.
fn field_is_finite(grid: &crate::portrait::Grid, u: &[f64], v: &[f64]) -> Result<(), Error> {
    let bad = u
        .iter()
        .zip(v)
        .position(|(a, b)| !(a.is_finite() && b.is_finite()));
    match bad {
        None => Ok(()),
        Some(k) => {
            let x = grid.x_range.0 + grid.dx() * (k % grid.nx) as f64;
            let y = grid.y_range.0 + grid.dy() * (k / grid.nx) as f64;
            Err(crate::error::SolveError::Undefined(format!(
                "the response flow's field is not finite at (z_x, z_y) = ({x:.4e}, {y:.4e}) (overflow); use smaller strengths or a smaller range"
            ))
            .into())
        }
    }
}

/// Computes the portrait data of a view.
pub fn portrait_data(view: &View) -> Result<PortraitData, Error> {
    let start = std::time::Instant::now();
    let model = &view.model;
    let options = EquilibriumOptions::default();
    let report = analyse(model, None, &options);
    let z_star = report.as_ref().ok().map(|r| r.equilibrium.point.clone());
    let (x_range, y_range) = ranges(view, z_star.as_deref());
    let p = portrait(model, &settings(view, x_range, y_range))?;
    if let Some(a) = &p.arrows {
        field_is_finite(&a.grid, &a.u, &a.v)?;
    }
    let arrows = p.arrows.as_ref().map(|a| ArrowsData {
        nx: a.grid.nx,
        ny: a.grid.ny,
        u: a.u.clone(),
        v: a.v.clone(),
    });
    let nullclines = match &p.nullclines {
        Some([a, b]) => [
            a.pieces.iter().map(|c| pairs(c)).collect(),
            b.pieces.iter().map(|c| pairs(c)).collect(),
        ],
        None => [Vec::new(), Vec::new()],
    };
    let equilibrium = z_star.as_ref().map(|z| EquilibriumMarker {
        point: [z[view.x], z[view.y]],
        stability: report
            .as_ref()
            .map(|r| r.equilibrium.stability.name())
            .unwrap_or("unknown"),
        visible: (x_range.0..=x_range.1).contains(&z[view.x])
            && (y_range.0..=y_range.1).contains(&z[view.y]),
        eigenvectors: report
            .as_ref()
            .map(|r| {
                eigen_directions(
                    &r.equilibrium.jacobian,
                    &r.equilibrium.eigenvalues,
                    view.x,
                    view.y,
                )
            })
            .unwrap_or_default(),
    });
    let trajectories_out = p
        .trajectories
        .iter()
        .zip(&view.starts)
        .map(|(t, s)| {
            let (times, series) = series(&t.times, &t.states);
            TrajectoryData {
                start: [s.0, s.1],
                points: thinned(&t.points),
                stop: t.stop.name(),
                method: Method::Auto.name(),
                times,
                series,
            }
        })
        .collect();
    let gd = match view.gd_step {
        Some(h) => {
            let field = build_flow(model, Space::Responses)?;
            let origin = vec![0.0; model.features()];
            let run = trajectories(
                field.as_ref(),
                &[origin],
                view.x,
                view.y,
                Method::GradientDescent,
                &gd_options(view.t_end, h),
            )?;
            run.into_iter().next().map(|t| {
                let (times, series) = series(&t.times, &t.states);
                TrajectoryData {
                    start: [0.0, 0.0],
                    points: thinned(&t.points),
                    stop: t.stop.name(),
                    method: Method::GradientDescent.name(),
                    times,
                    series,
                }
            })
        }
        None => None,
    };
    let (readouts, no_equilibrium) = match report {
        Ok(r) => {
            let eq = &r.equilibrium;
            let m = &r.sensitivities.starvation_matrix;
            let ratios = r
                .uncoupled
                .as_ref()
                .map(|z0| eq.point.iter().zip(z0).map(|(a, b)| a / b).collect());
            (
                Some(Readouts {
                    z: eq.point.clone(),
                    margins: eq.margins.clone(),
                    eigenvalues: eq.eigenvalues.iter().map(|(a, b)| [*a, *b]).collect(),
                    stability: eq.stability.name(),
                    residual: eq.residual,
                    iterations: eq.iterations,
                    starvation_matrix: (0..m.nrows())
                        .map(|j| (0..m.ncols()).map(|i| m[(j, i)]).collect())
                        .collect(),
                    dz_dlambda: r.sensitivities.lambda.clone(),
                    dz_ddelta: r.delta_sensitivity.clone(),
                    uncoupled: r.uncoupled.clone(),
                    ratios,
                    closed_forms: r
                        .closed_forms
                        .iter()
                        .map(|c| ClosedFormRow {
                            name: c.name.clone(),
                            source: c.source,
                            exact: c.exact,
                            closed_form: c.closed_form,
                            relative_error: c.relative_error,
                        })
                        .collect(),
                }),
                None,
            )
        }
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(PortraitData {
        features: model.features(),
        coordinates: [view.x, view.y],
        x_range: [x_range.0, x_range.1],
        y_range: [y_range.0, y_range.1],
        base: p.base.clone(),
        arrows: arrows.unwrap_or(ArrowsData {
            nx: 0,
            ny: 0,
            u: Vec::new(),
            v: Vec::new(),
        }),
        streamlines: p.streamlines.iter().map(|s| pairs(s)).collect(),
        nullclines,
        equilibrium,
        trajectories: trajectories_out,
        gd,
        readouts,
        no_equilibrium,
        compute_ms: 1e3 * start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// J v = λ v to round-off for a non-symmetric matrix with known eigenpairs
    /// (J = [[−3, 1], [0, −1]]: λ = −3 with v ∝ (1, 0), λ = −1 with v ∝ (1, 2)/√5), unit norm,
    /// largest component positive; complex pairs are skipped.
    #[test]
    fn eigen_directions_are_the_eigenvectors() {
        let j = nalgebra::DMatrix::from_row_slice(2, 2, &[-3.0, 1.0, 0.0, -1.0]);
        let e = eigen_directions(&j, &[(-3.0, 0.0), (-1.0, 0.0)], 0, 1);
        assert_eq!(e.len(), 2);
        let s5 = 5f64.sqrt();
        for (d, want) in e.iter().zip([[1.0, 0.0], [1.0 / s5, 2.0 / s5]]) {
            for (got, want) in d.vector.iter().zip(want) {
                assert!((got - want).abs() < 1e-12, "{d:?}");
            }
            assert_eq!(d.projected, [d.vector[0], d.vector[1]]);
        }
        let rotation = nalgebra::DMatrix::from_row_slice(2, 2, &[-1.0, 1.0, -1.0, -1.0]);
        assert!(eigen_directions(&rotation, &[(-1.0, 1.0), (-1.0, -1.0)], 0, 1).is_empty());
    }
}
