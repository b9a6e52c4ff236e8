//! Thresholds along an axis: where a metric column crosses a level. Scan the grid for sign
//! changes of (metric − level), bracket every one, refine each by Brent's method on the
//! continuous parameter (each evaluation is a fresh cell at that value), and report a record per
//! crossing; [`branches`] chains the crossings of parallel lines into pieces of threshold curve.

use serde::{Deserialize, Serialize};

use super::CellOutcome;
use super::metric::Metric;
use crate::numerics::brent_root;
use crate::numerics::exact_f64;

/// A validated threshold.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// The axis it is located along (index into the plan's axes).
    pub axis: usize,
    /// Metric column index.
    pub column: usize,
    /// The metric that produces the column, and the column's offset within its columns
    /// (refinement evaluates only this metric).
    pub source: (Metric, usize),
    /// Metric column name.
    pub metric: String,
    /// Level.
    pub level: f64,
    /// Absolute precision.
    pub precision: f64,
    /// "metric = level along axis".
    pub criterion: String,
    /// Legend text.
    pub label: String,
}

/// Outcome of locating one crossing of a threshold on a line (or of a line without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdStatus {
    /// A crossing on the grid, refined (a line with several crossings has one record each).
    Found,
    /// No crossing on the grid.
    NotFound,
    /// The refinement failed (a cell inside the bracket failed), or every cell of the line did.
    Failed,
}

impl ThresholdStatus {
    /// A value was located.
    pub fn is_found(self) -> bool {
        matches!(self, ThresholdStatus::Found)
    }

    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdStatus::Found => "found",
            ThresholdStatus::NotFound => "not_found",
            ThresholdStatus::Failed => "failed",
        }
    }
}

/// How the metric passes through the level at a crossing, as the axis value increases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossingDirection {
    /// From below the level to above it.
    Rising,
    /// From above the level to below it.
    Falling,
    /// The metric equals the level at a grid point and stays on one side (a tangency), or the
    /// direction cannot be told (no valid neighbour).
    Touching,
}

impl CrossingDirection {
    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            CrossingDirection::Rising => "rising",
            CrossingDirection::Falling => "falling",
            CrossingDirection::Touching => "touching",
        }
    }

    /// From the signs of metric − level before and after the crossing (0 for none).
    fn from_sides(before: f64, after: f64) -> Self {
        if before < 0.0 && after > 0.0 {
            CrossingDirection::Rising
        } else if before > 0.0 && after < 0.0 {
            CrossingDirection::Falling
        } else {
            CrossingDirection::Touching
        }
    }
}

/// A threshold record: one crossing of the level on a line (value, bracket, criterion, status,
/// precision), or the line's only record when it has no crossing (`not_found`) or no valid
/// value (`failed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdRecord {
    /// Criterion ("ratio2 = 0.5 along s1").
    pub criterion: String,
    /// Status.
    pub status: ThresholdStatus,
    /// Located parameter value (NaN unless found).
    #[serde(with = "exact_f64")]
    pub value: f64,
    /// Final bracket [lo, hi] (the grid bracket if refinement failed; NaN if none).
    #[serde(with = "exact_f64::pair")]
    pub bracket: [f64; 2],
    /// Width of the final bracket.
    #[serde(with = "exact_f64")]
    pub precision: f64,
    /// Grid crossings seen on the line.
    pub crossings: usize,
    /// Which of them this record is, counted from 1 in the order of the axis' values (0 on a
    /// line without a crossing).
    pub crossing: usize,
    /// How the metric passes through the level here (None on a line without a crossing).
    pub direction: Option<CrossingDirection>,
    /// metric − level at the two bracket ends (opposite signs for a found threshold).
    #[serde(with = "exact_f64::pair")]
    pub sides: [f64; 2],
}

/// Locates threshold `t` on one line along its axis: `xs` are the axis' values, `cells` the
/// line's cells, and `metric_at(x)` evaluates the threshold's metric column at any axis value
/// (NaN on failure) for the refinement. Every crossing of the level between neighbouring valid
/// grid values (or a valid grid value exactly at the level) is bracketed and refined on its
/// own and gives one record, in the order of the axis' values; a line with several crossings
/// (the level curve turns back across the line, or several curves cross it) keeps them all.
/// A line without a single valid value (every cell failed, or the metric is undefined in every
/// cell) gives one `Failed` record; one without a crossing among its valid values one
/// `NotFound` record.
pub fn locate(
    xs: &[f64],
    cells: &[CellOutcome],
    t: &Threshold,
    metric_at: &dyn Fn(f64) -> f64,
) -> Vec<ThresholdRecord> {
    // Valid grid points (cell succeeded, metric finite).
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(cells)
        .filter(|(_, c)| c.failure.is_none() && c.values[t.column].is_finite())
        .map(|(x, c)| (*x, c.values[t.column] - t.level))
        .collect();
    // Brackets (lo, hi, g(lo), g(hi), direction); lo == hi for a grid value at the level.
    let mut brackets = Vec::new();
    for (k, &(x0, g0)) in pts.iter().enumerate() {
        if g0 == 0.0 {
            let before = if k > 0 { pts[k - 1].1 } else { 0.0 };
            let after = pts.get(k + 1).map_or(0.0, |p| p.1);
            // At an end of the line the one neighbour tells the direction.
            let (before, after) = match (k == 0, k + 1 == pts.len()) {
                (true, false) => (-after, after),
                (false, true) => (before, -before),
                _ => (before, after),
            };
            let dir = CrossingDirection::from_sides(before, after);
            brackets.push((x0, x0, g0, g0, dir));
        } else if let Some(&(x1, g1)) = pts.get(k + 1)
            && g1 != 0.0
            && g0.signum() != g1.signum()
        {
            brackets.push((x0, x1, g0, g1, CrossingDirection::from_sides(g0, g1)));
        }
    }
    let crossings = brackets.len();
    if brackets.is_empty() {
        return vec![ThresholdRecord {
            criterion: t.criterion.clone(),
            status: if pts.is_empty() && !cells.is_empty() {
                ThresholdStatus::Failed
            } else {
                ThresholdStatus::NotFound
            },
            value: f64::NAN,
            bracket: [f64::NAN; 2],
            precision: f64::NAN,
            crossings: 0,
            crossing: 0,
            direction: None,
            sides: [f64::NAN; 2],
        }];
    }
    brackets
        .into_iter()
        .enumerate()
        .map(|(k, (lo, hi, glo, ghi, dir))| {
            let mut record = refine(t, lo, hi, glo, ghi, metric_at);
            record.crossings = crossings;
            record.crossing = k + 1;
            record.direction = Some(dir);
            record
        })
        .collect()
}

/// Refines one grid bracket [lo, hi] (metric − level = glo, ghi at its ends) by Brent's method.
fn refine(
    t: &Threshold,
    lo: f64,
    hi: f64,
    glo: f64,
    ghi: f64,
    metric_at: &dyn Fn(f64) -> f64,
) -> ThresholdRecord {
    let record = |status, value, bracket: [f64; 2], precision, sides| ThresholdRecord {
        criterion: t.criterion.clone(),
        status,
        value,
        bracket,
        precision,
        crossings: 0,
        crossing: 0,
        direction: None,
        sides,
    };
    if lo == hi {
        return record(ThresholdStatus::Found, lo, [lo, hi], 0.0, [glo, ghi]);
    }
    let mut failed = false;
    let g = |x: f64| -> f64 { metric_at(x) - t.level };
    let refined = brent_root(
        |x| {
            let v = g(x);
            if v.is_nan() {
                failed = true;
            }
            v
        },
        lo,
        hi,
        t.precision,
        200,
    );
    match refined {
        Some((value, bracket)) if !failed => {
            let (a, b) = (bracket[0].min(bracket[1]), bracket[0].max(bracket[1]));
            let sides = if a == b { [0.0, 0.0] } else { [g(a), g(b)] };
            record(ThresholdStatus::Found, value, [a, b], b - a, sides)
        }
        _ => record(
            ThresholdStatus::Failed,
            f64::NAN,
            [lo.min(hi), lo.max(hi)],
            (hi - lo).abs(),
            [glo, ghi],
        ),
    }
}

/// One crossing on a line, for [`branches`]: its position along the line's axis in plot
/// coordinates (e.g. log₁₀ of the value on a log axis) and its direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossingPoint {
    /// Position along the line (plot coordinates, so that distances compare).
    pub position: f64,
    /// Direction of the crossing.
    pub direction: CrossingDirection,
}

/// Chains the crossings of consecutive parallel lines into branches (pieces of threshold curve):
/// `lines[k]` are the found crossings on the k-th line in the order of the other axis (an empty
/// line breaks every branch). A crossing continues a crossing of the previous line only if both
/// have the same direction (a level curve keeps its side while it does not turn), and among
/// crossings of one direction the pairs are chosen in order (curves of the level set do not
/// cross) with the smallest total distance; a crossing left over starts a branch, and one not
/// continued ends its branch. Where a curve turns back between two lines (a fold, two crossings
/// of opposite directions meeting), its two arms end as two branches: no segment is ever drawn
/// between crossings of different directions or of non-neighbouring lines.
///
/// Returns every branch as the list of (line, index into that line's crossings), lines in order.
pub fn branches(lines: &[Vec<CrossingPoint>]) -> Vec<Vec<(usize, usize)>> {
    let mut finished: Vec<Vec<(usize, usize)>> = Vec::new();
    // Open branches, by the index of their last crossing on the previous line.
    let mut open: Vec<Option<Vec<(usize, usize)>>> = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        let mut next: Vec<Option<Vec<(usize, usize)>>> = vec![None; line.len()];
        if k > 0 {
            let prev = &lines[k - 1];
            for dir in [
                CrossingDirection::Rising,
                CrossingDirection::Falling,
                CrossingDirection::Touching,
            ] {
                let a: Vec<usize> = (0..prev.len())
                    .filter(|&i| prev[i].direction == dir)
                    .collect();
                let b: Vec<usize> = (0..line.len())
                    .filter(|&j| line[j].direction == dir)
                    .collect();
                let pa: Vec<f64> = a.iter().map(|&i| prev[i].position).collect();
                let pb: Vec<f64> = b.iter().map(|&j| line[j].position).collect();
                for (ia, ib) in ordered_matching(&pa, &pb) {
                    next[b[ib]] = open[a[ia]].take();
                }
            }
        }
        finished.extend(open.drain(..).flatten());
        for (j, slot) in next.iter_mut().enumerate() {
            slot.get_or_insert_with(Vec::new).push((k, j));
        }
        open = next;
    }
    finished.extend(open.into_iter().flatten());
    finished.sort_by_key(|b| b[0]);
    finished
}

/// The order-preserving matching of min(|a|, |b|) pairs between the sorted positions `a` and
/// `b` with the smallest total distance (dynamic programming over the shorter list).
fn ordered_matching(a: &[f64], b: &[f64]) -> Vec<(usize, usize)> {
    if a.len() > b.len() {
        return ordered_matching(b, a)
            .into_iter()
            .map(|(j, i)| (i, j))
            .collect();
    }
    let (n, m) = (a.len(), b.len());
    // cost[i][j]: the least total distance matching all of a[..i] into b[..j] (i ≤ j).
    let mut cost = vec![vec![f64::INFINITY; m + 1]; n + 1];
    cost[0].fill(0.0);
    for i in 1..=n {
        for j in i..=m {
            let matched = cost[i - 1][j - 1] + (a[i - 1] - b[j - 1]).abs();
            let skipped = if j > i { cost[i][j - 1] } else { f64::INFINITY };
            cost[i][j] = matched.min(skipped);
        }
    }
    let mut out = Vec::with_capacity(n);
    let (mut i, mut j) = (n, m);
    while i > 0 {
        if j > i && cost[i][j] == cost[i][j - 1] {
            j -= 1;
        } else {
            out.push((i - 1, j - 1));
            i -= 1;
            j -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[(f64, CrossingDirection)]) -> Vec<CrossingPoint> {
        points
            .iter()
            .map(|&(position, direction)| CrossingPoint {
                position,
                direction,
            })
            .collect()
    }

    #[test]
    fn matching_pairs_the_nearest_in_order() {
        assert_eq!(ordered_matching(&[1.0], &[0.0, 1.1, 5.0]), vec![(0, 1)]);
        assert_eq!(ordered_matching(&[0.0, 1.1, 5.0], &[4.9]), vec![(2, 0)]);
        assert_eq!(
            ordered_matching(&[0.0, 3.0], &[0.1, 2.0, 3.2]),
            vec![(0, 0), (1, 2)]
        );
        assert!(ordered_matching(&[], &[1.0]).is_empty());
    }

    #[test]
    fn a_fold_ends_two_branches_and_never_joins_them() {
        use CrossingDirection::{Falling as F, Rising as R};
        // A U-shaped level curve: two arms (falling left, rising right) meeting above line 2.
        let lines = vec![
            line(&[(0.0, F), (4.0, R)]),
            line(&[(1.0, F), (3.0, R)]),
            line(&[(1.9, F), (2.1, R)]),
            line(&[]),
            line(&[(7.0, R)]),
        ];
        let b = branches(&lines);
        assert_eq!(
            b,
            vec![
                vec![(0, 0), (1, 0), (2, 0)],
                vec![(0, 1), (1, 1), (2, 1)],
                vec![(4, 0)],
            ]
        );
        // A pair born beside a continuing branch: the continuing one keeps its points.
        let lines = vec![line(&[(0.0, R)]), line(&[(0.2, R), (3.0, F), (3.5, R)])];
        assert_eq!(
            branches(&lines),
            vec![vec![(0, 0), (1, 0)], vec![(1, 1)], vec![(1, 2)]]
        );
    }
}
