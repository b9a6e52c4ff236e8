//! PDF output without a PDF library: a plotters [`DrawingBackend`] writing one page's content
//! stream (PDF 1.4 operators for lines, paths, polygons, rectangles and circles), and the
//! document around it (catalogue, page, resources, cross-reference table).
//!
//! Text is drawn with the house font's own glyph outlines (the embedded DejaVu Sans read by
//! ab_glyph, as for PNG): each glyph used becomes one form XObject in font units, placed by a
//! matrix, so the PDF's text sits where the PNG's does, in the same face, with no font
//! embedded and every symbol the labels use (Greek letters, sub- and superscripts) available.
//! Text is therefore not selectable in a viewer. Translucent colours use `ExtGState` alpha;
//! heat-map rasters become image XObjects (RGB with a soft mask) placed where the canvas left a
//! placeholder. Streams are zlib-compressed (flate2, already in the build through png).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve, ScaleFont};
use plotters::prelude::DrawingBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};

use crate::canvas::PlacedImage;
use crate::raster::{self, MARK};
use crate::style::{font_bytes, render_error};
use starvation_core::error::Error;

/// PDF points per figure pixel (96 pixels per inch, 72 points per inch).
pub(crate) const POINTS_PER_PIXEL: f64 = 0.75;

/// The error type of the backend (it cannot fail while drawing; kept for the trait).
#[derive(Debug)]
pub(crate) struct PdfError;

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PDF drawing failed")
    }
}

impl std::error::Error for PdfError {}

/// What a page's drawing collects: the content stream and the resources it names.
pub(crate) struct Page {
    /// Content-stream operators in drawing units (y down; the document's matrix maps them).
    content: String,
    /// Opacities used (in 1/255), each an `ExtGState` named `/A<n>`.
    alphas: BTreeSet<u8>,
    /// Glyphs used, each a form XObject named `/G<id>`.
    glyphs: BTreeSet<u16>,
    /// The house font.
    font: FontRef<'static>,
}

impl Page {
    /// An empty page.
    pub(crate) fn new() -> Result<Self, Error> {
        let font = FontRef::try_from_slice(font_bytes())
            .map_err(|_| render_error("the embedded font could not be loaded"))?;
        Ok(Self {
            content: String::new(),
            alphas: BTreeSet::new(),
            glyphs: BTreeSet::new(),
            font,
        })
    }
}

/// A number as PDF writes it: at most three decimals, no exponent, no trailing zeros.
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

/// The plotters backend drawing into a [`Page`].
pub(crate) struct PdfBackend<'a> {
    /// Size in drawing units.
    size: (u32, u32),
    /// The page being drawn.
    page: &'a mut Page,
}

impl<'a> PdfBackend<'a> {
    /// A backend of `size` drawing units drawing into `page`.
    pub(crate) fn new(page: &'a mut Page, size: (u32, u32)) -> Self {
        Self { size, page }
    }

    /// Opens a graphics state with `colour` as fill (`fill`) or stroke colour and its opacity.
    fn begin(&mut self, colour: BackendColor, fill: bool) {
        let (r, g, b) = colour.rgb;
        let op = if fill { "rg" } else { "RG" };
        let _ = write!(
            self.page.content,
            "q {} {} {} {op}",
            num(r as f64 / 255.0),
            num(g as f64 / 255.0),
            num(b as f64 / 255.0)
        );
        let alpha = (colour.alpha.clamp(0.0, 1.0) * 255.0).round() as u8;
        if alpha < 255 {
            self.page.alphas.insert(alpha);
            let _ = write!(self.page.content, " /A{alpha} gs");
        }
        self.page.content.push('\n');
    }

    /// Sets the stroke width (round joins, butt caps as plotters' SVG).
    fn line_width(&mut self, width: u32) {
        let _ = writeln!(self.page.content, "{} w 1 j 0 J", width.max(1));
    }

    /// Appends a polyline as path construction operators (`closed`: closes it).
    fn path(&mut self, pts: &[BackendCoord], closed: bool) {
        for (i, p) in pts.iter().enumerate() {
            let op = if i == 0 { "m" } else { "l" };
            let _ = writeln!(self.page.content, "{} {} {op}", p.0, p.1);
        }
        if closed {
            self.page.content.push_str("h\n");
        }
    }

    /// Appends a circle as four Bézier arcs.
    fn circle_path(&mut self, c: BackendCoord, r: f64) {
        // Control-point distance of a quarter circle.
        const K: f64 = 0.552_284_749_8;
        let (x, y) = (c.0 as f64, c.1 as f64);
        let k = K * r;
        let s = &mut self.page.content;
        let _ = writeln!(s, "{} {} m", num(x + r), num(y));
        let arcs = [
            ((x + r, y + k), (x + k, y + r), (x, y + r)),
            ((x - k, y + r), (x - r, y + k), (x - r, y)),
            ((x - r, y - k), (x - k, y - r), (x, y - r)),
            ((x + k, y - r), (x + r, y - k), (x + r, y)),
        ];
        for (a, b, e) in arcs {
            let _ = writeln!(
                s,
                "{} {} {} {} {} {} c",
                num(a.0),
                num(a.1),
                num(b.0),
                num(b.1),
                num(e.0),
                num(e.1)
            );
        }
        s.push_str("h\n");
    }

    /// The index of a placeholder text of [`crate::canvas::Canvas::image`], if `text` is one.
    fn placeholder_index(text: &str) -> Option<usize> {
        let inner = text.strip_prefix(MARK)?.strip_suffix(MARK)?;
        let index = inner.strip_prefix("image-")?.parse().ok()?;
        (raster::placeholder(index) == text).then_some(index)
    }
}

type Drawn = Result<(), DrawingErrorKind<PdfError>>;

impl DrawingBackend for PdfBackend<'_> {
    type ErrorType = PdfError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Drawn {
        Ok(())
    }

    fn present(&mut self) -> Drawn {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        if color.alpha > 0.0 {
            self.begin(color, true);
            let _ = writeln!(self.page.content, "{} {} 1 1 re f Q", point.0, point.1);
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawn {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        let colour = style.color();
        if colour.alpha <= 0.0 {
            return Ok(());
        }
        let (x0, y0) = (
            upper_left.0.min(bottom_right.0),
            upper_left.1.min(bottom_right.1),
        );
        let (x1, y1) = (
            upper_left.0.max(bottom_right.0),
            upper_left.1.max(bottom_right.1),
        );
        self.begin(colour, fill);
        if fill {
            let _ = writeln!(
                self.page.content,
                "{x0} {y0} {} {} re f Q",
                x1 - x0,
                y1 - y0
            );
        } else {
            self.line_width(style.stroke_width());
            let _ = writeln!(
                self.page.content,
                "{x0} {y0} {} {} re S Q",
                x1 - x0,
                y1 - y0
            );
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn {
        let colour = style.color();
        let pts: Vec<BackendCoord> = path.into_iter().collect();
        if colour.alpha <= 0.0 || pts.len() < 2 {
            return Ok(());
        }
        self.begin(colour, false);
        self.line_width(style.stroke_width());
        self.path(&pts, false);
        self.page.content.push_str("S Q\n");
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawn {
        let colour = style.color();
        if colour.alpha <= 0.0 {
            return Ok(());
        }
        self.begin(colour, fill);
        if !fill {
            self.line_width(style.stroke_width());
        }
        self.circle_path(center, radius as f64);
        self.page
            .content
            .push_str(if fill { "f Q\n" } else { "S Q\n" });
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawn {
        let colour = style.color();
        let pts: Vec<BackendCoord> = vert.into_iter().collect();
        if colour.alpha <= 0.0 || pts.len() < 3 {
            return Ok(());
        }
        self.begin(colour, true);
        self.path(&pts, true);
        self.page.content.push_str("f Q\n");
        Ok(())
    }

    /// Text laid out as plotters' bitmap backend does (advances and kerning of the font at the
    /// style's size, the baseline half the size below a top anchor, the same anchors and
    /// rotations), each glyph placed as its form XObject.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Drawn {
        if let Some(index) = Self::placeholder_index(text) {
            let _ = writeln!(self.page.content, "%image {index}");
            return Ok(());
        }
        let colour = style.color();
        if colour.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let size = style.size();
        let font = self.page.font.clone();
        let scaled = font.as_scaled(size as f32);
        let scale = scaled.h_scale_factor() as f64;
        // Pen positions of the glyphs and the advance width of the whole text.
        let mut placed: Vec<(GlyphId, f64)> = Vec::new();
        let mut pen = 0.0f64;
        let mut prev: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id) as f64;
            }
            placed.push((id, pen));
            pen += scaled.h_advance(id) as f64;
            prev = Some(id);
        }
        let height = size / 1.24;
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -pen / 2.0,
            HPos::Right => -pen,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let baseline = size / 2.0 + dy;
        // Local (x right, y down) to page: the rotation of the style.
        let t: [f64; 4] = match style.transform() {
            FontTransform::None => [1.0, 0.0, 0.0, 1.0],
            FontTransform::Rotate90 => [0.0, -1.0, 1.0, 0.0],
            FontTransform::Rotate180 => [-1.0, 0.0, 0.0, -1.0],
            FontTransform::Rotate270 => [0.0, 1.0, -1.0, 0.0],
        };
        self.begin(colour, true);
        for (id, x) in placed {
            if font.outline(id).is_none() {
                continue;
            }
            self.page.glyphs.insert(id.0);
            // Glyph point (u, v) in font units (y up) → local (x + dx + s·u, baseline − s·v).
            let (lx, ly) = (x + dx, baseline);
            let a = t[0] * scale;
            let b = t[2] * scale;
            let c = -t[1] * scale;
            let d = -t[3] * scale;
            let e = pos.0 as f64 + t[0] * lx + t[1] * ly;
            let f = pos.1 as f64 + t[2] * lx + t[3] * ly;
            let _ = writeln!(
                self.page.content,
                "q {} {} {} {} {} {} cm /G{} Do Q",
                num_fine(a),
                num_fine(b),
                num_fine(c),
                num_fine(d),
                num(e),
                num(f),
                id.0
            );
        }
        self.page.content.push_str("Q\n");
        Ok(())
    }
}

/// A small number (a glyph matrix entry) with six decimals.
fn num_fine(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{:.6}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

/// zlib-compressed bytes (the PDF `FlateDecode` filter).
fn deflate(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)
        .and_then(|_| enc.finish())
        .map_err(|e| render_error(format!("PDF stream compression failed: {e}")))
}

/// The content stream of glyph `id` in font units: its outline filled (non-zero winding).
fn glyph_stream(font: &FontRef<'_>, id: u16) -> (String, [f64; 4]) {
    let mut s = String::new();
    let Some(outline) = font.outline(GlyphId(id)) else {
        return (s, [0.0; 4]);
    };
    let b = outline.bounds;
    let bbox = [
        b.min.x.min(b.max.x) as f64,
        b.min.y.min(b.max.y) as f64,
        b.min.x.max(b.max.x) as f64,
        b.min.y.max(b.max.y) as f64,
    ];
    let p = |v: f32| num(v as f64);
    let mut current: Option<ab_glyph::Point> = None;
    for curve in &outline.curves {
        let start = match curve {
            OutlineCurve::Line(a, _) | OutlineCurve::Quad(a, _, _) | OutlineCurve::Cubic(a, ..) => {
                *a
            }
        };
        if current != Some(start) {
            if current.is_some() {
                s.push_str("h\n");
            }
            let _ = writeln!(s, "{} {} m", p(start.x), p(start.y));
        }
        let end = match curve {
            OutlineCurve::Line(_, e) => {
                let _ = writeln!(s, "{} {} l", p(e.x), p(e.y));
                *e
            }
            OutlineCurve::Quad(a, c, e) => {
                // The quadratic as a cubic: controls two thirds of the way to the control point.
                let c1 = (a.x + 2.0 / 3.0 * (c.x - a.x), a.y + 2.0 / 3.0 * (c.y - a.y));
                let c2 = (e.x + 2.0 / 3.0 * (c.x - e.x), e.y + 2.0 / 3.0 * (c.y - e.y));
                let _ = writeln!(
                    s,
                    "{} {} {} {} {} {} c",
                    p(c1.0),
                    p(c1.1),
                    p(c2.0),
                    p(c2.1),
                    p(e.x),
                    p(e.y)
                );
                *e
            }
            OutlineCurve::Cubic(_, c1, c2, e) => {
                let _ = writeln!(
                    s,
                    "{} {} {} {} {} {} c",
                    p(c1.x),
                    p(c1.y),
                    p(c2.x),
                    p(c2.y),
                    p(e.x),
                    p(e.y)
                );
                *e
            }
        };
        current = Some(end);
    }
    if current.is_some() {
        s.push_str("h\n");
    }
    s.push_str("f\n");
    (s, bbox)
}

/// A PDF file being assembled: objects numbered from 1 in the order they are added.
struct Document {
    /// The file so far.
    out: Vec<u8>,
    /// Byte offset of each object.
    offsets: Vec<usize>,
}

impl Document {
    /// The header (with the binary-comment line that marks the file as binary).
    fn new() -> Self {
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        out.reserve(64 * 1024);
        Self {
            out,
            offsets: Vec::new(),
        }
    }

    /// Number the next object will have.
    fn next_id(&self) -> usize {
        self.offsets.len() + 1
    }

    /// Adds a dictionary object.
    fn object(&mut self, dict: &str) -> usize {
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n{dict}\nendobj\n").as_bytes());
        id
    }

    /// Adds a stream object: `dict_entries` (without `/Length`) and the compressed `data`.
    fn stream(&mut self, dict_entries: &str, data: &[u8]) -> Result<usize, Error> {
        let z = deflate(data)?;
        self.offsets.push(self.out.len());
        let id = self.offsets.len();
        self.out.extend_from_slice(
            format!(
                "{id} 0 obj\n<< {dict_entries} /Filter /FlateDecode /Length {} >>\nstream\n",
                z.len()
            )
            .as_bytes(),
        );
        self.out.extend_from_slice(&z);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        Ok(id)
    }

    /// The cross-reference table and trailer; the finished file.
    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref = self.out.len();
        let n = self.offsets.len() + 1;
        let mut t = format!("xref\n0 {n}\n0000000000 65535 f \n");
        for o in &self.offsets {
            // Each entry is 20 bytes: the space before the newline belongs to it.
            let _ = writeln!(t, "{o:010} 00000 n ");
        }
        let _ = write!(
            t,
            "trailer\n<< /Size {n} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(t.as_bytes());
        self.out
    }
}

/// A PDF text string: UTF-16BE with its byte-order mark, in hexadecimal.
fn text_string(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for u in s.encode_utf16() {
        let _ = write!(out, "{u:04X}");
    }
    out.push('>');
    out
}

/// The whole PDF file of a drawn page: one page of `width` × `height` figure pixels (at 96 per
/// inch), the drawing made at `k` drawing units per pixel, `images` put where their
/// placeholders are, `title` as the document title.
pub(crate) fn document(
    page: Page,
    images: &[PlacedImage],
    (width, height): (u32, u32),
    k: f64,
    title: &str,
) -> Result<Vec<u8>, Error> {
    let mut doc = Document::new();
    let (w_pt, h_pt) = (
        width as f64 * POINTS_PER_PIXEL,
        height as f64 * POINTS_PER_PIXEL,
    );
    // Images: RGB samples with the alpha as a soft mask, drawn unsmoothed.
    let mut image_names = Vec::new();
    for (i, (_, image)) in images.iter().enumerate() {
        let pixels = image.width as usize * image.height as usize;
        let mut rgb = Vec::with_capacity(pixels * 3);
        let mut alpha = Vec::with_capacity(pixels);
        for px in image.rgba.chunks_exact(4) {
            rgb.extend_from_slice(&px[..3]);
            alpha.push(px[3]);
        }
        let dims = format!(
            "/Type /XObject /Subtype /Image /Width {} /Height {} /BitsPerComponent 8 /Interpolate false",
            image.width, image.height
        );
        let mask = doc.stream(&format!("{dims} /ColorSpace /DeviceGray"), &alpha)?;
        let id = doc.stream(
            &format!("{dims} /ColorSpace /DeviceRGB /SMask {mask} 0 R"),
            &rgb,
        )?;
        image_names.push(format!("/I{i} {id} 0 R"));
    }
    // Glyph forms.
    let mut glyph_names = Vec::new();
    for &g in &page.glyphs {
        let (stream, b) = glyph_stream(&page.font, g);
        let id = doc.stream(
            &format!(
                "/Type /XObject /Subtype /Form /BBox [{} {} {} {}]",
                num(b[0] - 1.0),
                num(b[1] - 1.0),
                num(b[2] + 1.0),
                num(b[3] + 1.0)
            ),
            stream.as_bytes(),
        )?;
        glyph_names.push(format!("/G{g} {id} 0 R"));
    }
    // The content: drawing units (y down) mapped onto the page, placeholders replaced.
    let s = POINTS_PER_PIXEL / k;
    let mut content = format!("{} 0 0 {} 0 {} cm\n", num_fine(s), num_fine(-s), num(h_pt));
    for line in page.content.lines() {
        if let Some(index) = line.strip_prefix("%image ") {
            let i: usize = index
                .parse()
                .map_err(|_| render_error("PDF image placeholder unreadable"))?;
            let (r, _) = images
                .get(i)
                .ok_or_else(|| render_error(format!("PDF image {i} missing")))?;
            // The image space's unit square, top row first, onto the rectangle.
            let _ = writeln!(
                content,
                "q {} 0 0 {} {} {} cm /I{i} Do Q",
                num(r.width()),
                num(-r.height()),
                num(r.x0),
                num(r.y1)
            );
        } else {
            content.push_str(line);
            content.push('\n');
        }
    }
    let contents = doc.stream("", content.as_bytes())?;
    let alphas: String = page
        .alphas
        .iter()
        .map(|a| {
            let v = num(*a as f64 / 255.0);
            format!("/A{a} << /Type /ExtGState /ca {v} /CA {v} >> ")
        })
        .collect();
    let mut xobjects = image_names.join(" ");
    if !glyph_names.is_empty() {
        xobjects.push(' ');
        xobjects.push_str(&glyph_names.join(" "));
    }
    let pages_id = doc.next_id() + 1;
    let page_id = doc.object(&format!(
        "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {} {}] /Contents {contents} 0 R \
         /Resources << /ExtGState << {alphas}>> /XObject << {xobjects} >> >> >>",
        num(w_pt),
        num(h_pt)
    ));
    let pages = doc.object(&format!(
        "<< /Type /Pages /Kids [{page_id} 0 R] /Count 1 >>"
    ));
    debug_assert_eq!(pages, pages_id);
    let root = doc.object(&format!("<< /Type /Catalog /Pages {pages} 0 R >>"));
    let info = doc.object(&format!(
        "<< /Title {} /Producer (starvation {}) >>",
        text_string(title),
        env!("CARGO_PKG_VERSION")
    ));
    Ok(doc.finish(root, info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_without_exponents_or_trailing_zeros() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1e-7), "0");
        assert_eq!(num(123456.7891), "123456.789");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn placeholders_are_recognised_and_nothing_else() {
        assert_eq!(
            PdfBackend::placeholder_index(&raster::placeholder(7)),
            Some(7)
        );
        assert_eq!(PdfBackend::placeholder_index("image-7"), None);
        assert_eq!(
            PdfBackend::placeholder_index(&format!("{MARK}x{MARK}")),
            None
        );
    }

    #[test]
    fn text_strings_are_utf16_with_a_byte_order_mark() {
        assert_eq!(text_string("δ1"), "<FEFF03B40031>");
    }
}
