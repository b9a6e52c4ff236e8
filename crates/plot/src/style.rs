//! The house style: the embedded font and the sizes (fonts, ticks, paddings, line widths) derived
//! from the size of one panel cell so that labels stay readable when a figure is shrunk to a paper
//! column.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use starvation_core::error::Error;

/// Font family name under which the embedded DejaVu Sans is registered. It doubles as a CSS
/// font-family list, so SVG viewers without DejaVu Sans fall back to their sans-serif font.
pub(crate) const FONT_FAMILY: &str = "DejaVu Sans, sans-serif";

/// The embedded font (DejaVu Sans, see `fonts/DejaVu-LICENSE.txt`).
static FONT_BYTES: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Registration outcome, computed once per process.
static FONT_READY: OnceLock<Result<(), String>> = OnceLock::new();

/// The error used for every drawing failure.
pub(crate) fn render_error(message: impl Into<String>) -> Error {
    Error::Io {
        path: "<render>".into(),
        message: message.into(),
    }
}

/// The embedded font's file bytes (the PDF backend reads its glyph outlines).
pub(crate) fn font_bytes() -> &'static [u8] {
    FONT_BYTES
}

/// Registers the embedded font with plotters (once).
pub(crate) fn ensure_font() -> Result<(), Error> {
    FONT_READY
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded font could not be loaded".to_string())
        })
        .clone()
        .map_err(render_error)
}

/// Tick-label font size as a fraction of the panel row height.
const FONT_FRACTION: f64 = 0.034;

/// Sizes (drawing units) used to draw one panel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Tick labels and legend text.
    pub tick: f64,
    /// Axis labels.
    pub label: f64,
    /// Panel titles.
    pub title: f64,
    /// Legend text.
    pub legend: f64,
    /// Multiplier turning `Series.width` into pixels.
    pub line_scale: f64,
    /// Tick mark length.
    pub tick_len: f64,
    /// Padding around a panel cell and between text blocks.
    pub pad: f64,
    /// Frame line width.
    pub frame: f64,
    /// Size of one output pixel in drawing units (2 when the PNG is supersampled).
    pub px: f64,
}

impl Style {
    /// The style of panels in a cell of `width` × `height` drawing units, where one output
    /// pixel is `px` drawing units.
    pub(crate) fn for_cell(width: f64, height: f64, px: f64) -> Self {
        let px = if px.is_finite() && px > 0.0 { px } else { 1.0 };
        // Fonts scale with the panel: a fixed fraction of the row height (capped by the width
        // for wide, short cells), never below 12 output pixels.
        let unit = (height / px).min(width / px * 0.85).max(0.0);
        let tick = (FONT_FRACTION * unit).max(12.0);
        let scale = (tick / 16.0).clamp(0.75, 4.0);
        Self {
            tick: tick * px,
            label: tick * 1.12 * px,
            title: tick * 1.2 * px,
            legend: tick * 0.92 * px,
            line_scale: scale * px,
            tick_len: (0.35 * tick).max(4.0) * px,
            pad: (0.45 * tick).max(4.0) * px,
            frame: scale.max(1.0) * px,
            px,
        }
    }

    /// Drawing width of a series line of nominal width `w` (≤ 0 or non-finite: the default 2).
    pub(crate) fn line_width(&self, w: f64) -> f64 {
        let w = if w.is_finite() && w > 0.0 { w } else { 2.0 };
        (w * self.line_scale).clamp(self.px, 64.0 * self.px)
    }
}

/// Font metrics of DejaVu Sans as rendered by plotters' ab_glyph backend, in units of the plotters
/// font size `s` (which ab_glyph treats as ascent − descent ≈ 1.164 em).
pub(crate) mod metrics {
    /// Height of capital letters above the baseline.
    pub const CAP: f64 = 0.626;
    /// Depth of descenders below the baseline.
    pub const DESCENT: f64 = 0.203;
    /// Height of ascenders (and bars such as '|') above the baseline.
    pub const ASCENT: f64 = 0.68;
}
