//! Drawing primitives in pixel coordinates on any plotters backend: lines, polygons, circles,
//! rectangles and text placed by its baseline metrics, so that PNG, SVG and PDF output agree.

use std::cell::RefCell;
use std::fmt::Display;

use plotters::coord::Shift;
use plotters::element::{Circle, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontDesc, FontFamily, FontStyle, FontTransform, RGBAColor, RGBColor, ShapeStyle,
};

use crate::raster::{self, Raster};
use crate::style::{FONT_FAMILY, metrics, render_error};
use starvation_core::error::Error;

/// A point in pixels.
pub(crate) type P = (f64, f64);

/// An axis-aligned rectangle in pixels (`x0 ≤ x1`, `y0 ≤ y1`, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl Rect {
    /// The rectangle spanned by two corners in any order.
    pub(crate) fn new(a: P, b: P) -> Self {
        Self {
            x0: a.0.min(b.0),
            y0: a.1.min(b.1),
            x1: a.0.max(b.0),
            y1: a.1.max(b.1),
        }
    }

    /// Width.
    pub(crate) fn width(&self) -> f64 {
        self.x1 - self.x0
    }

    /// Height.
    pub(crate) fn height(&self) -> f64 {
        self.y1 - self.y0
    }

    /// Whether `p` lies inside (borders included).
    pub(crate) fn contains(&self, p: P) -> bool {
        p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1
    }

    /// The rectangle grown by `d` on every side.
    pub(crate) fn grow(&self, d: f64) -> Self {
        Self {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    /// Intersection with `other` (None if empty).
    pub(crate) fn intersect(&self, other: &Rect) -> Option<Rect> {
        let r = Rect {
            x0: self.x0.max(other.x0),
            y0: self.y0.max(other.y0),
            x1: self.x1.min(other.x1),
            y1: self.y1.min(other.y1),
        };
        (r.x1 > r.x0 && r.y1 > r.y0).then_some(r)
    }
}

/// Horizontal text alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HAlign {
    /// Text starts at the point.
    Left,
    /// Text is centred on the point.
    Centre,
    /// Text ends at the point.
    Right,
}

/// Vertical text alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VAlign {
    /// Top of capitals at the point.
    Top,
    /// Middle of capitals at the point.
    Centre,
    /// Bottom of descenders at the point.
    Bottom,
}

/// `c` with opacity `alpha`.
pub(crate) fn rgba(c: RGBColor, alpha: f64) -> RGBAColor {
    RGBAColor(c.0, c.1, c.2, alpha.clamp(0.0, 1.0))
}

/// Rounds a pixel coordinate for the backend (clamped far outside any image).
fn ip(p: P) -> (i32, i32) {
    let r = |v: f64| {
        if v.is_finite() {
            v.round().clamp(-1.0e6, 1.0e6) as i32
        } else {
            0
        }
    };
    (r(p.0), r(p.1))
}

/// `pts` without points closer than `min_dist` to the previously kept one (the last point is
/// always kept).
fn simplify(pts: &[P], min_dist: f64) -> Vec<P> {
    let mut out: Vec<P> = Vec::with_capacity(pts.len());
    for (i, &p) in pts.iter().enumerate() {
        match out.last() {
            Some(&q) if (p.0 - q.0).hypot(p.1 - q.1) < min_dist => {
                if i + 1 == pts.len() && out.len() > 1 {
                    if let Some(last) = out.last_mut() {
                        *last = p;
                    }
                } else if i + 1 == pts.len() {
                    out.push(p);
                }
            }
            _ => out.push(p),
        }
    }
    out
}

/// What a canvas draws on: it fixes the text metrics, how thick lines are drawn and whether
/// raster images can be embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Plotters' bitmap backend (PNG).
    Bitmap,
    /// Plotters' SVG backend (`<text>` with the SVG's own vertical metrics).
    Svg,
    /// The in-house PDF backend ([`crate::pdf`]): text as glyph outlines placed like the bitmap's.
    Pdf,
}

/// A raster image waiting to be placed over a rectangle of the drawing (vector targets).
pub(crate) type PlacedImage = (Rect, Raster);

/// A drawing surface in pixels on top of a plotters drawing area.
pub(crate) struct Canvas<'a, DB: DrawingBackend> {
    /// The whole image.
    area: &'a DrawingArea<DB, Shift>,
    /// The kind of output.
    target: Target,
    /// Images waiting to replace their placeholders (see [`raster`]).
    images: RefCell<Vec<PlacedImage>>,
}

impl<'a, DB: DrawingBackend> Canvas<'a, DB> {
    /// A canvas on `area` drawing for `target`.
    pub(crate) fn new(area: &'a DrawingArea<DB, Shift>, target: Target) -> Self {
        Self {
            area,
            target,
            images: RefCell::new(Vec::new()),
        }
    }

    /// Whether the output is vector graphics (SVG, PDF): large grids of cells go in as one
    /// raster image ([`Canvas::image`]), small ones as vector cells.
    pub(crate) fn is_vector(&self) -> bool {
        self.target != Target::Bitmap
    }

    /// The images of [`Canvas::image`], in placeholder order.
    pub(crate) fn into_images(self) -> Vec<PlacedImage> {
        self.images.into_inner()
    }

    /// Vector targets only: `image` stretched over `r`, drawn unsmoothed. The backends cannot
    /// place an image, so a placeholder text holds its place in the stacking order until the
    /// finished SVG text ([`raster::substitute`]) or PDF content stream gets the image there.
    pub(crate) fn image(&self, r: Rect, image: &Raster) -> Result<(), Error> {
        let index = {
            let mut images = self.images.borrow_mut();
            images.push((r, image.clone()));
            images.len() - 1
        };
        let style = Self::font(12.0).color(&RGBColor(0, 0, 0));
        Self::check(self.area.draw(&Text::new(
            raster::placeholder(index),
            ip((r.x0, r.y0)),
            style,
        )))
    }

    /// Maps a drawing result to the crate error.
    fn check<E: Display>(r: Result<(), E>) -> Result<(), Error> {
        r.map_err(|e| render_error(format!("drawing failed: {e}")))
    }

    /// A polyline (no clipping). Points closer than half a pixel to their predecessor are
    /// dropped. On bitmaps, thick opaque lines are drawn as one quadrilateral per segment with
    /// round joins (plotters' mitred outlines spike at sharp or jittery corners).
    pub(crate) fn polyline(&self, pts: &[P], colour: RGBAColor, width: f64) -> Result<(), Error> {
        let pts = simplify(pts, 0.5);
        if pts.len() < 2 {
            return Ok(());
        }
        if self.target == Target::Bitmap && width >= 2.5 && colour.3 >= 1.0 {
            let half = width / 2.0;
            for w in pts.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = (b.0 - a.0).hypot(b.1 - a.1);
                if len.is_nan() || len <= 0.0 {
                    continue;
                }
                let (nx, ny) = (-(b.1 - a.1) / len * half, (b.0 - a.0) / len * half);
                let quad = [
                    (a.0 + nx, a.1 + ny),
                    (b.0 + nx, b.1 + ny),
                    (b.0 - nx, b.1 - ny),
                    (a.0 - nx, a.1 - ny),
                ];
                self.polygon(&quad, colour)?;
            }
            for &p in &pts[1..pts.len() - 1] {
                self.circle(p, half, colour, true, 1.0)?;
            }
            return Ok(());
        }
        let style = ShapeStyle {
            color: colour,
            filled: false,
            stroke_width: width.round().max(1.0) as u32,
        };
        let v: Vec<(i32, i32)> = pts.iter().map(|&p| ip(p)).collect();
        Self::check(self.area.draw(&PathElement::new(v, style)))
    }

    /// A filled polygon.
    pub(crate) fn polygon(&self, pts: &[P], colour: RGBAColor) -> Result<(), Error> {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<(i32, i32)> = pts.iter().map(|&p| ip(p)).collect();
        Self::check(self.area.draw(&Polygon::new(v, colour.filled())))
    }

    /// A circle, filled or stroked with `width`.
    pub(crate) fn circle(
        &self,
        c: P,
        r: f64,
        colour: RGBAColor,
        filled: bool,
        width: f64,
    ) -> Result<(), Error> {
        let style = ShapeStyle {
            color: colour,
            filled,
            stroke_width: width.round().max(1.0) as u32,
        };
        let r = r.round().clamp(1.0, 1.0e5) as i32;
        Self::check(self.area.draw(&Circle::new(ip(c), r, style)))
    }

    /// A filled rectangle.
    pub(crate) fn fill_rect(&self, r: Rect, colour: RGBAColor) -> Result<(), Error> {
        let (a, b) = (ip((r.x0, r.y0)), ip((r.x1, r.y1)));
        if a.0 == b.0 || a.1 == b.1 {
            return Ok(());
        }
        Self::check(self.area.draw(&Rectangle::new([a, b], colour.filled())))
    }

    /// A rectangle outline of `width`, centred on the rectangle's border (drawn as four filled
    /// bars, since plotters' SVG rectangles ignore the stroke width).
    pub(crate) fn stroke_rect(&self, r: Rect, colour: RGBAColor, width: f64) -> Result<(), Error> {
        let h = (width.max(1.0) / 2.0).max(0.5);
        let bars = [
            Rect::new((r.x0 - h, r.y0 - h), (r.x1 + h, r.y0 + h)),
            Rect::new((r.x0 - h, r.y1 - h), (r.x1 + h, r.y1 + h)),
            Rect::new((r.x0 - h, r.y0 + h), (r.x0 + h, r.y1 - h)),
            Rect::new((r.x1 - h, r.y0 + h), (r.x1 + h, r.y1 - h)),
        ];
        for b in bars {
            self.fill_rect(b, colour)?;
        }
        Ok(())
    }

    /// The font at plotters size `size`.
    fn font(size: f64) -> FontDesc<'static> {
        FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal)
    }

    /// Width of `text` in pixels at `size`.
    pub(crate) fn text_width(&self, text: &str, size: f64) -> f64 {
        if text.is_empty() {
            return 0.0;
        }
        match Self::font(size).box_size(text) {
            Ok((w, _)) => w as f64,
            // Unmeasurable: a generous estimate.
            Err(_) => 0.6 * size * text.chars().count() as f64,
        }
    }

    /// Offset from the backend's top anchor to the baseline, and the size to pass to it.
    fn backend_metrics(&self, size: f64) -> (f64, f64) {
        if self.target == Target::Svg {
            // SVG: font-size = size / 1.24 and dy = 0.76 em; rescale so the em matches ab_glyph's.
            (0.76 / 1.164 * size, size * 1.24 / 1.164)
        } else {
            // Bitmap, and the PDF backend, which places glyphs the same way: the baseline half
            // the size below the top anchor.
            (0.5 * size, size)
        }
    }

    /// Distance from the alignment point to the baseline (positive: baseline below/right).
    fn baseline_offset(v: VAlign, size: f64) -> f64 {
        match v {
            VAlign::Top => metrics::CAP * size,
            VAlign::Centre => 0.5 * metrics::CAP * size,
            VAlign::Bottom => -metrics::DESCENT * size,
        }
    }

    /// Horizontal text at `pos`.
    pub(crate) fn text(
        &self,
        text: &str,
        pos: P,
        size: f64,
        colour: RGBColor,
        h: HAlign,
        v: VAlign,
    ) -> Result<(), Error> {
        if text.trim().is_empty() || !(size.is_finite() && size > 0.0) {
            return Ok(());
        }
        let (to_baseline, backend_size) = self.backend_metrics(size);
        let y = pos.1 + Self::baseline_offset(v, size) - to_baseline;
        let hpos = match h {
            HAlign::Left => HPos::Left,
            HAlign::Centre => HPos::Center,
            HAlign::Right => HPos::Right,
        };
        let style = Self::font(backend_size)
            .color(&colour)
            .pos(Pos::new(hpos, VPos::Top));
        Self::check(
            self.area
                .draw(&Text::new(xml_safe(text), ip((pos.0, y)), style)),
        )
    }

    /// Text rotated to read upwards, centred vertically on `pos.1`; `v` aligns the text's own
    /// vertical (now horizontal: top = left) direction at `pos.0`.
    pub(crate) fn text_up(
        &self,
        text: &str,
        pos: P,
        size: f64,
        colour: RGBColor,
        v: VAlign,
    ) -> Result<(), Error> {
        if text.trim().is_empty() || !(size.is_finite() && size > 0.0) {
            return Ok(());
        }
        let (to_baseline, backend_size) = self.backend_metrics(size);
        let x = pos.0 + Self::baseline_offset(v, size) - to_baseline;
        let style = Self::font(backend_size)
            .transform(FontTransform::Rotate270)
            .color(&colour)
            .pos(Pos::new(HPos::Center, VPos::Top));
        Self::check(
            self.area
                .draw(&Text::new(xml_safe(text), ip((x, pos.1)), style)),
        )
    }
}

/// Text as it may stand in an SVG document (the backend escapes `<`, `>`, `&` and quotes):
/// characters XML 1.0 does not allow even escaped (C0 controls other than tab, line feed and
/// carriage return; U+FFFE, U+FFFF) and the renderer's own image-placeholder mark become
/// U+FFFD, so a figure is well-formed XML whatever a spec's labels and titles hold.
pub(crate) fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 => '\u{FFFD}',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c if c == super::raster::MARK => '\u{FFFD}',
            c => c,
        })
        .collect()
}
