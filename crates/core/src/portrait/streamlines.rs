//! Evenly spread streamlines of the slice field (occupancy mask in panel coordinates).

use super::grid::FieldSamples;
use super::slice::SliceField;

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
