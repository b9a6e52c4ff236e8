//! Issue 10, point 10 ("Tidy tables"): "CSV grid values carry float noise (0.009999999999999998)
//! so exact filtering matches nothing". Fix claimed: `linspace` value i is
//! (start·(n−1−i) + stop·i)/(n−1) and `logspace` value i is 10 to that mean of log₁₀ values, both
//! rounded to 15 significant digits when that moves them by at most 4 ulps, so decimal grids are
//! the decimals a reader expects and other values stay as computed.

use starvation::spec::{RangeSpec, ValuesSpec};

fn linspace(start: f64, stop: f64, count: usize) -> Vec<f64> {
    ValuesSpec::Range(RangeSpec::Linspace { start, stop, count })
        .values("v")
        .unwrap()
}

fn logspace(start: f64, stop: f64, count: usize) -> Vec<f64> {
    ValuesSpec::Range(RangeSpec::Logspace { start, stop, count })
        .values("v")
        .unwrap()
}

#[test]
fn linspace_values_are_the_decimals_of_the_grid() {
    let v = linspace(0.0, 0.1, 11);
    for (i, x) in v.iter().enumerate() {
        let decimal: f64 = format!("{}", i as f64 / 100.0).parse().unwrap();
        assert_eq!(*x, decimal, "value {i}");
    }
    assert_eq!(v[1].to_string(), "0.01");
    assert_eq!(v[3].to_string(), "0.03");
    let v = linspace(0.02, 0.44, 43);
    for (i, x) in v.iter().enumerate() {
        let decimal: f64 = format!("0.{:02}", i + 2).parse().unwrap();
        assert_eq!(*x, decimal, "value {i}");
    }
}

#[test]
fn logspace_decades_are_exact() {
    let v = logspace(1e-4, 1e-1, 4);
    assert_eq!(v, vec![1e-4, 1e-3, 1e-2, 1e-1]);
    let v = logspace(1e-3, 1.0, 7);
    assert_eq!(v[2], 1e-2);
    assert_eq!(v[4], 0.1);
}

#[test]
/// The reference is computed another way (log of the ratio); both carry the rounding of 10^w
/// with w up to 2.6 (a few ulps each), so they agree to 16 ulps, not to the 4 ulps of the snap.
fn snapping_moves_a_value_by_at_most_four_ulps() {
    let v = logspace(2.0, 400.0, 240);
    for (i, x) in v.iter().enumerate() {
        let exact = 10f64.powf(2f64.log10() + i as f64 / 239.0 * (400f64.log10() - 2f64.log10()));
        assert!(
            (x - exact).abs() <= 16.0 * f64::EPSILON * exact,
            "value {i}: {x} vs {exact}"
        );
    }
}
