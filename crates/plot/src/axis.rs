//! Axis arithmetic: data ↔ pixel mapping on linear and log axes, ranges fitted to data, and
//! tick positions with their labels (Unicode minus signs and superscript powers of ten).

use crate::figure::{Axis, Scale};
use starvation_core::error::InputError;

/// Maps data values on one axis to pixels. The mapping is linear in the transformed value
/// (`log10(v)` on a log axis, `v` otherwise).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AxisMap {
    /// Transformed value at pixel `p0`.
    t0: f64,
    /// Transformed value at pixel `p1`.
    t1: f64,
    /// Pixel of `t0`.
    p0: f64,
    /// Pixel of `t1`.
    p1: f64,
    /// Log axis.
    log: bool,
}

impl AxisMap {
    /// A map sending data `range.0` to pixel `p0` and `range.1` to pixel `p1`. The range must be
    /// valid for the scale (see [`resolve_range`]).
    pub(crate) fn new(range: (f64, f64), scale: Scale, p0: f64, p1: f64) -> Self {
        let log = scale == Scale::Log;
        let tr = |v: f64| if log { v.log10() } else { v };
        Self {
            t0: tr(range.0),
            t1: tr(range.1),
            p0,
            p1,
            log,
        }
    }

    /// Whether this is a log axis.
    pub(crate) fn is_log(&self) -> bool {
        self.log
    }

    /// The transformed value of `v` (None: not drawable on this axis).
    pub(crate) fn transform(&self, v: f64) -> Option<f64> {
        let t = if self.log {
            if v > 0.0 { v.log10() } else { return None }
        } else {
            v
        };
        t.is_finite().then_some(t)
    }

    /// Pixel of a transformed value.
    pub(crate) fn px_t(&self, t: f64) -> Option<f64> {
        let span = self.t1 - self.t0;
        let p = self.p0 + (t - self.t0) / span * (self.p1 - self.p0);
        p.is_finite().then_some(p)
    }

    /// Transformed value at pixel `p` (the inverse of [`Self::px_t`]).
    pub(crate) fn t_at_px(&self, p: f64) -> f64 {
        self.t0 + (p - self.p0) / (self.p1 - self.p0) * (self.t1 - self.t0)
    }

    /// Pixel of a data value (None: not drawable).
    pub(crate) fn px(&self, v: f64) -> Option<f64> {
        self.transform(v).and_then(|t| self.px_t(t))
    }

    /// Derivative d(pixel)/d(value) at `v` (None where undefined).
    pub(crate) fn derivative(&self, v: f64) -> Option<f64> {
        let k = (self.p1 - self.p0) / (self.t1 - self.t0);
        let d = if self.log {
            if v > 0.0 {
                k / (v * std::f64::consts::LN_10)
            } else {
                return None;
            }
        } else {
            k
        };
        d.is_finite().then_some(d)
    }

    /// Transformed range, low to high.
    pub(crate) fn t_range(&self) -> (f64, f64) {
        (self.t0.min(self.t1), self.t0.max(self.t1))
    }
}

/// The range of an axis: `axis.range` when given (checked), else the range of the finite `data`
/// (positive only on log axes) widened by `margin` (a fraction of the span, in transformed
/// units). Empty data gives 0..1 (linear) or 1..10 (log); a single value is widened.
pub(crate) fn resolve_range(
    axis: &Axis,
    data: impl IntoIterator<Item = f64>,
    margin: f64,
    field: &str,
) -> Result<(f64, f64), InputError> {
    let log = axis.scale == Scale::Log;
    if let Some((a, b)) = axis.range {
        if !a.is_finite() || !b.is_finite() {
            return Err(InputError::new(
                format!("{field}.range"),
                format!("must be two finite numbers, got ({a}, {b})"),
            ));
        }
        if log && (a <= 0.0 || b <= 0.0) {
            return Err(InputError::new(
                format!("{field}.range"),
                format!("a log axis needs a range of positive numbers, got ({a}, {b})"),
            ));
        }
        if a == b {
            return Ok(widen(a, log));
        }
        return Ok((a, b));
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in data {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return Ok(if log { (1.0, 10.0) } else { (0.0, 1.0) });
    }
    if is_constant(lo, hi, log) {
        let mid = lo + (hi - lo) / 2.0;
        // Round-off around zero is zero.
        let mid = if !log && mid.abs() <= ABSOLUTE_PRECISION {
            0.0
        } else {
            mid
        };
        return Ok(widen(mid, log));
    }
    Ok(with_margin(lo, hi, margin, log))
}

/// Data whose spread is below this fraction of its magnitude are drawn as a constant: f64
/// results carry round-off of about 1e−16 relative and the solvers' tolerances are far above
/// it, so a narrower spread is noise, never a trend.
pub(crate) const DATA_PRECISION: f64 = 1e-9;

/// On a linear axis, data spreading less than this are one value whatever their magnitude
/// (results near zero carry absolute round-off of the solvers' tolerances, 1e−10 and above).
pub(crate) const ABSOLUTE_PRECISION: f64 = 1e-12;

/// Whether data from `lo` to `hi` are one value to within [`DATA_PRECISION`] (relative) or, on
/// a linear axis, [`ABSOLUTE_PRECISION`].
pub(crate) fn is_constant(lo: f64, hi: f64, log: bool) -> bool {
    let scale = lo.abs().max(hi.abs());
    hi == lo || hi - lo <= DATA_PRECISION * scale || (!log && hi - lo <= ABSOLUTE_PRECISION)
}

/// Widens `lo..hi` by `margin` of its span (in log units on a log axis), keeping the original
/// range if the widened one is not finite.
pub(crate) fn with_margin(lo: f64, hi: f64, margin: f64, log: bool) -> (f64, f64) {
    let (a, b) = if log {
        let (la, lb) = (lo.log10(), hi.log10());
        let m = (lb - la) * margin;
        (10f64.powf(la - m), 10f64.powf(lb + m))
    } else {
        let m = (hi - lo) * margin;
        (lo - m, hi + m)
    };
    if a.is_finite() && b.is_finite() && a < b && (!log || a > 0.0) {
        (a, b)
    } else {
        (lo, hi)
    }
}

/// A non-empty range around the single value `v`.
pub(crate) fn widen(v: f64, log: bool) -> (f64, f64) {
    if log {
        (v / 2.0, v * 2.0)
    } else {
        let d = if v == 0.0 { 1.0 } else { v.abs() * 0.1 };
        (v - d, v + d)
    }
}

/// One tick: position (data value) and label (None: minor tick).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    /// Data value.
    pub value: f64,
    /// Label of a major tick.
    pub label: Option<String>,
}

/// About `target` labelled ticks inside the axis range (plus unlabelled minor ticks on log axes).
pub(crate) fn ticks(map: &AxisMap, target: usize) -> Vec<Tick> {
    let (lo, hi) = map.t_range();
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Vec::new();
    }
    let target = target.clamp(2, 12);
    if map.is_log() {
        log_ticks(lo, hi, target)
    } else {
        linear_ticks(lo, hi, target)
    }
}

/// Linear ticks between `lo` and `hi` (values), at 1, 2 or 5 × 10^k steps.
pub(crate) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<Tick> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    let step = nice_step(span / target.max(1) as f64);
    if !(step.is_finite() && step > 0.0) {
        return Vec::new();
    }
    let eps = 1e-9;
    let first = (lo / step - eps).ceil();
    let last = (hi / step + eps).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 100.0 {
        return Vec::new();
    }
    let values: Vec<f64> = (0..=((last - first) as i64))
        .map(|k| {
            let v = (first + k as f64) * step;
            if v.abs() < step * 1e-9 { 0.0 } else { v }
        })
        .collect();
    let big = values.iter().fold(0f64, |m, v| m.max(v.abs()));
    let scientific = big >= 1e5 || (big > 0.0 && big < 1e-3) || step < 1e-5;
    let step_exp = step.log10().floor() as i32;
    // Labels are distinct: more digits while two neighbours read the same.
    let mut extra = 0;
    loop {
        let labels: Vec<String> = values
            .iter()
            .map(|&v| {
                if scientific {
                    format_scientific(v, step_exp - extra)
                } else {
                    format_fixed(v, ((-step_exp).max(0) + extra) as usize)
                }
            })
            .collect();
        if extra >= 6 || labels.windows(2).all(|w| w[0] != w[1]) {
            return values
                .into_iter()
                .zip(labels)
                .map(|(value, l)| Tick {
                    value,
                    label: Some(l),
                })
                .collect();
        }
        extra += 1;
    }
}

/// Log ticks between transformed `lo` and `hi` (log10 units).
fn log_ticks(lo: f64, hi: f64, target: usize) -> Vec<Tick> {
    let eps = 1e-9;
    let k0 = (lo - eps).ceil() as i64;
    let k1 = (hi + eps).floor() as i64;
    let inside = |t: f64| t >= lo - eps && t <= hi + eps;
    let mut out = Vec::new();
    if k1 - k0 >= 1 && hi - lo <= 4.0 {
        // Few decades: label 1, 2 and 5 of every decade when that many labels fit.
        let mut major = Vec::new();
        for k in (k0 - 1)..=(k1 + 1) {
            for m in [1u32, 2, 5] {
                let x = m as f64 * 10f64.powf(k as f64);
                if inside(x.log10()) {
                    major.push((x, k, m));
                }
            }
        }
        if major.len() <= target {
            let plain = major.iter().all(|&(_, k, _)| (-3..=4).contains(&k));
            for &(x, k, m) in &major {
                let label = if plain {
                    format_fixed(x, (-k).max(0) as usize)
                } else if m == 1 {
                    power_of_ten(k)
                } else {
                    format!("{m}×{}", power_of_ten(k))
                };
                out.push(Tick {
                    value: x,
                    label: Some(label),
                });
            }
            for k in (k0 - 1)..=(k1 + 1) {
                for m in [3u32, 4, 6, 7, 8, 9] {
                    let x = m as f64 * 10f64.powf(k as f64);
                    if inside(x.log10()) {
                        out.push(Tick {
                            value: x,
                            label: None,
                        });
                    }
                }
            }
            return out;
        }
    }
    if k1 - k0 >= 1 {
        // At least two decades inside: label powers of ten.
        let decades = (k1 - k0 + 1) as usize;
        let stride = decades.div_ceil(target).max(1) as i64;
        let minor = stride == 1 && hi - lo <= 9.0;
        for k in (k0 - 1)..=(k1 + 1) {
            let t = k as f64;
            if inside(t) {
                let major = (k - k0).rem_euclid(stride) == 0;
                out.push(Tick {
                    value: 10f64.powf(t),
                    label: major.then(|| power_of_ten(k)),
                });
            }
            if minor {
                for m in 2..=9 {
                    let v = m as f64 * 10f64.powf(t);
                    if inside(v.log10()) {
                        out.push(Tick {
                            value: v,
                            label: None,
                        });
                    }
                }
            }
        }
        return out;
    }
    // Less than two decades: label mantissas 1, 2, 5 (or all of 1–9 when that is too few).
    let lo_k = lo.floor() as i64 - 1;
    let hi_k = hi.ceil() as i64 + 1;
    let candidates = |set: &[u32]| -> Vec<(f64, i64)> {
        let mut v = Vec::new();
        for k in lo_k..=hi_k {
            for &m in set {
                let x = m as f64 * 10f64.powf(k as f64);
                if inside(x.log10()) {
                    v.push((x, k));
                }
            }
        }
        v
    };
    let mut major = candidates(&[1, 2, 5]);
    if major.len() < 3 {
        major = candidates(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        if major.len() > target + 2 {
            major = candidates(&[1, 2, 4, 6, 8]);
        }
    }
    for &(x, k) in &major {
        out.push(Tick {
            value: x,
            label: Some(format_mantissa_tick(x, k)),
        });
    }
    for (x, _) in candidates(&[1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        if !major.iter().any(|&(m, _)| (m / x - 1.0).abs() < 1e-9) {
            out.push(Tick {
                value: x,
                label: None,
            });
        }
    }
    out
}

/// The smallest of 1, 2, 5 × 10^k not below `raw` (roughly).
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return f64::NAN;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// `v` with `decimals` decimals and a Unicode minus sign.
pub(crate) fn format_fixed(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals.min(12), v);
    unicode_minus(&s)
}

/// `m×10ᵏ` with enough mantissa decimals for ticks `10^step_exp` apart.
fn format_scientific(v: f64, step_exp: i32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    let decimals = (e - step_exp).clamp(0, 6) as usize;
    let m = v / 10f64.powi(e);
    let ms = format!("{:.*}", decimals, m);
    format!("{}×{}", unicode_minus(&ms), power_of_ten(e as i64))
}

/// A log-axis tick `m × 10^k` written plainly when short, else in scientific form.
fn format_mantissa_tick(x: f64, k: i64) -> String {
    if (-3..=4).contains(&k) {
        format_fixed(x, (-k).max(0) as usize)
    } else {
        format_scientific(x, k as i32)
    }
}

/// `10` followed by the superscript exponent `k`.
pub(crate) fn power_of_ten(k: i64) -> String {
    format!("10{}", superscript(&k.to_string()))
}

/// Superscript digits and minus sign.
fn superscript(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            '-' => '⁻',
            other => other,
        })
        .collect()
}

/// Replaces ASCII hyphens by the minus sign (U+2212), and "−0" (all zeros) by "0".
fn unicode_minus(s: &str) -> String {
    if s.starts_with('-') && s.chars().all(|c| matches!(c, '-' | '0' | '.')) {
        return s.trim_start_matches('-').to_string();
    }
    s.replace('-', "−")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[Tick]) -> Vec<String> {
        t.iter().filter_map(|t| t.label.clone()).collect()
    }

    #[test]
    fn linear_ticks_are_round() {
        let map = AxisMap::new((0.0, 1.0), Scale::Linear, 0.0, 100.0);
        assert_eq!(
            labels(&ticks(&map, 5)),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        let map = AxisMap::new((-3.0, 3.0), Scale::Linear, 0.0, 100.0);
        assert_eq!(
            labels(&ticks(&map, 6)),
            ["−3", "−2", "−1", "0", "1", "2", "3"]
        );
        let map = AxisMap::new((0.0, 3e-5), Scale::Linear, 0.0, 100.0);
        assert!(labels(&ticks(&map, 3)).contains(&"1×10⁻⁵".to_string()));
    }

    #[test]
    fn log_ticks_label_decades() {
        let map = AxisMap::new((1e-3, 10.0), Scale::Log, 0.0, 100.0);
        let l = labels(&ticks(&map, 6));
        assert_eq!(l, ["10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"]);
        let map = AxisMap::new((0.3, 2.0), Scale::Log, 0.0, 100.0);
        assert!(!labels(&ticks(&map, 6)).is_empty());
    }

    #[test]
    fn few_decades_get_one_two_five_labels() {
        let map = AxisMap::new((1e-3, 0.1), Scale::Log, 0.0, 100.0);
        let l = labels(&ticks(&map, 8));
        assert_eq!(
            l,
            ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"]
        );
        let map = AxisMap::new((1e-6, 1e-4), Scale::Log, 0.0, 100.0);
        let l = labels(&ticks(&map, 8));
        assert_eq!(
            l,
            [
                "10⁻⁶",
                "2×10⁻⁶",
                "5×10⁻⁶",
                "10⁻⁵",
                "2×10⁻⁵",
                "5×10⁻⁵",
                "10⁻⁴"
            ]
        );
        // Too many for the room: decades only.
        let map = AxisMap::new((1e-3, 0.1), Scale::Log, 0.0, 100.0);
        assert_eq!(labels(&ticks(&map, 4)), ["10⁻³", "10⁻²", "10⁻¹"]);
    }

    #[test]
    fn near_constant_data_are_a_constant() {
        let axis = Axis::default();
        let c = std::f64::consts::FRAC_1_SQRT_2;
        let (lo, hi) = resolve_range(&axis, [c, c + 1e-13, c - 2e-13], 0.03, "x").unwrap();
        assert!(lo < c - 0.01 && hi > c + 0.01, "({lo}, {hi})");
        let map = AxisMap::new((lo, hi), Scale::Linear, 0.0, 100.0);
        let l = labels(&ticks(&map, 8));
        assert!(l.len() >= 3);
        assert!(l.windows(2).all(|w| w[0] != w[1]), "{l:?}");
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let axis = Axis::default();
        assert_eq!(resolve_range(&axis, [], 0.03, "x").ok(), Some((0.0, 1.0)));
        let r = resolve_range(&axis, [2.0, 2.0, f64::NAN], 0.03, "x").ok();
        assert_eq!(r, Some((1.8, 2.2)));
        let log = Axis {
            scale: Scale::Log,
            ..Axis::default()
        };
        assert_eq!(
            resolve_range(&log, [-1.0, 0.0], 0.03, "x").ok(),
            Some((1.0, 10.0))
        );
        let bad = Axis {
            range: Some((0.0, 1.0)),
            scale: Scale::Log,
            ..Axis::default()
        };
        assert!(resolve_range(&bad, [], 0.03, "x").is_err());
    }
}
