//! Phase portraits as data: vector-field samples, streamlines, nullclines, equilibria and
//! trajectories for two chosen coordinates of a flow.
//!
//! A portrait looks at a flow (z, θ or α of a [`FeatureModel`]) through a *slice*: two state
//! coordinates x and y vary, every other coordinate is held at a given value (by default the
//! coordinates of the equilibrium). On that slice this module computes
//! - the field on a grid ([`sample_field`]),
//! - streamlines of the 2-D slice field, evenly spread by an occupancy mask ([`streamlines`]),
//! - nullclines, the zero-level curves of each field component, by marching squares with linear
//!   interpolation along cell edges (the `contour` crate) mapped to data coordinates
//!   ([`nullclines`]),
//! - equilibria with their stability class: [`find_equilibrium`] for the response flow, Newton's
//!   method on the 2-D slice field otherwise ([`slice_equilibria`]),
//! - trajectories of the *full* flow from given or seeded random starts, projected on the two
//!   coordinates ([`trajectories`], [`random_starts`]).
//!
//! [`portrait`] does all of it from one [`PortraitSettings`]. Nothing here draws: the figure
//! code turns a [`Portrait`] into a [`crate::plot::PortraitPanel`].

use std::cell::RefCell;

use contour::ContourBuilder;
use nalgebra::DMatrix;

use crate::equilibrium::{EquilibriumOptions, Stability, find_equilibrium};
use crate::error::{Error, InputError};
use crate::flow::{Space, VectorField, build_flow};
use crate::model::FeatureModel;
use crate::numerics::{SeededRng, logistic};
use crate::solve::{Method, SolveOptions, StopReason, integrate};

/// The 2-D field of a flow restricted to a slice: state coordinates `x` and `y` vary, all others
/// stay at the values of `base`.
pub struct SliceField<'a> {
    field: &'a dyn VectorField,
    x: usize,
    y: usize,
    base: Vec<f64>,
    state: RefCell<Vec<f64>>,
    value: RefCell<Vec<f64>>,
    jacobian: RefCell<DMatrix<f64>>,
}

impl<'a> SliceField<'a> {
    /// The slice of `field` through `base` (a full state) along coordinates `x` and `y`
    /// (0-based, distinct, below the field's dimension).
    pub fn new(
        field: &'a dyn VectorField,
        x: usize,
        y: usize,
        base: Vec<f64>,
    ) -> Result<Self, InputError> {
        let dim = field.dim();
        if x >= dim || y >= dim {
            return Err(InputError::new(
                "coordinates",
                format!(
                    "coordinate {} is outside the {}-dimensional {} state",
                    x.max(y) + 1,
                    dim,
                    field.space()
                ),
            ));
        }
        if x == y {
            return Err(InputError::new(
                "coordinates",
                "x and y must be two different coordinates",
            ));
        }
        if base.len() != dim {
            return Err(InputError::new(
                "fixed",
                format!(
                    "has {} values but the {} state has dimension {dim}",
                    base.len(),
                    field.space()
                ),
            ));
        }
        if let Some(i) = base.iter().position(|v| !v.is_finite()) {
            return Err(InputError::new(
                format!("fixed[{i}]"),
                "must be a finite number",
            ));
        }
        Ok(Self {
            field,
            x,
            y,
            base,
            state: RefCell::new(vec![0.0; dim]),
            value: RefCell::new(vec![0.0; dim]),
            jacobian: RefCell::new(DMatrix::zeros(dim, dim)),
        })
    }

    /// The two coordinates (x, y), 0-based.
    pub fn coordinates(&self) -> (usize, usize) {
        (self.x, self.y)
    }

    /// The full state the slice passes through (x and y entries are replaced when evaluating).
    pub fn base(&self) -> &[f64] {
        &self.base
    }

    /// The flow the slice is taken from.
    pub fn field(&self) -> &dyn VectorField {
        self.field
    }

    /// The full state at slice point (x, y).
    pub fn state_at(&self, x: f64, y: f64) -> Vec<f64> {
        let mut s = self.base.clone();
        s[self.x] = x;
        s[self.y] = y;
        s
    }

    /// The field's x and y components at slice point (x, y) (non-finite outside the flow's
    /// domain, e.g. α ∉ (0, 1)).
    pub fn eval(&self, x: f64, y: f64) -> (f64, f64) {
        let mut s = self.state.borrow_mut();
        s.copy_from_slice(&self.base);
        s[self.x] = x;
        s[self.y] = y;
        let mut v = self.value.borrow_mut();
        self.field.eval(&s, &mut v);
        (v[self.x], v[self.y])
    }

    /// The 2 × 2 Jacobian of the slice field at (x, y): rows (ẋ, ẏ), columns (x, y).
    pub fn jacobian(&self, x: f64, y: f64) -> [[f64; 2]; 2] {
        let mut s = self.state.borrow_mut();
        s.copy_from_slice(&self.base);
        s[self.x] = x;
        s[self.y] = y;
        let mut j = self.jacobian.borrow_mut();
        self.field.jacobian(&s, &mut j);
        [
            [j[(self.x, self.x)], j[(self.x, self.y)]],
            [j[(self.y, self.x)], j[(self.y, self.y)]],
        ]
    }
}

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

/// Settings of [`streamlines`]. Coordinates are measured in panel sizes (the grid rectangle
/// maps to the unit square), so the result does not depend on the units of x and y.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamlineOptions {
    /// Cells per side of the occupancy mask: about this many streamlines cross the panel
    /// (default 12). A streamline stops when it enters a cell another one already crossed.
    pub density: usize,
    /// RK4 step along the streamline's arc length, as a fraction of one mask cell (default 0.2).
    pub step: f64,
    /// Stop where the speed falls below this fraction of the median grid speed (default 1e−3).
    pub min_speed: f64,
    /// Longest streamline, in panel sizes (default 4).
    pub max_length: f64,
    /// Drop streamlines shorter than this many mask cells (default 1).
    pub min_length: f64,
}

impl Default for StreamlineOptions {
    fn default() -> Self {
        Self {
            density: 12,
            step: 0.2,
            min_speed: 1e-3,
            max_length: 4.0,
            min_length: 1.0,
        }
    }
}

/// Streamlines of the slice field over the rectangle of `samples.grid`, integrated forward and
/// backward from seeds with RK4 along the arc length (direction field f/‖f‖ in panel units).
/// A line stops at the rectangle's border, where the speed is tiny, where the direction
/// reverses within a step (it passed a zero of the field), when it enters a mask cell another
/// line crossed, or at `max_length`. Seeds are mask cell centres, outer rings first.
pub fn streamlines(
    slice: &SliceField,
    samples: &FieldSamples,
    options: &StreamlineOptions,
) -> Vec<Vec<(f64, f64)>> {
    let grid = samples.grid;
    let n = options.density.max(2);
    let Some(median) = samples.median_scaled_speed() else {
        return Vec::new();
    };
    let w = grid.x_range.1 - grid.x_range.0;
    let h = grid.y_range.1 - grid.y_range.0;
    let floor = options.min_speed.max(0.0) * median;
    let ds = options.step.clamp(1e-3, 1.0) / n as f64;
    let max_steps = (options.max_length.max(ds) / ds).ceil() as usize;
    // Unit direction at normalised point p (None: too slow, not finite or outside).
    let direction = |p: (f64, f64), sign: f64| -> Option<(f64, f64)> {
        let (u, v) = slice.eval(grid.x_range.0 + p.0 * w, grid.y_range.0 + p.1 * h);
        let (a, b) = (u / w, v / h);
        let s = a.hypot(b);
        (s.is_finite() && s > floor && s > 0.0).then(|| (sign * a / s, sign * b / s))
    };
    let cell_of = |p: (f64, f64)| -> usize {
        let i = ((p.0 * n as f64).floor().max(0.0) as usize).min(n - 1);
        let j = ((p.1 * n as f64).floor().max(0.0) as usize).min(n - 1);
        j * n + i
    };
    let mut owner: Vec<Option<usize>> = vec![None; n * n];
    let mut seeds: Vec<(usize, usize, usize)> = (0..n)
        .flat_map(|j| (0..n).map(move |i| (i.min(j).min(n - 1 - i).min(n - 1 - j), j, i)))
        .collect();
    seeds.sort();
    let mut lines = Vec::new();
    for (id, &(_, j, i)) in seeds.iter().enumerate() {
        if owner[j * n + i].is_some() {
            continue;
        }
        let seed = ((i as f64 + 0.5) / n as f64, (j as f64 + 0.5) / n as f64);
        if direction(seed, 1.0).is_none() {
            continue;
        }
        owner[j * n + i] = Some(id);
        let mut halves = Vec::with_capacity(2);
        let mut length = 0.0;
        for sign in [1.0, -1.0] {
            let mut p = seed;
            let mut cell = cell_of(p);
            let mut pts = vec![p];
            for _ in 0..max_steps {
                let Some(k1) = direction(p, sign) else { break };
                let at = |k: (f64, f64), f: f64| (p.0 + f * ds * k.0, p.1 + f * ds * k.1);
                let Some(k2) = direction(at(k1, 0.5), sign) else {
                    break;
                };
                let Some(k3) = direction(at(k2, 0.5), sign) else {
                    break;
                };
                let Some(k4) = direction(at(k3, 1.0), sign) else {
                    break;
                };
                let dot = |a: (f64, f64), b: (f64, f64)| a.0 * b.0 + a.1 * b.1;
                if dot(k1, k2) < 0.0 || dot(k1, k3) < 0.0 || dot(k1, k4) < 0.0 {
                    break;
                }
                let mut next = (
                    p.0 + ds / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0),
                    p.1 + ds / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1),
                );
                let outside = !(0.0..=1.0).contains(&next.0) || !(0.0..=1.0).contains(&next.1);
                if outside {
                    next = clip_to_unit_square(p, next);
                }
                let c = cell_of(next);
                if c != cell {
                    if owner[c].is_some() {
                        break;
                    }
                    owner[c] = Some(id);
                    cell = c;
                }
                length += (next.0 - p.0).hypot(next.1 - p.1);
                pts.push(next);
                p = next;
                if outside {
                    break;
                }
            }
            halves.push(pts);
        }
        if length * (n as f64) < options.min_length {
            for o in owner.iter_mut().filter(|o| **o == Some(id)) {
                *o = None;
            }
            owner[j * n + i] = Some(id);
            continue;
        }
        let backward = halves.pop().unwrap_or_default();
        let forward = halves.pop().unwrap_or_default();
        let line: Vec<(f64, f64)> = backward
            .iter()
            .rev()
            .chain(forward.iter().skip(1))
            .map(|&(a, b)| (grid.x_range.0 + a * w, grid.y_range.0 + b * h))
            .collect();
        lines.push(line);
    }
    lines
}

/// The point where the segment from `a` (inside) to `b` (outside) leaves the unit square.
fn clip_to_unit_square(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let mut t: f64 = 1.0;
    for (p, q) in [(a.0, b.0), (a.1, b.1)] {
        let d = q - p;
        if q > 1.0 && d > 0.0 {
            t = t.min((1.0 - p) / d);
        }
        if q < 0.0 && d < 0.0 {
            t = t.min(-p / d);
        }
    }
    let t = t.clamp(0.0, 1.0);
    (
        (a.0 + t * (b.0 - a.0)).clamp(0.0, 1.0),
        (a.1 + t * (b.1 - a.1)).clamp(0.0, 1.0),
    )
}

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
    /// [`find_equilibrium`].
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

/// A trajectory of the full flow projected on the portrait's two coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedTrajectory {
    /// The full initial state.
    pub start: Vec<f64>,
    /// Recorded times.
    pub times: Vec<f64>,
    /// (x, y) at those times.
    pub points: Vec<(f64, f64)>,
    /// Why the integration stopped.
    pub stop: StopReason,
}

/// Integrates the full flow from every start (full states) with `method` and `options`, and
/// projects each trajectory on coordinates `x` and `y`.
pub fn trajectories(
    field: &dyn VectorField,
    starts: &[Vec<f64>],
    x: usize,
    y: usize,
    method: Method,
    options: &SolveOptions,
) -> Result<Vec<ProjectedTrajectory>, Error> {
    starts
        .iter()
        .map(|s| {
            let tr = integrate(field, s, method, options)?;
            Ok(ProjectedTrajectory {
                start: s.clone(),
                points: tr.states.iter().map(|st| (st[x], st[y])).collect(),
                times: tr.times,
                stop: tr.stop,
            })
        })
        .collect()
}

/// `count` starts drawn uniformly in `x_range` × `y_range` (coordinates `x`, `y` of `base`),
/// from `seed` (SplitMix64, reproducible across versions).
pub fn random_starts(
    base: &[f64],
    x: usize,
    y: usize,
    x_range: (f64, f64),
    y_range: (f64, f64),
    count: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = SeededRng::new(seed);
    (0..count)
        .map(|_| {
            let mut s = base.to_vec();
            s[x] = x_range.0 + rng.uniform() * (x_range.1 - x_range.0);
            s[y] = y_range.0 + rng.uniform() * (y_range.1 - y_range.0);
            s
        })
        .collect()
}

/// The equilibrium of `model`'s flow in `space`, as a full state: z* from [`find_equilibrium`],
/// θ* = V S⁻¹ z* (the minimum-norm one), α* = σ(−U z*) (M9 at the fixed point).
pub fn equilibrium_state(model: &FeatureModel, space: Space) -> Result<Vec<f64>, Error> {
    let eq = find_equilibrium(model, None, &EquilibriumOptions::default())?;
    Ok(state_from_responses(model, space, &eq.point))
}

/// The state in `space` that corresponds to responses z at a fixed point (see
/// [`equilibrium_state`]).
pub fn state_from_responses(model: &FeatureModel, space: Space, z: &[f64]) -> Vec<f64> {
    match space {
        Space::Responses => z.to_vec(),
        Space::Parameters => model.parameters_from_responses(z),
        Space::Dual => {
            let u = model.coupling();
            (0..u.nrows())
                .map(|i| {
                    let a: f64 = (0..u.ncols()).map(|j| u[(i, j)] * z[j]).sum();
                    logistic(-a)
                })
                .collect()
        }
    }
}

/// Where the coordinates that are not plotted are held.
#[derive(Debug, Clone, PartialEq)]
pub enum Fixed {
    /// At the equilibrium of the flow ([`equilibrium_state`]).
    Equilibrium,
    /// At these values (a full state; its x and y entries are ignored).
    Values(Vec<f64>),
}

/// Trajectories to draw in a portrait.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectorySettings {
    /// Initial states: full states, or (x, y) pairs completed from the slice's fixed values.
    pub starts: Vec<Vec<f64>>,
    /// Also `count` seeded random starts in the rectangle: (count, seed).
    pub random: Option<(usize, u64)>,
    /// Method.
    pub method: Method,
    /// Solver options (t_end, tolerances, output).
    pub options: SolveOptions,
}

/// Everything [`portrait`] computes, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PortraitSettings {
    /// The flow's space.
    pub space: Space,
    /// Coordinate on the x axis (0-based).
    pub x: usize,
    /// Coordinate on the y axis (0-based).
    pub y: usize,
    /// Range of x.
    pub x_range: (f64, f64),
    /// Range of y.
    pub y_range: (f64, f64),
    /// The other coordinates.
    pub fixed: Fixed,
    /// Arrow grid (nx, ny); None: no arrows.
    pub arrows: Option<(usize, usize)>,
    /// Streamlines; None: none.
    pub streamlines: Option<StreamlineOptions>,
    /// Nullcline grid (nx, ny); None: no nullclines.
    pub nullclines: Option<(usize, usize)>,
    /// Find and classify equilibria.
    pub equilibria: bool,
    /// Trajectories; None: none.
    pub trajectories: Option<TrajectorySettings>,
}

/// A computed phase portrait (data only).
#[derive(Debug, Clone, PartialEq)]
pub struct Portrait {
    /// The full state the slice passes through.
    pub base: Vec<f64>,
    /// Field samples for arrows.
    pub arrows: Option<FieldSamples>,
    /// Streamlines (data coordinates).
    pub streamlines: Vec<Vec<(f64, f64)>>,
    /// Nullclines ẋ = 0 and ẏ = 0.
    pub nullclines: Option<[Nullcline; 2]>,
    /// Equilibria with their classes.
    pub equilibria: Vec<PortraitEquilibrium>,
    /// Trajectories of the full flow, projected.
    pub trajectories: Vec<ProjectedTrajectory>,
}

/// Computes the portrait of `model`'s flow described by `settings`. Errors name the setting
/// (`x.range`, `fixed`, `trajectories.starts[i]`, …) for bad input; a failed trajectory is a
/// solve error.
pub fn portrait(model: &FeatureModel, settings: &PortraitSettings) -> Result<Portrait, Error> {
    let field = build_flow(model, settings.space).map_err(|e| e.within("model"))?;
    let dim = field.dim();
    let (x, y) = (settings.x, settings.y);
    // The full equilibrium (if any) of the response flow, for markers and the fixed values.
    let z_eq = find_equilibrium(model, None, &EquilibriumOptions::default()).ok();
    let base = match &settings.fixed {
        Fixed::Values(v) => v.clone(),
        Fixed::Equilibrium if dim == 2 => match (&z_eq, settings.space) {
            (Some(eq), s) => state_from_responses(model, s, &eq.point),
            (None, Space::Dual) => vec![0.5; dim],
            (None, _) => vec![0.0; dim],
        },
        Fixed::Equilibrium => match &z_eq {
            Some(eq) => state_from_responses(model, settings.space, &eq.point),
            None => {
                return Err(InputError::new(
                    "fixed",
                    "the flow has no equilibrium (λ = 0?); give the other coordinates' values",
                )
                .into());
            }
        },
    };
    let slice = SliceField::new(field.as_ref(), x, y, base)?;
    let arrows = match settings.arrows {
        Some((nx, ny)) => Some(sample_field(
            &slice,
            &Grid::new(settings.x_range, settings.y_range, nx, ny)
                .map_err(|e| rename_grid(e, "arrows.grid"))?,
        )),
        None => None,
    };
    let fine = match settings.nullclines {
        Some((nx, ny)) => Some(sample_field(
            &slice,
            &Grid::new(settings.x_range, settings.y_range, nx, ny)
                .map_err(|e| rename_grid(e, "nullclines.grid"))?,
        )),
        None => None,
    };
    // Streamlines and slice equilibria use the finest samples available.
    let reference = match (&fine, &arrows) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(a)) => Some(a.clone()),
        (None, None) if settings.streamlines.is_some() || settings.equilibria => {
            Some(sample_field(
                &slice,
                &Grid::new(settings.x_range, settings.y_range, 81, 81)?,
            ))
        }
        (None, None) => None,
    };
    let streamlines = match (&settings.streamlines, &reference) {
        (Some(o), Some(r)) => streamlines(&slice, r, o),
        _ => Vec::new(),
    };
    let nullclines = fine.as_ref().map(nullclines);
    let mut equilibria = Vec::new();
    if settings.equilibria {
        let full_z = settings.space == Space::Responses
            && (dim == 2 || settings.fixed == Fixed::Equilibrium);
        match (&z_eq, full_z) {
            (Some(eq), true) => {
                let grid = Grid::new(settings.x_range, settings.y_range, 2, 2)?;
                if grid.contains(eq.point[x], eq.point[y], 0.0) {
                    equilibria.push(PortraitEquilibrium {
                        x: eq.point[x],
                        y: eq.point[y],
                        state: eq.point.clone(),
                        eigenvalues: eq.eigenvalues.clone(),
                        stability: eq.stability,
                        residual: eq.residual,
                        of_full_flow: true,
                    });
                }
            }
            _ => {
                if let Some(r) = &reference {
                    equilibria = slice_equilibria(&slice, r, &[]);
                }
            }
        }
    }
    let mut trajectories_out = Vec::new();
    if let Some(t) = &settings.trajectories {
        let mut starts = Vec::with_capacity(t.starts.len());
        for (i, s) in t.starts.iter().enumerate() {
            if s.len() == dim {
                starts.push(s.clone());
            } else if s.len() == 2 {
                starts.push(slice.state_at(s[0], s[1]));
            } else {
                return Err(InputError::new(
                    format!("trajectories.starts[{i}]"),
                    format!(
                        "has {} entries; give (x, y) or a full {} state of dimension {dim}",
                        s.len(),
                        settings.space
                    ),
                )
                .into());
            }
        }
        if let Some((count, seed)) = t.random {
            starts.extend(random_starts(
                slice.base(),
                x,
                y,
                settings.x_range,
                settings.y_range,
                count,
                seed,
            ));
        }
        trajectories_out = trajectories(field.as_ref(), &starts, x, y, t.method, &t.options)
            .map_err(|e| match e {
                Error::Input(i) => Error::Input(InputError::new(
                    i.field.replacen("options.", "trajectories.", 1),
                    i.message,
                )),
                other => other,
            })?;
    }
    Ok(Portrait {
        base: slice.base().to_vec(),
        arrows,
        streamlines,
        nullclines,
        equilibria,
        trajectories: trajectories_out,
    })
}

fn rename_grid(e: InputError, name: &str) -> InputError {
    if e.field == "grid" {
        InputError::new(name, e.message)
    } else {
        e
    }
}
