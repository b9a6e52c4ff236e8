//! Fact (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.2 Theorem 2.13 and §II.5): an explicit
//! Runge–Kutta method (A, b) has order p if and only if Σᵢ bᵢ Φᵢ(t) = 1/γ(t) for every rooted
//! tree t with at most p vertices, Φ(t) the elementary weights and γ(t) the density; with the
//! row-sum condition cᵢ = Σⱼ aᵢⱼ the nodes are the stage times. DOP853's weights b have order 8
//! (and not 9), its embedded weights b − ER order 5 and BHH order 3 (the two error estimators),
//! and `Method::order()` says 8.
//!
//! Tolerances are derived, not tuned: each condition is a sum of products of at most 9 rounded
//! coefficients (relative error ε each), so its rounding error is below 32 ε times the same sum
//! taken over absolute values; a failing condition at order 9 must exceed that bound by far.

use starvation::solve::Method;
use starvation::solve::runge_kutta::dop853::{A, B, BHH, C, ER, STAGES};

const EPS: f64 = f64::EPSILON;

/// A rooted tree: its children (indices into the list of trees), its order |t| and density γ(t).
struct Tree {
    children: Vec<usize>,
    order: usize,
    density: f64,
}

/// Every rooted tree with at most `max_order` vertices, by increasing order.
fn trees(max_order: usize) -> Vec<Tree> {
    let mut all: Vec<Tree> = Vec::new();
    for n in 1..=max_order {
        let mut forests = Vec::new();
        multisets(&all, n - 1, 0, &mut Vec::new(), &mut forests);
        for children in forests {
            let density = n as f64 * children.iter().map(|&c| all[c].density).product::<f64>();
            all.push(Tree {
                children,
                order: n,
                density,
            });
        }
    }
    all
}

/// Multisets (non-decreasing index lists, from index `from` on) of trees whose orders add up to
/// `remaining`.
fn multisets(
    all: &[Tree],
    remaining: usize,
    from: usize,
    current: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    if remaining == 0 {
        out.push(current.clone());
        return;
    }
    for i in from..all.len() {
        if all[i].order <= remaining {
            current.push(i);
            multisets(all, remaining - all[i].order, i, current, out);
            current.pop();
        }
    }
}

/// Elementary weights Φᵢ(t) of every tree for the first `s` stages of `a` (with |a| when
/// `absolute`): Φ(leaf) = 1, Φᵢ([t₁ … t_m]) = Πₖ Σⱼ aᵢⱼ Φⱼ(tₖ).
fn elementary_weights(
    all: &[Tree],
    a: &[[f64; 16]; 16],
    s: usize,
    absolute: bool,
) -> Vec<Vec<f64>> {
    let mut phi: Vec<Vec<f64>> = Vec::with_capacity(all.len());
    for t in all {
        let mut v = vec![1.0; s];
        for &c in &t.children {
            for i in 0..s {
                let mut acc = 0.0;
                for j in 0..s {
                    let aij = if absolute { a[i][j].abs() } else { a[i][j] };
                    acc += aij * phi[c][j];
                }
                v[i] *= acc;
            }
        }
        phi.push(v);
    }
    phi
}

/// For each tree: (order, residual Σ bᵢΦᵢ − target, rounding bound 32 ε Σ|bᵢ||Φᵢ|(|a|)).
fn residuals(
    weights: &[f64],
    target: impl Fn(&Tree) -> f64,
    max_order: usize,
) -> Vec<(usize, f64, f64)> {
    let all = trees(max_order);
    let phi = elementary_weights(&all, &A, STAGES, false);
    let phi_abs = elementary_weights(&all, &A, STAGES, true);
    all.iter()
        .enumerate()
        .map(|(k, t)| {
            let sum: f64 = weights.iter().zip(&phi[k]).map(|(b, p)| b * p).sum();
            let size: f64 = weights
                .iter()
                .zip(&phi_abs[k])
                .map(|(b, p)| b.abs() * p)
                .sum();
            (t.order, sum - target(t), 32.0 * EPS * size.max(1.0))
        })
        .collect()
}

/// The highest p such that every tree of order ≤ p satisfies its condition to rounding, and the
/// worst ratio |residual|/bound among the trees of order p + 1.
fn order_of(weights: &[f64], target: impl Fn(&Tree) -> f64, max_order: usize) -> (usize, f64) {
    let r = residuals(weights, target, max_order);
    let mut p = 0;
    for n in 1..=max_order {
        let ok = r.iter().filter(|x| x.0 == n).all(|x| x.1.abs() <= x.2);
        if !ok {
            break;
        }
        p = n;
    }
    let next = r
        .iter()
        .filter(|x| x.0 == p + 1)
        .map(|x| x.1.abs() / x.2)
        .fold(0.0f64, f64::max);
    (p, next)
}

#[test]
fn tree_counts_are_those_of_the_literature() {
    // A000081: 1, 1, 2, 4, 9, 20, 48, 115, 286 rooted trees with 1 … 9 vertices.
    let all = trees(9);
    let counts: Vec<usize> = (1..=9)
        .map(|n| all.iter().filter(|t| t.order == n).count())
        .collect();
    assert_eq!(counts, [1, 1, 2, 4, 9, 20, 48, 115, 286]);
    // γ of the tall tree of order n is n!, of the bushy tree n.
    let tall = all
        .iter()
        .filter(|t| t.order == 5)
        .map(|t| t.density)
        .fold(0.0, f64::max);
    assert_eq!(tall, 120.0);
}

#[test]
fn row_sums_are_the_nodes() {
    for (i, row) in A.iter().enumerate() {
        let sum: f64 = row.iter().sum();
        let size: f64 = row.iter().map(|a| a.abs()).sum();
        assert!(
            (sum - C[i]).abs() <= 16.0 * EPS * size.max(1.0),
            "row {i}: Σ a = {sum:e}, c = {:e}",
            C[i]
        );
    }
    // Explicit: strictly lower triangular; the weights are row 12 (the FSAL stage).
    for (i, row) in A.iter().enumerate() {
        assert!(row[i..].iter().all(|a| *a == 0.0), "row {i} not explicit");
    }
    assert_eq!(&A[12][..STAGES], &B[..]);
    assert_eq!(C[12], 1.0);
}

#[test]
fn weights_have_order_eight_and_not_nine() {
    let (p, next) = order_of(&B, |t| 1.0 / t.density, 9);
    println!(
        "b: order {p}; worst order-{} condition {next:.1e} × its rounding bound",
        p + 1
    );
    assert_eq!(p, 8);
    assert!(
        next > 1e6,
        "order 9 conditions fail only by {next:e} × rounding"
    );
    assert_eq!(Method::Dop853.order(), Some(p as u32));
    let sum: f64 = B.iter().sum();
    assert!((sum - 1.0).abs() <= 4.0 * EPS * B.iter().map(|b| b.abs()).sum::<f64>());
}

#[test]
fn embedded_fifth_order_estimator_is_consistent() {
    // b̂ = b − ER is a 5th-order solution: Σ ERᵢ Φᵢ(t) = 0 for |t| ≤ 5, not for all |t| = 6.
    let (p, next) = order_of(&ER, |_| 0.0, 7);
    println!(
        "ER: annihilates trees to order {p}; worst order-{} {next:.1e} × bound",
        p + 1
    );
    assert_eq!(p, 5);
    assert!(next > 1e6);
    let b5: Vec<f64> = B.iter().zip(&ER).map(|(b, e)| b - e).collect();
    assert_eq!(order_of(&b5, |t| 1.0 / t.density, 7).0, 5);
}

#[test]
fn embedded_third_order_weights_are_consistent() {
    let (p, next) = order_of(&BHH, |t| 1.0 / t.density, 5);
    println!("BHH: order {p}; worst order-{} {next:.1e} × bound", p + 1);
    assert_eq!(p, 3);
    assert!(next > 1e6);
}

#[test]
fn tableau_equals_the_differential_equations_crates_bit_for_bit() {
    // A second transcription of dop853.f (differential-equations 0.7, shortest round-trip
    // decimals): the same f64 everywhere the kernel reads.
    use differential_equations::tableau::ButcherTableau;
    let t = ButcherTableau::<f64, 12, 16>::dop853();
    for (i, (ours, theirs)) in A.iter().zip(&t.a).enumerate() {
        if i != 12 {
            assert_eq!(
                ours.map(f64::to_bits),
                theirs.map(f64::to_bits),
                "a row {i}"
            );
        }
    }
    assert_eq!(B.map(f64::to_bits), t.b.map(f64::to_bits));
    assert_eq!(ER.map(f64::to_bits), t.er.unwrap().map(f64::to_bits));
    assert_eq!(BHH.map(f64::to_bits), t.bh.unwrap().map(f64::to_bits));
    let bi = t.bi.unwrap();
    for r in 0..4 {
        assert_eq!(
            starvation::solve::runge_kutta::dop853::D[r].map(f64::to_bits),
            bi[4 + r].map(f64::to_bits),
            "d row {r}"
        );
    }
}
