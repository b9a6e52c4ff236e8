//! Claim: "every point on a computed nullcline has the corresponding field component below a
//! tolerance derived from the grid spacing and marching-squares linear interpolation;
//! equilibria lie on both nullclines (distance to each nullcline polyline below a derived
//! bound)."
//!
//! The tolerance. The response flow's component j is
//! f_j(z) = η [s_j² Σ_i U_ij r_i(a_i) − λ_L2 z_j], a = U z, with r_i = σ(−a_i) (L2) or
//! σ(−a_i) − λ a_i (SD). Along any unit direction u of the slice, since every row of U is a unit
//! vector (|U_i · u| ≤ 1) and the linear terms have no curvature,
//!
//!     |∂²f_j/∂u²| ≤ M_j := η s_j² Σ_i |U_ij| · max |σ''(a_i)|   over the margins of the region,
//!
//! where |σ''| = σ(1−σ)|1−2σ| is even, grows on [0, x*] and falls beyond, x* = ln(2 + √3),
//! max 1/(6√3); over an interval of margins its maximum is at an end unless the interval holds
//! ±x*. Margins are linear in z, so their range over a cell or an edge is the range over its
//! corners.
//! - A nullcline vertex is where the linear interpolant of f_j between the two nodes of a grid
//!   edge of length Δ vanishes; linear interpolation errs by at most Δ²/8 · max|f''|, so
//!   |f_j(vertex)| ≤ Δ²/8 · M_j(edge) (+ rounding, 1e−12 of the largest |f_j| on the grid).
//! - A point p + t(q − p) of a chord between two vertices inside one cell (length L) satisfies
//!   |f_j| ≤ (1 − t) ε_p + t ε_q + t(1 − t) L²/2 · M_j(cell), ε the vertex tolerances.
//! - The true nullcline passes through the equilibrium z*. A chord through z*'s cell lies in the
//!   band |f_j| ≤ ε (ε the chord bound there); with G = ‖∇f_j(z*)‖ and the gradient varying by
//!   at most M_j per unit length over a cell diagonal d, the band's half-width at z* is at most
//!   r = ε / (G − M_j d): dist(z*, nullcline polyline) ≤ r. The test also checks that r is well
//!   below d / 2, so half a cell of misplacement (a wrong grid origin) would fail it.

use starvation::equilibrium::{EquilibriumOptions, Stability, find_equilibrium};
use starvation::flow::{Space, VectorField, build_flow};
use starvation::model::{FeatureModel, Regulariser, SpectralDecoupling, Spectrum};
use starvation::numerics::logistic;
use starvation::portrait::{
    FieldSamples, Grid, SliceField, nullclines, sample_field, slice_equilibria,
};

/// |σ''(x)|.
fn sigma2(x: f64) -> f64 {
    let s = logistic(x);
    s * (1.0 - s) * (1.0 - 2.0 * s).abs()
}

/// max |σ''| over [lo, hi].
fn max_sigma2(lo: f64, hi: f64) -> f64 {
    let x_star = (2.0 + 3f64.sqrt()).ln();
    if (lo <= x_star && x_star <= hi) || (lo <= -x_star && -x_star <= hi) {
        1.0 / (6.0 * 3f64.sqrt())
    } else {
        sigma2(lo).max(sigma2(hi))
    }
}

/// M_j over the region spanned by `corners` (full states z).
fn curvature_bound(model: &FeatureModel, j: usize, corners: &[Vec<f64>]) -> f64 {
    let u = model.coupling();
    let s2 = model.squared_strengths()[j];
    let n = u.nrows();
    let mut total = 0.0;
    for i in 0..n {
        let margins: Vec<f64> = corners
            .iter()
            .map(|z| (0..u.ncols()).map(|k| u[(i, k)] * z[k]).sum())
            .collect();
        let lo = margins.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = margins.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        total += u[(i, j)].abs() * max_sigma2(lo, hi);
    }
    model.rate() * s2 * total
}

fn component(slice: &SliceField, c: usize, x: f64, y: f64) -> f64 {
    let f = slice.eval(x, y);
    if c == 0 { f.0 } else { f.1 }
}

/// Vertex tolerance at (x, y) for slice component `c` (state coordinate `j`).
fn vertex_tolerance(
    model: &FeatureModel,
    slice: &SliceField,
    g: &Grid,
    j: usize,
    rounding: f64,
    (x, y): (f64, f64),
) -> f64 {
    let gx = (x - g.x_range.0) / g.dx();
    let gy = (y - g.y_range.0) / g.dy();
    let (a, b, len) = if (gx - gx.round()).abs() < 1e-7 {
        // On a vertical grid line: edge between rows ⌊gy⌋ and ⌊gy⌋ + 1.
        let i = gx.round() as usize;
        let r = (gy.floor() as usize).min(g.ny - 2);
        ((g.x(i), g.y(r)), (g.x(i), g.y(r + 1)), g.dy())
    } else {
        assert!(
            (gy - gy.round()).abs() < 1e-7,
            "vertex ({x}, {y}) is not on a grid edge"
        );
        let r = gy.round() as usize;
        let i = (gx.floor() as usize).min(g.nx - 2);
        ((g.x(i), g.y(r)), (g.x(i + 1), g.y(r)), g.dx())
    };
    let m = curvature_bound(
        model,
        j,
        &[slice.state_at(a.0, a.1), slice.state_at(b.0, b.1)],
    );
    len * len / 8.0 * m + rounding
}

/// Curvature bound over the grid cell containing (x, y) widened by `extra` cells.
fn cell_bound(
    model: &FeatureModel,
    slice: &SliceField,
    g: &Grid,
    j: usize,
    (x, y): (f64, f64),
    extra: usize,
) -> f64 {
    let i = (((x - g.x_range.0) / g.dx()).floor().max(0.0) as usize).min(g.nx - 2);
    let r = (((y - g.y_range.0) / g.dy()).floor().max(0.0) as usize).min(g.ny - 2);
    let (i0, i1) = (i.saturating_sub(extra), (i + 1 + extra).min(g.nx - 1));
    let (r0, r1) = (r.saturating_sub(extra), (r + 1 + extra).min(g.ny - 1));
    let corners: Vec<Vec<f64>> = [(i0, r0), (i1, r0), (i0, r1), (i1, r1)]
        .iter()
        .map(|&(a, b)| slice.state_at(g.x(a), g.y(b)))
        .collect();
    curvature_bound(model, j, &corners)
}

fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

struct Case {
    name: &'static str,
    model: FeatureModel,
    x: usize,
    y: usize,
    grids: Vec<(usize, usize)>,
}

fn toy(s1: f64, sd: bool) -> FeatureModel {
    let m = FeatureModel::two_feature_toy(s1, 2.0, 0.5).expect("valid toy");
    let r = if sd {
        Regulariser::SpectralDecoupling(SpectralDecoupling::uniform(0.002))
    } else {
        Regulariser::L2 { lambda: 0.01 }
    };
    m.with_regulariser(r).expect("valid regulariser")
}

fn cases() -> Vec<Case> {
    let three = FeatureModel::random(3, 11, &Spectrum::List(vec![5.0, 3.0, 2.0]), None)
        .expect("valid random model")
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .expect("valid regulariser");
    let grids = vec![(121, 81), (31, 21)];
    vec![
        Case {
            name: "L2 s1=2",
            model: toy(2.0, false),
            x: 0,
            y: 1,
            grids: grids.clone(),
        },
        Case {
            name: "L2 s1=6",
            model: toy(6.0, false),
            x: 0,
            y: 1,
            grids: grids.clone(),
        },
        Case {
            name: "SD s1=2",
            model: toy(2.0, true),
            x: 0,
            y: 1,
            grids: grids.clone(),
        },
        Case {
            name: "SD s1=6",
            model: toy(6.0, true),
            x: 0,
            y: 1,
            grids: grids.clone(),
        },
        // Its field is steeper (s1 = 5): the coarsest grid keeps M·d below ‖∇f‖.
        Case {
            name: "random k=3, (z1, z3) slice at z2*",
            model: three,
            x: 0,
            y: 2,
            grids: vec![(121, 81), (61, 41)],
        },
    ]
}

/// The z-flow, z*, and the x and y ranges of the portrait rectangle.
type Setup = (Box<dyn VectorField>, Vec<f64>, (f64, f64), (f64, f64));

/// The slice through the equilibrium and a rectangle around it.
fn setup(case: &Case) -> Setup {
    let field = build_flow(&case.model, Space::Responses).expect("z-flow");
    let eq = find_equilibrium(&case.model, None, &EquilibriumOptions::default()).expect("z*");
    let z = eq.point;
    let (zx, zy) = (z[case.x], z[case.y]);
    // Like the Figure 6 portraits: from below the origin to beyond z*.
    let xr = (zx.min(0.0) - 1.0, zx.max(0.0) + 1.5);
    let yr = (zy.min(0.0) - 0.5, zy.max(0.0) + 0.8);
    (field, z, xr, yr)
}

#[test]
fn every_nullcline_point_has_a_small_field_component() {
    for case in cases() {
        let (field, z, xr, yr) = setup(&case);
        let slice = SliceField::new(field.as_ref(), case.x, case.y, z.clone()).expect("slice");
        for &(nx, ny) in &case.grids {
            let g = Grid::new(xr, yr, nx, ny).expect("grid");
            let samples: FieldSamples = sample_field(&slice, &g);
            let ncs = nullclines(&samples);
            for nc in &ncs {
                let j = if nc.component == 0 { case.x } else { case.y };
                let values = if nc.component == 0 {
                    &samples.u
                } else {
                    &samples.v
                };
                let rounding = 1e-12 * values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                assert!(
                    !nc.pieces.is_empty(),
                    "{}: no nullcline for component {j}",
                    case.name
                );
                let (mut worst_vertex, mut worst_chord, mut points) = (0.0f64, 0.0f64, 0usize);
                for piece in &nc.pieces {
                    let tols: Vec<f64> = piece
                        .iter()
                        .map(|&p| vertex_tolerance(&case.model, &slice, &g, j, rounding, p))
                        .collect();
                    for (&p, &tol) in piece.iter().zip(&tols) {
                        let f = component(&slice, nc.component, p.0, p.1).abs();
                        assert!(
                            f <= tol,
                            "{} grid {nx}×{ny}: |f_{}| = {f:.3e} > {tol:.3e} at vertex {p:?}",
                            case.name,
                            j + 1
                        );
                        worst_vertex = worst_vertex.max(f / tol);
                        points += 1;
                    }
                    for k in 1..piece.len() {
                        let (p, q) = (piece[k - 1], piece[k]);
                        let len = (q.0 - p.0).hypot(q.1 - p.1);
                        let mid = (0.5 * (p.0 + q.0), 0.5 * (p.1 + q.1));
                        let m = cell_bound(&case.model, &slice, &g, j, mid, 0);
                        for t in [0.25, 0.5, 0.75] {
                            let at = (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1));
                            let tol = (1.0 - t) * tols[k - 1]
                                + t * tols[k]
                                + t * (1.0 - t) * len * len / 2.0 * m;
                            let f = component(&slice, nc.component, at.0, at.1).abs();
                            assert!(
                                f <= tol,
                                "{} grid {nx}×{ny}: |f_{}| = {f:.3e} > {tol:.3e} on a chord at {at:?}",
                                case.name,
                                j + 1
                            );
                            worst_chord = worst_chord.max(f / tol);
                            points += 1;
                        }
                    }
                }
                eprintln!(
                    "{} grid {nx}×{ny} ż{} = 0: {points} points checked, worst |f|/tolerance: vertices {worst_vertex:.3}, chords {worst_chord:.3}",
                    case.name,
                    j + 1
                );
            }
        }
    }
}

#[test]
fn equilibria_lie_on_both_nullclines() {
    for case in cases() {
        let (field, z, xr, yr) = setup(&case);
        let slice = SliceField::new(field.as_ref(), case.x, case.y, z.clone()).expect("slice");
        let star = (z[case.x], z[case.y]);
        for &(nx, ny) in &case.grids {
            let g = Grid::new(xr, yr, nx, ny).expect("grid");
            let samples = sample_field(&slice, &g);
            let ncs = nullclines(&samples);
            let d = g.dx().hypot(g.dy());
            let jac = slice.jacobian(star.0, star.1);
            for nc in &ncs {
                let c = nc.component;
                let j = if c == 0 { case.x } else { case.y };
                let values = if c == 0 { &samples.u } else { &samples.v };
                let rounding = 1e-12 * values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                // ε: the largest chord bound of the segments within one cell diagonal of z*.
                let mut eps = 0.0f64;
                let mut dist = f64::INFINITY;
                for piece in &nc.pieces {
                    for k in 1..piece.len() {
                        let (p, q) = (piece[k - 1], piece[k]);
                        let dseg = segment_distance(star, p, q);
                        dist = dist.min(dseg);
                        if dseg <= d {
                            let len = (q.0 - p.0).hypot(q.1 - p.1);
                            let mid = (0.5 * (p.0 + q.0), 0.5 * (p.1 + q.1));
                            let m = cell_bound(&case.model, &slice, &g, j, mid, 0);
                            let tp = vertex_tolerance(&case.model, &slice, &g, j, rounding, p);
                            let tq = vertex_tolerance(&case.model, &slice, &g, j, rounding, q);
                            eps = eps.max(tp.max(tq) + len * len / 8.0 * m);
                        }
                    }
                }
                let grad = jac[c][0].hypot(jac[c][1]);
                let m = cell_bound(&case.model, &slice, &g, j, star, 1);
                let slack = grad - m * d;
                assert!(
                    slack > 0.0,
                    "{} grid {nx}×{ny}: gradient {grad:.3e} too small for the bound (M d = {:.3e})",
                    case.name,
                    m * d
                );
                let bound = eps / slack;
                assert!(
                    bound < 0.25 * d,
                    "{} grid {nx}×{ny}: derived bound {bound:.3e} is not below a quarter cell diagonal {d:.3e}",
                    case.name
                );
                assert!(
                    dist <= bound,
                    "{} grid {nx}×{ny}: z* = {star:?} is {dist:.3e} from the ż{} = 0 polyline, bound {bound:.3e}",
                    case.name,
                    j + 1
                );
                eprintln!(
                    "{} grid {nx}×{ny}: dist(z*, ż{} = 0) = {dist:.3e} ≤ {bound:.3e} (ε = {eps:.3e}, ‖∇f‖ = {grad:.3e}, cell diagonal {d:.3e})",
                    case.name,
                    j + 1
                );
            }
            // Newton on the slice field finds the same point, classified as a stable node.
            let found = slice_equilibria(&slice, &samples, &[]);
            assert_eq!(found.len(), 1, "{} grid {nx}×{ny}: {found:?}", case.name);
            let e = &found[0];
            let gap = (e.x - star.0).hypot(e.y - star.1);
            assert!(
                gap <= 1e-8 * (1.0 + star.0.hypot(star.1)),
                "{}: Newton {gap:.3e} from z*",
                case.name
            );
            assert_eq!(e.stability, Stability::StableNode, "{}", case.name);
        }
    }
}
