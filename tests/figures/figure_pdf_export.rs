//! Claim (issue 22, point 5, first part): "a figure is exported as PDF from the same drawing as
//! its SVG, with the house font embedded and no system library or font at run time: the file is
//! a PDF (it starts with %PDF- and ends with %%EOF), the page has the figure's size (96 px per
//! inch: w·0.75 × h·0.75 pt), the DejaVu Sans glyphs are embedded as a font file, and a heat map
//! keeps its cells as one image."
//!
//! When poppler's `pdftoppm` is installed, the PDF is also rasterised and the page must be the
//! figure's size and not blank (the check a reader's PDF viewer makes).
#![cfg(feature = "pdf")]

use std::process::Command;

use starvation::output::save_figure;
use starvation::plot::*;

fn axis(label: &str, scale: Scale) -> Axis {
    Axis {
        label: label.to_string(),
        range: None,
        scale,
    }
}

/// A line panel and a small heat map side by side.
fn figure() -> Figure {
    let t: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
    let lines = LinePanel {
        title: "z₁(t) and z₂(t)".into(),
        x: axis("time t", Scale::Linear),
        y: axis("|z|", Scale::Linear),
        series: vec![
            Series {
                label: Some("|z₁|".into()),
                points: t.iter().map(|&t| (t, 1.0 - (-t).exp())).collect(),
                colour: 0,
                width: 2.0,
                ..Series::default()
            },
            Series {
                label: Some("|z₂| (starved)".into()),
                points: t
                    .iter()
                    .map(|&t| (t, 0.5 * (1.0 - (-0.2 * t).exp())))
                    .collect(),
                colour: 1,
                dash: Dash::Dashed,
                width: 2.0,
                ..Series::default()
            },
        ],
        markers: Vec::new(),
        legend: true,
    };
    let xs: Vec<f64> = (0..12).map(|i| 1.0 + i as f64).collect();
    let ys: Vec<f64> = (0..10).map(|j| 0.05 * j as f64).collect();
    let values: Vec<f64> = ys
        .iter()
        .flat_map(|y| xs.iter().map(move |x| 1.0 / (1.0 + x * y)))
        .collect();
    let heat = HeatMapPanel {
        title: "z₂*/z₂⁰".into(),
        x: axis("s₁/s₂", Scale::Linear),
        y: axis("δ", Scale::Linear),
        x_values: xs,
        y_values: ys,
        values,
        colour_label: "ratio".into(),
        ..HeatMapPanel::default()
    };
    Figure {
        title: "PDF export".into(),
        panels: vec![Panel::Lines(lines), Panel::HeatMap(heat)],
        columns: 2,
        width: 1000,
        height: 420,
    }
}

#[test]
fn a_figure_is_exported_as_pdf_with_its_font_embedded() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("export.pdf");
    save_figure(&figure(), &path).expect("PDF written");
    let bytes = std::fs::read(&path).unwrap();
    // To look at it: PDF_EXPORT_KEEP=/some/dir keeps a copy.
    if let Ok(dir) = std::env::var("PDF_EXPORT_KEEP") {
        std::fs::copy(&path, std::path::Path::new(&dir).join("export.pdf")).unwrap();
    }
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{:?}",
        &bytes[..8.min(bytes.len())]
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.trim_end().ends_with("%%EOF"));
    // The page: 1000 × 420 px at 96 px per inch = 750 × 315 pt.
    assert!(
        text.contains("/MediaBox [0 0 750 315]"),
        "page size: {}",
        text.lines()
            .find(|l| l.contains("MediaBox"))
            .unwrap_or("none")
    );
    // The glyphs of the embedded DejaVu Sans (a subset) travel in the file.
    assert!(text.contains("/FontFile2"), "no embedded TrueType font");
    assert!(text.contains("DejaVuSans"), "the font is not DejaVu Sans");
    // The heat map's cells are one image.
    assert!(
        text.contains("/Subtype /Image"),
        "no image for the heat map"
    );

    let pdftoppm = std::path::Path::new("/usr/bin/pdftoppm");
    if !pdftoppm.exists() {
        eprintln!("note: pdftoppm (poppler-utils) is missing; the PDF was not rasterised");
        return;
    }
    let stem = tmp.path().join("page");
    let status = Command::new(pdftoppm)
        .args(["-png", "-r", "96", "-singlefile"])
        .arg(&path)
        .arg(&stem)
        .status()
        .unwrap();
    assert!(status.success());
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    // 96 dpi brings the page back to the figure's pixels (± rounding of the point size).
    assert!(
        info.width.abs_diff(1000) <= 1 && info.height.abs_diff(420) <= 1,
        "{info:?}"
    );
    let pixels = &buf[..info.buffer_size()];
    let dark = pixels
        .chunks(info.color_type.samples())
        .filter(|p| p[0] < 128)
        .count();
    // Text, axes, lines and the dark cells of the heat map: a few per cent of the page.
    let share = dark as f64 / (info.width * info.height) as f64;
    println!(
        "pdftoppm page {}×{}: {:.1} % dark pixels",
        info.width,
        info.height,
        100.0 * share
    );
    assert!(share > 0.01 && share < 0.6, "{share}");
}
