//! Claim: "every spec in simulations/ that has a `plot` or `portrait` section runs at reduced
//! resolution into a temporary folder through the library functions (not the binary), each image
//! decodes (png crate), has the figure's size and has drawn (non-background, non-grey) content
//! inside the plot area."
//!
//! Specs without a `plot` or `portrait` section (sweeps, equilibria, …) are skipped. The
//! resolution is reduced by [`reduce_resolution`] (factor 4: portrait grids, linspace/logspace
//! counts and output counts; `gd` runs keep their steps).

use std::path::{Path, PathBuf};

use serde_json::Value;
use starvation::figures::{FigureOutput, portrait_figures, reduce_resolution, run_figures};
use starvation::output::save_figure as save;
use starvation::plot::{Figure, Panel};
use starvation::spec::parse_spec;

/// Decodes an RGB PNG: (width, height, pixels).
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0u8; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// A clearly coloured pixel: not white background, not one of the greys (grid, streamlines,
/// text, frame).
fn coloured(px: &[u8]) -> bool {
    let max = px.iter().copied().max().unwrap_or(0);
    let min = px.iter().copied().min().unwrap_or(0);
    max - min >= 40
}

/// Coloured pixels inside the central half (in each direction) of every panel's grid cell: that
/// box lies inside the plot area whatever the margins for titles, ticks and labels.
fn coloured_per_panel(figure: &Figure, w: u32, rgb: &[u8]) -> Vec<usize> {
    let n = figure.panels.len();
    let cols = figure.columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let (cw, ch) = (
        figure.width as f64 / cols as f64,
        figure.height as f64 / rows as f64,
    );
    (0..n)
        .map(|p| {
            let (r, c) = ((p / cols) as f64, (p % cols) as f64);
            let (x0, x1) = ((c + 0.25) * cw, (c + 0.75) * cw);
            let (y0, y1) = ((r + 0.3) * ch, (r + 0.75) * ch);
            let mut count = 0;
            for y in y0 as usize..y1 as usize {
                for x in x0 as usize..x1 as usize {
                    let i = 3 * (y * w as usize + x);
                    if coloured(&rgb[i..i + 3]) {
                        count += 1;
                    }
                }
            }
            count
        })
        .collect()
}

/// The figure specs: every JSON in simulations/ with a `plot` or `portrait` section.
fn figure_specs() -> Vec<(PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("simulations/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable spec");
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: invalid JSON: {e}", p.display()));
            (v.get("plot").is_some() || v.get("portrait").is_some()).then_some((p, v))
        })
        .collect()
}

/// Runs one spec at reduced resolution through the library.
fn draw(path: &Path, mut value: Value) -> Vec<FigureOutput> {
    reduce_resolution(&mut value, 4);
    let spec = parse_spec(&value.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    if spec.plot.is_some() {
        let runs = spec
            .expand_runs()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let results: Vec<_> = runs
            .into_iter()
            .map(|r| {
                let tr = r
                    .simulate()
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", path.display(), r.label));
                (r, tr)
            })
            .collect();
        out.extend(
            run_figures(&spec, &results).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        );
    }
    if spec.portrait.is_some() {
        out.extend(portrait_figures(&spec).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    out
}

#[test]
fn every_figure_spec_draws_at_reduced_resolution() {
    let specs = figure_specs();
    assert!(
        specs.len() >= 3,
        "expected at least the three Figure 6 specs, found {}",
        specs.len()
    );
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let mut drawn = 0;
    for (path, value) in specs {
        let figures = draw(&path, value);
        assert!(!figures.is_empty(), "{}: no figure drawn", path.display());
        for f in figures {
            let png_path = tmp.path().join(format!("{}.png", f.stem));
            let svg_path = tmp.path().join(format!("{}.svg", f.stem));
            save(&f.figure, &png_path).unwrap_or_else(|e| panic!("{}: {e}", f.stem));
            save(&f.figure, &svg_path).unwrap_or_else(|e| panic!("{}: {e}", f.stem));
            let svg = std::fs::read_to_string(&svg_path).expect("SVG text");
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{}",
                f.stem
            );
            let (w, h, rgb) = decode(&png_path);
            assert_eq!(
                (w, h),
                (f.figure.width, f.figure.height),
                "{}: image size differs from the figure's",
                f.stem
            );
            let counts = coloured_per_panel(&f.figure, w, &rgb);
            for (p, c) in counts.iter().enumerate() {
                assert!(
                    *c >= 200,
                    "{}: panel {p} has only {c} coloured pixels inside its plot area",
                    f.stem
                );
            }
            // The data file holds the plotted series: one entry per drawn curve.
            let panels = f.data["panels"].as_array().expect("data.panels");
            assert_eq!(panels.len(), f.figure.panels.len(), "{}", f.stem);
            for (pd, panel) in panels.iter().zip(&f.figure.panels) {
                match panel {
                    Panel::Lines(l) => {
                        let series = pd["series"].as_array().expect("series");
                        let curves = l.series.iter().filter(|s| !s.points.is_empty()).count();
                        assert_eq!(series.len(), curves, "{}", f.stem);
                        for (sd, s) in series
                            .iter()
                            .zip(l.series.iter().filter(|s| !s.points.is_empty()))
                        {
                            assert_eq!(sd["x"].as_array().map(Vec::len), Some(s.points.len()));
                            assert_eq!(sd["y"].as_array().map(Vec::len), Some(s.points.len()));
                        }
                    }
                    Panel::Portrait(p) => {
                        let arrows = pd["arrows"]["x"].as_array().map(Vec::len).unwrap_or(0);
                        assert_eq!(arrows, p.arrows.len(), "{}", f.stem);
                        let traj = pd["trajectories"].as_array().map(Vec::len).unwrap_or(0);
                        assert_eq!(traj, p.trajectories.len(), "{}", f.stem);
                    }
                    Panel::HeatMap(_) | Panel::Orbit(_) => {}
                }
            }
            eprintln!(
                "{}: {w} × {h}, coloured pixels per panel {counts:?}",
                f.stem
            );
            drawn += 1;
        }
    }
    assert!(drawn >= 3);
}

#[test]
fn reduce_resolution_shrinks_counts_and_keeps_everything_else() {
    let mut v = serde_json::json!({
        "simulation": { "method": "gd", "step": 0.05, "t_end": 250, "output": { "count": 101 } },
        "runs": [ { "simulation": { "output": "steps" } } ],
        "vary": [ { "path": "model.features.toy.s1", "values": [2, 3, 4] } ],
        "sweep": { "axes": [ { "values": { "linspace": { "start": 0, "stop": 1, "count": 141 } } } ] },
        "portrait": {
            "defaults": { "arrows": { "grid": [25, 17] }, "nullclines": { "grid": 241 },
                          "streamlines": { "density": 16 } },
            "panels": [ { "nullclines": { "grid": 6 } } ]
        }
    });
    reduce_resolution(&mut v, 4);
    assert_eq!(v["simulation"]["output"]["count"], 26);
    assert_eq!(v["simulation"]["step"], 0.05);
    assert_eq!(v["runs"][0]["simulation"]["output"], "steps");
    assert_eq!(v["vary"][0]["values"], serde_json::json!([2, 3, 4]));
    assert_eq!(v["sweep"]["axes"][0]["values"]["linspace"]["count"], 36);
    assert_eq!(
        v["portrait"]["defaults"]["arrows"]["grid"],
        serde_json::json!([7, 5])
    );
    assert_eq!(v["portrait"]["defaults"]["nullclines"]["grid"], 61);
    assert_eq!(v["portrait"]["defaults"]["streamlines"]["density"], 4);
    assert_eq!(v["portrait"]["panels"][0]["nullclines"]["grid"], 5);
}
