//! Small numerical building blocks shared by every module: the stable logistic and its
//! relatives, the one weighted-RMS tolerance norm, Lambert W / Wright ω, and a seeded
//! random-number generator whose stream never changes between versions.

/// Logistic σ(x) = 1 / (1 + e^{−x}), finite and exact to rounding for every finite x
/// (including |x| up to 1e300): it never forms e^{+large}.
#[inline]
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// log σ(x) = −log(1 + e^{−x}), without overflow or loss of precision for large |x|.
#[inline]
pub fn log_logistic(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// Softplus log(1 + e^{x}) = −log σ(−x), the per-example cross-entropy at margin −x.
#[inline]
pub fn softplus(x: f64) -> f64 {
    -log_logistic(-x)
}

/// κ(a) = σ(a) σ(−a), the logistic's derivative (docs/theory.md §4.2), stable for every finite a.
#[inline]
pub fn logistic_slope(a: f64) -> f64 {
    let e = (-a.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// The weighted RMS norm ‖e / (atol + rtol·|x|)‖ used for every tolerance in the project.
pub(crate) fn weighted_rms(e: &[f64], x: &[f64], rtol: f64, atol: f64) -> f64 {
    debug_assert_eq!(e.len(), x.len());
    if e.is_empty() {
        return 0.0;
    }
    let sum: f64 = e
        .iter()
        .zip(x)
        .map(|(ei, xi)| {
            let w = ei / (atol + rtol * xi.abs());
            w * w
        })
        .sum();
    (sum / e.len() as f64).sqrt()
}

/// Principal branch of Lambert W, W(x) e^{W(x)} = x, for x ≥ −1/e.
pub fn lambert_w0(x: f64) -> f64 {
    if x.is_infinite() && x > 0.0 {
        return f64::INFINITY;
    }
    lambert_w::lambert_w0(x)
}

/// Wright omega ω(x) = W(e^x), computed without forming e^x (so it works for x ≫ 709).
pub fn wright_omega(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 700.0 {
        // e^x is representable: the principal branch is accurate to a few ulp; polish once.
        let w = lambert_w0(x.exp());
        if w > 0.0 {
            return omega_newton(x, w);
        }
        return w;
    }
    // Asymptotic start w ≈ x − ln x, then Newton on w + ln w = x (quadratic convergence).
    omega_newton(x, x - x.ln())
}

fn omega_newton(x: f64, mut w: f64) -> f64 {
    for _ in 0..8 {
        let r = w + w.ln() - x;
        let step = r / (1.0 + 1.0 / w);
        w -= step;
        if step.abs() <= 1e-16 * w.abs() {
            break;
        }
    }
    w
}

/// SplitMix64: a tiny seeded generator whose stream is fixed forever, so that every seeded
/// quantity (random couplings, directions V, sweep cells) is reproducible across versions.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x5851_F42D_4C95_7F2D,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal by Box–Muller.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Brent's method for a root of `f` in [a, b] where f(a) and f(b) have opposite signs (or one
/// is zero). Stops when the bracket is narrower than `xtol`; returns the final bracket's best
/// point and the bracket itself.
pub fn brent_root<F: FnMut(f64) -> f64>(
    mut f: F,
    mut a: f64,
    mut b: f64,
    xtol: f64,
    max_iter: usize,
) -> Option<(f64, [f64; 2])> {
    let mut fa = f(a);
    let mut fb = f(b);
    if fa == 0.0 {
        return Some((a, [a, a]));
    }
    if fb == 0.0 {
        return Some((b, [b, b]));
    }
    if !(fa.is_finite() && fb.is_finite()) || fa.signum() == fb.signum() {
        return None;
    }
    let mut c = a;
    let mut fc = fa;
    let mut d = b - a;
    let mut e = d;
    for _ in 0..max_iter {
        if fb.signum() == fc.signum() {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * xtol;
        let m = 0.5 * (c - b);
        if fb == 0.0 {
            return Some((b, [b, b]));
        }
        if m.abs() <= tol {
            let lo = b.min(c);
            let hi = b.max(c);
            return Some((b, [lo, hi]));
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * m * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * m * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol * m.signum() };
        fb = f(b);
        if !fb.is_finite() {
            return None;
        }
    }
    Some((b, [b.min(c), b.max(c)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_is_finite_at_extremes() {
        for &x in &[1e300, -1e300, 745.0, -745.0, 0.0] {
            assert!(logistic(x).is_finite());
            assert!(log_logistic(x).is_finite());
            assert!(logistic_slope(x).is_finite());
        }
        assert_eq!(logistic(1e300), 1.0);
        assert_eq!(logistic(-1e300), 0.0);
        assert_eq!(log_logistic(-1e300), -1e300);
    }

    #[test]
    fn wright_omega_matches_definition() {
        for &x in &[-5.0, 0.0, 1.0, 10.0, 700.5, 1e4, 1e8] {
            let w = wright_omega(x);
            assert!((w + w.ln() - x).abs() <= 1e-14 * x.abs().max(1.0), "x={x}");
        }
    }

    #[test]
    fn brent_finds_cubic_root() {
        let (r, br) = brent_root(|x| x * x * x - 2.0, 0.0, 2.0, 1e-14, 100).unwrap();
        assert!((r - 2f64.cbrt()).abs() < 1e-13);
        assert!(br[0] <= r && r <= br[1]);
    }
}

/// Serde representation of an f64 that survives a JSON round trip bit for bit: finite values as
/// JSON numbers (shortest round-trip form, read back exactly with serde_json's
/// `float_roundtrip`), NaN and ±∞ as the strings "NaN", "inf" and "-inf" (JSON has no such
/// numbers). Used by shard files, whose merge must equal an unsharded run byte for byte.
pub mod exact_f64 {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(f64),
        Text(String),
    }

    fn to_repr(x: f64) -> Repr {
        if x.is_finite() {
            Repr::Number(x)
        } else if x.is_nan() {
            Repr::Text("NaN".into())
        } else if x > 0.0 {
            Repr::Text("inf".into())
        } else {
            Repr::Text("-inf".into())
        }
    }

    fn from_repr<E: serde::de::Error>(r: Repr) -> Result<f64, E> {
        match r {
            Repr::Number(x) => Ok(x),
            Repr::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(E::custom(format!(
                    "{other:?} is not a number; use a number, \"NaN\", \"inf\" or \"-inf\""
                ))),
            },
        }
    }

    /// Serialises one value.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_repr(*x).serialize(s)
    }

    /// Deserialises one value.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        from_repr(Repr::deserialize(d)?)
    }

    /// The same for a `Vec<f64>`.
    pub mod vec {
        use super::*;

        /// Serialises a list.
        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|x| to_repr(*x)))
        }

        /// Deserialises a list.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            Vec::<Repr>::deserialize(d)?
                .into_iter()
                .map(from_repr)
                .collect()
        }
    }

    /// The same for a pair `[f64; 2]`.
    pub mod pair {
        use super::*;

        /// Serialises a pair.
        pub fn serialize<S: Serializer>(v: &[f64; 2], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|x| to_repr(*x)))
        }

        /// Deserialises a pair.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
            let v = Vec::<Repr>::deserialize(d)?;
            if v.len() != 2 {
                return Err(D::Error::custom("expected a pair of numbers"));
            }
            let mut it = v.into_iter();
            let a = it.next().map(from_repr).transpose()?.unwrap_or(f64::NAN);
            let b = it.next().map(from_repr).transpose()?.unwrap_or(f64::NAN);
            Ok([a, b])
        }
    }
}
