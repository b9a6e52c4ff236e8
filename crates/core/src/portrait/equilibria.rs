//! Equilibria seen in a portrait and their stability class.

use crate::equilibrium::Stability;

use super::grid::FieldSamples;
use super::slice::SliceField;

/// An equilibrium seen in a portrait: its slice coordinates, full state and stability.
#[derive(Debug, Clone, PartialEq)]
pub struct PortraitEquilibrium {
    /// Slice coordinate x.
    pub x: f64,
    /// Slice coordinate y.
    pub y: f64,
    /// The full state.
    pub state: Vec<f64>,
    /// Eigenvalues (re, im) of the Jacobian used for the class: of the full flow when
    /// `of_full_flow`, of the 2-D slice field otherwise.
    pub eigenvalues: Vec<(f64, f64)>,
    /// Stability class.
    pub stability: Stability,
    /// Residual: ‖slice field‖ at the point (Newton), or the weighted residual of
    /// [`find_equilibrium`](crate::equilibrium::find_equilibrium).
    pub residual: f64,
    /// True when the point is an equilibrium of the whole flow (not only of the slice field).
    pub of_full_flow: bool,
}

/// Eigenvalues (re, im) of a real 2 × 2 matrix, sorted by real part.
pub fn eigenvalues_2x2(j: &[[f64; 2]; 2]) -> Vec<(f64, f64)> {
    let tr = j[0][0] + j[1][1];
    let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    let disc = 0.25 * tr * tr - det;
    let mut ev = if disc >= 0.0 {
        let r = disc.sqrt();
        // Stable form: the larger-magnitude root first, the other from det / root.
        let big = 0.5 * tr + r.copysign(tr);
        let small = if big != 0.0 { det / big } else { 0.0 };
        vec![(big, 0.0), (small, 0.0)]
    } else {
        let im = (-disc).sqrt();
        vec![(0.5 * tr, -im), (0.5 * tr, im)]
    };
    ev.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    ev
}

/// Stability class from eigenvalues, with |re| ≤ 1e−12 · max |eigenvalue| counted as zero.
pub fn classify(eigenvalues: &[(f64, f64)]) -> Stability {
    let top = eigenvalues
        .iter()
        .map(|e| e.0.hypot(e.1))
        .fold(0.0, f64::max);
    Stability::classify(eigenvalues, 1e-12 * top)
}

/// Equilibria of the 2-D slice field inside the grid rectangle: damped Newton's method started
/// at the centre of every grid cell where both components change sign (and at `extra_starts`),
/// kept when ‖f‖ falls below 1e−10 of the median grid speed scale; duplicates merged.
pub fn slice_equilibria(
    slice: &SliceField,
    samples: &FieldSamples,
    extra_starts: &[(f64, f64)],
) -> Vec<PortraitEquilibrium> {
    let g = samples.grid;
    let scale = samples
        .u
        .iter()
        .chain(&samples.v)
        .map(|v| v.abs())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let changes = |vals: [f64; 4]| {
        vals.iter().all(|v| v.is_finite())
            && vals.iter().any(|v| *v >= 0.0)
            && vals.iter().any(|v| *v <= 0.0)
    };
    let mut starts: Vec<(f64, f64)> = extra_starts.to_vec();
    for j in 0..g.ny - 1 {
        for i in 0..g.nx - 1 {
            let k = [
                j * g.nx + i,
                j * g.nx + i + 1,
                (j + 1) * g.nx + i,
                (j + 1) * g.nx + i + 1,
            ];
            let u = k.map(|k| samples.u[k]);
            let v = k.map(|k| samples.v[k]);
            if changes(u) && changes(v) {
                starts.push((0.5 * (g.x(i) + g.x(i + 1)), 0.5 * (g.y(j) + g.y(j + 1))));
            }
        }
    }
    let tol = 1e-10 * scale;
    let same = 1e-6 * (g.x_range.1 - g.x_range.0).hypot(g.y_range.1 - g.y_range.0);
    let mut found: Vec<PortraitEquilibrium> = Vec::new();
    for s in starts {
        let Some((x, y, residual)) = newton_2d(slice, s, tol) else {
            continue;
        };
        if !g.contains(x, y, 0.5) {
            continue;
        }
        if found.iter().any(|e| (e.x - x).hypot(e.y - y) <= same) {
            continue;
        }
        let eigenvalues = eigenvalues_2x2(&slice.jacobian(x, y));
        let stability = classify(&eigenvalues);
        found.push(PortraitEquilibrium {
            x,
            y,
            state: slice.state_at(x, y),
            eigenvalues,
            stability,
            residual,
            of_full_flow: slice.field().dim() == 2,
        });
    }
    found
}

/// Damped Newton's method on the slice field from `start`; (x, y, ‖f‖) when ‖f‖ ≤ `tol`.
fn newton_2d(slice: &SliceField, start: (f64, f64), tol: f64) -> Option<(f64, f64, f64)> {
    let (mut x, mut y) = start;
    let norm = |(a, b): (f64, f64)| a.hypot(b);
    let mut f = slice.eval(x, y);
    let mut r = norm(f);
    for _ in 0..100 {
        if !r.is_finite() {
            return None;
        }
        if r <= tol {
            return Some((x, y, r));
        }
        let j = slice.jacobian(x, y);
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let dx = -(j[1][1] * f.0 - j[0][1] * f.1) / det;
        let dy = -(-j[1][0] * f.0 + j[0][0] * f.1) / det;
        let mut t = 1.0;
        loop {
            let (nx, ny) = (x + t * dx, y + t * dy);
            let nf = slice.eval(nx, ny);
            let nr = norm(nf);
            if nr.is_finite() && (nr < r || nr <= tol) {
                x = nx;
                y = ny;
                f = nf;
                r = nr;
                break;
            }
            t *= 0.5;
            if t < 1e-10 {
                return (r <= tol).then_some((x, y, r));
            }
        }
    }
    (r <= tol).then_some((x, y, r))
}
