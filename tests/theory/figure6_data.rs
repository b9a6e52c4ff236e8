//! Claims of the paper's Figure 6 (docs/theory.md §6), on the data of
//! simulations/fig06_toy_dynamics.json run through the library at full resolution:
//! "the primal L2 end points decrease in z₂ as s₁ grows; the primal SD end points agree with the
//! SD equilibrium; dual and primal L2 end near the same point" — and the figure's data file
//! holds every (z₁, z₂) step of every run keyed by run kind and s₁.
//!
//! Tolerances (derived in full where they are used):
//! - Primal maps (GD on θ with step h, V orthogonal, so w = Vᵀθ and z = S w): the map is GD on
//!   Φ̃(w) = Φ(S w), so e_k = w_k − w* obeys e_{k+1} = (I − h H̄_k) e_k, H̄_k the Hessian
//!   S H S averaged over the segment [w*, w_k]. Its eigenvalues lie in [μ_k, L] with
//!   μ_k = s_min² κ_k + λ (L2) or s_min² (κ_k + λ) (SD), κ_k the smallest
//!   κ(a) = σ(a)σ(−a) over the segment's margins (at an end: κ is even and decreasing in |a|),
//!   and L = s_max²/4 + λ (L2) or s_max² (1/4 + λ) (SD), κ ≤ 1/4. With hL ≤ 1 (0.45 here) each
//!   step contracts ‖e‖ by 1 − hμ_k, so ‖z_N − z*‖ ≤ s_max ‖S⁻¹ z*‖ Π_k (1 − hμ_k) (w₀ = 0).
//!   Near z* the SD rate is s_min² (κ(a*) + λ) = 4 · (0.00924 + 0.002) = 0.045, i.e.
//!   (1 − 0.05 · 0.045)^5000 = e^{−11.3} ≈ 1.3e−5 per unit of initial distance; the overshoot of
//!   the margins past a* for large s1 (smaller κ on the way) is what the per-step μ_k accounts for.
//! - Dual map (gradient ascent on Σ H(α_i) − (1/2λ) αᵀKα, K = U S² Uᵀ, step h, then clipping,
//!   a projection onto a box holding α*, which never expands distances): the same argument with
//!   the negated Hessian K/λ + diag(b(α_i)), b = 1/(α(1 − α)), whose eigenvalues on the segment
//!   [α*, α_k] lie in [s_min²/λ + min b, s_max²/λ + max b]. Step 0 (α = 1e−8, h·b = 300) is left
//!   out, and hL ≤ 1 is checked on every later step: ‖α_N − α*‖ ≤ ‖α₁ − α*‖ Π_{k≥1} (1 − hμ_k),
//!   and z = (1/λ) S² Uᵀ α gives ‖z_N − z*‖ ≤ (s_max²/λ) ‖α_N − α*‖. The dual covers α-flow time
//!   5000 · 3e−6 = 0.015 at a rate of at least s_min²/λ + 4 = 404: about e^{−6} of the way left.
//! - The figure's claim "dual and primal end at the same point" is visual: the two ends must
//!   be closer than one pixel, and a pixel of the 1600-pixel-wide two-panel figure is at least
//!   (10.5 − (−0.5)) / 800 data units (the plot area is narrower than its 800-pixel cell).

use nalgebra::DMatrix;
use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::figures::run_figures;
use starvation::flow::Space;
use starvation::model::FeatureModel;
use starvation::numerics::logistic;
use starvation::solve::Trajectory;
use starvation::spec::{RunSpec, Spec, read_spec};

const S1: [f64; 5] = [2.0, 3.0, 4.0, 5.0, 6.0];

/// Smallest data width of one pixel in Figure 6: |z₁| spans 11 units over a plot area narrower
/// than its 800-pixel cell.
const PIXEL: f64 = (10.5 - (-0.5)) / 800.0;

fn figure6() -> (Spec, Vec<(RunSpec, Trajectory)>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("simulations")
        .join("fig06_toy_dynamics.json");
    let spec = read_spec(&path).expect("the Figure 6 spec parses");
    let runs = spec.expand_runs().expect("runs expand");
    let results = runs
        .into_iter()
        .map(|r| {
            let tr = r.simulate().expect("each map runs");
            (r, tr)
        })
        .collect();
    (spec, results)
}

/// The run of kind `kind` ("dual L2", "primal L2", "primal SD") with s1 = `s1`.
fn run<'a>(runs: &'a [(RunSpec, Trajectory)], kind: &str, s1: f64) -> &'a (RunSpec, Trajectory) {
    runs.iter()
        .find(|(r, _)| {
            r.label.starts_with(kind)
                && r.parameters
                    .get("model.features.toy.s1")
                    .and_then(|v| v.as_f64())
                    == Some(s1)
        })
        .unwrap_or_else(|| panic!("no run {kind} s1={s1}"))
}

fn end(tr: &Trajectory) -> (f64, f64) {
    let z = tr.final_responses();
    (z[0], z[1])
}

fn dist(a: (f64, f64), b: &[f64]) -> f64 {
    (a.0 - b[0]).hypot(a.1 - b[1])
}

fn kappa(a: f64) -> f64 {
    logistic(a) * logistic(-a)
}

/// Smallest κ on the segment from responses `z` to `z_star`: per example the margin runs between
/// its two end values, and κ, even and decreasing in |a|, is smallest at one of them.
fn kappa_min(u: &DMatrix<f64>, z: &[f64], z_star: &[f64]) -> f64 {
    (0..u.nrows())
        .map(|i| {
            let a: f64 = (0..u.ncols()).map(|j| u[(i, j)] * z[j]).sum();
            let b: f64 = (0..u.ncols()).map(|j| u[(i, j)] * z_star[j]).sum();
            kappa(a).min(kappa(b))
        })
        .fold(f64::INFINITY, f64::min)
}

fn strength_range(model: &FeatureModel) -> (f64, f64) {
    let s = model.feature_strengths();
    (
        s.iter().copied().fold(f64::INFINITY, f64::min),
        s.iter().copied().fold(0.0, f64::max),
    )
}

/// The bound on ‖z_N − z*‖ of a primal map: s_max ‖S⁻¹z*‖ Π_k (1 − h μ_k) (file doc comment).
fn primal_bound(run: &RunSpec, tr: &Trajectory, z_star: &[f64], sd: bool) -> f64 {
    let model = &run.model;
    let s = model.feature_strengths();
    let (s_min, s_max) = strength_range(model);
    let lambda = model.regulariser().lambda();
    let h = run.options.step.expect("gd step");
    let l = if sd {
        s_max * s_max * (0.25 + lambda)
    } else {
        s_max * s_max * 0.25 + lambda
    };
    assert!(h * l <= 1.0, "{}: h L = {} > 1", run.label, h * l);
    // Every step is recorded: step k → k + 1 contracts by 1 − h μ_k, μ_k from the segment [z_k, z*].
    let log_factor: f64 = tr.responses[..tr.responses.len() - 1]
        .iter()
        .map(|z| {
            let k = kappa_min(model.coupling(), z, z_star);
            let mu = if sd {
                s_min * s_min * (k + lambda)
            } else {
                s_min * s_min * k + lambda
            };
            (1.0 - h * mu).ln()
        })
        .sum();
    let w_star = (z_star[0] / s[0]).hypot(z_star[1] / s[1]);
    s_max * w_star * log_factor.exp()
}

/// The bound on ‖z_N − z*‖ of the dual map: (s_max²/λ) ‖α₁ − α*‖ Π_{k≥1} (1 − h μ_k) (file doc
/// comment).
fn dual_bound(run: &RunSpec, tr: &Trajectory, z_star: &[f64]) -> f64 {
    let model = &run.model;
    assert_eq!(tr.space, Space::Dual);
    let (s_min, s_max) = strength_range(model);
    let lambda = model.regulariser().lambda();
    let h = run.options.step.expect("gd step");
    let u = model.coupling();
    let alpha_star: Vec<f64> = (0..u.nrows())
        .map(|i| logistic(-(0..u.ncols()).map(|j| u[(i, j)] * z_star[j]).sum::<f64>()))
        .collect();
    // b = 1/(α(1 − α)) is convex with its minimum at 1/2.
    let b = |a: f64| 1.0 / (a * (1.0 - a));
    let n = tr.states.len() - 1;
    let mut log_factor = 0.0;
    for alpha in &tr.states[1..n] {
        let mut b_min = f64::INFINITY;
        let mut b_max: f64 = 0.0;
        for (a, a_star) in alpha.iter().zip(&alpha_star) {
            let (lo, hi) = (a.min(*a_star), a.max(*a_star));
            assert!(lo > 0.0 && hi < 1.0);
            b_min = b_min.min(b(0.5f64.clamp(lo, hi)));
            b_max = b_max.max(b(lo).max(b(hi)));
        }
        let l = s_max * s_max / lambda + b_max;
        assert!(h * l <= 1.0, "{}: h L = {} > 1", run.label, h * l);
        log_factor += (1.0 - h * (s_min * s_min / lambda + b_min)).ln();
    }
    let a1 = &tr.states[1];
    let start = (a1[0] - alpha_star[0]).hypot(a1[1] - alpha_star[1]);
    s_max * s_max / lambda * start * log_factor.exp()
}

fn equilibrium(model: &FeatureModel) -> Vec<f64> {
    find_equilibrium(model, None, &EquilibriumOptions::default())
        .expect("λ > 0: z* exists")
        .point
}

#[test]
fn figure_data_holds_every_step_of_every_run() {
    let (spec, runs) = figure6();
    assert_eq!(runs.len(), 15);
    let figures = run_figures(&spec, &runs).expect("the plot section is valid");
    assert_eq!(figures.len(), 1);
    let f = &figures[0];
    assert_eq!(f.stem, "fig06_toy_dynamics");
    for kind in ["dual L2", "primal L2", "primal SD"] {
        for s1 in S1 {
            let (_, tr) = run(&runs, kind, s1);
            assert_eq!(
                tr.times.len(),
                5001,
                "{kind} s1={s1}: 5000 steps and the start"
            );
            let entry = &f.data["runs"][kind][format!("s1={s1}")];
            for (j, name) in ["z1", "z2"].iter().enumerate() {
                let col: Vec<f64> = entry[*name]
                    .as_array()
                    .unwrap_or_else(|| panic!("{kind} s1={s1}: no {name} in the figure data"))
                    .iter()
                    .map(|v| v.as_f64().expect("a number"))
                    .collect();
                let want: Vec<f64> = tr.responses.iter().map(|z| z[j]).collect();
                assert_eq!(col, want, "{kind} s1={s1} {name}");
            }
        }
    }
    // Two panels; left: dual dotted + primal L2 solid; right: primal L2 solid + SD dashed.
    let p = f.data["panels"].as_array().expect("panels");
    assert_eq!(p.len(), 2);
    let styles = |panel: &serde_json::Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = panel["series"]
            .as_array()
            .expect("series")
            .iter()
            .map(|s| {
                (
                    s["kind"].as_str().unwrap_or("").to_string(),
                    s["dash"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(
        styles(&p[0]),
        [
            ("dual L2".into(), "dotted".into()),
            ("primal L2".into(), "solid".into())
        ]
    );
    assert_eq!(
        styles(&p[1]),
        [
            ("primal L2".into(), "solid".into()),
            ("primal SD".into(), "dashed".into())
        ]
    );
}

#[test]
fn primal_l2_end_points_fall_in_z2_as_s1_grows() {
    let (_, runs) = figure6();
    let ends: Vec<(f64, f64)> = S1
        .iter()
        .map(|&s1| end(&run(&runs, "primal L2", s1).1))
        .collect();
    eprintln!("primal L2 end points (z1, z2) for s1 = 2..6: {ends:?}");
    for w in ends.windows(2) {
        assert!(w[1].1 < w[0].1, "z2 does not fall: {w:?}");
        assert!(w[1].0 > w[0].0, "z1 does not grow: {w:?}");
    }
}

#[test]
fn primal_sd_end_points_agree_with_the_sd_equilibrium() {
    let (_, runs) = figure6();
    let mut star_first: Option<Vec<f64>> = None;
    for s1 in S1 {
        let (r, tr) = run(&runs, "primal SD", s1);
        let z_star = equilibrium(&r.model);
        // Theorem 2: z* does not depend on s1.
        match &star_first {
            None => star_first = Some(z_star.clone()),
            Some(z0) => assert!(dist((z0[0], z0[1]), &z_star) < 1e-9, "SD z* moved with s1"),
        }
        let measured = dist(end(tr), &z_star);
        let bound = primal_bound(r, tr, &z_star, true);
        eprintln!(
            "primal SD s1={s1}: ‖z_5000 − z*‖ = {measured:.3e}, derived bound {bound:.3e} (z* = {z_star:?})"
        );
        assert!(measured <= bound, "s1={s1}: {measured:.3e} > {bound:.3e}");
        // The figure's claim is that all SD curves end at one point: the bound must be far below
        // a pixel for the check to mean that.
        assert!(
            bound < 0.1 * PIXEL,
            "s1={s1}: the bound {bound:.3e} says too little"
        );
    }
}

#[test]
fn dual_and_primal_l2_end_near_the_same_point() {
    let (_, runs) = figure6();
    for s1 in S1 {
        let (rp, tp) = run(&runs, "primal L2", s1);
        let (rd, td) = run(&runs, "dual L2", s1);
        let z_star = equilibrium(&rp.model);
        assert!(
            dist((z_star[0], z_star[1]), &equilibrium(&rd.model)) == 0.0,
            "same model"
        );
        let (ep, ed) = (end(tp), end(td));
        let dp = dist(ep, &z_star);
        let dd = dist(ed, &z_star);
        let gap = (ep.0 - ed.0).hypot(ep.1 - ed.1);
        let bp = primal_bound(rp, tp, &z_star, false);
        let bd = dual_bound(rd, td, &z_star);
        eprintln!(
            "s1={s1}: primal ‖z − z*‖ = {dp:.3e} ≤ {bp:.3e}; dual ‖z − z*‖ = {dd:.3e} ≤ {bd:.3e}; ‖dual − primal‖ = {gap:.3e} (pixel {PIXEL:.3e})"
        );
        assert!(dp <= bp, "s1={s1}: primal {dp:.3e} > {bp:.3e}");
        assert!(dd <= bd, "s1={s1}: dual {dd:.3e} > {bd:.3e}");
        assert!(gap <= bp + bd, "s1={s1}");
        assert!(
            gap < PIXEL,
            "s1={s1}: the ends are {gap:.3e} apart, more than a pixel {PIXEL:.3e}"
        );
    }
}
