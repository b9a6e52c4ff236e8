//! Things drawn inside a plot area: styled polylines (dashes, markers, direction arrowheads),
//! equilibrium markers with labels, and the legend, placed where it hides the least data.

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;

use crate::canvas::{Canvas, HAlign, P, Rect, VAlign, rgba};
use crate::colour::{INK, LEGEND_FRAME, WHITE, darker, palette};
use crate::figure::{Dash, Marker, PointClass, Series};
use crate::geometry::{
    arrowhead, clip_polygon, clip_polyline, dash, dist, length, point_at, sample_every,
};
use crate::layout::Frame;
use crate::style::Style;
use starvation_core::error::Error;

/// Pixel points of the plot that the legend should avoid covering.
#[derive(Debug, Default)]
pub(crate) struct Occupied {
    /// Points in pixels.
    pub points: Vec<P>,
}

impl Occupied {
    /// Records points every few pixels along a polyline.
    pub(crate) fn add_polyline(&mut self, poly: &[P]) {
        if self.points.len() < 50_000 {
            self.points.extend(sample_every(poly, 4.0));
        }
    }

    /// Records a rectangle (a marker with its label) as a few points.
    pub(crate) fn add_rect(&mut self, r: Rect) {
        let (w, h) = (r.width(), r.height());
        for i in 0..=4 {
            for j in 0..=2 {
                self.points
                    .push((r.x0 + w * i as f64 / 4.0, r.y0 + h * j as f64 / 2.0));
            }
        }
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Key {
    /// A line sample.
    Line {
        /// Colour.
        colour: RGBColor,
        /// Dash.
        dash: Dash,
        /// Width in pixels.
        width: f64,
        /// With a marker dot.
        markers: bool,
        /// With an arrowhead.
        arrows: bool,
    },
    /// A colour ramp ending in an arrowhead, slow (left) to fast (right): the key of the
    /// speed shading of portrait arrows.
    Ramp {
        /// Colours from left to right.
        colours: Vec<RGBColor>,
    },
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Text.
    pub label: String,
    /// Sample.
    pub key: Key,
}

/// Legend entries of the labelled series (one per distinct label and look).
pub(crate) fn entries(s: &Style, series: &[Series], force_arrows: bool, out: &mut Vec<Entry>) {
    for se in series {
        let Some(label) = se.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) else {
            continue;
        };
        let e = Entry {
            label: label.to_string(),
            key: Key::Line {
                colour: palette(se.colour),
                dash: se.dash,
                width: s.line_width(se.width),
                markers: se.markers,
                arrows: se.direction_arrows || force_arrows,
            },
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
}

/// Strokes a visible polyline with a dash pattern.
pub(crate) fn stroke<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    poly: &[P],
    colour: RGBColor,
    width: f64,
    d: Dash,
) -> Result<(), Error> {
    let col = rgba(colour, 1.0);
    match d {
        Dash::Solid => c.polyline(poly, col, width),
        Dash::Dashed => {
            for piece in dash(poly, 3.5 * width + 4.0 * s.px, 2.2 * width + 3.0 * s.px) {
                c.polyline(&piece, col, width)?;
            }
            Ok(())
        }
        Dash::Dotted => {
            let r = (0.6 * width).max(s.px);
            for p in sample_every(poly, 2.6 * width + 2.5 * s.px) {
                c.circle(p, r, col, true, 1.0)?;
            }
            Ok(())
        }
    }
}

/// Draws a series clipped to the plot area; records what it covers.
pub(crate) fn draw_series<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    se: &Series,
    force_arrows: bool,
    occupied: &mut Occupied,
) -> Result<(), Error> {
    let colour = palette(se.colour);
    let width = s.line_width(se.width);
    let pts: Vec<Option<P>> = se.points.iter().map(|&(x, y)| f.px(x, y)).collect();
    let pieces = clip_polyline(&pts, &f.plot);
    for piece in &pieces {
        if piece.len() == 1 {
            if !se.markers {
                c.circle(piece[0], 0.8 * width + s.px, rgba(colour, 1.0), true, 1.0)?;
            }
        } else {
            stroke(c, s, piece, colour, width, se.dash)?;
        }
        occupied.add_polyline(piece);
        if let Some(&p) = piece.first() {
            occupied.points.push(p);
        }
    }
    if se.markers {
        let r = (1.6 * width).max(2.5 * s.px);
        for p in pts.iter().flatten().filter(|p| f.plot.contains(**p)) {
            c.circle(*p, r, rgba(colour, 1.0), true, 1.0)?;
        }
    }
    if se.direction_arrows || force_arrows {
        direction_arrows(c, s, &pieces, colour, width, &f.plot)?;
    }
    Ok(())
}

/// Size (length, half width) of a direction arrowhead on a line of `width`.
fn head_size(s: &Style, width: f64) -> (f64, f64) {
    let len = 0.6 * s.tick + 1.8 * width;
    (len, 0.42 * len)
}

/// A few arrowheads along the visible pieces, pointing towards increasing index.
fn direction_arrows<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    pieces: &[Vec<P>],
    colour: RGBColor,
    width: f64,
    clip: &Rect,
) -> Result<(), Error> {
    let (len, half) = head_size(s, width);
    let lengths: Vec<f64> = pieces.iter().map(|p| length(p)).collect();
    let total: f64 = lengths.iter().sum();
    if total.is_nan() || total <= 2.0 * len {
        return Ok(());
    }
    let n = (total / (9.0 * s.tick)).floor().clamp(1.0, 4.0) as usize;
    for k in 0..n {
        let mut target = (k as f64 + 0.5) / n as f64 * total;
        for (piece, &l) in pieces.iter().zip(&lengths) {
            if target > l {
                target -= l;
                continue;
            }
            let d = 0.5 * len;
            if let (Some(at), Some(a), Some(b)) = (
                point_at(piece, target),
                point_at(piece, target - d),
                point_at(piece, target + d),
            ) && dist(a, b) > 0.0
                && let Some(tri) = arrowhead(at, (b.0 - a.0, b.1 - a.1), len, half)
            {
                c.polygon(&clip_polygon(&tri, clip), rgba(colour, 1.0))?;
            }
            break;
        }
    }
    Ok(())
}

/// Radius of equilibrium markers.
pub(crate) fn marker_radius(s: &Style) -> f64 {
    0.42 * s.tick
}

/// Draws one marker symbol at pixel `p`.
pub(crate) fn draw_symbol<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    p: P,
    class: PointClass,
    colour: RGBColor,
) -> Result<(), Error> {
    let r = marker_radius(s);
    let halo = rgba(WHITE, 0.9);
    let col = rgba(colour, 1.0);
    let edge = rgba(darker(colour, 0.55), 1.0);
    let lw = (0.14 * r).max(s.px);
    match class {
        PointClass::Stable => {
            c.circle(p, r + lw + s.px, halo, true, 1.0)?;
            c.circle(p, r, col, true, 1.0)?;
            c.circle(p, r, edge, false, lw)?;
        }
        PointClass::Unstable => {
            let w = (0.28 * r).max(2.0 * s.px);
            c.circle(p, r + s.px, halo, true, 1.0)?;
            c.circle(p, r - 0.5 * w, rgba(WHITE, 1.0), true, 1.0)?;
            c.circle(p, r - 0.5 * w, col, false, w)?;
        }
        PointClass::Saddle => {
            let w = (0.3 * r).max(2.0 * s.px);
            let a = r * 0.85;
            let l1 = [(p.0 - a, p.1 - a), (p.0 + a, p.1 + a)];
            let l2 = [(p.0 - a, p.1 + a), (p.0 + a, p.1 - a)];
            c.polyline(&l1, halo, w + 3.0 * s.px)?;
            c.polyline(&l2, halo, w + 3.0 * s.px)?;
            c.polyline(&l1, col, w)?;
            c.polyline(&l2, col, w)?;
        }
        PointClass::Other => {
            let (a, b) = (1.2 * r, 0.95 * r);
            let d = [
                (p.0, p.1 - a),
                (p.0 + b, p.1),
                (p.0, p.1 + a),
                (p.0 - b, p.1),
            ];
            let e = 2.0 * s.px;
            let h = [
                (p.0, p.1 - a - e),
                (p.0 + b + e, p.1),
                (p.0, p.1 + a + e),
                (p.0 - b - e, p.1),
            ];
            c.polygon(&h, halo)?;
            c.polygon(&d, col)?;
            let mut closed = d.to_vec();
            closed.push(d[0]);
            c.polyline(&closed, edge, lw)?;
        }
    }
    Ok(())
}

/// Draws the markers inside the plot area with their labels; records what they cover.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    markers: &[Marker],
    occupied: &mut Occupied,
) -> Result<(), Error> {
    let r = marker_radius(s);
    let visible: Vec<(P, &Marker)> = markers
        .iter()
        .filter_map(|m| Some((f.px(m.x, m.y)?, m)))
        .filter(|(p, _)| f.plot.grow(s.px).contains(*p))
        .collect();
    for (p, m) in &visible {
        draw_symbol(c, s, *p, m.class, palette(m.colour))?;
        occupied.add_rect(Rect::new((p.0 - r, p.1 - r), (p.0 + r, p.1 + r)));
    }
    // Labels after all symbols so that no symbol hides a label.
    let size = s.legend;
    for (p, m) in &visible {
        let Some(label) = m.label.as_deref().filter(|l| !l.trim().is_empty()) else {
            continue;
        };
        let w = c.text_width(label, size);
        let h = 0.85 * size;
        let off = r + 0.25 * s.tick;
        // Upper right, lower right, upper left, lower left of the symbol: the first of the
        // positions inside the plot that covers the fewest drawn points.
        let candidates = [
            (p.0 + off, p.1 - 0.4 * r - h),
            (p.0 + off, p.1 + 0.4 * r),
            (p.0 - off - w, p.1 - 0.4 * r - h),
            (p.0 - off - w, p.1 + 0.4 * r),
        ];
        let inside = f.plot.grow(-2.0 * s.px);
        let mut best: Option<(usize, Rect, P)> = None;
        for (x, y) in candidates {
            let bg = Rect::new((x, y), (x + w, y + h)).grow(0.15 * size);
            let fits = inside.contains((bg.x0, bg.y0)) && inside.contains((bg.x1, bg.y1));
            // Scoring is skipped for very crowded plots (it is quadratic in effect).
            let covered = if visible.len() * occupied.points.len() < 20_000_000 {
                occupied.points.iter().filter(|q| bg.contains(**q)).count()
            } else {
                0
            };
            let score = covered + if fits { 0 } else { 1_000_000 };
            if best.as_ref().is_none_or(|b| score < b.0) {
                best = Some((score, bg, (x, y)));
            }
        }
        let Some((_, bg, (x, y_top))) = best else {
            continue;
        };
        c.fill_rect(bg, rgba(WHITE, 0.75))?;
        c.text(label, (x, y_top), size, INK, HAlign::Left, VAlign::Top)?;
        occupied.add_rect(bg);
    }
    Ok(())
}

/// Draws the legend in the corner of the plot area where it covers the fewest recorded points.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
    entries: &[Entry],
    occupied: &Occupied,
) -> Result<(), Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let size = s.legend;
    let row = 1.45 * size;
    let pad = 0.5 * size;
    let sample = 2.4 * size;
    let gap = 0.5 * size;
    let text_w = entries
        .iter()
        .map(|e| c.text_width(&e.label, size))
        .fold(0.0, f64::max);
    let w = 2.0 * pad + sample + gap + text_w;
    let h = 2.0 * pad + row * entries.len() as f64 - 0.3 * size;
    let p = f.plot;
    let inset = 0.45 * s.tick;
    let (l, r) = (p.x0 + inset, p.x1 - inset - w);
    let (t, b) = (p.y0 + inset, p.y1 - inset - h);
    let (mx, my) = ((p.x0 + p.x1 - w) / 2.0, (p.y0 + p.y1 - h) / 2.0);
    let candidates = [
        (r, t),
        (l, t),
        (r, b),
        (l, b),
        (mx, t),
        (mx, b),
        (r, my),
        (l, my),
    ];
    let score = |x: f64, y: f64| {
        let rect = Rect::new((x, y), (x + w, y + h)).grow(3.0 * s.px);
        occupied
            .points
            .iter()
            .filter(|q| rect.contains(**q))
            .count()
    };
    let mut best = candidates[0];
    let mut best_score = usize::MAX;
    for &(x, y) in &candidates {
        let sc = score(x, y);
        if sc < best_score {
            best = (x, y);
            best_score = sc;
        }
    }
    let frame = Rect::new(best, (best.0 + w, best.1 + h));
    c.fill_rect(frame, rgba(WHITE, 0.85))?;
    c.stroke_rect(frame, rgba(LEGEND_FRAME, 1.0), s.px)?;
    for (i, e) in entries.iter().enumerate() {
        let yc = frame.y0 + pad + (i as f64 + 0.5) * row - 0.15 * size;
        let x0 = frame.x0 + pad;
        match &e.key {
            Key::Line {
                colour,
                dash,
                width,
                markers,
                arrows,
            } => {
                let line = [(x0, yc), (x0 + sample, yc)];
                stroke(c, s, &line, *colour, *width, *dash)?;
                let mid = (x0 + sample / 2.0, yc);
                if *markers {
                    c.circle(
                        mid,
                        (1.6 * width).max(2.5 * s.px),
                        rgba(*colour, 1.0),
                        true,
                        1.0,
                    )?;
                }
                if *arrows {
                    let (len, half) = head_size(s, *width);
                    if let Some(tri) = arrowhead(mid, (1.0, 0.0), len, half) {
                        c.polygon(&tri, rgba(*colour, 1.0))?;
                    }
                }
            }
            Key::Ramp { colours } => {
                let n = colours.len().max(1) as f64;
                let head = 0.45 * size;
                let bar = sample - head;
                let half = 0.22 * size;
                for (k, col) in colours.iter().enumerate() {
                    let a = x0 + bar * k as f64 / n;
                    let b = x0 + bar * (k + 1) as f64 / n + s.px;
                    c.fill_rect(Rect::new((a, yc - half), (b, yc + half)), rgba(*col, 1.0))?;
                }
                if let Some(last) = colours.last() {
                    let tip = (x0 + sample, yc);
                    let tri = [
                        (x0 + bar, yc - 2.0 * half),
                        tip,
                        (x0 + bar, yc + 2.0 * half),
                    ];
                    c.polygon(&tri, rgba(*last, 1.0))?;
                }
            }
        }
        c.text(
            &e.label,
            (x0 + sample + gap, yc),
            size,
            INK,
            HAlign::Left,
            VAlign::Centre,
        )?;
    }
    Ok(())
}
