//! pgfplots export: a figure as a LaTeX document (`STEM.pgfplots.tex`, which compiles to
//! `STEM.pgfplots.pdf` beside the renderer's own `STEM.pdf`; one pgfplots `axis` per panel on
//! the figure's grid, in the house palette, dashes and markers) with each plotted series' numbers
//! in a whitespace-separated table beside it (`STEM-pP-sS.dat`, read by `\addplot table`).
//!
//! Heat maps follow the renderer's rule ([`crate::MAX_VECTOR_CELLS`]): small grids as
//! `matrix plot*` vector cells with each cell's colour given explicitly (the renderer's colour
//! scale, so the cells match the PNG), larger ones as `\addplot graphics` of a PNG beside the
//! file (one block of pixels per cell). Colour bars carry the same scale as a colormap.
//! Labels are converted to LaTeX: its special characters escaped, the paper's symbols (Greek
//! letters, sub- and superscripts, ‖, −, ·, ×, ≤, …) as math; a character with no known
//! spelling becomes `?`.
//!
//! The document needs only `pgfplots` and `geometry` (TeX Live's latex-base, latex-recommended
//! and pictures): `pdflatex STEM.pgfplots.tex` in the folder of the files.

use std::fmt::Write as _;

use crate::canvas::Rect;
use crate::colour::{self, NO_DATA};
use crate::figure::{
    Dash, Figure, HeatMapPanel, LinePanel, Marker, OrbitPanel, Panel, PointClass, PortraitPanel,
    Scale, Series,
};
use crate::raster::{Raster, encode_png};
use crate::render::{ColourScale, MAX_VECTOR_CELLS};
use starvation_core::error::Error;

/// LaTeX points per figure pixel (96 pixels per inch; TeX's pt is 1/72.27 in).
const PT_PER_PIXEL: f64 = 72.27 / 96.0;
/// Largest side in pixels of a heat map's PNG (cells are repeated up to it).
const MAX_IMAGE_SIDE: usize = 1024;

/// One file of the export: its name and bytes.
pub type ExportFile = (String, Vec<u8>);

/// The pgfplots export of `figure`: `STEM.pgfplots.tex` first, then its data tables and images.
pub fn pgfplots(figure: &Figure, stem: &str) -> Result<Vec<ExportFile>, Error> {
    let mut files: Vec<ExportFile> = Vec::new();
    let (w, h) = (
        figure.width.max(1) as f64 * PT_PER_PIXEL,
        figure.height.max(1) as f64 * PT_PER_PIXEL,
    );
    let n = figure.panels.len();
    let cols = figure.columns.clamp(1, n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let title_h = if figure.title.trim().is_empty() {
        0.0
    } else {
        24.0
    };
    let cell_w = w / cols as f64;
    let cell_h = (h - title_h) / rows as f64;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "% {} — exported by starvation {} (pgfplots). Compile: pdflatex {stem}.pgfplots.tex",
        one_line(&figure.title),
        env!("CARGO_PKG_VERSION")
    );
    t.push_str("\\documentclass{article}\n");
    let _ = writeln!(
        t,
        "\\usepackage[paperwidth={}pt,paperheight={}pt,margin=0pt]{{geometry}}",
        num(w),
        num(h)
    );
    t.push_str("\\usepackage[T1]{fontenc}\n\\usepackage{pgfplots}\n\\pgfplotsset{compat=1.16}\n");
    for i in 0..8 {
        let c = colour::palette(i);
        let _ = writeln!(
            t,
            "\\definecolor{{house{i}}}{{RGB}}{{{},{},{}}}",
            c.0, c.1, c.2
        );
    }
    t.push_str("\\pagestyle{empty}\n\\begin{document}\n\\noindent\n\\begin{tikzpicture}\n");
    let _ = writeln!(
        t,
        "\\useasboundingbox (0,0) rectangle ({}pt,{}pt);",
        num(w),
        num(h)
    );
    if title_h > 0.0 {
        let _ = writeln!(
            t,
            "\\node[anchor=north] at ({}pt,{}pt) {{\\large {}}};",
            num(w / 2.0),
            num(h - 4.0),
            latex(&figure.title)
        );
    }
    for (i, panel) in figure.panels.iter().enumerate() {
        let (row, col) = (i / cols, i % cols);
        // The axis box inside its cell: room on the left for tick labels and the y label, below
        // for the x label, above for the title, right for a colour bar.
        let has_bar = matches!(panel, Panel::HeatMap(p) if !p.hide_colour_bar);
        let x0 = col as f64 * cell_w + 48.0;
        let x1 = (col + 1) as f64 * cell_w - if has_bar { 62.0 } else { 12.0 };
        let y_top = h - title_h - row as f64 * cell_h - 22.0;
        let y0 = h - title_h - (row + 1) as f64 * cell_h + 34.0;
        let frame = Rect::new((x0, y0), (x1.max(x0 + 10.0), y_top.max(y0 + 10.0)));
        let _ = writeln!(t, "% panel {i}");
        match panel {
            Panel::Lines(p) => lines(&mut t, &mut files, stem, i, frame, p),
            Panel::Portrait(p) => portrait(&mut t, &mut files, stem, i, frame, p),
            Panel::HeatMap(p) => heat_map(&mut t, &mut files, stem, i, frame, p)?,
            Panel::Orbit(p) => orbit(&mut t, &mut files, stem, i, frame, p)?,
        }
    }
    t.push_str("\\end{tikzpicture}\n\\end{document}\n");
    files.insert(0, (format!("{stem}.pgfplots.tex"), t.into_bytes()));
    Ok(files)
}

/// `text` on one line (a comment).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A number for TeX and the tables: at most four decimals in the .tex, no exponent.
fn num(v: f64) -> String {
    let s = format!("{:.4}", if v.is_finite() { v } else { 0.0 });
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}

/// A table value: shortest round-trip form, `nan` for a break (pgfplots' unbounded coordinate).
fn value(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "nan".into()
    }
}

/// The math spelling of a non-ASCII symbol.
fn symbol(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "\\alpha",
        'β' => "\\beta",
        'γ' => "\\gamma",
        'δ' => "\\delta",
        'ε' => "\\varepsilon",
        'η' => "\\eta",
        'θ' => "\\theta",
        'κ' => "\\kappa",
        'λ' => "\\lambda",
        'μ' => "\\mu",
        'ν' => "\\nu",
        'π' => "\\pi",
        'ρ' => "\\rho",
        'σ' => "\\sigma",
        'τ' => "\\tau",
        'φ' => "\\varphi",
        'ω' => "\\omega",
        'Δ' => "\\Delta",
        'Σ' => "\\Sigma",
        'Θ' => "\\Theta",
        'Λ' => "\\Lambda",
        'Ω' => "\\Omega",
        '‖' => "\\|",
        '−' => "-",
        '·' => "\\cdot",
        '×' => "\\times",
        '≈' => "\\approx",
        '≤' => "\\le",
        '≥' => "\\ge",
        '→' => "\\to",
        '∝' => "\\propto",
        '√' => "\\surd",
        '∞' => "\\infty",
        '∂' => "\\partial",
        '∇' => "\\nabla",
        '±' => "\\pm",
        '°' => "^{\\circ}",
        '…' => "\\dots",
        '½' => "{\\textstyle\\frac{1}{2}}",
        _ => return None,
    })
}

/// The character a sub- or superscript stands for: (character, is superscript).
fn script(c: char) -> Option<(char, bool)> {
    const SUB: &str = "₀₁₂₃₄₅₆₇₈₉";
    const SUP: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    if let Some(i) = SUB.chars().position(|d| d == c) {
        return char::from_digit(i as u32, 10).map(|d| (d, false));
    }
    if let Some(i) = SUP.chars().position(|d| d == c) {
        return char::from_digit(i as u32, 10).map(|d| (d, true));
    }
    Some(match c {
        'ₙ' => ('n', false),
        'ₗ' => ('l', false),
        'ₖ' => ('k', false),
        'ₜ' => ('t', false),
        'ᵢ' => ('i', false),
        'ⱼ' => ('j', false),
        'ₓ' => ('x', false),
        '₊' => ('+', false),
        '₋' => ('-', false),
        '⁻' => ('-', true),
        '⁺' => ('+', true),
        'ᵀ' => ('T', true),
        'ⁿ' => ('n', true),
        _ => return None,
    })
}

/// `text` as LaTeX (text mode): specials escaped, symbols and scripts as math.
pub fn latex(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A run of sub- or superscripts becomes one script.
        if let Some((_, sup)) = script(c) {
            let mut inner = String::new();
            while let Some((d, s)) = chars.get(i).and_then(|&c| script(c)) {
                if s != sup {
                    break;
                }
                inner.push(d);
                i += 1;
            }
            let op = if sup { '^' } else { '_' };
            let _ = write!(out, "\\ensuremath{{{{}}{op}{{{inner}}}}}");
            continue;
        }
        // A letter with a combining dot or hat above.
        match chars.get(i + 1) {
            Some('\u{307}') => {
                let _ = write!(out, "\\ensuremath{{\\dot{{{}}}}}", latex(&c.to_string()));
                i += 2;
                continue;
            }
            Some('\u{302}') => {
                let _ = write!(out, "\\ensuremath{{\\hat{{{}}}}}", latex(&c.to_string()));
                i += 2;
                continue;
            }
            _ => {}
        }
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(c);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '<' | '>' | '|' => {
                let _ = write!(out, "\\ensuremath{{{c}}}");
            }
            'ż' => out.push_str("\\ensuremath{\\dot{z}}"),
            'ŷ' => out.push_str("\\ensuremath{\\hat{y}}"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '§' => out.push_str("\\S{}"),
            c if c.is_control() => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => match symbol(c) {
                Some(s) => {
                    let _ = write!(out, "\\ensuremath{{{s}}}");
                }
                None => out.push('?'),
            },
        }
        i += 1;
    }
    out
}

/// The options common to every panel's axis: place, size, title, labels, scales, ranges.
fn axis_options(
    frame: Rect,
    title: &str,
    x: &crate::figure::Axis,
    y: &crate::figure::Axis,
) -> String {
    let mut o = format!(
        "at={{({}pt,{}pt)}}, anchor=south west, scale only axis, width={}pt, height={}pt,\n  \
         title={{{}}}, xlabel={{{}}}, ylabel={{{}}},\n  \
         grid=major, grid style={{gray!25}}, tick align=outside, unbounded coords=jump,\n  \
         legend cell align=left, legend style={{font=\\footnotesize}}",
        num(frame.x0),
        num(frame.y0),
        num(frame.width()),
        num(frame.height()),
        latex(title),
        latex(&x.label),
        latex(&y.label)
    );
    for (name, a) in [("x", x), ("y", y)] {
        if a.scale == Scale::Log {
            let _ = write!(o, ", {name}mode=log");
        }
        if let Some((lo, hi)) = a.range {
            let _ = write!(o, ", {name}min={}, {name}max={}", value(lo), value(hi));
        }
    }
    o
}

/// The `\addplot` options of a series in the house style.
fn series_style(s: &Series) -> String {
    let width = if s.width.is_finite() && s.width > 0.0 {
        s.width
    } else {
        2.0
    };
    let mut o = format!(
        "color=house{}, line width={}pt",
        s.colour % 8,
        num(0.5 * width)
    );
    match s.dash {
        Dash::Solid => {}
        Dash::Dashed => o.push_str(", dashed"),
        Dash::Dotted => o.push_str(", dotted"),
    }
    if s.markers {
        o.push_str(", mark=*, mark size=1.5pt");
    } else {
        o.push_str(", mark=none");
    }
    if s.direction_arrows {
        o.push_str(", -stealth");
    }
    o
}

/// Writes `points` as a two-column table file and returns its name.
fn table(files: &mut Vec<ExportFile>, name: String, header: &str, rows: &[Vec<f64>]) -> String {
    let mut d = String::new();
    d.push_str(header);
    d.push('\n');
    for r in rows {
        let line: Vec<String> = r.iter().map(|&v| value(v)).collect();
        d.push_str(&line.join(" "));
        d.push('\n');
    }
    files.push((name.clone(), d.into_bytes()));
    name
}

/// Where data lands in an axis box (points from its corner), for thinning tables.
#[derive(Debug, Clone, Copy)]
struct View {
    /// x range (in the axis' scale: log10 for a log axis).
    x: (f64, f64),
    /// y range, the same way.
    y: (f64, f64),
    /// Log axes.
    log: (bool, bool),
    /// Box size in points.
    size: (f64, f64),
}

impl View {
    /// The view of an axis box `frame` showing `points` (ranges as given, else fitted).
    fn new(
        frame: Rect,
        x: &crate::figure::Axis,
        y: &crate::figure::Axis,
        points: impl Iterator<Item = (f64, f64)>,
    ) -> Self {
        let log = (x.scale == Scale::Log, y.scale == Scale::Log);
        let f = |v: f64, l: bool| if l { v.log10() } else { v };
        let mut lo = (f64::INFINITY, f64::INFINITY);
        let mut hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (px, py) in points {
            let (u, v) = (f(px, log.0), f(py, log.1));
            if u.is_finite() && v.is_finite() {
                lo = (lo.0.min(u), lo.1.min(v));
                hi = (hi.0.max(u), hi.1.max(v));
            }
        }
        let pick = |r: Option<(f64, f64)>, l: bool, a: f64, b: f64| match r {
            Some((p, q)) => (f(p, l), f(q, l)),
            None => (a, b),
        };
        Self {
            x: pick(x.range, log.0, lo.0, hi.0),
            y: pick(y.range, log.1, lo.1, hi.1),
            log,
            size: (frame.width(), frame.height()),
        }
    }

    /// A data point in points from the box corner (None: not placeable).
    fn place(&self, (px, py): (f64, f64)) -> Option<(f64, f64)> {
        let f = |v: f64, l: bool| if l { v.log10() } else { v };
        let scale = |v: f64, (a, b): (f64, f64), len: f64| {
            let d = b - a;
            if d.is_finite() && d != 0.0 {
                (v - a) / d * len
            } else {
                0.0
            }
        };
        let (u, v) = (f(px, self.log.0), f(py, self.log.1));
        (u.is_finite() && v.is_finite())
            .then(|| (scale(u, self.x, self.size.0), scale(v, self.y, self.size.1)))
    }
}

/// The points of a polyline that a reader can tell apart: a point closer than half a TeX point
/// to the previously kept one is dropped (the last of a run is kept; breaks stay). pgfplots holds
/// every point in TeX's memory, which runs out at some ten thousand.
fn thin(points: &[(f64, f64)], view: &View) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    let mut pending: Option<(f64, f64)> = None;
    for &p in points {
        match view.place(p) {
            None => {
                out.extend(pending.take());
                out.push((f64::NAN, f64::NAN));
                last = None;
            }
            Some(q) => match last {
                Some(l) if (q.0 - l.0).hypot(q.1 - l.1) < 0.5 => pending = Some(p),
                _ => {
                    pending = None;
                    out.push(p);
                    last = Some(q);
                }
            },
        }
    }
    out.extend(pending);
    out
}

/// A series as `\addplot table` (with its legend entry, or `forget plot` without a label or when
/// the legend already shows its label: `legend` holds the labels shown so far, None: no legend).
fn add_series(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    name: String,
    s: &Series,
    legend: &mut Option<Vec<String>>,
    view: &View,
) {
    let rows: Vec<Vec<f64>> = thin(&s.points, view)
        .into_iter()
        .map(|(x, y)| vec![x, y])
        .collect();
    let file = table(files, name, "x y", &rows);
    let label = s.label.as_deref().filter(|l| !l.trim().is_empty());
    let labelled = match (legend.as_mut(), label) {
        (Some(shown), Some(l)) if !shown.iter().any(|x| x == l) => {
            shown.push(l.to_string());
            true
        }
        _ => false,
    };
    let forget = if labelled { "" } else { ", forget plot" };
    let _ = writeln!(
        t,
        "\\addplot[{}{forget}] table[x=x, y=y] {{{file}}};",
        series_style(s)
    );
    if labelled {
        let _ = writeln!(t, "\\addlegendentry{{{}}}", latex(label.unwrap_or("")));
    }
}

/// Marked points as single-mark plots (symbol by class, as the renderer draws them).
/// The rest of an axis: every series (tables `PREFIX-sJ.dat`), with a legend if asked, the
/// markers, and the axis closed.
fn finish_axis(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    prefix: &str,
    series: &[Series],
    legend: bool,
    markers: &[Marker],
    view: &View,
) {
    let mut legend = legend.then(Vec::new);
    for (j, s) in series.iter().enumerate() {
        add_series(t, files, format!("{prefix}-s{j}.dat"), s, &mut legend, view);
    }
    add_markers(t, markers);
    t.push_str("\\end{axis}\n");
}

fn add_markers(t: &mut String, markers: &[Marker]) {
    for m in markers {
        if !(m.x.is_finite() && m.y.is_finite()) {
            continue;
        }
        let mark = match m.class {
            PointClass::Stable => "mark=*",
            PointClass::Unstable => "mark=o, mark options={fill=white}",
            PointClass::Saddle => "mark=x",
            PointClass::Other => "mark=diamond*",
        };
        let _ = writeln!(
            t,
            "\\addplot[only marks, {mark}, mark size=2.5pt, color=house{}, forget plot] coordinates {{({}, {})}};",
            m.colour % 8,
            value(m.x),
            value(m.y)
        );
        if let Some(label) = m.label.as_deref().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(
                t,
                "\\node[anchor=south west, font=\\footnotesize] at (axis cs:{},{}) {{{}}};",
                value(m.x),
                value(m.y),
                latex(label)
            );
        }
    }
}

/// A line panel.
fn lines(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    stem: &str,
    i: usize,
    frame: Rect,
    p: &LinePanel,
) {
    let _ = writeln!(
        t,
        "\\begin{{axis}}[{}]",
        axis_options(frame, &p.title, &p.x, &p.y)
    );
    let all = p.series.iter().flat_map(|s| s.points.iter().copied());
    let view = View::new(frame, &p.x, &p.y, all);
    finish_axis(
        t,
        files,
        &format!("{stem}-p{i}"),
        &p.series,
        p.legend,
        &p.markers,
        &view,
    );
}

/// A phase portrait: arrows of equal length (a quiver of the direction field), streamlines,
/// nullclines, trajectories and points.
fn portrait(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    stem: &str,
    i: usize,
    frame: Rect,
    p: &PortraitPanel,
) {
    let _ = writeln!(
        t,
        "\\begin{{axis}}[{}]",
        axis_options(frame, &p.title, &p.x, &p.y)
    );
    // Arrows: unit directions scaled to a fraction of the axis span (equal length, as drawn).
    if !p.arrows.is_empty() {
        let span = |a: &crate::figure::Axis, vals: &mut dyn Iterator<Item = f64>| {
            a.range.map(|(lo, hi)| hi - lo).unwrap_or_else(|| {
                let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(v), h.max(v))
                });
                hi - lo
            })
        };
        let sx = span(&p.x, &mut p.arrows.iter().map(|a| a.x));
        let sy = span(&p.y, &mut p.arrows.iter().map(|a| a.y));
        let n = (p.arrows.len() as f64).sqrt().max(1.0);
        let rows: Vec<Vec<f64>> = p
            .arrows
            .iter()
            .filter_map(|a| {
                // Direction in axis-relative units, so arrows look equally long on screen.
                let (ux, uy) = (a.dx / sx, a.dy / sy);
                let len = ux.hypot(uy);
                (len.is_finite() && len > 0.0).then(|| {
                    let k = 0.5 / n / len;
                    vec![a.x, a.y, ux * k * sx, uy * k * sy]
                })
            })
            .collect();
        let file = table(files, format!("{stem}-p{i}-arrows.dat"), "x y u v", &rows);
        let _ = writeln!(
            t,
            "\\addplot[gray, -stealth, quiver={{u=\\thisrow{{u}}, v=\\thisrow{{v}}}}, forget plot] table[x=x, y=y] {{{file}}};"
        );
    }
    let all = p
        .arrows
        .iter()
        .map(|a| (a.x, a.y))
        .chain(p.streamlines.iter().flatten().copied())
        .chain(p.trajectories.iter().flat_map(|s| s.points.iter().copied()));
    let view = View::new(frame, &p.x, &p.y, all);
    for (j, line) in p.streamlines.iter().enumerate() {
        let rows: Vec<Vec<f64>> = thin(line, &view)
            .into_iter()
            .map(|(x, y)| vec![x, y])
            .collect();
        let file = table(files, format!("{stem}-p{i}-stream{j}.dat"), "x y", &rows);
        let _ = writeln!(
            t,
            "\\addplot[gray!60, line width=0.4pt, forget plot] table[x=x, y=y] {{{file}}};"
        );
    }
    let mut legend = p.legend.then(Vec::new);
    for (j, s) in p.nullclines.iter().enumerate() {
        add_series(
            t,
            files,
            format!("{stem}-p{i}-null{j}.dat"),
            s,
            &mut legend,
            &view,
        );
    }
    for (j, s) in p.trajectories.iter().enumerate() {
        add_series(
            t,
            files,
            format!("{stem}-p{i}-s{j}.dat"),
            s,
            &mut legend,
            &view,
        );
    }
    add_markers(t, &p.markers);
    t.push_str("\\end{axis}\n");
}

/// Cell edges along one axis: midpoints between centres, the end cells as wide as their
/// neighbours (in the axis' scale).
fn edges(centres: &[f64], log: bool) -> Vec<f64> {
    let f = |v: f64| if log { v.log10() } else { v };
    let g = |v: f64| if log { 10f64.powf(v) } else { v };
    let c: Vec<f64> = centres.iter().map(|&v| f(v)).collect();
    match c.len() {
        0 => Vec::new(),
        1 => vec![g(c[0] - 0.5), g(c[0] + 0.5)],
        n => {
            let mut e = vec![g(c[0] - 0.5 * (c[1] - c[0]))];
            e.extend(c.windows(2).map(|w| g(0.5 * (w[0] + w[1]))));
            e.push(g(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2])));
            e
        }
    }
}

/// A heat map: vector cells or an image, overlaid curves, markers, colour bar.
fn heat_map(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    stem: &str,
    i: usize,
    frame: Rect,
    p: &HeatMapPanel,
) -> Result<(), Error> {
    let scale = ColourScale::new(p);
    let (nx, ny) = (p.x_values.len(), p.y_values.len());
    let ex = edges(&p.x_values, p.x.scale == Scale::Log);
    let ey = edges(&p.y_values, p.y.scale == Scale::Log);
    let mut o = axis_options(frame, &p.title, &p.x, &p.y);
    o = o.replace("grid=major", "grid=none, axis on top");
    if p.x.range.is_none() && ex.len() >= 2 {
        let _ = write!(
            o,
            ", xmin={}, xmax={}",
            value(ex[0]),
            value(ex[ex.len() - 1])
        );
    }
    if p.y.range.is_none() && ey.len() >= 2 {
        let _ = write!(
            o,
            ", ymin={}, ymax={}",
            value(ey[0]),
            value(ey[ey.len() - 1])
        );
    }
    // The colour bar: the renderer's scale sampled into a colormap over [lo, hi].
    let stops: Vec<String> = (0..=32)
        .map(|k| {
            let c = scale.colour(scale.lo + (scale.hi - scale.lo) * k as f64 / 32.0);
            format!("rgb255=({},{},{})", c.0, c.1, c.2)
        })
        .collect();
    let _ = write!(
        o,
        ",\n  colormap={{house}}{{{}}}, point meta min={}, point meta max={}",
        stops.join(" "),
        value(scale.lo),
        value(scale.hi)
    );
    if !p.hide_colour_bar {
        let _ = write!(
            o,
            ",\n  colorbar, colorbar style={{ylabel={{{}}}}}",
            latex(&p.colour_label)
        );
    }
    let _ = writeln!(t, "\\begin{{axis}}[{o}]");
    let cells = nx * ny;
    if cells > 0 && p.values.len() == cells {
        if cells <= MAX_VECTOR_CELLS {
            // One row per cell: centre and the cell's colour as the renderer draws it.
            let mut d = String::from("x y c\n");
            for (k, &v) in p.values.iter().enumerate() {
                let c = scale.colour(v);
                let _ = writeln!(
                    d,
                    "{} {} rgb255={},{},{}",
                    value(p.x_values[k % nx]),
                    value(p.y_values[k / nx]),
                    c.0,
                    c.1,
                    c.2
                );
            }
            let file = format!("{stem}-p{i}-cells.dat");
            files.push((file.clone(), d.into_bytes()));
            let _ = writeln!(
                t,
                "\\addplot[matrix plot*, mesh/cols={nx}, mesh/color input=explicit, point meta=explicit symbolic, forget plot] table[x=x, y=y, meta=c] {{{file}}};"
            );
        } else {
            // One block of pixels per cell, rows from the top.
            let k = (MAX_IMAGE_SIDE / nx.max(ny)).max(1);
            let (w, h) = (nx * k, ny * k);
            let mut rgba = Vec::with_capacity(w * h * 4);
            for row in 0..h {
                let iy = ny - 1 - row / k;
                for col in 0..w {
                    let c = p
                        .values
                        .get(iy * nx + col / k)
                        .map_or(NO_DATA, |&v| scale.colour(v));
                    rgba.extend_from_slice(&[c.0, c.1, c.2, 255]);
                }
            }
            let png = encode_png(&Raster {
                width: w as u32,
                height: h as u32,
                rgba,
            })?;
            let file = format!("{stem}-p{i}-cells.png");
            files.push((file.clone(), png));
            let _ = writeln!(
                t,
                "\\addplot[forget plot] graphics[xmin={}, xmax={}, ymin={}, ymax={}] {{{file}}};",
                value(ex[0]),
                value(ex[ex.len() - 1]),
                value(ey[0]),
                value(ey[ey.len() - 1])
            );
        }
    }
    let corners = [(ex.first(), ey.first()), (ex.last(), ey.last())];
    let all = corners
        .into_iter()
        .filter_map(|(a, b)| Some((*a?, *b?)))
        .chain(p.curves.iter().flat_map(|s| s.points.iter().copied()));
    let view = View::new(frame, &p.x, &p.y, all);
    contours(t, files, &format!("{stem}-p{i}"), p, &view);
    finish_axis(
        t,
        files,
        &format!("{stem}-p{i}"),
        &p.curves,
        p.legend,
        &p.markers,
        &view,
    );
    Ok(())
}

/// A heat map's contour lines (the renderer's marching squares at `contour_levels`, the same
/// polylines the PNG and SVG draw), one table per level (`PREFIX-contourK.dat`, pieces separated
/// by blank lines read as jumps) drawn thin and dark, each level labelled at the middle of its
/// longest piece.
fn contours(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    prefix: &str,
    p: &HeatMapPanel,
    view: &View,
) {
    let log = (p.x.scale == Scale::Log, p.y.scale == Scale::Log);
    let un = |v: f64, l: bool| if l { 10f64.powf(v) } else { v };
    let t_of = |values: &[f64], l: bool| -> Vec<f64> {
        values
            .iter()
            .map(|&v| if l { v.log10() } else { v })
            .collect()
    };
    let (tx, ty) = (t_of(&p.x_values, log.0), t_of(&p.y_values, log.1));
    for (k, (level, pieces)) in crate::render::contour_lines(p, &tx, &ty)
        .into_iter()
        .enumerate()
    {
        let mut points: Vec<(f64, f64)> = Vec::new();
        let mut longest: Option<(usize, (f64, f64))> = None;
        for line in &pieces {
            let mut run: Vec<(f64, f64)> = Vec::new();
            for q in line.iter().copied().chain(std::iter::once(None)) {
                match q {
                    Some((u, v)) => run.push((un(u, log.0), un(v, log.1))),
                    None => {
                        if run.len() > 1 {
                            if longest.is_none_or(|(n, _)| run.len() > n) {
                                longest = Some((run.len(), run[run.len() / 2]));
                            }
                            if !points.is_empty() {
                                points.push((f64::NAN, f64::NAN));
                            }
                            points.extend(run.iter().copied());
                        }
                        run.clear();
                    }
                }
            }
        }
        if points.is_empty() {
            continue;
        }
        let rows: Vec<Vec<f64>> = thin(&points, view)
            .into_iter()
            .map(|(x, y)| vec![x, y])
            .collect();
        let file = table(files, format!("{prefix}-contour{k}.dat"), "x y", &rows);
        let _ = writeln!(
            t,
            "\\addplot[color={{rgb,255:red,26;green,26;blue,26}}, line width=0.6pt, mark=none, forget plot] table[x=x, y=y] {{{file}}};"
        );
        if let Some((_, (x, y))) = longest {
            let _ = writeln!(
                t,
                "\\node[font=\\scriptsize, fill=white, fill opacity=0.8, text opacity=1, inner sep=1pt] at (axis cs:{},{}) {{{}}};",
                value(x),
                value(y),
                latex(&crate::render::contour_label(level))
            );
        }
    }
}

/// Pixels of an orbit diagram's density image (width, height).
const ORBIT_IMAGE: (usize, usize) = (800, 500);

/// An orbit diagram: the density image (`STEM-pP-density.png`, the renderer's shading), the
/// points themselves as a table (`STEM-pP-points.dat`, columns h and the coordinate; not drawn),
/// the flip line with its label, diverged steps as ticks on the h axis, curves and markers.
fn orbit(
    t: &mut String,
    files: &mut Vec<ExportFile>,
    stem: &str,
    i: usize,
    frame: Rect,
    p: &OrbitPanel,
) -> Result<(), Error> {
    let ((x0, x1), (y0, y1)) = crate::orbit::orbit_ranges(p, &format!("panels[{i}]"))?;
    let mut o = axis_options(frame, &p.title, &p.x, &p.y);
    o = o.replace("grid=major", "grid=major, axis on top");
    if p.x.range.is_none() {
        let _ = write!(o, ", xmin={}, xmax={}", value(x0), value(x1));
    }
    if p.y.range.is_none() {
        let _ = write!(o, ", ymin={}, ymax={}", value(y0), value(y1));
    }
    let _ = writeln!(t, "\\begin{{axis}}[{o}]");
    let image = crate::orbit::density_raster(p, ORBIT_IMAGE, (x0, x1), (y0, y1));
    if image.rgba.chunks_exact(4).any(|px| px[3] > 0) {
        let file = format!("{stem}-p{i}-density.png");
        files.push((file.clone(), encode_png(&image)?));
        let _ = writeln!(
            t,
            "\\addplot[forget plot] graphics[xmin={}, xmax={}, ymin={}, ymax={}] {{{file}}};",
            value(x0),
            value(x1),
            value(y0),
            value(y1)
        );
    }
    let rows: Vec<Vec<f64>> = p
        .columns
        .iter()
        .filter(|c| !c.diverged)
        .flat_map(|c| c.points.iter().map(move |&v| vec![c.step, v]))
        .collect();
    if !rows.is_empty() {
        let file = table(files, format!("{stem}-p{i}-points.dat"), "h z", &rows);
        let _ = writeln!(t, "% the attractor's points: {file} (columns h z)");
    }
    let diverged: Vec<Vec<f64>> = p
        .columns
        .iter()
        .filter(|c| c.diverged)
        .map(|c| vec![c.step, y0])
        .collect();
    if !diverged.is_empty() {
        let file = table(files, format!("{stem}-p{i}-diverged.dat"), "h z", &diverged);
        let _ = writeln!(
            t,
            "\\addplot[only marks, mark=|, mark size=4pt, color=house3{}] table[x=h, y=z] {{{file}}};",
            if p.legend { "" } else { ", forget plot" }
        );
        if p.legend {
            t.push_str("\\addlegendentry{diverged}\n");
        }
    }
    if let Some(h) = p.flip.filter(|h| h.is_finite()) {
        let c = p.flip_colour % 8;
        let _ = writeln!(
            t,
            "\\addplot[color=house{c}, dashed, line width=1pt, forget plot] coordinates {{({}, {}) ({}, {})}};",
            value(h),
            value(y0),
            value(h),
            value(y1)
        );
        if !p.flip_label.trim().is_empty() {
            let _ = writeln!(
                t,
                "\\node[anchor=north west, font=\\footnotesize, text=house{c}, fill=white, fill opacity=0.8, text opacity=1] at (axis cs:{},{}) {{{}}};",
                value(h),
                value(y1),
                latex(&p.flip_label)
            );
        }
    }
    let view = View::new(frame, &p.x, &p.y, [(x0, y0), (x1, y1)].into_iter());
    finish_axis(
        t,
        files,
        &format!("{stem}-p{i}"),
        &p.curves,
        p.legend,
        &p.markers,
        &view,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_are_escaped_and_symbols_become_math() {
        assert_eq!(latex("50% & $x_1#"), "50\\% \\& \\$x\\_1\\#");
        assert_eq!(
            latex("|z₁|"),
            "\\ensuremath{|}z\\ensuremath{{}_{1}}\\ensuremath{|}"
        );
        assert_eq!(latex("s₁²"), "s\\ensuremath{{}_{1}}\\ensuremath{{}^{2}}");
        assert_eq!(latex("δ"), "\\ensuremath{\\delta}");
        assert_eq!(latex("ż₁"), "\\ensuremath{\\dot{z}}\\ensuremath{{}_{1}}");
        assert_eq!(latex("a\u{1F600}b"), "a?b");
    }

    #[test]
    fn thinning_keeps_ends_and_breaks_and_drops_what_cannot_be_seen() {
        let frame = Rect::new((0.0, 0.0), (100.0, 100.0));
        let axis = crate::figure::Axis::default();
        // 1001 points over 100 pt: 0.1 pt apart, so about every fifth is kept.
        let pts: Vec<(f64, f64)> = (0..=1000).map(|k| (k as f64 / 1000.0, 0.0)).collect();
        let view = View::new(frame, &axis, &axis, pts.iter().copied().chain([(0.0, 1.0)]));
        let kept = thin(&pts, &view);
        assert!(kept.len() > 190 && kept.len() < 210, "{}", kept.len());
        assert_eq!(kept[0], (0.0, 0.0));
        assert_eq!(*kept.last().unwrap(), (1.0, 0.0));
        let broken = thin(&[(0.0, 0.0), (f64::NAN, 0.0), (0.5, 0.5)], &view);
        assert!(broken[1].0.is_nan() && broken.len() == 3);
    }

    #[test]
    fn cell_edges_lie_between_centres() {
        assert_eq!(edges(&[1.0, 2.0, 4.0], false), vec![0.5, 1.5, 3.0, 5.0]);
        let e = edges(&[1.0, 10.0, 100.0], true);
        // Log axis: midpoints in log10, so the edges are the geometric means 10^0.5 and 10^1.5
        // and the outer ones 10^-0.5 and 10^2.5.
        let expected = [
            0.1f64.sqrt(),
            10f64.sqrt(),
            1000f64.sqrt(),
            100_000f64.sqrt(),
        ];
        for (got, want) in e.iter().zip(expected) {
            assert!((got / want - 1.0).abs() < 1e-12, "{e:?}");
        }
    }
}
