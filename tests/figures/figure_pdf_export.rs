//! Claim (issue 22, point 5): "a figure is exported as PDF from the same drawing as its PNG and
//! SVG, by the renderer's own PDF backend in the default build: the file is a well-formed PDF 1.4
//! (every cross-reference offset points at its object, `startxref` at the table, one page), the
//! page has the figure's size (96 px per inch: w·0.75 × h·0.75 pt), the text is drawn with the
//! house font's glyph outlines (one form per glyph used, every one the page names present), and
//! a heat map keeps its cells as vector rectangles when the grid has at most
//! `MAX_VECTOR_CELLS` cells and as one image above that."
//!
//! When poppler's `pdftoppm` is installed, the PDF is also rasterised and the page must be the
//! figure's size and not blank (the check a reader's PDF viewer makes); without it that part is
//! skipped with a note.

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

/// The figure with a heat map of `nx` × `ny` cells.
fn figure_with_grid(nx: usize, ny: usize) -> Figure {
    let mut f = figure();
    if let Panel::HeatMap(h) = &mut f.panels[1] {
        h.x_values = (0..nx)
            .map(|i| 1.0 + i as f64 * 11.0 / (nx - 1) as f64)
            .collect();
        h.y_values = (0..ny).map(|j| 0.45 * j as f64 / (ny - 1) as f64).collect();
        h.values = h
            .y_values
            .iter()
            .flat_map(|y| h.x_values.iter().map(move |x| 1.0 / (1.0 + x * y)))
            .collect();
    }
    f
}

/// The PDF's objects by number, read through its cross-reference table, with the checks a
/// reader makes on the way: `startxref` points at `xref`, the table has `/Size` entries, each
/// in-use entry's offset is where `N 0 obj` starts.
fn objects(bytes: &[u8]) -> Vec<(usize, String)> {
    let text = String::from_utf8_lossy(bytes);
    let tail = &text[text.rfind("startxref").expect("startxref")..];
    let xref: usize = tail.lines().nth(1).unwrap().trim().parse().unwrap();
    assert!(
        bytes[xref..].starts_with(b"xref\n"),
        "startxref misses the table"
    );
    let table = std::str::from_utf8(&bytes[xref..]).unwrap();
    let mut lines = table.lines().skip(1);
    let header: Vec<usize> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(header[0], 0);
    let n = header[1];
    let trailer = &table[table.find("trailer").expect("trailer")..];
    assert!(trailer.contains(&format!("/Size {n} ")), "{trailer}");
    let mut out = vec![(0, String::new())];
    for (i, line) in lines.take(n).enumerate() {
        // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, EOL.
        assert_eq!(line.len() + 1, 20, "entry {i}: {line:?}");
        if i == 0 {
            assert!(line.ends_with(" f "), "{line}");
            continue;
        }
        assert!(line.ends_with(" n "), "{line}");
        let offset: usize = line[..10].parse().unwrap();
        let start = format!("{i} 0 obj\n");
        assert!(
            bytes[offset..].starts_with(start.as_bytes()),
            "object {i}: offset {offset} holds {:?}",
            String::from_utf8_lossy(&bytes[offset..(offset + 12).min(bytes.len())])
        );
        let end = offset + find(&bytes[offset..], b"endobj").expect("endobj");
        out.push((
            offset,
            String::from_utf8_lossy(&bytes[offset..end]).into_owned(),
        ));
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The decompressed data of a stream object.
fn stream_data(bytes: &[u8], (start, object): &(usize, String)) -> String {
    use std::io::Read;
    let data_at = start + object.find("stream\n").unwrap() + "stream\n".len();
    let length: usize = object
        .split("/Length ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[data_at..data_at + length])
        .read_to_end(&mut out)
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the figure as PDF and reads it back: (bytes, objects, page content).
fn export(fig: &Figure, name: &str) -> (Vec<u8>, Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(name);
    save_figure(fig, &path).expect("PDF written");
    let bytes = std::fs::read(&path).unwrap();
    // To look at it: PDF_EXPORT_KEEP=/some/dir keeps a copy.
    if let Ok(dir) = std::env::var("PDF_EXPORT_KEEP") {
        std::fs::copy(&path, std::path::Path::new(&dir).join(name)).unwrap();
    }
    assert!(bytes.starts_with(b"%PDF-1.4\n"));
    assert!(String::from_utf8_lossy(&bytes).ends_with("%%EOF\n"));
    let with_offsets = objects(&bytes);
    let objs: Vec<String> = with_offsets.iter().map(|(_, o)| o.clone()).collect();
    let page = objs
        .iter()
        .find(|o| o.contains("/Type /Page "))
        .expect("a page");
    let contents: usize = page
        .split("/Contents ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let content = stream_data(&bytes, &with_offsets[contents]);
    (bytes, objs, content)
}

#[test]
fn a_figure_is_exported_as_a_well_formed_pdf_with_vector_cells_for_a_small_grid() {
    let fig = figure();
    let (bytes, objs, content) = export(&fig, "export.pdf");
    let pages = objs.iter().find(|o| o.contains("/Type /Pages")).unwrap();
    assert!(pages.contains("/Count 1"), "{pages}");
    // The page: 1000 × 420 px at 96 px per inch = 750 × 315 pt.
    let page = objs.iter().find(|o| o.contains("/Type /Page ")).unwrap();
    assert!(page.contains("/MediaBox [0 0 750 315]"), "{page}");
    // Every glyph the content places is a form the page's resources name, and the labels'
    // symbols (₁, ₂, δ, *, ⁰) are among them: more distinct glyphs than the ASCII letters used.
    let used: std::collections::BTreeSet<&str> = content
        .split_whitespace()
        .filter(|w| w.starts_with("/G"))
        .collect();
    assert!(used.len() > 30, "{} glyphs", used.len());
    for g in &used {
        assert!(page.contains(&format!("{g} ")), "{g} not in the resources");
    }
    let forms = objs.iter().filter(|o| o.contains("/Subtype /Form")).count();
    assert_eq!(forms, used.len());
    // 12 × 10 cells ≤ MAX_VECTOR_CELLS: vector cells, no image.
    const { assert!(12 * 10 <= MAX_VECTOR_CELLS) };
    assert!(!objs.iter().any(|o| o.contains("/Subtype /Image")));
    let rects = content.matches(" re f").count();
    assert!(rects >= 120, "{rects} filled rectangles");
    rasterise(&bytes, (1000, 420));
}

#[test]
fn a_large_grid_goes_into_the_pdf_as_one_image() {
    let (nx, ny) = (80, 60);
    assert!(nx * ny > MAX_VECTOR_CELLS);
    let (bytes, objs, content) = export(&figure_with_grid(nx, ny), "export-large.pdf");
    let images: Vec<&String> = objs
        .iter()
        .filter(|o| o.contains("/Subtype /Image") && o.contains("/DeviceRGB"))
        .collect();
    assert_eq!(images.len(), 1);
    assert!(images[0].contains("/SMask "), "{}", images[0]);
    assert_eq!(content.matches("/I0 Do").count(), 1);
    assert!(!content.contains("%image"), "a placeholder was left");
    rasterise(&bytes, (1000, 420));
}

/// With pdftoppm: the page rasterised at 96 dpi has the figure's pixels and is not blank.
fn rasterise(bytes: &[u8], (w, h): (u32, u32)) {
    let pdftoppm = std::path::Path::new("/usr/bin/pdftoppm");
    if !pdftoppm.exists() {
        eprintln!("note: pdftoppm (poppler-utils) is missing; the PDF was not rasterised");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("f.pdf");
    std::fs::write(&path, bytes).unwrap();
    let stem = tmp.path().join("page");
    let out = Command::new(pdftoppm)
        .args(["-png", "-r", "96", "-singlefile"])
        .arg(&path)
        .arg(&stem)
        .output()
        .unwrap();
    assert!(out.status.success());
    // poppler reports any syntax error it recovered from on stderr.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    // 96 dpi brings the page back to the figure's pixels (± rounding of the point size).
    assert!(
        info.width.abs_diff(w) <= 1 && info.height.abs_diff(h) <= 1,
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
