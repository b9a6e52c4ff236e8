//! Nullclines: zero-level curves of each slice-field component (marching squares).

use contour::ContourBuilder;

use super::grid::{FieldSamples, Grid};

/// The zero-level set of one field component: polylines in data coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Nullcline {
    /// 0: the x-component vanishes (ẋ = 0); 1: the y-component vanishes (ẏ = 0).
    pub component: usize,
    /// Pieces of the curve, each a polyline (x, y).
    pub pieces: Vec<Vec<(f64, f64)>>,
}

/// Nullclines ẋ = 0 and ẏ = 0 of sampled field values, by marching squares with linear
/// interpolation along cell edges.
///
/// Every vertex lies on a cell edge where the linear interpolant of the component between the
/// two nodes vanishes, so there |component| ≤ Δ²/8 · max |∂²component/∂s²| along that edge
/// (Δ the edge length). Pieces are split where the marching squares ring runs along the outside
/// of the grid and next to nodes where the field is not finite.
pub fn nullclines(samples: &FieldSamples) -> [Nullcline; 2] {
    [
        Nullcline {
            component: 0,
            pieces: zero_level(&samples.grid, &samples.u),
        },
        Nullcline {
            component: 1,
            pieces: zero_level(&samples.grid, &samples.v),
        },
    ]
}

/// Zero-level polylines of `values` on `grid`, in data coordinates.
pub fn zero_level(grid: &Grid, values: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let (nx, ny) = (grid.nx, grid.ny);
    if values.len() != nx * ny {
        return Vec::new();
    }
    // Non-finite values would read as "below zero" and draw a false curve around them.
    let clean: Vec<f64> = values
        .iter()
        .map(|v| if v.is_finite() { *v } else { -1.0 })
        .collect();
    let Ok(lines) = ContourBuilder::new(nx, ny, true).lines(&clean, &[0.0]) else {
        return Vec::new();
    };
    let finite_at = |i: i64, j: i64| {
        i < 0
            || j < 0
            || i >= nx as i64
            || j >= ny as i64
            || values[j as usize * nx + i as usize].is_finite()
    };
    // Grid coordinates of the crate: node (i, j) sits at (i + 0.5, j + 0.5); points on the
    // outer border (0 or n) close rings around the grid and are not crossings.
    let on_border =
        |g: (f64, f64)| g.0 <= 0.0 || g.1 <= 0.0 || g.0 >= nx as f64 || g.1 >= ny as f64;
    let usable = |g: (f64, f64)| {
        if on_border(g) || !g.0.is_finite() || !g.1.is_finite() {
            return false;
        }
        let (u, v) = (g.0 - 0.5, g.1 - 0.5);
        [u.floor(), u.ceil()].iter().all(|&i| {
            [v.floor(), v.ceil()]
                .iter()
                .all(|&j| finite_at(i as i64, j as i64))
        })
    };
    let to_data = |g: (f64, f64)| {
        (
            grid.x_range.0 + (g.0 - 0.5) * grid.dx(),
            grid.y_range.0 + (g.1 - 0.5) * grid.dy(),
        )
    };
    let mut pieces = Vec::new();
    for line in &lines {
        for ring in &line.geometry().0 {
            let mut pts: Vec<(f64, f64)> = ring.0.iter().map(|c| (c.x, c.y)).collect();
            let closed = pts.len() > 2 && pts.first() == pts.last();
            if closed {
                pts.pop();
            }
            // Start a closed ring at an unusable point so that no piece wraps around the start.
            if let Some(k) = pts.iter().position(|&g| !usable(g)) {
                pts.rotate_left(k);
            } else if closed && let Some(&first) = pts.first() {
                pts.push(first);
            }
            let mut current: Vec<(f64, f64)> = Vec::new();
            for g in pts {
                if usable(g) {
                    current.push(to_data(g));
                } else if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
            }
            if !current.is_empty() {
                pieces.push(current);
            }
        }
    }
    pieces
}
