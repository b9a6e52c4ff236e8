//! Filled contours of a heat map: the values interpolated bilinearly between cell centres at
//! every pixel and coloured by the band between two consecutive levels they fall in. PNG output
//! fills runs of equal band along each pixel row; SVG output embeds the same picture as one
//! raster image (see [`crate::raster`]).

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;

use crate::canvas::{Canvas, Rect, rgba};
use crate::layout::Frame;
use crate::raster::Raster;
use crate::style::Style;
use starvation_core::error::Error;

/// Raster pixels per output pixel in SVG output.
const SVG_RASTER_PER_PIXEL: f64 = 2.0;

/// The band of `v` between consecutive `levels` (increasing): 0 below `levels[1]`, the last
/// band at or above the second-to-last level; None for a non-finite value.
pub(crate) fn band_of(levels: &[f64], v: f64) -> Option<usize> {
    if !v.is_finite() || levels.len() < 2 {
        return None;
    }
    let bands = levels.len() - 1;
    let inner = &levels[1..bands];
    Some(inner.partition_point(|&l| l <= v).min(bands - 1))
}

/// Fractional index of `t` among increasing `centres` (clamped to the first and last centre).
fn fractional_index(centres: &[f64], t: f64) -> Option<f64> {
    let n = centres.len();
    if n == 0 || !t.is_finite() {
        return None;
    }
    if n == 1 || t <= centres[0] {
        return Some(0.0);
    }
    if t >= centres[n - 1] {
        return Some((n - 1) as f64);
    }
    let i = centres.partition_point(|&c| c <= t).clamp(1, n - 1) - 1;
    let span = centres[i + 1] - centres[i];
    Some(
        i as f64
            + if span > 0.0 {
                (t - centres[i]) / span
            } else {
                0.0
            },
    )
}

/// Bilinear interpolation of `values` (row-major, x fastest) at fractional indices (u, v); NaN
/// when a needed value is not finite.
pub(crate) fn bilinear(values: &[f64], nx: usize, ny: usize, u: f64, v: f64) -> f64 {
    if nx == 0 || ny == 0 {
        return f64::NAN;
    }
    let i = (u.floor().max(0.0) as usize).min(nx.saturating_sub(2));
    let j = (v.floor().max(0.0) as usize).min(ny.saturating_sub(2));
    let (fu, fv) = (
        if nx > 1 { u - i as f64 } else { 0.0 },
        if ny > 1 { v - j as f64 } else { 0.0 },
    );
    let at = |a: usize, b: usize| values.get(b.min(ny - 1) * nx + a.min(nx - 1)).copied();
    let (Some(a), Some(b), Some(c), Some(d)) =
        (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1))
    else {
        return f64::NAN;
    };
    let low = a + fu * (b - a);
    let high = c + fu * (d - c);
    low + fv * (high - low)
}

/// Draws the bands of `values` over the cells' extent inside the plot area. `tx`, `ty` are the
/// cell centres (transformed units), `ex`, `ey` the outer cell edges (transformed), `colours`
/// one colour per band, `no_data` the colour where the value is not finite.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_bands<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    values: &[f64],
    (tx, ty): (&[f64], &[f64]),
    (ex, ey): ((f64, f64), (f64, f64)),
    levels: &[f64],
    colours: &[RGBColor],
    no_data: RGBColor,
) -> Result<(), Error> {
    let (nx, ny) = (tx.len(), ty.len());
    let corner = |a: f64, b: f64| f.x.px_t(a).zip(f.y.px_t(b));
    let (Some(p0), Some(p1)) = (corner(ex.0, ey.0), corner(ex.1, ey.1)) else {
        return Ok(());
    };
    let Some(area) = Rect::new(p0, p1).intersect(&f.plot) else {
        return Ok(());
    };
    let colour_at = |px: f64, py: f64| -> RGBColor {
        let u = fractional_index(tx, f.x.t_at_px(px));
        let v = fractional_index(ty, f.y.t_at_px(py));
        let value = match (u, v) {
            (Some(u), Some(v)) => bilinear(values, nx, ny, u, v),
            _ => f64::NAN,
        };
        band_of(levels, value)
            .and_then(|b| colours.get(b).copied())
            .unwrap_or(no_data)
    };
    if c.is_vector() {
        let per = SVG_RASTER_PER_PIXEL / s.px;
        let width = (area.width() * per).ceil().max(1.0) as u32;
        let height = (area.height() * per).ceil().max(1.0) as u32;
        let mut rgba_bytes = Vec::with_capacity(width as usize * height as usize * 4);
        for j in 0..height {
            let py = area.y0 + (j as f64 + 0.5) * area.height() / height as f64;
            for i in 0..width {
                let px = area.x0 + (i as f64 + 0.5) * area.width() / width as f64;
                let col = colour_at(px, py);
                rgba_bytes.extend_from_slice(&[col.0, col.1, col.2, 255]);
            }
        }
        let image = Raster {
            width,
            height,
            rgba: rgba_bytes,
        };
        return c.image(area, &image);
    }
    // PNG: one rectangle per run of equal colour along each row of drawing units.
    let rows = area.height().ceil().max(1.0) as usize;
    let columns = area.width().ceil().max(1.0) as usize;
    for j in 0..rows {
        let y0 = area.y0 + j as f64;
        let y1 = (y0 + 1.0).min(area.y1);
        let py = 0.5 * (y0 + y1);
        let mut start = area.x0;
        let mut current: Option<RGBColor> = None;
        for i in 0..=columns {
            let x = (area.x0 + i as f64).min(area.x1);
            let col = (i < columns).then(|| colour_at(x + 0.5, py));
            if col != current {
                if let Some(prev) = current
                    && x > start
                {
                    c.fill_rect(Rect::new((start, y0), (x, y1)), rgba(prev, 1.0))?;
                }
                start = x;
                current = col;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_the_band_between_their_levels() {
        let levels = [-1.0, -0.5, 0.0, 0.5, 1.0];
        assert_eq!(band_of(&levels, -3.0), Some(0), "below: first band");
        assert_eq!(band_of(&levels, -0.7), Some(0));
        assert_eq!(band_of(&levels, -0.5), Some(1), "a level starts its band");
        assert_eq!(band_of(&levels, 0.0), Some(2));
        assert_eq!(band_of(&levels, 0.99), Some(3));
        assert_eq!(band_of(&levels, 7.0), Some(3), "above: last band");
        assert_eq!(band_of(&levels, f64::NAN), None);
    }

    #[test]
    fn bilinear_interpolation_reproduces_a_plane() {
        // v = 2i + 3j on a 3 × 2 grid.
        let values = [0.0, 2.0, 4.0, 3.0, 5.0, 7.0];
        for (u, v) in [(0.0, 0.0), (0.5, 0.5), (1.25, 0.75), (2.0, 1.0)] {
            let got = bilinear(&values, 3, 2, u, v);
            assert!(
                (got - (2.0 * u + 3.0 * v)).abs() < 1e-12,
                "({u}, {v}): {got}"
            );
        }
        assert_eq!(fractional_index(&[0.0, 1.0, 3.0], 2.0), Some(1.5));
        assert_eq!(fractional_index(&[0.0, 1.0, 3.0], -1.0), Some(0.0));
        assert_eq!(fractional_index(&[0.0, 1.0, 3.0], 9.0), Some(2.0));
    }
}
