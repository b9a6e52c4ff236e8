//! Panel frames: where the plot area goes inside a panel cell, the axis maps and ticks, and the
//! drawing of the grid, frame, tick labels, axis labels and title around it.

use crate::axis::{AxisMap, Tick, ticks};
use crate::canvas::{Canvas, HAlign, Rect, VAlign, rgba};
use crate::colour::{GRID, INK};
use crate::figure::Axis;
use crate::style::{Style, metrics};
use plotters::prelude::DrawingBackend;
use starvation_core::error::Error;

/// What a frame shows: title, axes and their resolved data ranges, and room reserved on the
/// right (colour bar).
pub(crate) struct AxesSpec<'a> {
    /// Panel title.
    pub title: &'a str,
    /// x axis.
    pub x: &'a Axis,
    /// y axis.
    pub y: &'a Axis,
    /// Resolved x range.
    pub x_range: (f64, f64),
    /// Resolved y range.
    pub y_range: (f64, f64),
    /// Pixels reserved to the right of the plot area.
    pub right_extra: f64,
}

/// A laid-out panel: plot area, axis maps and ticks.
pub(crate) struct Frame {
    /// Plot area in pixels.
    pub plot: Rect,
    /// x map.
    pub x: AxisMap,
    /// y map.
    pub y: AxisMap,
    /// x ticks.
    pub x_ticks: Vec<Tick>,
    /// y ticks.
    pub y_ticks: Vec<Tick>,
}

impl Frame {
    /// Pixel position of a data point (None: not drawable).
    pub(crate) fn px(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        Some((self.x.px(x)?, self.y.px(y)?))
    }
}

/// Height of one line of text (capitals plus descenders) at `size`.
pub(crate) fn line_height(size: f64) -> f64 {
    (metrics::ASCENT + metrics::DESCENT) * size
}

/// Lays out a panel in `cell`; None when the cell is too small to hold a plot.
pub(crate) fn layout<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    spec: &AxesSpec,
) -> Option<Frame> {
    let gap = 0.35 * s.tick;
    let top = cell.y0
        + s.pad
        + if spec.title.trim().is_empty() {
            0.5 * s.tick
        } else {
            line_height(s.title) + 0.8 * s.tick
        };
    let x_label_block = if spec.x.label.trim().is_empty() {
        0.0
    } else {
        gap + line_height(s.label)
    };
    let bottom = cell.y1 - s.pad - x_label_block - line_height(s.tick) - gap - s.tick_len;
    if (bottom - top).is_nan() || bottom - top < 8.0 {
        return None;
    }
    let y = AxisMap::new(spec.y_range, spec.y.scale, bottom, top);
    let y_target = ((bottom - top) / (2.6 * s.tick)).round().clamp(2.0, 8.0) as usize;
    let y_ticks = ticks(&y, y_target);
    let y_tick_w = y_ticks
        .iter()
        .filter_map(|t| t.label.as_deref())
        .map(|l| c.text_width(l, s.tick))
        .fold(0.0, f64::max);
    let y_label_block = if spec.y.label.trim().is_empty() {
        0.0
    } else {
        line_height(s.label) + gap
    };
    let left = cell.x0 + s.pad + y_label_block + y_tick_w + 0.3 * s.tick + s.tick_len;
    let mut right = cell.x1 - s.pad - spec.right_extra;
    if (right - left).is_nan() || right - left < 8.0 {
        return None;
    }
    // x ticks: as many as fit without labels touching.
    let mut target = ((right - left) / (5.0 * s.tick)).round().clamp(2.0, 9.0) as usize;
    let (mut x, mut x_ticks) = loop {
        let x = AxisMap::new(spec.x_range, spec.x.scale, left, right);
        let t = ticks(&x, target);
        if target <= 2 || labels_fit(c, s, &x, &t) {
            break (x, t);
        }
        target -= 1;
    };
    // Keep the last x tick label inside the cell.
    let limit = cell.x1 - 2.0 * s.px - spec.right_extra.max(0.0) * 0.5;
    if let Some((px, w)) = x_ticks
        .iter()
        .filter_map(|t| Some((x.px(t.value)?, c.text_width(t.label.as_deref()?, s.tick))))
        .reduce(|a, b| if b.0 > a.0 { b } else { a })
    {
        let over = px + w / 2.0 - limit;
        if over > 0.0 && right - over - left >= 8.0 {
            right -= over;
            x = AxisMap::new(spec.x_range, spec.x.scale, left, right);
            x_ticks = ticks(&x, target);
        }
    }
    Some(Frame {
        plot: Rect::new((left, top), (right, bottom)),
        x,
        y,
        x_ticks,
        y_ticks,
    })
}

/// Whether the labelled ticks on `x` leave a gap between neighbouring labels.
fn labels_fit<DB: DrawingBackend>(c: &Canvas<DB>, s: &Style, x: &AxisMap, t: &[Tick]) -> bool {
    let mut spans: Vec<(f64, f64)> = t
        .iter()
        .filter_map(|t| {
            let w = c.text_width(t.label.as_deref()?, s.tick);
            let p = x.px(t.value)?;
            Some((p - w / 2.0, p + w / 2.0))
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    spans.windows(2).all(|w| w[1].0 - w[0].1 >= 0.9 * s.tick)
}

/// The background grid at the labelled ticks.
pub(crate) fn draw_grid<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    f: &Frame,
) -> Result<(), Error> {
    let colour = rgba(GRID, 1.0);
    let w = (0.8 * s.frame).max(s.px);
    for t in f.x_ticks.iter().filter(|t| t.label.is_some()) {
        if let Some(px) = f.x.px(t.value) {
            c.polyline(&[(px, f.plot.y0), (px, f.plot.y1)], colour, w)?;
        }
    }
    for t in f.y_ticks.iter().filter(|t| t.label.is_some()) {
        if let Some(py) = f.y.px(t.value) {
            c.polyline(&[(f.plot.x0, py), (f.plot.x1, py)], colour, w)?;
        }
    }
    Ok(())
}

/// Frame, ticks, tick labels, axis labels and the panel title.
pub(crate) fn draw_axes<DB: DrawingBackend>(
    c: &Canvas<DB>,
    s: &Style,
    cell: Rect,
    f: &Frame,
    spec: &AxesSpec,
) -> Result<(), Error> {
    let ink = rgba(INK, 1.0);
    let p = f.plot;
    let w = s.frame;
    let gap = 0.3 * s.tick;
    for t in &f.x_ticks {
        let Some(px) = f.x.px(t.value) else { continue };
        let len = if t.label.is_some() {
            s.tick_len
        } else {
            0.55 * s.tick_len
        };
        c.polyline(&[(px, p.y1), (px, p.y1 + len)], ink, w)?;
        if let Some(l) = &t.label {
            c.text(
                l,
                (px, p.y1 + s.tick_len + gap),
                s.tick,
                INK,
                HAlign::Centre,
                VAlign::Top,
            )?;
        }
    }
    for t in &f.y_ticks {
        let Some(py) = f.y.px(t.value) else { continue };
        let len = if t.label.is_some() {
            s.tick_len
        } else {
            0.55 * s.tick_len
        };
        c.polyline(&[(p.x0 - len, py), (p.x0, py)], ink, w)?;
        if let Some(l) = &t.label {
            let x = p.x0 - s.tick_len - gap;
            c.text(l, (x, py), s.tick, INK, HAlign::Right, VAlign::Centre)?;
        }
    }
    c.stroke_rect(p, ink, w)?;
    let cx = (p.x0 + p.x1) / 2.0;
    if !spec.x.label.trim().is_empty() {
        let y = cell.y1 - s.pad;
        c.text(
            &spec.x.label,
            (cx, y),
            s.label,
            INK,
            HAlign::Centre,
            VAlign::Bottom,
        )?;
    }
    if !spec.y.label.trim().is_empty() {
        let x = cell.x0 + s.pad + (metrics::ASCENT - metrics::CAP) * s.label;
        c.text_up(
            &spec.y.label,
            (x, (p.y0 + p.y1) / 2.0),
            s.label,
            INK,
            VAlign::Top,
        )?;
    }
    if !spec.title.trim().is_empty() {
        let y = p.y0 - 0.8 * s.tick;
        c.text(
            spec.title,
            (cx, y),
            s.title,
            INK,
            HAlign::Centre,
            VAlign::Bottom,
        )?;
    }
    Ok(())
}
