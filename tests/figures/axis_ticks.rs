//! Claim (issue 10, points 4 and 10): "axis ticks sit at 1, 2 or 5 × 10ᵏ steps and read as
//! distinct numbers; a series that is constant up to round-off (δ = 1/√2 varying by 10⁻¹³) is
//! drawn as a constant with a few distinct tick labels around it, never as a steep trend with
//! identical labels; a log axis over few decades is labelled at 1, 2 and 5 of every decade, over
//! many decades at powers of ten."
//!
//! The figures are rendered to SVG through the public API and the tick labels read back from
//! the SVG text (panels without title, axis labels or legend, so every text is a tick label).

use starvation::plot::{Axis, Figure, ImageFormat, LinePanel, Panel, Scale, Series, render};

/// The texts of an SVG, in document order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

/// Renders one line panel of `points` (x linear over 0..10 unless `x_scale` is log) and returns
/// its tick labels.
fn tick_labels(points: Vec<(f64, f64)>, x_scale: Scale, width: u32) -> Vec<String> {
    let panel = LinePanel {
        title: String::new(),
        x: Axis {
            label: String::new(),
            range: None,
            scale: x_scale,
        },
        y: Axis::default(),
        series: vec![Series {
            points,
            width: 2.0,
            ..Series::default()
        }],
        markers: Vec::new(),
        legend: false,
    };
    let fig = Figure {
        title: String::new(),
        panels: vec![Panel::Lines(panel)],
        columns: 1,
        width,
        height: 600,
    };
    let svg = String::from_utf8(render(&fig, ImageFormat::Svg).expect("renders")).expect("utf-8");
    texts(&svg)
}

/// A tick label as a number (Unicode minus, "m×10ᵏ" and "10ᵏ" understood).
fn number(label: &str) -> Option<f64> {
    let l = label.replace('−', "-");
    let sup = |s: &str| -> Option<i32> {
        s.chars()
            .map(|c| match c {
                '⁻' => Some('-'),
                '⁰' => Some('0'),
                '¹' => Some('1'),
                '²' => Some('2'),
                '³' => Some('3'),
                '⁴' => Some('4'),
                '⁵' => Some('5'),
                '⁶' => Some('6'),
                '⁷' => Some('7'),
                '⁸' => Some('8'),
                '⁹' => Some('9'),
                _ => None,
            })
            .collect::<Option<String>>()?
            .parse()
            .ok()
    };
    if let Some((m, e)) = l.split_once("×10") {
        return Some(m.parse::<f64>().ok()? * 10f64.powi(sup(e)?));
    }
    if let Some(e) = l
        .strip_prefix("10")
        .filter(|e| !e.is_empty() && !e.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Some(10f64.powi(sup(e)?));
    }
    l.parse().ok()
}

/// Whether `step` is 1, 2 or 5 × 10ᵏ (to 10⁻⁹ relative).
fn one_two_five(step: f64) -> bool {
    let k = step.log10().floor();
    let m = step / 10f64.powf(k);
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|&n| (m - n).abs() < 1e-9 * n)
}

#[test]
fn a_constant_up_to_round_off_gets_distinct_one_two_five_ticks() {
    let c = std::f64::consts::FRAC_1_SQRT_2;
    // The case: a threshold equal to 1/√2 in every cell up to 10⁻¹³.
    let points: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64, c + 1e-13 * ((i * 7) % 3) as f64 - 1e-13))
        .collect();
    let labels = tick_labels(points, Scale::Linear, 900);
    let mut seen = std::collections::BTreeSet::new();
    for l in &labels {
        assert!(
            seen.insert(l.clone()),
            "label {l:?} appears twice in {labels:?}"
        );
    }
    // y labels: the ones that are not whole numbers 0..10 of the x axis.
    let y: Vec<f64> = labels
        .iter()
        .filter_map(|l| number(l))
        .filter(|v| v.fract() != 0.0)
        .collect();
    assert!((3..=10).contains(&y.len()), "y labels {labels:?}");
    assert!(
        y[0] < c && *y.last().unwrap() > c,
        "1/√2 lies inside the labelled range: {y:?}"
    );
    let steps: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    for s in &steps {
        assert!((s / steps[0] - 1.0).abs() < 1e-6, "evenly spaced: {y:?}");
    }
    assert!(
        one_two_five(steps[0]),
        "step {} is not 1, 2 or 5 × 10ᵏ",
        steps[0]
    );
    // The range shows the value, not its round-off: the step is at least 10⁻³ of the value.
    assert!(
        steps[0] > 1e-3 * c,
        "step {} zooms into round-off",
        steps[0]
    );
}

#[test]
fn a_zero_up_to_round_off_is_drawn_as_zero() {
    let points: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64, if i % 2 == 0 { 3e-15 } else { -2e-15 }))
        .collect();
    let labels = tick_labels(points, Scale::Linear, 900);
    let y: Vec<f64> = labels.iter().filter_map(|l| number(l)).collect();
    let smallest_step = y
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    assert!(
        smallest_step >= 0.1,
        "ticks {labels:?} zoom into round-off around 0"
    );
}

#[test]
fn linear_ticks_step_by_one_two_or_five() {
    for (lo, hi) in [(0.0, 1.0), (-3.0, 17.0), (0.013, 0.0191), (250.0, 9000.0)] {
        // x from −100 to −90: its labels lie below every y range tested.
        let points = vec![(-100.0, lo), (-90.0, hi)];
        let labels = tick_labels(points, Scale::Linear, 900);
        let y: Vec<f64> = labels
            .iter()
            .filter_map(|l| number(l))
            .filter(|v| *v > -50.0)
            .collect();
        assert!(y.len() >= 3, "{labels:?}");
        let steps: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
        for s in &steps {
            assert!((s / steps[0] - 1.0).abs() < 1e-6, "uneven ticks {labels:?}");
        }
        assert!(
            one_two_five(steps[0]),
            "step {} of {labels:?} is not 1, 2 or 5 × 10ᵏ",
            steps[0]
        );
    }
}

#[test]
fn log_axis_over_two_decades_is_labelled_at_one_two_five() {
    let points: Vec<(f64, f64)> = (0..=20)
        .map(|i| (10f64.powf(-3.0 + 2.0 * i as f64 / 20.0), 1.0 + i as f64))
        .collect();
    let labels = tick_labels(points, Scale::Log, 1600);
    for want in ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"] {
        assert!(
            labels.iter().any(|l| l == want),
            "{want} missing from {labels:?}"
        );
    }
}

#[test]
fn log_axis_over_many_decades_is_labelled_at_powers_of_ten() {
    let points: Vec<(f64, f64)> = (0..=20)
        .map(|i| (10f64.powf(-6.0 + 8.0 * i as f64 / 20.0), 1.0 + i as f64))
        .collect();
    let labels = tick_labels(points, Scale::Log, 900);
    let x: Vec<&String> = labels.iter().filter(|l| l.starts_with("10")).collect();
    assert!(x.len() >= 3, "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("2×")), "{labels:?}");
}
