//! The two-feature toy's vector field on `L` lanes at once (M7 / M8 with U(δ) of M17, exact
//! cross-entropy loss), for the lane-batched DOP853 of [`crate::solve::batch`]; with the
//! branch-free exponential it needs to vectorise.

// Index loops over lanes are the point here: they vectorise.
#![allow(clippy::needless_range_loop)]

use super::ToyRegulariser;
use crate::solve::batch::LaneField;

/// Lanes per batch for the toy: eight f64, two AVX2 registers (used by sweeps and the benchmark).
pub const LANES: usize = 8;

/// e^x for a lane of values, written without branches or library calls so that it vectorises:
/// x = k ln 2 + r with |r| ≤ ln2/2 (Cody–Waite, two-part ln 2), e^r by its Taylor series to r¹³
/// (truncation below 5e−18), 2^k built in the exponent bits. Inputs are clamped to [−708, 709]
/// (results stay finite; e^{±708} is far beyond what the logistic can resolve). Relative error
/// ≲ 2e−16.
#[inline(always)]
pub fn exp_lanes<const L: usize>(x: &mut [f64; L]) {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1.5·2^52: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    for v in x.iter_mut() {
        let xc = v.clamp(-708.0, 709.0);
        let t = xc * LOG2E + SHIFTER;
        let k = t - SHIFTER;
        let r = (xc - k * LN2_HI) - k * LN2_LO;
        // Taylor coefficients 1/n! for n = 13 … 0, Horner.
        let mut p = 1.0 / 6_227_020_800.0;
        p = p * r + 1.0 / 479_001_600.0;
        p = p * r + 1.0 / 39_916_800.0;
        p = p * r + 1.0 / 3_628_800.0;
        p = p * r + 1.0 / 362_880.0;
        p = p * r + 1.0 / 40_320.0;
        p = p * r + 1.0 / 5_040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        p = p * r + 1.0;
        // 2^k: the integer k sits in the low bits of t's representation.
        let bits = t
            .to_bits()
            .wrapping_sub(SHIFTER.to_bits())
            .wrapping_add(1023)
            << 52;
        *v = p * f64::from_bits(bits);
    }
}

/// The two-feature toy flow (M7 or M8 with U(δ) of M17, exact loss, rate η) on `L` lanes, each
/// lane with its own s₁², s₂², δ and λ.
#[derive(Debug, Clone)]
pub struct ToyLanes<const L: usize> {
    /// Regulariser.
    pub regulariser: ToyRegulariser,
    /// η.
    pub rate: f64,
    s1_squared: [f64; L],
    s2_squared: [f64; L],
    c: [f64; L],
    delta: [f64; L],
    lambda: [f64; L],
}

impl<const L: usize> ToyLanes<L> {
    /// Lanes with the given regulariser and rate, parameters unset (all lanes s = 1, δ = 0,
    /// λ = 0.01).
    pub fn new(regulariser: ToyRegulariser, rate: f64) -> Self {
        Self {
            regulariser,
            rate,
            s1_squared: [1.0; L],
            s2_squared: [1.0; L],
            c: [1.0; L],
            delta: [0.0; L],
            lambda: [0.01; L],
        }
    }

    /// Puts (s₁, s₂, δ, λ) into lane `l`.
    pub fn set(&mut self, l: usize, s1: f64, s2: f64, delta: f64, lambda: f64) {
        self.s1_squared[l] = s1 * s1;
        self.s2_squared[l] = s2 * s2;
        self.delta[l] = delta;
        self.c[l] = (1.0 - delta * delta).sqrt();
        self.lambda[l] = lambda;
    }
}

impl<const L: usize> LaneField<2, L> for ToyLanes<L> {
    #[inline(always)]
    fn eval(&self, y: &[[f64; L]; 2], out: &mut [[f64; L]; 2]) {
        let mut e1 = [0.0; L];
        let mut e2 = [0.0; L];
        for l in 0..L {
            e1[l] = self.c[l] * y[0][l] - self.delta[l] * y[1][l];
            e2[l] = self.delta[l] * y[0][l] + self.c[l] * y[1][l];
        }
        let (a1, a2) = (e1, e2);
        exp_lanes(&mut e1);
        exp_lanes(&mut e2);
        for l in 0..L {
            // σ(−a) = 1/(1 + e^a): e^a ≤ e^709 keeps this finite and accurate.
            let w1 = 1.0 / (1.0 + e1[l]);
            let w2 = 1.0 / (1.0 + e2[l]);
            let (c, d, lam) = (self.c[l], self.delta[l], self.lambda[l]);
            match self.regulariser {
                ToyRegulariser::L2 => {
                    out[0][l] =
                        self.rate * (self.s1_squared[l] * (c * w1 + d * w2) - lam * y[0][l]);
                    out[1][l] =
                        self.rate * (self.s2_squared[l] * (-d * w1 + c * w2) - lam * y[1][l]);
                }
                ToyRegulariser::Sd => {
                    let r1 = w1 - lam * a1[l];
                    let r2 = w2 - lam * a2[l];
                    out[0][l] = self.rate * self.s1_squared[l] * (c * r1 + d * r2);
                    out[1][l] = self.rate * self.s2_squared[l] * (-d * r1 + c * r2);
                }
            }
        }
    }
}
