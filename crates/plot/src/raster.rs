//! Heat-map cells as one embedded raster image in SVG output: the cells are sampled onto a pixel
//! grid, encoded as PNG, and written as a single `<image>` with a base64 data URI that viewers
//! draw without smoothing. The drawing backend cannot write raw SVG, so the canvas draws a
//! placeholder text in the image's place (keeping the stacking order) and [`substitute`] swaps
//! it for the `<image>` element once the SVG text is complete.

use crate::canvas::Rect;
use crate::style::render_error;
use starvation_core::error::Error;

/// Largest number of raster pixels of one embedded image (the resolution is lowered to fit).
const MAX_RASTER_PIXELS: f64 = 16.0 * 1024.0 * 1024.0;
/// Raster pixels per output pixel along each axis (finer than the PNG's pixels, so that cell
/// borders keep their place when the SVG is zoomed).
const RASTER_PER_PIXEL: f64 = 2.0;
/// Marks a placeholder text: a private-use character no label contains.
pub(crate) const MARK: char = '\u{E000}';

/// An RGBA image, rows from top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raster {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// RGBA bytes, 4 per pixel.
    pub rgba: Vec<u8>,
}

/// Index of the cell whose pixel interval [edge_i, edge_{i+1}) (in either order) holds `u`;
/// None outside every cell or where an edge could not be placed.
fn cell_at(edges: &[Option<f64>], u: f64) -> Option<usize> {
    edges.windows(2).position(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => a.min(b) <= u && u < a.max(b),
        _ => false,
    })
}

/// Extent (min, max) of the cells along one axis.
fn extent(edges: &[Option<f64>]) -> Option<(f64, f64)> {
    let mut out: Option<(f64, f64)> = None;
    for w in edges.windows(2) {
        if let (Some(a), Some(b)) = (w[0], w[1]) {
            let (lo, hi) = (a.min(b), a.max(b));
            out = Some(out.map_or((lo, hi), |(l, h)| (l.min(lo), h.max(hi))));
        }
    }
    out
}

/// Samples a grid of cells onto pixels covering the part of the cells inside `clip`.
///
/// `x_edges` (length nx + 1) and `y_edges` (length ny + 1) are the cells' borders in drawing
/// units (None where not drawable); `colour(ix, iy)` is the RGBA colour of cell (ix, iy) (None:
/// transparent). `px` is the size of one output pixel in drawing units. Returns the rectangle
/// the image covers and the image, or None when no cell is visible.
pub(crate) fn sample_cells(
    x_edges: &[Option<f64>],
    y_edges: &[Option<f64>],
    clip: Rect,
    px: f64,
    colour: impl Fn(usize, usize) -> Option<[u8; 4]>,
) -> Option<(Rect, Raster)> {
    let (x0, x1) = extent(x_edges)?;
    let (y0, y1) = extent(y_edges)?;
    let area = Rect::new((x0, y0), (x1, y1)).intersect(&clip)?;
    let (w_px, h_px) = (area.width() / px, area.height() / px);
    if !(w_px.is_finite() && h_px.is_finite()) || w_px <= 0.0 || h_px <= 0.0 {
        return None;
    }
    let per_pixel = RASTER_PER_PIXEL.min((MAX_RASTER_PIXELS / (w_px * h_px)).sqrt());
    let width = (w_px * per_pixel).ceil().max(1.0) as u32;
    let height = (h_px * per_pixel).ceil().max(1.0) as u32;
    // Cell index of every raster column and row, sampled at the pixel centres.
    let columns: Vec<Option<usize>> = (0..width)
        .map(|i| {
            cell_at(
                x_edges,
                area.x0 + (i as f64 + 0.5) * area.width() / width as f64,
            )
        })
        .collect();
    let rows: Vec<Option<usize>> = (0..height)
        .map(|j| {
            cell_at(
                y_edges,
                area.y0 + (j as f64 + 0.5) * area.height() / height as f64,
            )
        })
        .collect();
    let mut rgba = Vec::with_capacity(width as usize * height as usize * 4);
    for row in &rows {
        for column in &columns {
            let c = match (column, row) {
                (Some(ix), Some(iy)) => colour(*ix, *iy),
                _ => None,
            };
            rgba.extend_from_slice(&c.unwrap_or([0, 0, 0, 0]));
        }
    }
    Some((
        area,
        Raster {
            width,
            height,
            rgba,
        },
    ))
}

/// PNG file bytes of the raster (RGBA, 8 bits per channel).
pub(crate) fn encode_png(r: &Raster) -> Result<Vec<u8>, Error> {
    let png_err = |e: png::EncodingError| render_error(format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, r.width, r.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(&r.rgba).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    Ok(out)
}

/// Standard base64 (RFC 4648, with padding).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The SVG `<image>` element drawing the PNG `png` stretched over `r` (drawing units) without
/// smoothing: `image-rendering` pixelated where supported, optimizeSpeed otherwise.
pub(crate) fn image_element(r: Rect, png: &[u8]) -> String {
    format!(
        "<image x=\"{:.3}\" y=\"{:.3}\" width=\"{:.3}\" height=\"{:.3}\" preserveAspectRatio=\"none\" \
         image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"data:image/png;base64,{}\"/>\n",
        r.x0,
        r.y0,
        r.width(),
        r.height(),
        base64(png)
    )
}

/// The placeholder text standing for image `index`.
pub(crate) fn placeholder(index: usize) -> String {
    format!("{MARK}image-{index}{MARK}")
}

/// Replaces the `<text>` element of each placeholder in `svg` by its `<image>` element.
pub(crate) fn substitute(svg: &str, images: &[String]) -> Result<String, Error> {
    let mut out = svg.to_string();
    for (i, element) in images.iter().enumerate() {
        let token = placeholder(i);
        let missing = || render_error(format!("SVG image placeholder {i} not found"));
        let at = out.find(&token).ok_or_else(missing)?;
        let start = out[..at].rfind("<text").ok_or_else(missing)?;
        let close = "</text>";
        let end = at + out[at..].find(close).ok_or_else(missing)? + close.len();
        let end = if out[end..].starts_with('\n') {
            end + 1
        } else {
            end
        };
        out.replace_range(start..end, element);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xFB, 0xFF, 0xBF]), "+/+/");
    }

    #[test]
    fn cells_are_sampled_at_pixel_centres() {
        // Two cells along x (0–10, 10–30), one along y drawn upwards (edges 20 → 0), 1 unit
        // per output pixel: 2 raster pixels per unit.
        let xe = [Some(0.0), Some(10.0), Some(30.0)];
        let ye = [Some(20.0), Some(0.0)];
        let clip = Rect::new((0.0, 0.0), (25.0, 100.0));
        let colour = |ix: usize, _| Some([ix as u8, 0, 0, 255]);
        let (area, r) = sample_cells(&xe, &ye, clip, 1.0, colour).expect("visible");
        assert_eq!(area, Rect::new((0.0, 0.0), (25.0, 20.0)));
        assert_eq!((r.width, r.height), (50, 40));
        let red = |i: usize| r.rgba[4 * i];
        assert_eq!(red(19), 0, "last pixel of the first cell");
        assert_eq!(red(20), 1, "first pixel of the second cell");
        assert_eq!(red(49), 1);
        assert!(r.rgba.chunks(4).all(|p| p[3] == 255), "every pixel covered");
    }

    #[test]
    fn uncovered_and_missing_cells_are_transparent() {
        let xe = [Some(0.0), Some(1.0), None, Some(3.0), Some(4.0)];
        let ye = [Some(0.0), Some(1.0)];
        let clip = Rect::new((0.0, 0.0), (4.0, 1.0));
        let colour = |ix: usize, _| (ix != 3).then_some([9, 9, 9, 255]);
        let (_, r) = sample_cells(&xe, &ye, clip, 0.5, colour).expect("visible");
        // 4 units at 0.5 units per pixel, 2 raster pixels per pixel: 16 columns.
        assert_eq!(r.width, 16);
        let alpha: Vec<u8> = r.rgba.chunks(4).take(16).map(|p| p[3]).collect();
        assert_eq!(&alpha[..4], &[255; 4], "cell 0");
        assert_eq!(
            &alpha[4..12],
            &[0; 8],
            "cells 1 and 2 have an undrawable edge"
        );
        assert_eq!(&alpha[12..], &[0; 4], "cell 3 has no colour");
        assert!(
            sample_cells(&xe, &ye, Rect::new((10.0, 10.0), (11.0, 11.0)), 1.0, colour).is_none()
        );
    }

    #[test]
    fn placeholders_are_replaced_by_images() {
        let svg = format!(
            "<svg>\n<rect/>\n<text x=\"1\" y=\"2\">{}\n</text>\n<path/>\n</svg>\n",
            placeholder(0)
        );
        let out = substitute(&svg, &["<image/>\n".to_string()]).expect("found");
        assert_eq!(out, "<svg>\n<rect/>\n<image/>\n<path/>\n</svg>\n");
        assert!(substitute("<svg></svg>", &["<image/>".to_string()]).is_err());
    }
}
