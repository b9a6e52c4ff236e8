//! Claim (issue 22, point 7): "`explore --screenshot FILE` renders the current view headless":
//! the PNG holds the whole view as the page lays it out — the phase portrait with the
//! eigenvectors at z* drawn through it, the phase diagram, the time series z(t) of the launched
//! trajectories and the gradient-descent run, and the orbit diagram with its dashed flip line —
//! each panel in its own quadrant of the image, and the file is byte-identical to the server's
//! `/api/view.png` of the same query.
//!
//! The checks read colours the renderer uses for one element only: the eigenvectors' palette
//! colour 4 (#CC79A7) in the portrait's quadrant, the first two palette colours (z₁ blue
//! #0072B2, z₂ orange #E69F00) as lines in the time-series quadrant, viridis cells in the
//! phase diagram's, and in the orbit diagram's a vertical run of the flip's blue at one column
//! plus the density's greys. Counts are lower bounds far below what is drawn (a 2-pixel line
//! across a 700-pixel panel is > 500 pixels) and far above stray anti-aliasing.

use crate::common;

fn decode(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0u8; reader.output_buffer_size().expect("a buffer size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// Pixels within `tol` of `rgb` in the rectangle [x0, x1) × [y0, y1), with their columns.
fn near(
    img: &(usize, usize, Vec<u8>),
    (x0, x1, y0, y1): (usize, usize, usize, usize),
    rgb: [u8; 3],
    tol: i32,
) -> Vec<(usize, usize)> {
    let (w, _, px) = img;
    let mut out = Vec::new();
    for y in y0..y1 {
        for x in x0..x1 {
            let i = 3 * (y * w + x);
            if (0..3).all(|c| (px[i + c] as i32 - rgb[c] as i32).abs() <= tol) {
                out.push((x, y));
            }
        }
    }
    out
}

#[test]
fn screenshot_holds_every_panel_of_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("view.png");
    let query = "s1=6&delta=0.3&traj=2,0.5;0.5,2&gd=1&logy=1";
    let ran = common::run_binary(
        None,
        &[
            "explore",
            "--query",
            query,
            "--screenshot",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.both());
    let bytes = std::fs::read(&file).unwrap();
    let served = starvation::explore::server::route("/api/view.png", query, "");
    assert_eq!(served.status, 200);
    assert!(
        served.body == bytes,
        "the screenshot is /api/view.png of the same view"
    );

    let img = decode(&bytes);
    let (w, h) = (img.0, img.1);
    assert_eq!(
        (w as u32, h as u32),
        starvation::explore::export::WHOLE_VIEW_SIZE
    );
    // Quadrants (2 × 2 grid below a title band of < 60 pixels), central parts only.
    let quad = |c: usize, r: usize| {
        let (cw, ch) = (w / 2, (h - 60) / 2);
        (
            c * cw + cw / 8,
            (c + 1) * cw - cw / 8,
            60 + r * ch + ch / 8,
            60 + (r + 1) * ch - ch / 8,
        )
    };
    let (portrait, diagram, series, orbit) = (quad(0, 0), quad(1, 0), quad(0, 1), quad(1, 1));

    let eigen = near(&img, portrait, [0xCC, 0x79, 0xA7], 12);
    assert!(
        eigen.len() > 300,
        "eigenvector pixels in the portrait: {}",
        eigen.len()
    );
    for other in [diagram, series, orbit] {
        assert!(near(&img, other, [0xCC, 0x79, 0xA7], 12).len() < 50);
    }

    let blue = near(&img, series, [0x00, 0x72, 0xB2], 12).len();
    let orange = near(&img, series, [0xE6, 0x9F, 0x00], 12).len();
    assert!(blue > 300 && orange > 300, "z₁, z₂ lines: {blue}, {orange}");

    // Viridis: its dark purple end and its green middle, only in the phase diagram.
    let teal = near(&img, diagram, [0x21, 0x91, 0x8C], 30).len();
    assert!(teal > 2000, "viridis cells: {teal}");

    // The orbit diagram: a vertical dashed line of the flip blue (one column holding most of
    // those pixels) and grey density pixels.
    let flip = near(&img, orbit, [0x00, 0x72, 0xB2], 12);
    let mut per_column = std::collections::BTreeMap::<usize, usize>::new();
    for (x, _) in &flip {
        *per_column.entry(*x).or_default() += 1;
    }
    let best = per_column.values().copied().max().unwrap_or(0);
    let span = orbit.3 - orbit.2;
    assert!(
        best > span / 3,
        "flip line: {best} pixels in one column of {span}"
    );
    let dark = near(&img, orbit, [0x30, 0x30, 0x30], 0x30);
    assert!(dark.len() > 500, "density pixels: {}", dark.len());
}
