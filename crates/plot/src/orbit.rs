//! Drawing an orbit diagram ([`OrbitPanel`]): the attractor's points binned per output pixel
//! and shaded by hit count ([`density_shade`]), the predicted flip h* as a dashed vertical line
//! with its label, diverged steps as ticks along the bottom of the plot, then curves, markers,
//! axes and legend as in a line panel. On vector targets the density is one embedded image.

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;

use crate::axis::resolve_range;
use crate::canvas::{Canvas, HAlign, Rect, VAlign, rgba};
use crate::colour::{WHITE, palette};
use crate::elements::{Entry, Key, Occupied, draw_legend, draw_markers, draw_series, entries};
use crate::figure::{Dash, OrbitPanel, Scale, density_shade};
use crate::layout::{AxesSpec, Frame, draw_axes, draw_grid, layout};
use crate::raster::Raster;
use crate::style::Style;
use starvation_core::error::Error;

/// Colour of the density shading (at full shade).
pub(crate) const DENSITY_INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);

/// Resolved (x, y) data ranges.
pub(crate) type Ranges = ((f64, f64), (f64, f64));

/// The resolved data ranges of an orbit panel: x from the axis or the columns' cells, y from
/// the axis or every drawn value (points, curves, markers) with a 6 % margin.
pub(crate) fn orbit_ranges(p: &OrbitPanel, field: &str) -> Result<Ranges, Error> {
    let xlog = p.x.scale == Scale::Log;
    let un = |t: f64| if xlog { 10f64.powf(t) } else { t };
    let x_range = match (p.x.range, p.step_edges()) {
        (None, Some(e)) => (un(e[0]), un(e[e.len() - 1])),
        _ => resolve_range(
            &p.x,
            p.columns.iter().map(|c| c.step).chain(p.flip),
            0.03,
            &format!("{field}.x"),
        )?,
    };
    let ys = p
        .columns
        .iter()
        .filter(|c| !c.diverged)
        .flat_map(|c| c.points.iter().copied())
        .chain(p.curves.iter().flat_map(|s| s.points.iter().map(|q| q.1)))
        .chain(p.markers.iter().map(|m| m.y));
    let y_range = resolve_range(&p.y, ys, 0.06, &format!("{field}.y"))?;
    Ok((x_range, y_range))
}

/// Transformed range (log10 on a log axis).
fn t_range(r: (f64, f64), scale: Scale) -> (f64, f64) {
    match scale {
        Scale::Log => (r.0.log10(), r.1.log10()),
        Scale::Linear => r,
    }
}

/// An orbit-diagram panel.
pub(crate) fn draw_orbit<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    p: &OrbitPanel,
    field: &str,
) -> Result<(), Error> {
    let (x_range, y_range) = orbit_ranges(p, field)?;
    let spec = AxesSpec {
        title: &p.title,
        x: &p.x,
        y: &p.y,
        x_range,
        y_range,
        right_extra: 0.0,
    };
    let Some(f) = layout(c, s, cell, &spec) else {
        return Ok(());
    };
    draw_grid(c, s, &f)?;
    draw_density(c, s, &f, p)?;
    let mut occupied = Occupied::default();
    let flip_colour = palette(p.flip_colour);
    // Diverged steps: short ticks rising from the bottom of the plot.
    let tick_w = (1.2 * s.line_scale).max(s.px);
    for col in p.columns.iter().filter(|c| c.diverged) {
        if let Some(x) =
            f.x.px(col.step)
                .filter(|x| *x >= f.plot.x0 && *x <= f.plot.x1)
        {
            let seg = [(x, f.plot.y1), (x, f.plot.y1 - 0.55 * s.tick)];
            c.polyline(&seg, rgba(palette(3), 1.0), tick_w)?;
            occupied.add_polyline(&seg);
        }
    }
    for se in &p.curves {
        draw_series(c, s, &f, se, false, &mut occupied)?;
    }
    if let Some(h) = p.flip
        && let Some(x) = f.x.px(h).filter(|x| *x >= f.plot.x0 && *x <= f.plot.x1)
    {
        let line = [(x, f.plot.y0), (x, f.plot.y1)];
        crate::elements::stroke(c, s, &line, flip_colour, s.line_width(2.0), Dash::Dashed)?;
        occupied.add_polyline(&line);
        let label = p.flip_label.trim();
        if !label.is_empty() {
            let size = s.legend;
            let w = c.text_width(label, size);
            let off = 0.35 * s.tick;
            // Right of the line when it fits, else left of it.
            let right = x + off + w <= f.plot.x1 - off;
            let (tx, align) = if right {
                (x + off, HAlign::Left)
            } else {
                (x - off, HAlign::Right)
            };
            let ty = f.plot.y0 + 0.4 * s.tick;
            let x0 = if right { tx } else { tx - w };
            let bg = Rect::new((x0, ty), (x0 + w, ty + 0.95 * size)).grow(0.15 * size);
            c.fill_rect(bg, rgba(WHITE, 0.8))?;
            c.text(label, (tx, ty), size, flip_colour, align, VAlign::Top)?;
            occupied.add_rect(bg);
        }
    }
    draw_markers(c, s, &f, &p.markers, &mut occupied)?;
    draw_axes(c, s, cell, &f, &spec)?;
    if p.legend {
        let mut e: Vec<Entry> = Vec::new();
        entries(s, &p.curves, false, &mut e);
        if p.columns
            .iter()
            .any(|c| !c.diverged && !c.points.is_empty())
        {
            e.push(Entry {
                label: "attractor (darker: more visits)".into(),
                key: Key::Line {
                    colour: shade_colour(0.6),
                    dash: Dash::Dotted,
                    width: s.line_width(2.0),
                    markers: false,
                    arrows: false,
                },
            });
        }
        if p.columns.iter().any(|c| c.diverged) {
            e.push(Entry {
                label: "diverged".into(),
                key: Key::Line {
                    colour: palette(3),
                    dash: Dash::Solid,
                    width: tick_w,
                    markers: false,
                    arrows: false,
                },
            });
        }
        draw_legend(c, s, &f, &e, &occupied)?;
    }
    Ok(())
}

/// The density shade `t` ∈ [0, 1] as an opaque colour over white.
pub(crate) fn shade_colour(t: f64) -> RGBColor {
    let mix = |ink: u8| (255.0 - (255.0 - ink as f64) * t.clamp(0.0, 1.0)).round() as u8;
    RGBColor(mix(DENSITY_INK.0), mix(DENSITY_INK.1), mix(DENSITY_INK.2))
}

/// The density image of the panel over `x_range` × `y_range` (data units) at `nx` × `ny`
/// pixels: RGBA with the shade as alpha over the density ink (empty bins transparent), rows
/// from the top.
pub(crate) fn density_raster(
    p: &OrbitPanel,
    size: (usize, usize),
    x_range: (f64, f64),
    y_range: (f64, f64),
) -> Raster {
    density_raster_t(
        p,
        size,
        t_range(x_range, p.x.scale),
        t_range(y_range, p.y.scale),
    )
}

/// [`density_raster`] over transformed ranges.
fn density_raster_t(
    p: &OrbitPanel,
    (nx, ny): (usize, usize),
    x_t: (f64, f64),
    y_t: (f64, f64),
) -> Raster {
    let counts = p.density((nx, ny), x_t, y_t);
    let max = counts.iter().copied().max().unwrap_or(0);
    let mut rgba = Vec::with_capacity(nx * ny * 4);
    for &count in &counts {
        let a = (255.0 * density_shade(count, max)).round() as u8;
        rgba.extend_from_slice(&[DENSITY_INK.0, DENSITY_INK.1, DENSITY_INK.2, a]);
    }
    Raster {
        width: nx as u32,
        height: ny as u32,
        rgba,
    }
}

/// The attractor's points binned per output pixel of the plot area (bins on the output pixel
/// grid, so that a bin is one pixel of the PNG) and shaded by visits.
fn draw_density<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    p: &OrbitPanel,
) -> Result<(), Error> {
    let snap = |v: f64| (v / s.px).round() * s.px;
    let plot = Rect::new(
        (snap(f.plot.x0), snap(f.plot.y0)),
        (snap(f.plot.x1), snap(f.plot.y1)),
    );
    let nx = (plot.width() / s.px).round().max(1.0) as usize;
    let ny = (plot.height() / s.px).round().max(1.0) as usize;
    let x_t = (f.x.t_at_px(plot.x0), f.x.t_at_px(plot.x1));
    let y_t = (f.y.t_at_px(plot.y1), f.y.t_at_px(plot.y0));
    let image = density_raster_t(p, (nx, ny), x_t, y_t);
    if c.is_vector() {
        if image.rgba.chunks_exact(4).any(|px| px[3] > 0) {
            c.image(plot, &image)?;
        }
        return Ok(());
    }
    let (bw, bh) = (plot.width() / nx as f64, plot.height() / ny as f64);
    for (k, px) in image.rgba.chunks_exact(4).enumerate() {
        if px[3] == 0 {
            continue;
        }
        let (ix, iy) = ((k % nx) as f64, (k / nx) as f64);
        let r = Rect::new(
            (plot.x0 + ix * bw, plot.y0 + iy * bh),
            (plot.x0 + (ix + 1.0) * bw, plot.y0 + (iy + 1.0) * bh),
        );
        if let Some(r) = r.intersect(&f.plot) {
            c.fill_rect(r, rgba(shade_colour(px[3] as f64 / 255.0), 1.0))?;
        }
    }
    Ok(())
}
