//! Level sets of a metric over a 2-D slice of a sweep (two named axes, the others fixed at each
//! of their values): polylines by marching squares on the grid, so a threshold curve continues
//! where the metric is flat along one axis. Linear interpolation along cell edges, in axis values
//! (log-spaced axes are interpolated linearly in value); a square with a non-finite or failed
//! corner draws nothing; saddles are resolved by the mean of the four corners.

use std::collections::HashMap;

use serde::Deserialize;

use super::{AxisValue, SweepPlan, SweepResult};
use crate::error::InputError;

/// `sweep.level_sets[i]`: where column `metric` equals `level` over the (`x`, `y`) plane.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelSetRequest {
    /// A metric column (e.g. "ratio2").
    pub metric: String,
    /// The level.
    pub level: f64,
    /// Axis along x (a numeric sweep axis).
    pub x: String,
    /// Axis along y (another numeric sweep axis).
    pub y: String,
}

/// The level curves on one slice.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSet {
    /// Metric column.
    pub metric: String,
    /// Level.
    pub level: f64,
    /// x axis name.
    pub x: String,
    /// y axis name.
    pub y: String,
    /// The other axes and their values on this slice.
    pub fixed: Vec<(String, AxisValue)>,
    /// Polylines of (x, y) points.
    pub curves: Vec<Vec<[f64; 2]>>,
}

/// Validates a request against the plan; errors name `field`.
pub fn check(r: &LevelSetRequest, plan: &SweepPlan, field: &str) -> Result<(), InputError> {
    if !plan.columns.contains(&r.metric) {
        return Err(InputError::new(
            format!("{field}.metric"),
            format!(
                "{:?} is not a metric column; the sweep computes {}",
                r.metric,
                plan.columns.join(", ")
            ),
        ));
    }
    crate::error::require_finite(&format!("{field}.level"), r.level)?;
    for (key, name) in [("x", &r.x), ("y", &r.y)] {
        let axis = plan.axes.iter().find(|a| a.name == *name).ok_or_else(|| {
            let names: Vec<&str> = plan.axes.iter().map(|a| a.name.as_str()).collect();
            InputError::new(
                format!("{field}.{key}"),
                format!(
                    "{name:?} is not a sweep axis; use one of {}",
                    names.join(", ")
                ),
            )
        })?;
        if axis.values.len() < 2 || axis.values.iter().any(|v| v.number().is_nan()) {
            return Err(InputError::new(
                format!("{field}.{key}"),
                format!("{name:?} must be a numeric axis with at least two values"),
            ));
        }
    }
    if r.x == r.y {
        return Err(InputError::new(
            format!("{field}.y"),
            "must name another axis than x",
        ));
    }
    Ok(())
}

/// The level sets of a (validated) request on every slice of the other axes.
pub fn level_sets(plan: &SweepPlan, result: &SweepResult, r: &LevelSetRequest) -> Vec<LevelSet> {
    let ax = plan.axes.iter().position(|a| a.name == r.x);
    let ay = plan.axes.iter().position(|a| a.name == r.y);
    let col = plan.columns.iter().position(|c| *c == r.metric);
    let (Some(ax), Some(ay), Some(col)) = (ax, ay, col) else {
        return Vec::new();
    };
    let shape: Vec<usize> = plan.axes.iter().map(|a| a.values.len()).collect();
    let line_len = plan.line_length();
    let lines: HashMap<usize, &super::LineResult> =
        result.lines.iter().map(|l| (l.line, l)).collect();
    let value_at = |idx: &[usize]| -> f64 {
        let flat = idx.iter().zip(&shape).fold(0, |acc, (i, n)| acc * n + i);
        lines
            .get(&(flat / line_len))
            .and_then(|l| l.cells.get(flat % line_len))
            .filter(|c| c.failure.is_none())
            .and_then(|c| c.values.get(col).copied())
            .unwrap_or(f64::NAN)
    };
    let xs: Vec<f64> = plan.axes[ax].values.iter().map(AxisValue::number).collect();
    let ys: Vec<f64> = plan.axes[ay].values.iter().map(AxisValue::number).collect();
    let others: Vec<usize> = (0..shape.len()).filter(|&a| a != ax && a != ay).collect();
    let slices: usize = others.iter().map(|&a| shape[a]).product();
    let mut out = Vec::new();
    for s in 0..slices {
        let mut idx = vec![0; shape.len()];
        let mut rest = s;
        for &a in others.iter().rev() {
            idx[a] = rest % shape[a];
            rest /= shape[a];
        }
        let mut grid = Vec::with_capacity(xs.len() * ys.len());
        for j in 0..ys.len() {
            for i in 0..xs.len() {
                idx[ax] = i;
                idx[ay] = j;
                grid.push(value_at(&idx));
            }
        }
        out.push(LevelSet {
            metric: r.metric.clone(),
            level: r.level,
            x: r.x.clone(),
            y: r.y.clone(),
            fixed: others
                .iter()
                .map(|&a| {
                    (
                        plan.axes[a].name.clone(),
                        plan.axes[a].values[idx[a]].clone(),
                    )
                })
                .collect(),
            curves: marching_squares(&xs, &ys, &grid, r.level),
        });
    }
    out
}

/// An edge of the grid: horizontal from node (i, j) to (i+1, j), or vertical to (i, j+1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Edge {
    H(usize, usize),
    V(usize, usize),
}

/// Polylines where `values` (row-major: x fastest, `xs.len()` per row) equals `level`.
pub fn marching_squares(xs: &[f64], ys: &[f64], values: &[f64], level: f64) -> Vec<Vec<[f64; 2]>> {
    let nx = xs.len();
    let ny = ys.len();
    if nx < 2 || ny < 2 || values.len() != nx * ny {
        return Vec::new();
    }
    let f = |i: usize, j: usize| values[j * nx + i] - level;
    let point = |e: Edge| -> [f64; 2] {
        let (a, b, (x0, y0), (x1, y1)) = match e {
            Edge::H(i, j) => (f(i, j), f(i + 1, j), (xs[i], ys[j]), (xs[i + 1], ys[j])),
            Edge::V(i, j) => (f(i, j), f(i, j + 1), (xs[i], ys[j]), (xs[i], ys[j + 1])),
        };
        let t = if a == b { 0.5 } else { a / (a - b) };
        [x0 + t * (x1 - x0), y0 + t * (y1 - y0)]
    };
    let mut segments: Vec<[Edge; 2]> = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            let c = [f(i, j), f(i + 1, j), f(i + 1, j + 1), f(i, j + 1)];
            if c.iter().any(|v| !v.is_finite()) {
                continue;
            }
            let above: Vec<bool> = c.iter().map(|v| *v >= 0.0).collect();
            // Edges around the square: bottom, right, top, left.
            let edges = [
                Edge::H(i, j),
                Edge::V(i + 1, j),
                Edge::H(i, j + 1),
                Edge::V(i, j),
            ];
            let crossed: Vec<usize> = (0..4).filter(|&k| above[k] != above[(k + 1) % 4]).collect();
            match crossed.len() {
                2 => segments.push([edges[crossed[0]], edges[crossed[1]]]),
                4 => {
                    let centre_above = c.iter().sum::<f64>() / 4.0 >= 0.0;
                    if centre_above == above[0] {
                        // Corners 0 and 2 connect through the centre: cut off corners 1 and 3.
                        segments.push([edges[0], edges[1]]);
                        segments.push([edges[2], edges[3]]);
                    } else {
                        segments.push([edges[3], edges[0]]);
                        segments.push([edges[1], edges[2]]);
                    }
                }
                _ => {}
            }
        }
    }
    // Join segments sharing an edge into polylines: open curves from their ends first.
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (s, seg) in segments.iter().enumerate() {
        for e in seg {
            at.entry(*e).or_default().push(s);
        }
    }
    let mut used = vec![false; segments.len()];
    let mut curves = Vec::new();
    let mut starts: Vec<(usize, Edge)> = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        for e in seg {
            if at[e].len() == 1 {
                starts.push((s, *e));
            }
        }
    }
    starts.extend(segments.iter().enumerate().map(|(s, seg)| (s, seg[0])));
    for (first, start) in starts {
        if used[first] {
            continue;
        }
        let mut curve = vec![point(start)];
        let (mut s, mut from) = (first, start);
        loop {
            used[s] = true;
            let next = if segments[s][0] == from {
                segments[s][1]
            } else {
                segments[s][0]
            };
            curve.push(point(next));
            match at[&next].iter().find(|&&t| !used[t]) {
                Some(&t) => {
                    s = t;
                    from = next;
                }
                None => break,
            }
        }
        curves.push(curve);
    }
    curves
}
