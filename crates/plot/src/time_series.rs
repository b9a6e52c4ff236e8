//! The time-series figure of the explorer's z(t) panel: every coordinate z_j of every run
//! against t, on a linear axis or |z_j| on a log axis (`log_y`), with t linear or log (`log_t`).
//! Colour by coordinate j, dash by kind of run (solid: integrated trajectories, dashed: a
//! training map's iterates); values a log axis cannot show (z_j = 0, t ≤ 0) break the line.

use crate::figure::{Axis, Dash, LinePanel, Scale, Series};

/// One run: its times and its state at each time (one value per coordinate).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimeSeriesRun {
    /// Times t_k.
    pub times: Vec<f64>,
    /// z(t_k), one vector per time.
    pub values: Vec<Vec<f64>>,
    /// Drawn dashed (a discrete map's iterates) instead of solid.
    pub dashed: bool,
    /// Legend suffix of this kind of run (e.g. "gradient descent"); the first run of each kind
    /// labels its coordinates.
    pub kind: String,
}

/// "z₁" for 0-based j = 0.
fn symbol(j: usize) -> String {
    let sub: String = (j + 1)
        .to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect();
    format!("z{sub}")
}

/// The panel: one series per run and coordinate (at most `max_coordinates` coordinates, in
/// legend order), colour j, `log_y`: |z_j| on a log axis, `log_t`: a log time axis.
pub fn time_series_panel(
    title: &str,
    runs: &[TimeSeriesRun],
    max_coordinates: usize,
    log_y: bool,
    log_t: bool,
) -> LinePanel {
    let mut series = Vec::new();
    let mut labelled: Vec<String> = Vec::new();
    for run in runs {
        let dim = run.values.iter().map(Vec::len).max().unwrap_or(0);
        let label_run = !labelled.contains(&run.kind);
        if label_run {
            labelled.push(run.kind.clone());
        }
        for j in 0..dim.min(max_coordinates) {
            let points: Vec<(f64, f64)> = run
                .times
                .iter()
                .zip(&run.values)
                .map(|(&t, z)| {
                    let v = z.get(j).copied().unwrap_or(f64::NAN);
                    let y = if log_y {
                        if v != 0.0 { v.abs() } else { f64::NAN }
                    } else {
                        v
                    };
                    let x = if log_t && t <= 0.0 { f64::NAN } else { t };
                    (x, y)
                })
                .collect();
            let name = if log_y {
                format!("|{}|", symbol(j))
            } else {
                symbol(j)
            };
            series.push(Series {
                label: label_run.then(|| {
                    if run.kind.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}, {}", run.kind)
                    }
                }),
                points,
                colour: j,
                dash: if run.dashed {
                    Dash::Dashed
                } else {
                    Dash::Solid
                },
                width: 1.6,
                ..Series::default()
            });
        }
    }
    LinePanel {
        title: title.to_string(),
        x: Axis {
            label: "time t".into(),
            range: None,
            scale: if log_t { Scale::Log } else { Scale::Linear },
        },
        y: Axis {
            label: if log_y { "|zⱼ|" } else { "zⱼ" }.into(),
            range: None,
            scale: if log_y { Scale::Log } else { Scale::Linear },
        },
        series,
        markers: Vec::new(),
        legend: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_break_at_zero_and_label_the_first_run_of_each_kind() {
        let run = |dashed, kind: &str| TimeSeriesRun {
            times: vec![0.0, 1.0, 2.0],
            values: vec![vec![0.0, -1.0], vec![0.5, -2.0], vec![1.0, -3.0]],
            dashed,
            kind: kind.into(),
        };
        let p = time_series_panel(
            "",
            &[run(false, "flow"), run(false, "flow"), run(true, "gd")],
            8,
            true,
            true,
        );
        assert_eq!(p.series.len(), 6);
        assert!(p.series[0].points[0].0.is_nan() && p.series[0].points[0].1.is_nan());
        assert_eq!(p.series[1].points[1], (1.0, 2.0));
        assert_eq!(p.series[0].label.as_deref(), Some("|z₁|, flow"));
        assert_eq!(p.series[2].label, None);
        assert_eq!(p.series[5].dash, Dash::Dashed);
        assert_eq!((p.x.scale, p.y.scale), (Scale::Log, Scale::Log));
    }
}
