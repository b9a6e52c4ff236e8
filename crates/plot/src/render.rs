//! Rendering a [`Figure`] to PNG, SVG or PDF bytes: the figure grid, the three panel kinds, and
//! the heat-map colour bar and contours. The same drawing code runs on plotters' bitmap and SVG
//! backends and on the in-house PDF backend.

use contour::ContourBuilder;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingBackend, IntoDrawingArea, SVGBackend};

use crate::axis::{Tick, linear_ticks, resolve_range, widen};
use crate::canvas::{Canvas, HAlign, P, PlacedImage, Rect, Target, VAlign, rgba};
use crate::colour::{self, INK, NO_DATA, STREAM, WHITE};
use crate::elements::{
    Entry, Key, Occupied, draw_legend, draw_markers, draw_series, entries, stroke,
};
use crate::figure::{
    Axis, Dash, Figure, HeatMapPanel, LinePanel, Marker, Panel, PortraitPanel, Scale, Series,
};
use crate::filled;
use crate::geometry::{arrowhead, clip_polygon, clip_polyline, clip_segment};
use crate::layout::{AxesSpec, Frame, draw_axes, draw_grid, layout, line_height};
use crate::pdf::{Page, PdfBackend};
use crate::raster;
use crate::style::{Style, ensure_font, render_error};
use starvation_core::error::{Error, InputError};

/// Output image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG (RGB, 8 bits per channel).
    Png,
    /// SVG text.
    Svg,
    /// PDF 1.4 from the in-house backend: vector paths, text as the house font's glyph outlines,
    /// large heat-map grids as images; one page the size of the figure at 96 px per inch.
    Pdf,
}

/// Heat maps with at most this many cells are drawn as vector cells in SVG and PDF (one filled
/// rectangle per cell); larger grids as one embedded raster image. The pgfplots export uses the
/// same rule (`matrix plot*` below it, `\addplot graphics` above).
pub const MAX_VECTOR_CELLS: usize = 4096;
/// Largest accepted width or height in pixels.
const MAX_SIDE: u32 = 16_384;
/// Largest accepted number of pixels.
const MAX_PIXELS: u64 = 64 * 1024 * 1024;
/// SVG drawing units per figure pixel.
const SVG_SCALE: u32 = 4;
/// PNGs up to this many pixels are drawn at twice the size and averaged down (anti-aliasing).
const SUPERSAMPLE_PIXELS: u64 = 16 * 1024 * 1024;

/// Renders the figure to bytes (PNG file bytes or SVG text bytes).
pub fn render(figure: &Figure, format: ImageFormat) -> Result<Vec<u8>, Error> {
    check_size(figure)?;
    ensure_font()?;
    match format {
        ImageFormat::Png => render_png(figure),
        ImageFormat::Svg => render_svg(figure),
        ImageFormat::Pdf => render_pdf(figure),
    }
}

/// Rejects empty and absurdly large figures.
fn check_size(f: &Figure) -> Result<(), InputError> {
    for (name, v) in [("figure.width", f.width), ("figure.height", f.height)] {
        if v == 0 {
            return Err(InputError::new(name, "must be at least 1 pixel, got 0"));
        }
        if v > MAX_SIDE {
            return Err(InputError::new(
                name,
                format!("must be at most {MAX_SIDE} pixels, got {v}"),
            ));
        }
    }
    if f.width as u64 * f.height as u64 > MAX_PIXELS {
        return Err(InputError::new(
            "figure",
            format!(
                "{} × {} pixels is more than the {MAX_PIXELS} allowed; make the figure smaller",
                f.width, f.height
            ),
        ));
    }
    Ok(())
}

/// PNG bytes of the figure (drawn at twice the size and averaged down unless very large).
fn render_png(figure: &Figure) -> Result<Vec<u8>, Error> {
    let (w, h) = (figure.width, figure.height);
    let k: u32 = if w as u64 * h as u64 <= SUPERSAMPLE_PIXELS {
        2
    } else {
        1
    };
    let mut big = vec![255u8; (w * k) as usize * (h * k) as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut big, (w * k, h * k)).into_drawing_area();
        draw_figure(&root, figure, Target::Bitmap, k as f64)?;
        root.present()
            .map_err(|e| render_error(format!("drawing failed: {e}")))?;
    }
    let buf = if k == 1 {
        big
    } else {
        downsample(&big, w, h, k)
    };
    let png_err = |e: png::EncodingError| render_error(format!("PNG encoding failed: {e}"));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(png_err)?;
        writer.write_image_data(&buf).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
    }
    Ok(out)
}

/// Averages `k` × `k` blocks of an RGB image of (`w`·`k`) × (`h`·`k`) pixels.
fn downsample(big: &[u8], w: u32, h: u32, k: u32) -> Vec<u8> {
    let (w, h, k) = (w as usize, h as usize, k as usize);
    let big_w = w * k;
    let mut out = vec![255u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    let row = (y * k + dy) * big_w;
                    for dx in 0..k {
                        sum += big.get(3 * (row + x * k + dx) + ch).copied().unwrap_or(255) as u32;
                    }
                }
                out[3 * (y * w + x) + ch] = ((sum + (k * k / 2) as u32) / (k * k) as u32) as u8;
            }
        }
    }
    out
}

/// SVG bytes of the figure. Plotters writes integer coordinates, so the drawing is made at
/// `SVG_SCALE` times the size and the root element's width and height are set back to the figure
/// size (the viewBox keeps the finer coordinates).
fn render_svg(figure: &Figure) -> Result<Vec<u8>, Error> {
    let (w, h) = (figure.width, figure.height);
    let (bw, bh) = (w * SVG_SCALE, h * SVG_SCALE);
    let big = svg_string(figure, SVG_SCALE)?;
    let from = format!("<svg width=\"{bw}\" height=\"{bh}\" ");
    let to = format!("<svg width=\"{w}\" height=\"{h}\" ");
    let s = if big.starts_with(&from) {
        big.replacen(&from, &to, 1)
    } else {
        svg_string(figure, 1)?
    };
    Ok(s.into_bytes())
}

/// PDF bytes of the figure: the same drawing on the in-house PDF backend at `SVG_SCALE` units
/// per pixel (see [`crate::pdf`]), one page of the figure's size at 96 pixels per inch.
fn render_pdf(figure: &Figure) -> Result<Vec<u8>, Error> {
    let k = SVG_SCALE;
    let mut page = Page::new()?;
    let images;
    {
        let size = (figure.width * k, figure.height * k);
        let root = PdfBackend::new(&mut page, size).into_drawing_area();
        images = draw_figure(&root, figure, Target::Pdf, k as f64)?;
        root.present()
            .map_err(|e| render_error(format!("drawing failed: {e}")))?;
    }
    crate::pdf::document(
        page,
        &images,
        (figure.width, figure.height),
        k as f64,
        &figure.title,
    )
}

/// The SVG text of the figure drawn at `k` units per pixel.
fn svg_string(figure: &Figure, k: u32) -> Result<String, Error> {
    let mut s = String::new();
    let images;
    {
        let size = (figure.width * k, figure.height * k);
        let root = SVGBackend::with_string(&mut s, size).into_drawing_area();
        images = draw_figure(&root, figure, Target::Svg, k as f64)?;
        root.present()
            .map_err(|e| render_error(format!("drawing failed: {e}")))?;
    }
    if images.is_empty() {
        Ok(s)
    } else {
        let elements = images
            .iter()
            .map(|(r, image)| Ok(raster::image_element(*r, &raster::encode_png(image)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        raster::substitute(&s, &elements)
    }
}

/// Draws the whole figure (background, overall title, panels on the grid) at `k` drawing units
/// per output pixel. Returns the SVG `<image>` elements whose placeholders the drawing holds
/// (empty for PNG).
fn draw_figure<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    fig: &Figure,
    target: Target,
    k: f64,
) -> Result<Vec<PlacedImage>, Error> {
    area.fill(&WHITE)
        .map_err(|e| render_error(format!("drawing failed: {e}")))?;
    let c = Canvas::new(area, target);
    let (w, h) = (fig.width as f64 * k, fig.height as f64 * k);
    let n = fig.panels.len();
    let cols = fig.columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let probe = Style::for_cell(w / cols as f64, h / rows as f64, k);
    // The overall title shrinks (to at most 0.6 of its size) to fit the figure's width.
    let title_size = {
        let size = probe.title * 1.12;
        let room = w - 2.0 * probe.pad;
        let width = c.text_width(&fig.title, size);
        if width > room && width > 0.0 {
            (size * room / width).max(0.6 * size)
        } else {
            size
        }
    };
    let title_h = if fig.title.trim().is_empty() {
        0.0
    } else {
        line_height(title_size) + 1.2 * probe.pad
    };
    let cell_w = w / cols as f64;
    let cell_h = ((h - title_h) / rows as f64).max(0.0);
    let s = Style::for_cell(cell_w, cell_h, k);
    if title_h > 0.0 {
        c.text(
            &fig.title,
            (w / 2.0, 1.2 * probe.pad),
            title_size,
            INK,
            HAlign::Centre,
            VAlign::Top,
        )?;
    }
    for (i, panel) in fig.panels.iter().enumerate() {
        let (r, k) = ((i / cols) as f64, (i % cols) as f64);
        // Panels after the first column keep extra distance from their left neighbour.
        let gutter = if k > 0.0 { 0.6 * s.tick } else { 0.0 };
        let cell = Rect::new(
            (k * cell_w + gutter, title_h + r * cell_h),
            ((k + 1.0) * cell_w, title_h + (r + 1.0) * cell_h),
        );
        let field = format!("panels[{i}]");
        match panel {
            Panel::Lines(p) => draw_lines(&c, &s, cell, p, &field)?,
            Panel::Portrait(p) => draw_portrait(&c, &s, cell, p, &field)?,
            Panel::HeatMap(p) => draw_heat_map(&c, &s, cell, p, &field)?,
            Panel::Orbit(p) => crate::orbit::draw_orbit(&c, &s, cell, p, &field)?,
        }
    }
    Ok(c.into_images())
}

/// All x and y coordinates of series and markers.
fn coordinates<'a>(
    series: impl IntoIterator<Item = &'a Series> + Clone,
    markers: &'a [Marker],
) -> (Vec<f64>, Vec<f64>) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for s in series {
        for &(x, y) in &s.points {
            if x.is_finite() && y.is_finite() {
                xs.push(x);
                ys.push(y);
            }
        }
    }
    for m in markers {
        xs.push(m.x);
        ys.push(m.y);
    }
    (xs, ys)
}

/// Resolved x and y ranges.
type Ranges = ((f64, f64), (f64, f64));

/// Resolves both axis ranges from data coordinates.
fn ranges(
    x: &Axis,
    y: &Axis,
    xs: Vec<f64>,
    ys: Vec<f64>,
    field: &str,
) -> Result<Ranges, InputError> {
    Ok((
        resolve_range(x, xs, 0.03, &format!("{field}.x"))?,
        resolve_range(y, ys, 0.03, &format!("{field}.y"))?,
    ))
}

/// A line panel.
fn draw_lines<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    p: &LinePanel,
    field: &str,
) -> Result<(), Error> {
    let (xs, ys) = coordinates(&p.series, &p.markers);
    let (x_range, y_range) = ranges(&p.x, &p.y, xs, ys, field)?;
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
    let mut occupied = Occupied::default();
    for se in &p.series {
        draw_series(c, s, &f, se, false, &mut occupied)?;
    }
    draw_markers(c, s, &f, &p.markers, &mut occupied)?;
    draw_axes(c, s, cell, &f, &spec)?;
    if p.legend {
        let mut e: Vec<Entry> = Vec::new();
        entries(s, &p.series, false, &mut e);
        draw_legend(c, s, &f, &e, &occupied)?;
    }
    Ok(())
}

/// A phase portrait panel.
fn draw_portrait<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    p: &PortraitPanel,
    field: &str,
) -> Result<(), Error> {
    let (mut xs, mut ys) = coordinates(p.nullclines.iter().chain(&p.trajectories), &p.markers);
    for a in &p.arrows {
        xs.push(a.x);
        ys.push(a.y);
    }
    for line in &p.streamlines {
        for &(x, y) in line {
            if x.is_finite() && y.is_finite() {
                xs.push(x);
                ys.push(y);
            }
        }
    }
    let (x_range, y_range) = ranges(&p.x, &p.y, xs, ys, field)?;
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
    let mut occupied = Occupied::default();
    let stream_w = (0.9 * s.line_scale).max(s.px);
    for line in &p.streamlines {
        let pts: Vec<Option<P>> = line.iter().map(|&(x, y)| f.px(x, y)).collect();
        for piece in clip_polyline(&pts, &f.plot) {
            c.polyline(&piece, rgba(STREAM, 1.0), stream_w)?;
        }
    }
    draw_arrows(c, s, &f, p)?;
    for se in &p.nullclines {
        draw_series(c, s, &f, se, false, &mut occupied)?;
    }
    for se in &p.trajectories {
        draw_series(c, s, &f, se, true, &mut occupied)?;
    }
    draw_markers(c, s, &f, &p.markers, &mut occupied)?;
    draw_axes(c, s, cell, &f, &spec)?;
    if p.legend {
        let mut e: Vec<Entry> = Vec::new();
        entries(s, &p.nullclines, false, &mut e);
        entries(s, &p.trajectories, true, &mut e);
        if let Some(key) = speed_key(p) {
            e.push(key);
        }
        draw_legend(c, s, &f, &e, &occupied)?;
    }
    Ok(())
}

/// The legend entry explaining the arrows' shading (None without arrows).
fn speed_key(p: &PortraitPanel) -> Option<Entry> {
    if p.arrows.is_empty() {
        return None;
    }
    let (_, log) = speed_shading(p.arrows.iter().map(|a| a.dx.hypot(a.dy)));
    let label = if log {
        "arrow speed: slow → fast (log)"
    } else {
        "arrow speed: slow → fast"
    };
    Some(Entry {
        label: label.into(),
        key: Key::Ramp {
            colours: (0..12).map(|k| colour::speed(k as f64 / 11.0)).collect(),
        },
    })
}

/// Typical distance between neighbouring arrows: the median distance from (a sample of) the
/// points to their nearest neighbour, or for very many points the smaller of the median gaps
/// between distinct x and distinct y positions.
fn arrow_spacing(pts: &[P]) -> Option<f64> {
    if pts.len() < 2 {
        return None;
    }
    if pts.len() > 5000 {
        let gap = |mut v: Vec<f64>| -> Option<f64> {
            v.sort_by(f64::total_cmp);
            let mut d: Vec<f64> = v
                .windows(2)
                .map(|w| w[1] - w[0])
                .filter(|&d| d > 0.5)
                .collect();
            d.sort_by(f64::total_cmp);
            d.get(d.len() / 2).copied()
        };
        let gx = gap(pts.iter().map(|p| p.0).collect());
        let gy = gap(pts.iter().map(|p| p.1).collect());
        return match (gx, gy) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let stride = (pts.len() / 400).max(1);
    let mut d: Vec<f64> = pts
        .iter()
        .step_by(stride)
        .filter_map(|a| {
            pts.iter()
                .map(|b| (b.0 - a.0).hypot(b.1 - a.1))
                .filter(|&d| d > 0.5)
                .reduce(f64::min)
        })
        .collect();
    if d.is_empty() {
        return None;
    }
    d.sort_by(f64::total_cmp);
    Some(d[d.len() / 2])
}

/// The vector field: equal-length arrows centred on their base points, shaded by speed.
fn draw_arrows<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    p: &PortraitPanel,
) -> Result<(), Error> {
    // (pixel position, pixel direction, speed)
    let arrows: Vec<(P, P, f64)> = p
        .arrows
        .iter()
        .filter_map(|a| {
            let at = f.px(a.x, a.y)?;
            if !f.plot.contains(at) {
                return None;
            }
            let dir = (a.dx * f.x.derivative(a.x)?, a.dy * f.y.derivative(a.y)?);
            let speed = a.dx.hypot(a.dy);
            (speed.is_finite() && dir.0.is_finite() && dir.1.is_finite())
                .then_some((at, dir, speed))
        })
        .collect();
    if arrows.is_empty() {
        return Ok(());
    }
    let positions: Vec<P> = arrows.iter().map(|a| a.0).collect();
    let fallback = f.plot.width().min(f.plot.height()) / 15.0;
    let spacing = arrow_spacing(&positions).unwrap_or(fallback);
    let max_len = 0.15 * f.plot.width().min(f.plot.height());
    let len = (0.72 * spacing).min(max_len).max(6.0 * s.px);
    let head = (0.38 * len).clamp(4.0 * s.px, 1.2 * s.tick);
    let shaft_w = (1.1 * s.line_scale).max(s.px);
    let (shade, _) = speed_shading(arrows.iter().map(|a| a.2));
    let mut order: Vec<usize> = (0..arrows.len()).collect();
    order.sort_by(|&i, &j| arrows[i].2.total_cmp(&arrows[j].2));
    for i in order {
        let (at, dir, speed) = arrows[i];
        let colour = rgba(colour::speed(shade(speed)), 1.0);
        let n = dir.0.hypot(dir.1);
        if n.is_nan() || n <= 0.0 {
            c.circle(at, 0.8 * shaft_w + 0.5, colour, true, 1.0)?;
            continue;
        }
        let u = (dir.0 / n, dir.1 / n);
        let tail = (at.0 - u.0 * len / 2.0, at.1 - u.1 * len / 2.0);
        let tip = (at.0 + u.0 * len / 2.0, at.1 + u.1 * len / 2.0);
        let neck = (tip.0 - u.0 * head * 0.8, tip.1 - u.1 * head * 0.8);
        if let Some((a, b)) = clip_segment(tail, neck, &f.plot) {
            c.polyline(&[a, b], colour, shaft_w)?;
        }
        let centre = (tip.0 - u.0 * 0.6 * head, tip.1 - u.1 * 0.6 * head);
        if let Some(tri) = arrowhead(centre, u, head, 0.42 * head) {
            c.polygon(&clip_polygon(&tri, &f.plot), colour)?;
        }
    }
    Ok(())
}

/// Maps speeds to [0, 1] (logarithmically when they span more than two decades; the flag says
/// which).
fn speed_shading(speeds: impl Iterator<Item = f64>) -> (impl Fn(f64) -> f64, bool) {
    let v: Vec<f64> = speeds.filter(|s| s.is_finite()).collect();
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min_pos = v
        .iter()
        .copied()
        .filter(|&s| s > 0.0)
        .fold(f64::INFINITY, f64::min);
    let log = min_pos.is_finite() && max > 0.0 && max / min_pos > 100.0;
    let shade = move |sp: f64| {
        if max.is_nan() || min.is_nan() || max <= min {
            return 0.75;
        }
        let t = if log {
            if sp > 0.0 {
                (sp / min_pos).ln() / (max / min_pos).ln()
            } else {
                0.0
            }
        } else {
            (sp - min) / (max - min)
        };
        if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    (shade, log)
}

/// Maps heat-map values to colours.
pub(crate) struct ColourScale {
    /// Value at the bottom of the colour bar.
    pub(crate) lo: f64,
    /// Value at the top.
    pub(crate) hi: f64,
    /// Diverging centre (white).
    centre: Option<f64>,
}

impl ColourScale {
    /// The scale of a heat map: its colour range, or the data range (symmetric around the
    /// centre of a diverging map).
    pub(crate) fn new(p: &HeatMapPanel) -> Self {
        let finite = p.values.iter().copied().filter(|v| v.is_finite());
        let (dmin, dmax) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let centre = p.diverging_centre.filter(|c| c.is_finite());
        let given = p
            .colour_range
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(a, b)| (a.min(b), a.max(b)));
        let (mut lo, mut hi) = match (given, centre) {
            (Some(r), _) => r,
            (None, Some(c)) if dmin <= dmax => {
                let half = (dmax - c).abs().max((dmin - c).abs());
                (c - half, c + half)
            }
            (None, None) if dmin <= dmax => (dmin, dmax),
            (None, Some(c)) => (c - 1.0, c + 1.0),
            (None, None) => (0.0, 1.0),
        };
        if !(hi - lo).is_finite() || hi <= lo {
            (lo, hi) = widen(lo, false);
            if !(hi - lo).is_finite() || hi <= lo {
                (lo, hi) = (0.0, 1.0);
            }
        }
        Self { lo, hi, centre }
    }

    /// Position of `v` on the colour bar, 0 (bottom) to 1 (top).
    fn t(&self, v: f64) -> f64 {
        let t = match self.centre {
            Some(c) => {
                let c = c.clamp(self.lo, self.hi);
                if v <= c {
                    if c > self.lo {
                        0.5 * (v - self.lo) / (c - self.lo)
                    } else {
                        0.5
                    }
                } else if self.hi > c {
                    0.5 + 0.5 * (v - c) / (self.hi - c)
                } else {
                    0.5
                }
            }
            None => (v - self.lo) / (self.hi - self.lo),
        };
        if t.is_finite() {
            t.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Colour at bar position `t`.
    fn colour_t(&self, t: f64) -> plotters::style::RGBColor {
        if self.centre.is_some() {
            colour::diverging(t)
        } else {
            colour::viridis(t)
        }
    }

    /// Colour of value `v` (non-finite: the no-data grey).
    pub(crate) fn colour(&self, v: f64) -> plotters::style::RGBColor {
        if v.is_finite() {
            self.colour_t(self.t(v))
        } else {
            NO_DATA
        }
    }
}

/// Validates the cell centres of one heat-map axis and returns them transformed.
fn centres(values: &[f64], axis: &Axis, field: &str) -> Result<Vec<f64>, InputError> {
    let log = axis.scale == Scale::Log;
    let mut out = Vec::with_capacity(values.len());
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() || (log && v <= 0.0) {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                if log {
                    format!("cell centres on a log axis must be finite and > 0, got {v}")
                } else {
                    format!("cell centres must be finite, got {v}")
                },
            ));
        }
        let t = if log { v.log10() } else { v };
        if let Some(&prev) = out.last()
            && t <= prev
        {
            return Err(InputError::new(
                format!("{field}[{i}]"),
                "cell centres must be strictly increasing",
            ));
        }
        out.push(t);
    }
    Ok(out)
}

/// Cell edges (transformed units) halfway between centres, the outer ones half a spacing out.
fn edges(t: &[f64], range: Option<(f64, f64)>) -> Vec<f64> {
    match t {
        [] => Vec::new(),
        [only] => match range {
            Some((a, b)) => vec![a.min(b), a.max(b)],
            None => vec![only - 0.5, only + 0.5],
        },
        _ => {
            let n = t.len();
            let mut e = Vec::with_capacity(n + 1);
            e.push(t[0] - (t[1] - t[0]) / 2.0);
            for w in t.windows(2) {
                e.push((w[0] + w[1]) / 2.0);
            }
            e.push(t[n - 1] + (t[n - 1] - t[n - 2]) / 2.0);
            e
        }
    }
}

/// Transformed coordinate of the fractional cell index `u` (linear between centres,
/// extrapolated half a cell beyond the ends).
fn index_to_t(t: &[f64], u: f64) -> Option<f64> {
    let n = t.len();
    if n < 2 || !u.is_finite() {
        return None;
    }
    let u = u.clamp(-0.5, n as f64 - 0.5);
    let i = (u.floor().max(0.0) as usize).min(n - 2);
    let f = u - i as f64;
    Some(t[i] + f * (t[i + 1] - t[i]))
}

/// A heat-map panel.
fn draw_heat_map<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    p: &HeatMapPanel,
    field: &str,
) -> Result<(), Error> {
    let (nx, ny) = (p.x_values.len(), p.y_values.len());
    if nx.checked_mul(ny) != Some(p.values.len()) {
        return Err(InputError::new(
            format!("{field}.values"),
            format!(
                "has {} entries but needs one per cell: x_values × y_values = {nx} × {ny}",
                p.values.len(),
            ),
        )
        .into());
    }
    let tx = centres(&p.x_values, &p.x, &format!("{field}.x_values"))?;
    let ty = centres(&p.y_values, &p.y, &format!("{field}.y_values"))?;
    let tr = |axis: &Axis| {
        let log = axis.scale == Scale::Log;
        axis.range
            .filter(|(a, b)| a.is_finite() && b.is_finite() && (!log || (*a > 0.0 && *b > 0.0)))
            .map(|(a, b)| if log { (a.log10(), b.log10()) } else { (a, b) })
    };
    let ex = edges(&tx, tr(&p.x));
    let ey = edges(&ty, tr(&p.y));
    let has_cells = nx > 0 && ny > 0;
    let (xs, ys) = coordinates(&p.curves, &p.markers);
    let axis_range = |axis: &Axis, e: &[f64], data: Vec<f64>, name: &str| {
        let log = axis.scale == Scale::Log;
        let un = |t: f64| if log { 10f64.powf(t) } else { t };
        match (axis.range, e.first(), e.last()) {
            (None, Some(&a), Some(&b)) if has_cells && un(a) < un(b) => Ok((un(a), un(b))),
            _ => resolve_range(axis, data, 0.03, &format!("{field}.{name}")),
        }
    };
    let x_range = axis_range(&p.x, &ex, xs, "x")?;
    let y_range = axis_range(&p.y, &ey, ys, "y")?;
    let scale = ColourScale::new(p);
    let bar_ticks = {
        let target = (cell.height() / (3.2 * s.tick)).round().clamp(2.0, 7.0) as usize;
        linear_ticks(scale.lo, scale.hi, target)
    };
    let bar = (!p.hide_colour_bar).then(|| ColourBar::measure(c, s, &bar_ticks, &p.colour_label));
    let spec = AxesSpec {
        title: &p.title,
        x: &p.x,
        y: &p.y,
        x_range,
        y_range,
        right_extra: bar.as_ref().map_or(0.0, |b| b.total),
    };
    let filled = filled_levels(&p.filled_levels);
    let Some(f) = layout(c, s, cell, &spec) else {
        return Ok(());
    };
    if has_cells && let Some(levels) = &filled {
        let colours: Vec<_> = levels
            .windows(2)
            .map(|w| scale.colour(0.5 * (w[0] + w[1])))
            .collect();
        let outer = |e: &[f64]| (e[0], e[e.len() - 1]);
        filled::draw_bands(
            c,
            s,
            &f,
            &p.values,
            (&tx, &ty),
            (outer(&ex), outer(&ey)),
            levels,
            &colours,
            NO_DATA,
        )?;
    } else if has_cells {
        if c.is_vector() && p.values.len() > MAX_VECTOR_CELLS {
            draw_cells_raster(c, s, &f, p, &scale, &ex, &ey)?;
        } else {
            draw_cells(c, s, &f, p, &scale, &ex, &ey)?;
        }
    }
    let mut occupied = Occupied::default();
    let contour_labels = draw_contours(c, s, &f, p, &tx, &ty, &mut occupied)?;
    for se in &p.curves {
        draw_series(c, s, &f, se, false, &mut occupied)?;
    }
    draw_markers(c, s, &f, &p.markers, &mut occupied)?;
    draw_contour_labels(c, s, contour_labels, &mut occupied)?;
    draw_axes(c, s, cell, &f, &spec)?;
    if let Some(bar) = &bar {
        bar.draw(
            c,
            s,
            &f,
            &scale,
            (&bar_ticks, filled.as_deref()),
            &p.colour_label,
        )?;
    }
    if p.legend {
        let mut e: Vec<Entry> = Vec::new();
        entries(s, &p.curves, false, &mut e);
        draw_legend(c, s, &f, &e, &occupied)?;
    }
    Ok(())
}

/// The cells as rectangles, each overlapping its right and upper neighbour by a pixel so that
/// no seams show.
fn draw_cells<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    p: &HeatMapPanel,
    scale: &ColourScale,
    ex: &[f64],
    ey: &[f64],
) -> Result<(), Error> {
    let px: Vec<Option<f64>> = ex.iter().map(|&t| f.x.px_t(t).map(f64::round)).collect();
    let py: Vec<Option<f64>> = ey.iter().map(|&t| f.y.px_t(t).map(f64::round)).collect();
    let nx = p.x_values.len();
    for (iy, yw) in py.windows(2).enumerate() {
        let (Some(yb), Some(yt)) = (yw[0], yw[1]) else {
            continue;
        };
        for (ix, xw) in px.windows(2).enumerate() {
            let (Some(xl), Some(xr)) = (xw[0], xw[1]) else {
                continue;
            };
            let Some(&v) = p.values.get(iy * nx + ix) else {
                continue;
            };
            // Grow by one pixel towards +x and +y (screen: right and up).
            let (x0, x1) = (xl.min(xr), xl.max(xr) + s.px);
            let (y0, y1) = (yb.min(yt) - s.px, yb.max(yt));
            if let Some(r) = Rect::new((x0, y0), (x1, y1)).intersect(&f.plot) {
                c.fill_rect(r, rgba(scale.colour(v), 1.0))?;
            }
        }
    }
    Ok(())
}

/// Vector output of a grid with more than [`MAX_VECTOR_CELLS`] cells: the cells as one embedded
/// raster image (one `<image>` instead of one `<rect>` per cell),
/// sampled at twice the output resolution and drawn without smoothing.
fn draw_cells_raster<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    p: &HeatMapPanel,
    scale: &ColourScale,
    ex: &[f64],
    ey: &[f64],
) -> Result<(), Error> {
    let px: Vec<Option<f64>> = ex.iter().map(|&t| f.x.px_t(t)).collect();
    let py: Vec<Option<f64>> = ey.iter().map(|&t| f.y.px_t(t)).collect();
    let nx = p.x_values.len();
    let colour = |ix: usize, iy: usize| {
        p.values.get(iy * nx + ix).map(|&v| {
            let c = scale.colour(v);
            [c.0, c.1, c.2, 255]
        })
    };
    match raster::sample_cells(&px, &py, f.plot, s.px, colour) {
        Some((area, image)) => c.image(area, &image),
        None => Ok(()),
    }
}

/// One contour level's lines: its level and its polylines in the axes' transformed
/// coordinates (log10 on a log axis), `None` where a line breaks (a gap of missing values, or
/// a run along the grid's outer border).
pub(crate) type ContourLines = (f64, Vec<Vec<Option<(f64, f64)>>>);

/// The contour lines of a heat map's values at its `contour_levels` (marching squares between
/// the cell centres `tx`, `ty` in transformed coordinates): what the renderer draws and the
/// pgfplots export writes.
pub(crate) fn contour_lines(p: &HeatMapPanel, tx: &[f64], ty: &[f64]) -> Vec<ContourLines> {
    let (nx, ny) = (tx.len(), ty.len());
    let levels: Vec<f64> = p
        .contour_levels
        .iter()
        .copied()
        .filter(|l| l.is_finite())
        .collect();
    if nx < 2 || ny < 2 || levels.is_empty() || p.values.len() != nx * ny {
        return Vec::new();
    }
    let Ok(lines) = ContourBuilder::new(nx, ny, true).lines(&p.values, &levels) else {
        return Vec::new();
    };
    let finite_at = |i: i64, j: i64| {
        if i < 0 || j < 0 || i >= nx as i64 || j >= ny as i64 {
            return true;
        }
        p.values
            .get(j as usize * nx + i as usize)
            .is_some_and(|v| v.is_finite())
    };
    // Grid coordinates: value (i, j) sits at (i + 0.5, j + 0.5); the outer border is 0 / n.
    let on_border = |g: (f64, f64)| {
        g.0 <= 1e-9 || g.1 <= 1e-9 || g.0 >= nx as f64 - 1e-9 || g.1 >= ny as f64 - 1e-9
    };
    lines
        .iter()
        .map(|line| {
            let pieces = line
                .geometry()
                .0
                .iter()
                .map(|ls| {
                    let mut pts: Vec<Option<(f64, f64)>> = Vec::with_capacity(ls.0.len());
                    let mut prev: Option<(f64, f64)> = None;
                    for coord in &ls.0 {
                        let g = (coord.x, coord.y);
                        if let Some(q) = prev
                            && on_border(q)
                            && on_border(g)
                        {
                            pts.push(None);
                        }
                        prev = Some(g);
                        let (u, v) = (g.0 - 0.5, g.1 - 0.5);
                        let near_gap = !u.is_finite()
                            || !v.is_finite()
                            || [u.floor(), u.ceil()].iter().any(|&i| {
                                [v.floor(), v.ceil()]
                                    .iter()
                                    .any(|&j| !finite_at(i as i64, j as i64))
                            });
                        if near_gap {
                            pts.push(None);
                            continue;
                        }
                        pts.push(index_to_t(tx, u).zip(index_to_t(ty, v)));
                    }
                    pts
                })
                .collect();
            (line.threshold(), pieces)
        })
        .collect()
}

/// Contour lines of the values at the panel's levels (thin, dark), in data coordinates.
#[allow(clippy::too_many_arguments)]
fn draw_contours<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    p: &HeatMapPanel,
    tx: &[f64],
    ty: &[f64],
    occupied: &mut Occupied,
) -> Result<Vec<ContourLabel>, Error> {
    let width = (0.9 * s.line_scale).max(s.px);
    let colour = plotters::style::RGBColor(0x1A, 0x1A, 0x1A);
    // Where each level's label goes: the middle of its longest drawn piece.
    let mut labels: Vec<ContourLabel> = Vec::new();
    for (level, pieces) in contour_lines(p, tx, ty) {
        let mut longest: Option<(f64, Vec<P>)> = None;
        for line in &pieces {
            let pts: Vec<Option<P>> = line
                .iter()
                .map(|q| q.and_then(|(u, v)| f.x.px_t(u).zip(f.y.px_t(v))))
                .collect();
            for piece in clip_polyline(&pts, &f.plot) {
                if piece.len() > 1 {
                    stroke(c, s, &piece, colour, width, Dash::Solid)?;
                    occupied.add_polyline(&piece);
                    let len = crate::geometry::length(&piece);
                    if longest.as_ref().is_none_or(|(l, _)| len > *l) {
                        longest = Some((len, piece));
                    }
                }
            }
        }
        if let Some((len, piece)) = longest {
            let text = contour_label(level);
            let size = 0.8 * s.tick;
            let w = c.text_width(&text, size);
            if len > 2.5 * w
                && let Some(at) = crate::geometry::point_at(&piece, len / 2.0)
            {
                labels.push((text, at, w));
            }
        }
    }
    Ok(labels)
}

/// The levels of filled contours: at least two finite, strictly increasing values, else None.
fn filled_levels(levels: &[f64]) -> Option<Vec<f64>> {
    (levels.len() >= 2
        && levels.iter().all(|l| l.is_finite())
        && levels.windows(2).all(|w| w[0] < w[1]))
    .then(|| levels.to_vec())
}

/// A contour label: its text, the pixel point it is centred on, and its text width.
type ContourLabel = (String, P, f64);

/// The contour labels on a white box over their line (drawn after every curve, so that no curve
/// hides them), skipping any that would overlap an earlier one.
fn draw_contour_labels<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    labels: Vec<ContourLabel>,
    occupied: &mut Occupied,
) -> Result<(), Error> {
    let size = 0.8 * s.tick;
    let h = line_height(size);
    let mut placed: Vec<Rect> = Vec::new();
    for (text, at, w) in labels {
        let r = Rect::new(
            (at.0 - w / 2.0 - 0.25 * size, at.1 - h / 2.0),
            (at.0 + w / 2.0 + 0.25 * size, at.1 + h / 2.0),
        );
        if placed.iter().any(|q| q.intersect(&r).is_some()) {
            continue;
        }
        c.fill_rect(r, rgba(WHITE, 0.8))?;
        c.text(&text, at, size, INK, HAlign::Centre, VAlign::Centre)?;
        occupied.add_rect(r);
        placed.push(r);
    }
    Ok(())
}

/// The text of a contour level: the shortest decimal that reads back as the level, with a
/// Unicode minus sign.
pub(crate) fn contour_label(level: f64) -> String {
    let s = format!("{level}");
    if s.len() > 8 {
        format!("{level:.3e}")
    } else {
        s
    }
    .replace('-', "−")
}

/// Geometry of the colour bar to the right of a heat map.
struct ColourBar {
    /// Gap between plot area and bar.
    gap: f64,
    /// Bar width.
    width: f64,
    /// Widest tick label.
    label_w: f64,
    /// Total width reserved.
    total: f64,
}

impl ColourBar {
    /// Measures the bar with its tick labels and label.
    fn measure<DB: DrawingBackend>(c: &Canvas<DB>, s: &Style, ticks: &[Tick], label: &str) -> Self {
        let gap = 0.9 * s.tick;
        let width = 0.95 * s.tick;
        let label_w = ticks
            .iter()
            .filter_map(|t| t.label.as_deref())
            .map(|l| c.text_width(l, s.tick))
            .fold(0.0, f64::max);
        let label_block = if label.trim().is_empty() {
            0.0
        } else {
            0.45 * s.tick + line_height(s.label)
        };
        let total = gap + width + s.tick_len + 0.3 * s.tick + label_w + label_block;
        Self {
            gap,
            width,
            label_w,
            total,
        }
    }

    /// Draws the gradient, frame, ticks and label.
    fn draw<DB: DrawingBackend>(
        &self,
        c: &Canvas<DB>,
        s: &Style,
        f: &Frame,
        scale: &ColourScale,
        (ticks, bands): (&[Tick], Option<&[f64]>),
        label: &str,
    ) -> Result<(), Error> {
        let x0 = f.plot.x1 + self.gap;
        let x1 = x0 + self.width;
        let (top, bottom) = (f.plot.y0, f.plot.y1);
        let h = bottom - top;
        if h.is_nan() || h <= 2.0 {
            return Ok(());
        }
        if let Some(levels) = bands {
            for w in levels.windows(2) {
                let (ya, yb) = (bottom - scale.t(w[0]) * h, bottom - scale.t(w[1]) * h);
                let r = Rect::new((x0, ya.round()), (x1, yb.round()))
                    .intersect(&Rect::new((x0, top), (x1, bottom)));
                if let Some(r) = r {
                    c.fill_rect(r, rgba(scale.colour(0.5 * (w[0] + w[1])), 1.0))?;
                }
            }
        }
        let strips = if bands.is_some() {
            0
        } else {
            (h.round() as usize).clamp(1, 256)
        };
        for k in 0..strips {
            let ya = bottom - h * k as f64 / strips as f64;
            let yb = bottom - h * (k + 1) as f64 / strips as f64;
            let t = (k as f64 + 0.5) / strips as f64;
            let r = Rect::new((x0, ya.round()), (x1, yb.round() - s.px))
                .intersect(&Rect::new((x0, top), (x1, bottom)));
            let Some(r) = r else { continue };
            c.fill_rect(r, rgba(scale.colour_t(t), 1.0))?;
        }
        let ink = rgba(INK, 1.0);
        c.stroke_rect(Rect::new((x0, top), (x1, bottom)), ink, s.frame)?;
        for t in ticks {
            let Some(l) = &t.label else { continue };
            let y = bottom - scale.t(t.value) * h;
            c.polyline(&[(x1, y), (x1 + s.tick_len, y)], ink, s.frame)?;
            let x = x1 + s.tick_len + 0.3 * s.tick;
            c.text(l, (x, y), s.tick, INK, HAlign::Left, VAlign::Centre)?;
        }
        if !label.trim().is_empty() {
            let x = x1 + s.tick_len + 0.3 * s.tick + self.label_w + 0.45 * s.tick;
            c.text_up(label, (x, (top + bottom) / 2.0), s.label, INK, VAlign::Top)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_lie_between_centres() {
        assert_eq!(edges(&[0.0, 1.0, 3.0], None), vec![-0.5, 0.5, 2.0, 4.0]);
        assert_eq!(edges(&[2.0], None), vec![1.5, 2.5]);
        assert!(edges(&[], None).is_empty());
        assert_eq!(index_to_t(&[0.0, 1.0, 3.0], 1.5), Some(2.0));
        assert_eq!(index_to_t(&[0.0, 1.0, 3.0], -0.5), Some(-0.5));
    }

    #[test]
    fn diverging_scale_is_white_at_the_centre() {
        let p = HeatMapPanel {
            x_values: vec![0.0, 1.0],
            y_values: vec![0.0],
            values: vec![-1.0, 3.0],
            diverging_centre: Some(0.0),
            ..HeatMapPanel::default()
        };
        let s = ColourScale::new(&p);
        assert_eq!((s.lo, s.hi), (-3.0, 3.0));
        assert_eq!(s.t(0.0), 0.5);
        assert_eq!(s.colour(f64::NAN), NO_DATA);
    }

    #[test]
    fn arrow_spacing_of_a_grid_is_its_step() {
        let pts: Vec<P> = (0..5)
            .flat_map(|i| (0..4).map(move |j| (10.0 * i as f64, 20.0 * j as f64)))
            .collect();
        assert_eq!(arrow_spacing(&pts), Some(10.0));
        assert_eq!(arrow_spacing(&[(1.0, 1.0)]), None);
    }
}
