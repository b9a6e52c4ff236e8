//! Rendering tests: every panel kind renders to PNG (decoded and checked for size and drawn
//! content) and to SVG; odd inputs (NaN, empty, single points, zero size) never panic.
//!
//! SVG heat maps: "the cells are one embedded raster image, not one element per cell", and the
//! raster shows the same colours in the same places as the PNG rendering.

use std::path::Path;

use starvation::output::save_figure as save;
use starvation::plot::*;

/// Okabe–Ito palette indices used below.
const BLUE: usize = 0;
const ORANGE: usize = 1;
const GREEN: usize = 2;
const VERMILLION: usize = 3;
const BLACK: usize = 7;

fn series(label: &str, points: Vec<(f64, f64)>, colour: usize, dash: Dash) -> Series {
    Series {
        label: Some(label.to_string()),
        points,
        colour,
        dash,
        width: 2.0,
        markers: false,
        direction_arrows: false,
    }
}

fn axis(label: &str, range: Option<(f64, f64)>, scale: Scale) -> Axis {
    Axis {
        label: label.to_string(),
        range,
        scale,
    }
}

/// |z₁| and |z₂| against time, one starving the other, plus a dotted bound and markers.
fn lines_panel() -> LinePanel {
    let t: Vec<f64> = (0..=200).map(|i| i as f64 * 0.05).collect();
    let z1: Vec<(f64, f64)> = t.iter().map(|&t| (t, 1.0 - (-0.9 * t).exp())).collect();
    let z2: Vec<(f64, f64)> = t
        .iter()
        .map(|&t| (t, 0.8 * (1.0 - (-0.15 * t).exp()) * (-0.05 * t).exp()))
        .collect();
    let bound: Vec<(f64, f64)> = t.iter().map(|&t| (t, 0.9)).collect();
    let samples: Vec<(f64, f64)> = (0..=10)
        .map(|i| (i as f64, 0.5 + 0.03 * i as f64))
        .collect();
    LinePanel {
        title: "Feature strengths under gradient starvation".into(),
        x: axis("time t", None, Scale::Linear),
        y: axis("|z₁|, |z₂|", None, Scale::Linear),
        series: vec![
            series("|z₁| (dominant)", z1, BLUE, Dash::Solid),
            series("|z₂| (starved)", z2, ORANGE, Dash::Dashed),
            series("‖z‖ bound s₁² = 0.9", bound, BLACK, Dash::Dotted),
            Series {
                markers: true,
                ..series("δ-sampled run", samples, GREEN, Dash::Solid)
            },
        ],
        markers: vec![Marker {
            x: 4.0,
            y: 1.0 - (-3.6f64).exp(),
            class: PointClass::Other,
            colour: VERMILLION,
            label: Some("λ-switch".into()),
        }],
        legend: true,
    }
}

/// A log-log line panel (decay of the starved feature for several λ).
fn log_lines_panel() -> LinePanel {
    let series = (1..=3)
        .map(|k| {
            let lam = 0.1 * k as f64;
            let pts = (0..=120)
                .map(|i| {
                    let t = 10f64.powf(-1.0 + 4.0 * i as f64 / 120.0);
                    (t, 1.0 / (1.0 + lam * t))
                })
                .collect();
            Series {
                direction_arrows: true,
                ..series(&format!("λ = {lam:.1}"), pts, k - 1, Dash::Solid)
            }
        })
        .collect();
    LinePanel {
        title: "Decay of |z₂| (log–log)".into(),
        x: axis("t", None, Scale::Log),
        y: axis("|z₂|", None, Scale::Log),
        series,
        markers: vec![],
        legend: true,
    }
}

/// Competitive dynamics ż₁ = z₁(1 − z₁ − ½z₂), ż₂ = z₂(0.8 − z₂ − 0.7z₁).
fn field(z: (f64, f64)) -> (f64, f64) {
    (z.0 * (1.0 - z.0 - 0.5 * z.1), z.1 * (0.8 - z.1 - 0.7 * z.0))
}

fn integrate(mut z: (f64, f64), dt: f64, steps: usize) -> Vec<(f64, f64)> {
    let mut out = vec![z];
    for _ in 0..steps {
        let (a, b) = field(z);
        z = (z.0 + dt * a, z.1 + dt * b);
        out.push(z);
    }
    out
}

fn portrait_panel() -> PortraitPanel {
    let n = 17;
    let mut arrows = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (
                1.2 * i as f64 / (n - 1) as f64,
                1.0 * j as f64 / (n - 1) as f64,
            );
            let (dx, dy) = field((x, y));
            arrows.push(Arrow { x, y, dx, dy });
        }
    }
    let streamlines = [
        (0.05, 0.95),
        (1.15, 0.95),
        (1.15, 0.05),
        (0.6, 0.02),
        (0.02, 0.5),
    ]
    .iter()
    .map(|&z0| integrate(z0, 0.05, 300))
    .collect();
    // z₁ nullcline z₂ = 2(1 − z₁) and z₂ nullcline z₂ = 0.8 − 0.7 z₁, plus the axes.
    let nc1: Vec<(f64, f64)> = (0..=50)
        .map(|i| (0.5 + 0.5 * i as f64 / 50.0, 0.0))
        .map(|(x, _)| (x, 2.0 * (1.0 - x)))
        .collect();
    let nc2: Vec<(f64, f64)> = (0..=50)
        .map(|i| 1.2 * i as f64 / 50.0)
        .map(|x| (x, 0.8 - 0.7 * x))
        .collect();
    let z_star = {
        // 1 − z₁ − ½z₂ = 0, 0.8 − z₂ − 0.7z₁ = 0
        let z1 = (1.0 - 0.4) / (1.0 - 0.35);
        (z1, 0.8 - 0.7 * z1)
    };
    PortraitPanel {
        title: "Phase portrait of (z₁, z₂)".into(),
        x: axis("z₁", Some((0.0, 1.2)), Scale::Linear),
        y: axis("z₂", Some((0.0, 1.0)), Scale::Linear),
        arrows,
        streamlines,
        nullclines: vec![
            series("ż₁ = 0", nc1, VERMILLION, Dash::Solid),
            series(
                "ż₁ = 0",
                vec![(0.0, 0.0), (0.0, 1.0)],
                VERMILLION,
                Dash::Solid,
            ),
            series("ż₂ = 0", nc2, GREEN, Dash::Dashed),
        ],
        trajectories: vec![
            series(
                "trajectory",
                integrate((0.05, 0.9), 0.05, 400),
                BLACK,
                Dash::Solid,
            ),
            Series {
                label: None,
                ..series("", integrate((1.1, 0.02), 0.05, 400), BLACK, Dash::Solid)
            },
        ],
        markers: vec![
            Marker {
                x: 0.0,
                y: 0.0,
                class: PointClass::Unstable,
                colour: BLACK,
                label: Some("origin".into()),
            },
            Marker {
                x: 1.0,
                y: 0.0,
                class: PointClass::Saddle,
                colour: BLACK,
                label: None,
            },
            Marker {
                x: 0.0,
                y: 0.8,
                class: PointClass::Saddle,
                colour: BLACK,
                label: None,
            },
            Marker {
                x: z_star.0,
                y: z_star.1,
                class: PointClass::Stable,
                colour: BLUE,
                label: Some("z*".into()),
            },
        ],
        legend: true,
    }
}

/// A diverging heat map over (δ, λ) with a log δ axis, a no-data corner, contours, a curve.
fn heat_map_panel() -> HeatMapPanel {
    let xs: Vec<f64> = (0..40)
        .map(|i| 10f64.powf(-2.0 + 3.0 * i as f64 / 39.0))
        .collect();
    let ys: Vec<f64> = (0..30)
        .map(|j| 0.02 + 0.98 * (j as f64 / 29.0).powi(2))
        .collect();
    let mut values = Vec::new();
    for &y in &ys {
        for &x in &xs {
            let v = (x.log10() + 0.5) * (1.0 - 1.5 * y) + 0.3 * (6.0 * y).sin();
            values.push(if x > 3.0 && y > 0.8 { f64::NAN } else { v });
        }
    }
    let threshold: Vec<(f64, f64)> = (0..=60)
        .map(|i| {
            let y = 0.05 + 0.6 * i as f64 / 60.0;
            (10f64.powf(-0.5 + 0.8 * y), y)
        })
        .collect();
    HeatMapPanel {
        title: "Starvation gap over (δ, λ)".into(),
        x: axis("δ", None, Scale::Log),
        y: axis("λ", None, Scale::Linear),
        x_values: xs,
        y_values: ys,
        values,
        colour_label: "|z₁| − |z₂|".into(),
        colour_range: None,
        diverging_centre: Some(0.0),
        contour_levels: vec![-0.5, 0.0, 0.5],
        filled_levels: Vec::new(),
        hide_colour_bar: false,
        curves: vec![series("threshold δ*(λ)", threshold, ORANGE, Dash::Dashed)],
        markers: vec![Marker {
            x: 1.0,
            y: 0.3,
            class: PointClass::Stable,
            colour: BLACK,
            label: Some("paper run".into()),
        }],
        legend: true,
    }
}

/// A sequential heat map on a non-uniform linear grid.
fn sequential_heat_map() -> HeatMapPanel {
    let xs: Vec<f64> = (0..25).map(|i| (i as f64 / 24.0).powf(1.5) * 2.0).collect();
    let ys: Vec<f64> = (0..20).map(|j| j as f64 * 0.1).collect();
    let values = ys
        .iter()
        .flat_map(|&y| {
            xs.iter()
                .map(move |&x| (-(x - 1.0).powi(2) - (y - 1.0).powi(2)).exp())
        })
        .collect();
    HeatMapPanel {
        title: "Loss ‖∇L‖".into(),
        x: axis("s₁²", None, Scale::Linear),
        y: axis("s₂²", None, Scale::Linear),
        x_values: xs,
        y_values: ys,
        values,
        colour_label: "‖∇L‖".into(),
        contour_levels: vec![0.25, 0.5, 0.75],
        filled_levels: Vec::new(),
        hide_colour_bar: false,
        ..HeatMapPanel::default()
    }
}

fn figure(title: &str, panels: Vec<Panel>, columns: usize, width: u32, height: u32) -> Figure {
    Figure {
        title: title.into(),
        panels,
        columns,
        width,
        height,
    }
}

/// Decodes PNG bytes into (width, height, RGB pixels).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buf = vec![0u8; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Fraction of data pixels (see [`is_data_pixel`]) in the central box spanning `frac` of each
/// side.
fn ink_fraction(w: u32, h: u32, rgb: &[u8], frac: f64) -> f64 {
    let (x0, x1) = (
        ((1.0 - frac) / 2.0 * w as f64) as u32,
        ((1.0 + frac) / 2.0 * w as f64) as u32,
    );
    let (y0, y1) = (
        ((1.0 - frac) / 2.0 * h as f64) as u32,
        ((1.0 + frac) / 2.0 * h as f64) as u32,
    );
    let mut inked = 0usize;
    let mut total = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = 3 * (y as usize * w as usize + x as usize);
            total += 1;
            if is_data_pixel(&rgb[i..i + 3]) {
                inked += 1;
            }
        }
    }
    inked as f64 / total.max(1) as f64
}

/// A pixel of drawn data: clearly coloured, or dark. White, the light grey grid and other greys
/// do not count.
fn is_data_pixel(px: &[u8]) -> bool {
    let max = px.iter().copied().max().unwrap_or(255);
    let min = px.iter().copied().min().unwrap_or(255);
    max - min >= 40 || max <= 100
}

/// Distinct colours in the image (to tell a drawn figure from a blank or monochrome one).
fn distinct_colours(rgb: &[u8]) -> usize {
    let mut set = std::collections::HashSet::new();
    for px in rgb.chunks_exact(3) {
        set.insert((px[0], px[1], px[2]));
        if set.len() > 1000 {
            break;
        }
    }
    set.len()
}

/// Renders to PNG and SVG files in `dir`, checks both, returns the ink fraction of the centre.
fn check_figure(fig: &Figure, dir: &Path, name: &str, min_ink: f64) -> f64 {
    let png_path = dir.join(format!("{name}.png"));
    save(fig, &png_path).expect("PNG saved");
    let bytes = std::fs::read(&png_path).expect("PNG read back");
    let (w, h, rgb) = decode(&bytes);
    assert_eq!((w, h), (fig.width, fig.height), "{name}: image size");
    let ink = ink_fraction(w, h, &rgb, 0.5);
    assert!(
        ink > min_ink,
        "{name}: only {ink:.4} of the central region is drawn"
    );
    assert!(distinct_colours(&rgb) > 20, "{name}: too few colours");

    let svg_path = dir.join(format!("{name}.svg"));
    save(fig, &svg_path).expect("SVG saved");
    let svg = std::fs::read_to_string(&svg_path).expect("SVG is UTF-8 text");
    assert!(svg.contains("<svg"), "{name}: not an SVG");
    assert!(svg.trim_end().ends_with("</svg>"), "{name}: SVG not closed");
    assert!(
        svg.contains(&format!("width=\"{}\"", fig.width)),
        "{name}: SVG width"
    );
    ink
}

#[test]
fn line_panel_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fig = figure("", vec![Panel::Lines(lines_panel())], 1, 900, 650);
    check_figure(&fig, dir.path(), "lines", 0.01);
    // The SVG keeps the Unicode labels as text.
    let svg = String::from_utf8(render(&fig, ImageFormat::Svg).expect("SVG")).expect("UTF-8");
    assert!(svg.contains("|z₁|, |z₂|"), "axis label with subscripts");
    assert!(svg.contains("λ-switch"), "marker label");
}

#[test]
fn log_line_panel_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fig = figure("", vec![Panel::Lines(log_lines_panel())], 1, 800, 600);
    check_figure(&fig, dir.path(), "log_lines", 0.01);
    let svg = String::from_utf8(render(&fig, ImageFormat::Svg).expect("SVG")).expect("UTF-8");
    assert!(svg.contains("10⁻¹"), "log axes label powers of ten");
}

#[test]
fn portrait_panel_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fig = figure("", vec![Panel::Portrait(portrait_panel())], 1, 850, 750);
    check_figure(&fig, dir.path(), "portrait", 0.04);
}

#[test]
fn heat_map_panel_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fig = figure("", vec![Panel::HeatMap(heat_map_panel())], 1, 900, 700);
    // Cells fill the plot area: much of the centre is clearly coloured (the diverging map is
    // near-white around its centre value).
    let ink = check_figure(&fig, dir.path(), "heat_map", 0.2);
    assert!(ink > 0.25, "heat map centre coloured, got {ink:.3}");
}

/// Decodes standard base64 (RFC 4648, padded).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let data: Vec<u8> = chunk
            .iter()
            .copied()
            .filter(|&c| c != b'=')
            .map(value)
            .collect();
        let n = data.iter().fold(0u32, |n, &v| n << 6 | v as u32) << (6 * (4 - data.len()));
        out.extend_from_slice(&n.to_be_bytes()[1..data.len()]);
    }
    out
}

/// A value of an SVG attribute in `element`.
fn attribute(element: &str, name: &str) -> f64 {
    let key = format!(" {name}=\"");
    let start = element.find(&key).expect("attribute present") + key.len();
    let end = start + element[start..].find('"').expect("closing quote");
    element[start..end].parse().expect("a number")
}

#[test]
fn svg_heat_map_embeds_one_raster() {
    // 120 × 90 = 10 800 cells on a non-uniform x grid, no overlays.
    let xs: Vec<f64> = (0..120).map(|i| (i as f64 / 119.0).powf(1.3)).collect();
    let ys: Vec<f64> = (0..90).map(|j| j as f64 / 89.0).collect();
    let values: Vec<f64> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| (7.0 * x).sin() * (5.0 * y).cos()))
        .collect();
    let panel = HeatMapPanel {
        title: "cells".into(),
        x: axis("x", None, Scale::Linear),
        y: axis("y", None, Scale::Linear),
        x_values: xs,
        y_values: ys,
        values,
        colour_label: "v".into(),
        ..HeatMapPanel::default()
    };
    let fig = figure("", vec![Panel::HeatMap(panel)], 1, 800, 600);
    let svg = String::from_utf8(render(&fig, ImageFormat::Svg).expect("SVG")).expect("UTF-8");
    assert_eq!(svg.matches("<image").count(), 1, "one image for the cells");
    let rects = svg.matches("<rect").count();
    assert!(
        rects < 1000,
        "no rectangle per cell: {rects} <rect> elements"
    );
    assert!(svg.len() < 400_000, "SVG of {} bytes", svg.len());

    // The embedded PNG against the PNG rendering of the same figure.
    let start = svg.find("<image").expect("image");
    let element = &svg[start..start + svg[start..].find("/>").expect("end of image")];
    let data = element.split("base64,").nth(1).expect("data URI");
    let data = &data[..data.find('"').expect("end of URI")];
    let decoder = png::Decoder::new(std::io::Cursor::new(base64_decode(data)));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut raster = vec![0u8; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut raster).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    assert!(
        raster.chunks(4).all(|p| p[3] == 255),
        "the cells cover the image"
    );
    let (iw, ih) = (info.width as f64, info.height as f64);
    // SVG user units per figure pixel: the viewBox is drawn at a finer scale.
    let root = &svg[..svg.find('>').expect("root element")];
    let view_box = root.split("viewBox=\"").nth(1).expect("viewBox");
    let view_width: f64 = view_box
        .split_whitespace()
        .nth(2)
        .expect("width")
        .parse()
        .expect("number");
    let units = view_width / 800.0;
    let (x, y, w, h) = (
        attribute(element, "x") / units,
        attribute(element, "y") / units,
        attribute(element, "width") / units,
        attribute(element, "height") / units,
    );
    let (pw, _, png_rgb) = decode(&render(&fig, ImageFormat::Png).expect("PNG"));
    let (mut same, mut total) = (0, 0);
    for a in 0..20 {
        for b in 0..20 {
            let (fx, fy) = ((a as f64 + 0.37) / 20.0, (b as f64 + 0.61) / 20.0);
            let r = 4 * ((fy * ih) as usize * iw as usize + (fx * iw) as usize);
            let p = 3 * ((y + fy * h) as usize * pw as usize + (x + fx * w) as usize);
            total += 1;
            if (0..3).all(|c| raster[r + c].abs_diff(png_rgb[p + c]) <= 2) {
                same += 1;
            }
        }
    }
    // Points near a cell border may fall on different sides in the two renderings.
    assert!(
        same * 10 >= total * 8,
        "{same} of {total} sampled colours agree with the PNG"
    );
}

#[test]
fn multi_panel_figure_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fig = figure(
        "Gradient starvation: two views",
        vec![
            Panel::Lines(lines_panel()),
            Panel::HeatMap(sequential_heat_map()),
        ],
        2,
        1400,
        600,
    );
    check_figure(&fig, dir.path(), "two_panels", 0.05);
    // Both halves carry drawings.
    let (w, h, rgb) = decode(&render(&fig, ImageFormat::Png).expect("PNG"));
    let half = |x0: u32, x1: u32| {
        let mut n = 0;
        for y in h / 4..3 * h / 4 {
            for x in x0..x1 {
                let i = 3 * (y as usize * w as usize + x as usize);
                if is_data_pixel(&rgb[i..i + 3]) {
                    n += 1;
                }
            }
        }
        n
    };
    assert!(half(w / 8, 3 * w / 8) > 1000, "left panel drawn");
    assert!(
        half(5 * w / 8, 7 * w / 8) > 20_000,
        "right panel (heat map) drawn"
    );
}

/// Panels full of odd data: NaN, infinities, empty and single-point series, flat ranges.
fn odd_figure() -> Figure {
    let nan_series = Series {
        label: Some("NaN everywhere".into()),
        points: vec![
            (f64::NAN, 1.0),
            (1.0, f64::INFINITY),
            (2.0, 2.0),
            (f64::NAN, f64::NAN),
        ],
        ..Series::default()
    };
    let single = Series {
        points: vec![(1.0, 1.0)],
        direction_arrows: true,
        ..Series::default()
    };
    let empty = Series::default();
    let panels = vec![
        Panel::Lines(LinePanel::default()),
        Panel::Lines(LinePanel {
            series: vec![nan_series.clone(), single.clone(), empty.clone()],
            legend: true,
            ..LinePanel::default()
        }),
        Panel::Lines(LinePanel {
            x: axis("x", None, Scale::Log),
            y: axis("y", None, Scale::Log),
            series: vec![series(
                "negative",
                vec![(-1.0, -1.0), (0.0, 0.0), (1.0, 5.0)],
                0,
                Dash::Dashed,
            )],
            ..LinePanel::default()
        }),
        Panel::Lines(LinePanel {
            series: vec![series(
                "flat",
                vec![(3.0, 7.0), (3.0, 7.0)],
                9,
                Dash::Dotted,
            )],
            x: axis("x", Some((5.0, 5.0)), Scale::Linear),
            ..LinePanel::default()
        }),
        Panel::Portrait(PortraitPanel::default()),
        Panel::Portrait(PortraitPanel {
            arrows: vec![
                Arrow {
                    x: 0.0,
                    y: 0.0,
                    dx: 0.0,
                    dy: 0.0,
                },
                Arrow {
                    x: f64::NAN,
                    y: 0.0,
                    dx: 1.0,
                    dy: 0.0,
                },
                Arrow {
                    x: 1.0,
                    y: 1.0,
                    dx: f64::INFINITY,
                    dy: 0.0,
                },
            ],
            streamlines: vec![vec![], vec![(0.5, 0.5)]],
            nullclines: vec![empty.clone()],
            trajectories: vec![single.clone(), nan_series.clone()],
            markers: vec![Marker {
                x: f64::NAN,
                y: 0.0,
                class: PointClass::Saddle,
                colour: 3,
                label: Some("x".into()),
            }],
            legend: true,
            ..PortraitPanel::default()
        }),
        Panel::HeatMap(HeatMapPanel::default()),
        Panel::HeatMap(HeatMapPanel {
            x_values: vec![1.0],
            y_values: vec![2.0],
            values: vec![f64::NAN],
            contour_levels: vec![f64::NAN, 0.0],
            filled_levels: Vec::new(),
            hide_colour_bar: false,
            ..HeatMapPanel::default()
        }),
        Panel::HeatMap(HeatMapPanel {
            x_values: vec![0.0, 1.0, 2.0],
            y_values: vec![0.0, 1.0],
            values: vec![1.0, 1.0, 1.0, 1.0, f64::NAN, f64::INFINITY],
            contour_levels: vec![1.0, 0.5],
            filled_levels: Vec::new(),
            hide_colour_bar: false,
            diverging_centre: Some(1.0),
            curves: vec![nan_series],
            legend: true,
            ..HeatMapPanel::default()
        }),
    ];
    figure("odd", panels, 3, 1200, 1200)
}

#[test]
fn odd_inputs_do_not_panic() {
    let fig = odd_figure();
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let bytes = render(&fig, format).expect("odd data still renders");
        assert!(!bytes.is_empty());
    }
    // Tiny figures render without panicking (possibly without plot areas).
    for (w, h) in [(1, 1), (30, 20), (5, 400)] {
        let fig = figure("t", vec![Panel::Lines(lines_panel())], 1, w, h);
        let (dw, dh, _) = decode(&render(&fig, ImageFormat::Png).expect("tiny PNG"));
        assert_eq!((dw, dh), (w, h));
    }
    // No panels, zero columns.
    let fig = figure("", vec![], 0, 100, 100);
    assert!(render(&fig, ImageFormat::Png).is_ok());
}

#[test]
fn bad_inputs_are_errors() {
    let zero = figure("", vec![Panel::Lines(lines_panel())], 1, 0, 100);
    assert!(matches!(
        render(&zero, ImageFormat::Png),
        Err(starvation::error::Error::Input(_))
    ));
    let huge = figure("", vec![], 1, 100_000, 100_000);
    assert!(matches!(
        render(&huge, ImageFormat::Svg),
        Err(starvation::error::Error::Input(_))
    ));
    let mismatched = HeatMapPanel {
        x_values: vec![0.0, 1.0],
        y_values: vec![0.0, 1.0],
        values: vec![1.0; 3],
        ..HeatMapPanel::default()
    };
    let fig = figure("", vec![Panel::HeatMap(mismatched)], 1, 400, 300);
    match render(&fig, ImageFormat::Png) {
        Err(starvation::error::Error::Input(e)) => assert_eq!(e.field, "panels[0].values"),
        other => panic!("expected an input error, got {other:?}"),
    }
    let unsorted = HeatMapPanel {
        x_values: vec![1.0, 0.0],
        y_values: vec![0.0],
        values: vec![1.0, 2.0],
        ..HeatMapPanel::default()
    };
    let fig = figure("", vec![Panel::HeatMap(unsorted)], 1, 400, 300);
    assert!(render(&fig, ImageFormat::Png).is_err());
    let bad_log = LinePanel {
        x: axis("x", Some((0.0, 1.0)), Scale::Log),
        ..LinePanel::default()
    };
    let fig = figure("", vec![Panel::Lines(bad_log)], 1, 400, 300);
    match render(&fig, ImageFormat::Svg) {
        Err(starvation::error::Error::Input(e)) => assert_eq!(e.field, "panels[0].x.range"),
        other => panic!("expected an input error, got {other:?}"),
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("figure.jpg");
    let fig = figure("", vec![Panel::Lines(lines_panel())], 1, 400, 300);
    match save(&fig, &path) {
        Err(starvation::error::Error::Input(e)) => assert!(e.field.ends_with("figure.jpg")),
        other => panic!("expected an input error, got {other:?}"),
    }
    assert!(!path.exists());
}

/// Writes one example of each panel kind to `PLOT_EXAMPLES` (default /tmp/plot-examples) for
/// looking at: `cargo test --test plot_rendering -- --ignored`.
#[test]
#[ignore]
fn write_examples() {
    let dir = std::env::var("PLOT_EXAMPLES").unwrap_or_else(|_| "/tmp/plot-examples".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("example dir");
    let figs = [
        (
            "lines",
            figure("", vec![Panel::Lines(lines_panel())], 1, 900, 650),
        ),
        (
            "log_lines",
            figure("", vec![Panel::Lines(log_lines_panel())], 1, 800, 600),
        ),
        (
            "portrait",
            figure("", vec![Panel::Portrait(portrait_panel())], 1, 850, 750),
        ),
        (
            "heat_map",
            figure("", vec![Panel::HeatMap(heat_map_panel())], 1, 900, 700),
        ),
        ("odd", odd_figure()),
        (
            "grid",
            figure(
                "All panel kinds",
                vec![
                    Panel::Lines(lines_panel()),
                    Panel::Portrait(portrait_panel()),
                    Panel::HeatMap(heat_map_panel()),
                    Panel::Lines(log_lines_panel()),
                ],
                2,
                1400,
                1150,
            ),
        ),
        (
            "small",
            figure("", vec![Panel::Portrait(portrait_panel())], 1, 420, 360),
        ),
        (
            "two_panels",
            figure(
                "Gradient starvation: two views",
                vec![
                    Panel::Lines(lines_panel()),
                    Panel::HeatMap(sequential_heat_map()),
                ],
                2,
                1400,
                600,
            ),
        ),
    ];
    for (name, fig) in figs {
        save(&fig, &dir.join(format!("{name}.png"))).expect("PNG");
        save(&fig, &dir.join(format!("{name}.svg"))).expect("SVG");
    }
}
