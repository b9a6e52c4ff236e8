//! Fact (theory.md §7, the paper's data): after the shift, centring, fold and shift by −y·Δ and
//! the swap of coordinates, every point has y·x₁ ≤ −Δ: for Δ > 0 the first coordinate alone
//! separates the classes with a gap of at least 2Δ; for Δ < 0 the classes interleave on it.
//! The generator is seeded: the same seed gives the same bytes.

use starvation::network::{Dataset, TwoMoons};

fn moons(seed: u64, margin: f64, rotation: f64) -> Dataset {
    Dataset::two_moons(&TwoMoons {
        examples: 300,
        noise: 0.1,
        seed,
        margin,
        rotation_degrees: rotation,
    })
    .unwrap()
}

fn first_coordinate_extremes(d: &Dataset) -> (f64, f64) {
    let mut max_pos = f64::NEG_INFINITY;
    let mut min_neg = f64::INFINITY;
    for (i, y) in d.labels.iter().enumerate() {
        let x = d.points[2 * i];
        if *y > 0.0 {
            max_pos = max_pos.max(x);
        } else {
            min_neg = min_neg.min(x);
        }
    }
    (max_pos, min_neg)
}

#[test]
fn positive_margin_separates_along_the_first_coordinate_with_gap_two_delta() {
    for seed in 0..5 {
        let d = moons(seed, 0.1, 0.0);
        assert_eq!(d.len(), 300);
        assert_eq!(d.labels.iter().filter(|y| **y > 0.0).count(), 150);
        let (max_pos, min_neg) = first_coordinate_extremes(&d);
        assert!(max_pos <= -0.1 && min_neg >= 0.1, "{max_pos} {min_neg}");
        assert!(min_neg - max_pos >= 0.2);
    }
}

#[test]
fn negative_margin_interleaves() {
    let d = moons(0, -0.1, 0.0);
    let (max_pos, min_neg) = first_coordinate_extremes(&d);
    assert!(max_pos > min_neg, "classes must overlap on x₁");
}

#[test]
fn same_seed_same_bytes_other_seed_other_points() {
    let a = moons(7, 0.1, 0.0);
    let b = moons(7, 0.1, 0.0);
    let bits = |d: &Dataset| d.points.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.labels, b.labels);
    assert_ne!(bits(&a), bits(&moons(8, 0.1, 0.0)));
}

#[test]
fn rotation_is_a_rotation() {
    let a = moons(2, 0.1, 0.0);
    let b = moons(2, 0.1, 45.0);
    let (s, c) = 45f64.to_radians().sin_cos();
    for i in 0..a.len() {
        let (x, y) = (a.points[2 * i], a.points[2 * i + 1]);
        assert!((b.points[2 * i] - (c * x - s * y)).abs() < 1e-14);
        assert!((b.points[2 * i + 1] - (s * x + c * y)).abs() < 1e-14);
    }
}

#[test]
fn the_peer_benchmark_file_holds_the_same_points() {
    let text = std::fs::read_to_string("bench/peers/two_moons_300.csv").unwrap();
    let file = Dataset::from_csv(&text, "y", "two_moons_300.csv").unwrap();
    assert_eq!(file, starvation::bench::network_data());
}

#[test]
fn csv_reads_zero_one_labels_and_rejects_others() {
    let d = Dataset::from_csv("a,b,label\n1,2,0\n3,4,1\n", "label", "data.file").unwrap();
    assert_eq!(d.dimension, 2);
    assert_eq!(d.labels, vec![-1.0, 1.0]);
    assert_eq!(d.points, vec![1.0, 2.0, 3.0, 4.0]);
    let e = Dataset::from_csv("a,label\n1,2\n", "label", "data.file").unwrap_err();
    assert_eq!(e.field, "data.file");
    assert!(e.message.contains("not ±1"));
    let e = Dataset::from_csv("a,y\n1,1\n", "label", "data.file").unwrap_err();
    assert!(e.message.contains("no column named"));
    let e = Dataset::from_csv("a,y\n", "y", "data.file").unwrap_err();
    assert!(e.message.contains("no data row"));
    let e = Dataset::from_csv("a,y\nNaN,1\n", "y", "data.file").unwrap_err();
    assert!(e.message.contains("finite"));
}
