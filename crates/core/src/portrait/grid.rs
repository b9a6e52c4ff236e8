//! The sampling grid of a portrait and the slice field sampled on it.

use crate::error::InputError;

use super::slice::SliceField;

/// A rectangular grid of `nx` × `ny` nodes spanning `x_range` × `y_range` (both ends included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// (min, max) of x.
    pub x_range: (f64, f64),
    /// (min, max) of y.
    pub y_range: (f64, f64),
    /// Nodes along x (≥ 2).
    pub nx: usize,
    /// Nodes along y (≥ 2).
    pub ny: usize,
}

impl Grid {
    /// A validated grid; errors name `x.range`, `y.range` or `grid`.
    pub fn new(
        x_range: (f64, f64),
        y_range: (f64, f64),
        nx: usize,
        ny: usize,
    ) -> Result<Self, InputError> {
        for (name, (lo, hi)) in [("x.range", x_range), ("y.range", y_range)] {
            if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
                return Err(InputError::new(
                    name,
                    format!(
                        "must be two finite numbers [min, max] with min < max, got [{lo}, {hi}]"
                    ),
                ));
            }
        }
        if nx < 2 || ny < 2 {
            return Err(InputError::new(
                "grid",
                format!("needs at least 2 nodes along each axis, got {nx} × {ny}"),
            ));
        }
        Ok(Self {
            x_range,
            y_range,
            nx,
            ny,
        })
    }

    /// Spacing Δx between nodes.
    pub fn dx(&self) -> f64 {
        (self.x_range.1 - self.x_range.0) / (self.nx - 1) as f64
    }

    /// Spacing Δy between nodes.
    pub fn dy(&self) -> f64 {
        (self.y_range.1 - self.y_range.0) / (self.ny - 1) as f64
    }

    /// x of node column `i` (the last column is exactly `x_range.1`).
    pub fn x(&self, i: usize) -> f64 {
        if i + 1 >= self.nx {
            self.x_range.1
        } else {
            self.x_range.0 + i as f64 * self.dx()
        }
    }

    /// y of node row `j` (the last row is exactly `y_range.1`).
    pub fn y(&self, j: usize) -> f64 {
        if j + 1 >= self.ny {
            self.y_range.1
        } else {
            self.y_range.0 + j as f64 * self.dy()
        }
    }

    /// Whether (x, y) lies in the rectangle, widened by `margin` cells on every side.
    pub fn contains(&self, x: f64, y: f64, margin: f64) -> bool {
        let (mx, my) = (margin * self.dx(), margin * self.dy());
        x >= self.x_range.0 - mx
            && x <= self.x_range.1 + mx
            && y >= self.y_range.0 - my
            && y <= self.y_range.1 + my
    }
}

/// The slice field sampled on a grid: `u` (x component) and `v` (y component), row-major with
/// x fastest: node (i, j) is entry `j * nx + i`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSamples {
    /// The grid.
    pub grid: Grid,
    /// ẋ at every node.
    pub u: Vec<f64>,
    /// ẏ at every node.
    pub v: Vec<f64>,
}

impl FieldSamples {
    /// (x, y, ẋ, ẏ) of every node, x fastest.
    pub fn nodes(&self) -> impl Iterator<Item = (f64, f64, f64, f64)> + '_ {
        let g = self.grid;
        (0..g.ny).flat_map(move |j| {
            (0..g.nx).map(move |i| {
                let k = j * g.nx + i;
                (g.x(i), g.y(j), self.u[k], self.v[k])
            })
        })
    }

    /// Median of the speeds ‖(ẋ/W, ẏ/H)‖ measured in panel sizes W × H per unit time over
    /// the finite samples (None without any).
    pub fn median_scaled_speed(&self) -> Option<f64> {
        let (w, h) = (
            self.grid.x_range.1 - self.grid.x_range.0,
            self.grid.y_range.1 - self.grid.y_range.0,
        );
        let mut s: Vec<f64> = self
            .u
            .iter()
            .zip(&self.v)
            .map(|(u, v)| (u / w).hypot(v / h))
            .filter(|s| s.is_finite())
            .collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        Some(s[s.len() / 2])
    }
}

/// Samples the slice field at every node of `grid`.
pub fn sample_field(slice: &SliceField, grid: &Grid) -> FieldSamples {
    let mut u = Vec::with_capacity(grid.nx * grid.ny);
    let mut v = Vec::with_capacity(grid.nx * grid.ny);
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            let (a, b) = slice.eval(grid.x(i), grid.y(j));
            u.push(a);
            v.push(b);
        }
    }
    FieldSamples { grid: *grid, u, v }
}
