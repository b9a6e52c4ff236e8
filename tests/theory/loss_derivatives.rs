//! Claim (docs/theory.md §3.4): every loss model's gradient weight is α(a) = −ℓ′(a) and its
//! curvature is ℓ″(a) = −α′(a); for the smooth hinge ℓ(a) = ½ − a (a ≤ 0), ½(1 − a)²
//! (0 < a < 1), 0 (a ≥ 1) this means α = 1, 1 − a, 0 (continuous, so ℓ is C¹) and curvature 0, 1,
//! 0 (jumping at a = 0 and a = 1); the squared loss ½(a − 1)² has α = 1 − a and curvature 1.
//! The dual conjugate's derivative a(α) inverts the weight wherever the dual is defined.
//!
//! Reference: central finite differences of ℓ and of α with step h = 1e−5, at points at least
//! 10h away from the smooth hinge's kinks. Tolerance: on a smooth piece the truncation error is
//! h²|ℓ‴|/6 ≤ 1e−10·max|ℓ‴| (|ℓ‴| ≤ 1 for every model on |a| ≤ 4) and the rounding error
//! ~ε|ℓ|/h ≤ 2e−11·(1 + |ℓ|); 1e−8·(1 + |value|) bounds both with room and is far below any
//! wrong term (O(1)). The smooth hinge's pieces are polynomials of degree ≤ 2, for which central
//! differences are exact up to rounding.

use starvation::model::LossModel;

const H: f64 = 1e-5;

fn points() -> Vec<f64> {
    (0..=160)
        .map(|k| -4.0 + 0.05 * k as f64 + 0.0123)
        .filter(|a: &f64| a.abs() > 10.0 * H && (a - 1.0).abs() > 10.0 * H)
        .collect()
}

#[test]
fn weight_and_curvature_are_the_derivatives_of_the_loss() {
    for loss in LossModel::ALL {
        let mut worst_w = 0.0f64;
        let mut worst_k = 0.0f64;
        for a in points() {
            let dl = (loss.loss(a + H) - loss.loss(a - H)) / (2.0 * H);
            let dw = (loss.weight(a + H) - loss.weight(a - H)) / (2.0 * H);
            let ew = (loss.weight(a) + dl).abs() / (1.0 + loss.weight(a).abs());
            let ek = (loss.curvature(a) + dw).abs() / (1.0 + loss.curvature(a).abs());
            worst_w = worst_w.max(ew);
            worst_k = worst_k.max(ek);
        }
        println!(
            "{:<16} max |α + ℓ′_fd| {worst_w:.1e}, max |ℓ″ + α′_fd| {worst_k:.1e}",
            loss.name()
        );
        assert!(worst_w <= 1e-8, "{}: weight {worst_w:e}", loss.name());
        assert!(worst_k <= 1e-8, "{}: curvature {worst_k:e}", loss.name());
    }
}

#[test]
fn smooth_hinge_pieces_and_kinks() {
    let l = LossModel::SmoothHinge;
    // The three pieces, exactly.
    for (a, loss, weight, curvature) in [
        (-2.0, 2.5, 1.0, 0.0),
        (0.25, 0.28125, 0.75, 1.0),
        (3.0, 0.0, 0.0, 0.0),
    ] {
        assert_eq!(l.loss(a), loss);
        assert_eq!(l.weight(a), weight);
        assert_eq!(l.curvature(a), curvature);
    }
    // ℓ and α are continuous at both kinks; the curvature jumps by 1 (right-hand value there).
    for kink in [0.0, 1.0] {
        let e = 1e-12;
        assert!((l.loss(kink - e) - l.loss(kink + e)).abs() <= 3e-12);
        assert!((l.weight(kink - e) - l.weight(kink + e)).abs() <= 3e-12);
        let jump = l.curvature(kink + e) - l.curvature(kink - e);
        assert_eq!(jump.abs(), 1.0, "curvature jump at {kink}");
    }
    assert_eq!(l.curvature(0.0), 1.0);
    assert_eq!(l.curvature(1.0), 0.0);
    // A finite-difference Jacobian across a kink sees the jump: the check above can fail.
    let across = (l.weight(1.0 + H) - l.weight(1.0 - H)) / (2.0 * H);
    assert!((across + 0.5).abs() < 1e-9, "one-sided average {across}");
}

#[test]
fn dual_margin_inverts_the_weight_where_the_dual_exists() {
    for loss in LossModel::ALL {
        let Some((lo, hi)) = loss.dual_domain() else {
            assert_eq!(loss, LossModel::SmoothHinge);
            assert!(loss.margin_of_weight(0.5).is_nan());
            continue;
        };
        let mut worst = 0.0f64;
        for a in points() {
            let alpha = loss.weight(a);
            if !(alpha > lo && alpha < hi) {
                continue;
            }
            let back = loss.margin_of_weight(alpha);
            // a(α) is conditioned by 1/(α ℓ″): relative to 1 + |a| and ε/(α(1 − α)).
            worst = worst.max((back - a).abs() / (1.0 + a.abs()));
            let slope =
                (loss.margin_of_weight(alpha + 1e-7) - loss.margin_of_weight(alpha - 1e-7)) / 2e-7;
            let exact = loss.margin_of_weight_slope(alpha);
            assert!(
                (slope - exact).abs() <= 1e-5 * exact.abs(),
                "{}: slope {slope} vs {exact} at α = {alpha}",
                loss.name()
            );
        }
        println!(
            "{:<16} max |a(α(a)) − a|/(1 + |a|) = {worst:.1e}",
            loss.name()
        );
        assert!(worst <= 1e-12, "{}: {worst:e}", loss.name());
    }
}
