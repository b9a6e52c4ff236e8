//! House colours: the Okabe–Ito palette for curves, viridis for sequential heat maps, a
//! blue–white–red map for diverging heat maps, and the grey → blue shading of arrow speeds.

use plotters::style::RGBColor;

/// Okabe–Ito colour-blind-safe palette, in the order `Series.colour` indexes it.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // purple
    RGBColor(0x56, 0xB4, 0xE9), // sky
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
];

/// Viridis sampled at 32 evenly spaced points (from matplotlib's CC0 table).
const VIRIDIS: [(u8, u8, u8); 32] = [
    (68, 1, 84),
    (71, 13, 96),
    (72, 24, 106),
    (72, 36, 117),
    (71, 46, 124),
    (69, 56, 130),
    (66, 65, 134),
    (62, 76, 138),
    (58, 84, 140),
    (54, 93, 141),
    (50, 101, 142),
    (46, 109, 142),
    (43, 117, 142),
    (40, 125, 142),
    (37, 132, 142),
    (34, 140, 141),
    (31, 148, 140),
    (30, 156, 137),
    (32, 163, 134),
    (37, 171, 130),
    (46, 179, 124),
    (58, 186, 118),
    (72, 193, 110),
    (88, 199, 101),
    (105, 205, 91),
    (127, 211, 78),
    (147, 215, 65),
    (168, 219, 52),
    (189, 223, 38),
    (213, 226, 26),
    (234, 229, 26),
    (253, 231, 37),
];

/// ColorBrewer RdBu (11 classes), blue for low values, white in the middle, red for high.
const DIVERGING: [(u8, u8, u8); 11] = [
    (0x05, 0x30, 0x61),
    (0x21, 0x66, 0xAC),
    (0x43, 0x93, 0xC3),
    (0x92, 0xC5, 0xDE),
    (0xD1, 0xE5, 0xF0),
    (0xF7, 0xF7, 0xF7),
    (0xFD, 0xDB, 0xC7),
    (0xF4, 0xA5, 0x82),
    (0xD6, 0x60, 0x4D),
    (0xB2, 0x18, 0x2B),
    (0x67, 0x00, 0x1F),
];

/// Speed shading of portrait arrows: light grey (slow) through mid blue to dark blue (fast).
const SPEED: [(u8, u8, u8); 3] = [(0xC8, 0xC8, 0xC8), (0x4A, 0x90, 0xC8), (0x08, 0x30, 0x6B)];

/// Colour of heat-map cells without data.
pub(crate) const NO_DATA: RGBColor = RGBColor(0xD4, 0xD4, 0xD4);
/// Text, frame and tick colour.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Background grid colour.
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Streamline colour.
pub(crate) const STREAM: RGBColor = RGBColor(0xA8, 0xA8, 0xA8);
/// Legend frame colour.
pub(crate) const LEGEND_FRAME: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
/// White.
pub(crate) const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// The palette colour with index `i` (wrapping around).
pub(crate) fn palette(i: usize) -> RGBColor {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// Piecewise-linear interpolation in a table of evenly spaced stops; `t` is clamped to [0, 1]
/// and a non-finite `t` gives the first stop.
fn interpolate(table: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let Some(&first) = table.first() else {
        return INK;
    };
    if table.len() == 1 || !t.is_finite() {
        return RGBColor(first.0, first.1, first.2);
    }
    let t = t.clamp(0.0, 1.0) * (table.len() - 1) as f64;
    let i = (t.floor() as usize).min(table.len() - 2);
    let f = t - i as f64;
    let (a, b) = (table[i], table[i + 1]);
    let mix = |p: u8, q: u8| {
        (p as f64 + (q as f64 - p as f64) * f)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Viridis at `t` ∈ [0, 1].
pub(crate) fn viridis(t: f64) -> RGBColor {
    interpolate(&VIRIDIS, t)
}

/// Blue–white–red at `t` ∈ [0, 1] (white at 0.5).
pub(crate) fn diverging(t: f64) -> RGBColor {
    interpolate(&DIVERGING, t)
}

/// Arrow shade at `t` ∈ [0, 1] (0 slow, 1 fast).
pub(crate) fn speed(t: f64) -> RGBColor {
    interpolate(&SPEED, t)
}

/// A darker version of `c` (for marker outlines).
pub(crate) fn darker(c: RGBColor, factor: f64) -> RGBColor {
    let f = factor.clamp(0.0, 1.0);
    let d = |v: u8| (v as f64 * f).round() as u8;
    RGBColor(d(c.0), d(c.1), d(c.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hit_their_end_points() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
        assert_eq!(diverging(0.5), RGBColor(0xF7, 0xF7, 0xF7));
        assert_eq!(palette(9), palette(1));
    }
}
