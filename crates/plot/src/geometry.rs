//! Pixel-space geometry: clipping polylines to the plot area, dash patterns, and positions along
//! a polyline by arc length (for direction arrowheads).

use crate::canvas::{P, Rect};

/// Clips the segment `a`–`b` to `r` (Liang–Barsky); None if it misses.
pub(crate) fn clip_segment(a: P, b: P, r: &Rect) -> Option<(P, P)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    if !(t0.is_finite() && t1.is_finite()) {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1)))
}

/// Splits pixel points (None = break) into the visible polylines inside `r`. A lone visible
/// point becomes a one-point polyline.
pub(crate) fn clip_polyline(points: &[Option<P>], r: &Rect) -> Vec<Vec<P>> {
    let mut out: Vec<Vec<P>> = Vec::new();
    let mut current: Vec<P> = Vec::new();
    let flush = |current: &mut Vec<P>, out: &mut Vec<Vec<P>>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    let mut prev: Option<P> = None;
    for p in points {
        match (*p, prev) {
            (Some(b), Some(a)) => {
                match clip_segment(a, b, r) {
                    Some((ca, cb)) => {
                        let joined = current.last().is_some_and(|&l| close(l, ca));
                        if !joined {
                            flush(&mut current, &mut out);
                            current.push(ca);
                        }
                        current.push(cb);
                        if !close(cb, b) {
                            flush(&mut current, &mut out);
                        }
                    }
                    None => flush(&mut current, &mut out),
                }
                prev = Some(b);
            }
            (Some(b), None) => {
                flush(&mut current, &mut out);
                if r.contains(b) {
                    current.push(b);
                }
                prev = Some(b);
            }
            (None, _) => {
                flush(&mut current, &mut out);
                prev = None;
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// Clips a polygon to `r` (Sutherland–Hodgman); fewer than three points if nothing is left.
pub(crate) fn clip_polygon(poly: &[P], r: &Rect) -> Vec<P> {
    // Each edge: is the point inside, and where does a segment cross the edge.
    type Inside = fn(P, &Rect) -> bool;
    type Cross = fn(P, P, &Rect) -> P;
    let edges: [(Inside, Cross); 4] = [
        (
            |p, r| p.0 >= r.x0,
            |a, b, r| {
                let t = (r.x0 - a.0) / (b.0 - a.0);
                (r.x0, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.0 <= r.x1,
            |a, b, r| {
                let t = (r.x1 - a.0) / (b.0 - a.0);
                (r.x1, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.1 >= r.y0,
            |a, b, r| {
                let t = (r.y0 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y0)
            },
        ),
        (
            |p, r| p.1 <= r.y1,
            |a, b, r| {
                let t = (r.y1 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y1)
            },
        ),
    ];
    let mut out: Vec<P> = poly.to_vec();
    for (inside, cross) in edges {
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else { break };
        let mut prev = last;
        for &cur in &input {
            match (inside(cur, r), inside(prev, r)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cross(prev, cur, r));
                    out.push(cur);
                }
                (false, true) => out.push(cross(prev, cur, r)),
                (false, false) => {}
            }
            prev = cur;
        }
    }
    out
}

/// Whether two points coincide up to rounding.
fn close(a: P, b: P) -> bool {
    (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6
}

/// Distance between two points.
pub(crate) fn dist(a: P, b: P) -> f64 {
    (b.0 - a.0).hypot(b.1 - a.1)
}

/// The "on" pieces of `poly` for a dash pattern of `on` pixels drawn, `off` pixels skipped; the
/// pattern runs continuously across vertices.
pub(crate) fn dash(poly: &[P], on: f64, off: f64) -> Vec<Vec<P>> {
    let mut out = Vec::new();
    if poly.len() < 2 || !(on > 0.0 && off >= 0.0) {
        return out;
    }
    let mut drawing = true;
    let mut left = on;
    let mut current = vec![poly[0]];
    for w in poly.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = dist(a, b);
        let mut pos = 0.0;
        while len - pos > left {
            pos += left;
            let t = pos / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if drawing {
                current.push(p);
                out.push(std::mem::take(&mut current));
                left = off;
            } else {
                current = vec![p];
                left = on;
            }
            drawing = !drawing;
            if out.len() > 1_000_000 {
                return out;
            }
        }
        left -= len - pos;
        if drawing {
            current.push(b);
        }
    }
    if drawing && current.len() > 1 {
        out.push(current);
    }
    out
}

/// Points every `spacing` pixels along `poly`, starting at its start (for dotted lines).
pub(crate) fn sample_every(poly: &[P], spacing: f64) -> Vec<P> {
    let mut out = Vec::new();
    if poly.is_empty() || spacing.is_nan() || spacing <= 0.0 {
        return out;
    }
    out.push(poly[0]);
    let mut left = spacing;
    for w in poly.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = dist(a, b);
        let mut pos = 0.0;
        while len - pos >= left {
            pos += left;
            let t = pos / len;
            out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            left = spacing;
            if out.len() > 1_000_000 {
                return out;
            }
        }
        left -= len - pos;
    }
    out
}

/// Total length of a polyline.
pub(crate) fn length(poly: &[P]) -> f64 {
    poly.windows(2).map(|w| dist(w[0], w[1])).sum()
}

/// The point at arc length `s` along `poly` (clamped to its ends).
pub(crate) fn point_at(poly: &[P], s: f64) -> Option<P> {
    let first = *poly.first()?;
    if s <= 0.0 {
        return Some(first);
    }
    let mut acc = 0.0;
    for w in poly.windows(2) {
        let len = dist(w[0], w[1]);
        if acc + len >= s && len > 0.0 {
            let t = (s - acc) / len;
            return Some((
                w[0].0 + t * (w[1].0 - w[0].0),
                w[0].1 + t * (w[1].1 - w[0].1),
            ));
        }
        acc += len;
    }
    poly.last().copied()
}

/// A filled triangle (arrowhead) centred at `at`, pointing along `dir` (any length), `len` long.
pub(crate) fn arrowhead(at: P, dir: P, len: f64, half_width: f64) -> Option<[P; 3]> {
    let n = dir.0.hypot(dir.1);
    if !(n > 0.0 && n.is_finite()) {
        return None;
    }
    let (ux, uy) = (dir.0 / n, dir.1 / n);
    let tip = (at.0 + ux * 0.6 * len, at.1 + uy * 0.6 * len);
    let base = (at.0 - ux * 0.4 * len, at.1 - uy * 0.4 * len);
    let (px, py) = (-uy * half_width, ux * half_width);
    Some([tip, (base.0 + px, base.1 + py), (base.0 - px, base.1 - py)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_at_the_border() {
        let r = Rect::new((0.0, 0.0), (10.0, 10.0));
        let pts = [Some((-5.0, 5.0)), Some((5.0, 5.0)), Some((15.0, 5.0))];
        let v = clip_polyline(&pts, &r);
        assert_eq!(v, vec![vec![(0.0, 5.0), (5.0, 5.0), (10.0, 5.0)]]);
        let pts = [Some((1.0, 1.0)), None, Some((2.0, 2.0)), Some((3.0, 3.0))];
        assert_eq!(clip_polyline(&pts, &r).len(), 2);
        assert!(clip_polyline(&[Some((20.0, 20.0)), Some((30.0, 30.0))], &r).is_empty());
    }

    #[test]
    fn polygons_are_clipped() {
        let r = Rect::new((0.0, 0.0), (10.0, 10.0));
        let tri = [(5.0, 5.0), (15.0, 5.0), (5.0, 15.0)];
        let c = clip_polygon(&tri, &r);
        assert!(c.len() >= 4);
        assert!(c.iter().all(|p| r.contains(*p)));
        assert!(clip_polygon(&[(20.0, 20.0), (30.0, 20.0), (25.0, 30.0)], &r).len() < 3);
    }

    #[test]
    fn dashes_alternate() {
        let v = dash(&[(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)], 4.0, 2.0);
        assert_eq!(v.len(), 4);
        assert!((length(&v[1]) - 4.0).abs() < 1e-9);
        assert_eq!(sample_every(&[(0.0, 0.0), (10.0, 0.0)], 5.0).len(), 3);
    }
}
