//! Claim (issue 22, point 5): "a figure is exported as pgfplots: `STEM.pgfplots.tex` has one
//! pgfplots axis per panel, each series drawn by `\addplot table` from a table file written beside
//! it with the series' points (one row per point a reader can tell apart, breaks kept as `nan`),
//! log axes as `xmode=log`/`ymode=log`, labels with LaTeX's special characters escaped and the
//! paper's symbols as math; a heat map is `matrix plot*` vector cells (one row per cell) when the
//! grid has at most `MAX_VECTOR_CELLS` cells and `\addplot graphics` of a PNG beside it above
//! that; `--formats` chooses the files a command writes and refuses an unknown format before
//! writing anything."
//!
//! A heat map's contour lines (its `contour_levels`, the lines the PNG and SVG draw) are
//! `\addplot table`s too, one table per level: every point lies on a grid line between two
//! cell centres where the values, interpolated linearly along that line, equal the level (the
//! marching-squares rule, checked here against the values themselves to 10⁻⁹; a line leaving the
//! grid ends on the map's outer edge, as drawn), pieces apart
//! are separated by `nan` rows, and each level is labelled.
//!
//! Compiling the `.tex` with LaTeX is the long run `tests/latex/run.sh`.

use starvation::plot::*;

use crate::common;

fn axis(label: &str, scale: Scale) -> Axis {
    Axis {
        label: label.to_string(),
        range: None,
        scale,
    }
}

fn heat(nx: usize, ny: usize) -> HeatMapPanel {
    let xs: Vec<f64> = (0..nx).map(|i| 1.0 + i as f64).collect();
    let ys: Vec<f64> = (0..ny).map(|j| 0.1 * j as f64).collect();
    HeatMapPanel {
        title: "z₂*/z₂⁰".into(),
        x: axis("s₁/s₂", Scale::Linear),
        y: axis("δ", Scale::Linear),
        values: ys
            .iter()
            .flat_map(|y| xs.iter().map(move |x| 1.0 / (1.0 + x * y)))
            .collect(),
        x_values: xs,
        y_values: ys,
        colour_label: "ratio".into(),
        ..HeatMapPanel::default()
    }
}

/// A log-scale line panel (a break in its first series), a 12 × 10 and an 80 × 60 heat map.
fn figure() -> Figure {
    let mut points: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, 10f64.powi(i % 5))).collect();
    points[7] = (7.0, f64::NAN);
    let lines = LinePanel {
        title: "loss: 50% & #1_a".into(),
        x: axis("time t", Scale::Linear),
        y: axis("‖θ‖²", Scale::Log),
        series: vec![
            Series {
                label: Some("|z₁| (λ = 0.1)".into()),
                points,
                colour: 0,
                width: 2.0,
                ..Series::default()
            },
            Series {
                label: None,
                points: vec![(0.0, 1.0), (19.0, 100.0)],
                colour: 1,
                dash: Dash::Dashed,
                width: 2.0,
                ..Series::default()
            },
        ],
        legend: true,
        ..LinePanel::default()
    };
    Figure {
        title: "Export".into(),
        panels: vec![
            Panel::Lines(lines),
            Panel::HeatMap(heat(12, 10)),
            Panel::HeatMap(heat(80, 60)),
        ],
        columns: 3,
        width: 1500,
        height: 450,
    }
}

/// The file names an `\addplot ... {NAME};` line reads.
fn read_files(tex: &str) -> Vec<String> {
    tex.lines()
        .filter(|l| l.starts_with("\\addplot") && l.ends_with("};"))
        .map(|l| {
            let open = l.rfind('{').unwrap();
            l[open + 1..l.len() - 2].to_string()
        })
        .collect()
}

#[test]
fn a_figure_is_exported_as_pgfplots_with_its_tables_beside_it() {
    let fig = figure();
    let files = pgfplots(&fig, "ex").expect("exported");
    assert_eq!(files[0].0, "ex.pgfplots.tex");
    let tex = String::from_utf8(files[0].1.clone()).unwrap();
    let file = |name: &str| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not written"))
            .1
            .clone()
    };
    // One axis per panel, the document complete.
    assert_eq!(tex.matches("\\begin{axis}").count(), 3);
    assert_eq!(tex.matches("\\end{axis}").count(), 3);
    assert!(tex.trim_end().ends_with("\\end{document}"));
    // Every file an \addplot reads is written.
    let read = read_files(&tex);
    assert_eq!(read.len(), 4, "{read:?}");
    for name in &read {
        file(name);
    }
    // The first series: its 20 points (1 pt apart at least) and the break.
    let s0 = String::from_utf8(file("ex-p0-s0.dat")).unwrap();
    let rows: Vec<&str> = s0.lines().collect();
    assert_eq!(rows[0], "x y");
    assert_eq!(rows.len(), 1 + 20);
    assert_eq!(rows[8], "nan nan");
    assert_eq!(rows[5], "4e0 1e4");
    // Log axis, house colours and dashes, legend only for the labelled series.
    assert!(tex.contains("ymode=log") && !tex.contains("xmode=log"));
    assert!(tex.contains("color=house1") && tex.contains("dashed"));
    assert_eq!(tex.matches("\\addlegendentry").count(), 1);
    assert!(tex.contains("forget plot] table[x=x, y=y] {ex-p0-s1.dat}"));
    // Escapes and symbols.
    assert!(
        tex.contains("title={loss: 50\\% \\& \\#1\\_a}"),
        "{}",
        tex.lines().find(|l| l.contains("title=")).unwrap()
    );
    assert!(tex.contains(
        "ylabel={\\ensuremath{\\|}\\ensuremath{\\theta}\\ensuremath{\\|}\\ensuremath{{}^{2}}}"
    ));
    assert!(tex.contains("\\addlegendentry{\\ensuremath{|}z\\ensuremath{{}_{1}}\\ensuremath{|} (\\ensuremath{\\lambda} = 0.1)}"));
    // The small heat map: vector cells, one row per cell, colours explicit.
    const { assert!(12 * 10 <= MAX_VECTOR_CELLS && 80 * 60 > MAX_VECTOR_CELLS) };
    assert_eq!(tex.matches("matrix plot*").count(), 1);
    assert!(tex.contains("mesh/cols=12"));
    let cells = String::from_utf8(file("ex-p1-cells.dat")).unwrap();
    assert_eq!(cells.lines().count(), 1 + 120);
    assert!(cells.lines().nth(1).unwrap().starts_with("1e0 0e0 rgb255="));
    // The large one: an image of whole blocks per cell, stretched over the cells' extent.
    let png = file("ex-p2-cells.png");
    let info = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap()
        .info()
        .clone();
    assert_eq!((info.width % 80, info.height % 60), (0, 0));
    assert_eq!(info.width / 80, info.height / 60);
    // Extent: half a cell beyond the first and last centres (x 1…80 step 1, y 0…5.9 step 0.1).
    let line = tex
        .lines()
        .find(|l| l.contains("{ex-p2-cells.png}"))
        .expect("the image is placed");
    let bound = |key: &str| -> f64 {
        let at = line.find(&format!("{key}=")).unwrap() + key.len() + 1;
        line[at..]
            .split([',', ']'])
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let expected = [
        ("xmin", 0.5),
        ("xmax", 80.5),
        ("ymin", -0.05),
        ("ymax", 5.95),
    ];
    for (key, v) in expected {
        assert!((bound(key) - v).abs() < 1e-12, "{key}: {line}");
    }
    assert_eq!(tex.matches("colorbar,").count(), 2);
}

#[test]
fn heat_map_contour_lines_are_exported_as_tables_on_the_level() {
    let mut h = heat(12, 10);
    h.contour_levels = vec![0.3, 0.5];
    let (xs, ys, values) = (h.x_values.clone(), h.y_values.clone(), h.values.clone());
    let fig = Figure {
        title: String::new(),
        panels: vec![Panel::HeatMap(h)],
        columns: 1,
        width: 800,
        height: 600,
    };
    let files = pgfplots(&fig, "ct").expect("exported");
    let tex = String::from_utf8(files[0].1.clone()).unwrap();
    let value_at = |ix: usize, iy: usize| values[iy * xs.len() + ix];
    for (k, level) in [0.3, 0.5].into_iter().enumerate() {
        let name = format!("ct-p0-contour{k}.dat");
        assert!(
            tex.contains(&format!("{{{name}}}")),
            "{name} not drawn:\n{tex}"
        );
        assert!(
            tex.contains(&format!("{{{level}}}")),
            "label {level} missing"
        );
        let table = files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
            .expect("the contour table");
        let mut points = 0;
        for row in table.lines().skip(1) {
            let p: Vec<&str> = row.split_whitespace().collect();
            if p[0] == "nan" {
                continue;
            }
            let (x, y): (f64, f64) = (p[0].parse().unwrap(), p[1].parse().unwrap());
            points += 1;
            // A line that runs out of the grid ends on the map's outer edge, half a cell beyond
            // the last centre, as the renderer draws it.
            let edge = |c: &[f64], v: f64| {
                let (d0, d1) = (c[1] - c[0], c[c.len() - 1] - c[c.len() - 2]);
                (v - (c[0] - d0 / 2.0)).abs() <= 1e-9
                    || (v - (c[c.len() - 1] + d1 / 2.0)).abs() <= 1e-9
            };
            if edge(&xs, x) || edge(&ys, y) {
                continue;
            }
            // On a vertical grid line (x a cell centre) or a horizontal one (y a cell centre).
            let on = |c: &[f64], v: f64| {
                c.iter()
                    .position(|a| (a - v).abs() <= 1e-9 * (1.0 + a.abs()))
            };
            let interpolated = if let Some(ix) = on(&xs, x) {
                let j = ys
                    .iter()
                    .rposition(|&b| b <= y + 1e-12)
                    .unwrap()
                    .min(ys.len() - 2);
                let f = (y - ys[j]) / (ys[j + 1] - ys[j]);
                value_at(ix, j) + f * (value_at(ix, j + 1) - value_at(ix, j))
            } else if let Some(iy) = on(&ys, y) {
                let i = xs
                    .iter()
                    .rposition(|&a| a <= x + 1e-12)
                    .unwrap()
                    .min(xs.len() - 2);
                let f = (x - xs[i]) / (xs[i + 1] - xs[i]);
                value_at(i, iy) + f * (value_at(i + 1, iy) - value_at(i, iy))
            } else {
                panic!("contour point ({x}, {y}) is on no grid line");
            };
            assert!(
                (interpolated - level).abs() <= 1e-9,
                "({x}, {y}): interpolated {interpolated}, level {level}"
            );
        }
        assert!(points >= 8, "level {level}: {points} points");
    }
}

#[test]
fn the_formats_flag_chooses_the_files_and_refuses_unknown_ones_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/simulations/fig06_toy_dynamics.json"
    );
    let bad = common::run_binary(
        None,
        &[
            "run",
            spec,
            "--out",
            out.to_str().unwrap(),
            "--formats",
            "pdf,eps",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--formats") && bad.stderr.contains("eps"),
        "{}",
        bad.stderr
    );
    assert!(!out.exists(), "a refused command wrote its folder");
    let ok = common::run_binary(
        None,
        &[
            "run",
            spec,
            "--out",
            out.to_str().unwrap(),
            "--formats",
            "pdf,tex",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let stem = out.join("fig06_toy_dynamics");
    for ext in ["pdf", "pgfplots.tex", "data.json"] {
        assert!(stem.with_extension(ext).exists(), "{ext} missing");
    }
    assert!(!stem.with_extension("png").exists() && !stem.with_extension("svg").exists());
    assert!(out.join("fig06_toy_dynamics-p0-s0.dat").exists());
}
