//! Issue 10, point 5: "Thresholds only along the last axis. Curves stop short where the level set
//! is flat along that axis, and facets where the metric does not change along it get no threshold
//! at all." Fix claimed (level-set part): `sweep.level_sets` exports the level set of a metric over
//! two named axes (others fixed at each of their values) as polylines, computed by marching
//! squares on the grid — in the sweep document and in `NAME.levels.csv` — so a curve continues
//! where the metric is flat along one axis.

use starvation::sweep::marching_squares;

fn grid(n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

fn sample(xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    ys.iter()
        .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
        .map(|(x, y)| f(x, y))
        .collect()
}

#[test]
fn a_linear_metric_gives_its_exact_line() {
    let (xs, ys) = (grid(11, 0.0, 1.0), grid(7, 0.0, 1.0));
    let curves = marching_squares(&xs, &ys, &sample(&xs, &ys, |x, y| x + 2.0 * y), 1.0);
    assert_eq!(curves.len(), 1, "one connected curve");
    for p in &curves[0] {
        assert!((p[0] + 2.0 * p[1] - 1.0).abs() < 1e-14, "{p:?}");
    }
    // It runs from one border to the other: (1, 0) and (0, 0.5).
    let ends = [curves[0][0], *curves[0].last().unwrap()];
    assert!(
        ends.iter()
            .any(|p| (p[0] - 1.0).abs() < 1e-14 && p[1].abs() < 1e-14)
    );
    assert!(
        ends.iter()
            .any(|p| p[0].abs() < 1e-14 && (p[1] - 0.5).abs() < 1e-14)
    );
}

#[test]
fn a_metric_flat_along_x_still_gives_a_curve_across_x() {
    // Flat along x: a threshold along x finds nothing, the level set is the line y = 0.35.
    let (xs, ys) = (grid(9, 0.0, 1.0), grid(9, 0.0, 1.0));
    let curves = marching_squares(&xs, &ys, &sample(&xs, &ys, |_, y| y), 0.35);
    assert_eq!(curves.len(), 1);
    assert_eq!(curves[0].len(), 9, "one point per x grid line");
    assert!(curves[0].iter().all(|p| (p[1] - 0.35).abs() < 1e-15));
}

#[test]
fn a_closed_level_set_is_one_ring_near_the_circle() {
    let (xs, ys) = (grid(41, -1.0, 1.0), grid(41, -1.0, 1.0));
    let curves = marching_squares(&xs, &ys, &sample(&xs, &ys, |x, y| x * x + y * y), 0.25);
    assert_eq!(curves.len(), 1);
    let ring = &curves[0];
    assert_eq!(ring.first(), ring.last(), "closed");
    // Linear interpolation of r² across a cell of width h = 0.05 errs by at most h²/4 in r².
    for p in ring {
        let r2 = p[0] * p[0] + p[1] * p[1];
        assert!((r2 - 0.25).abs() <= 0.05f64.powi(2) / 4.0 + 1e-15, "{p:?}");
    }
}

#[test]
fn a_sweep_writes_its_level_sets() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("lv.json");
    std::fs::write(
        &spec,
        r#"{ "name": "lv",
             "model": { "features": { "toy": { "s1": 2, "s2": 2, "delta": 0.3 } } },
             "sweep": { "axes": [
                 { "parameter": "lambda", "values": [0.01, 0.1] },
                 { "parameter": "delta", "values": { "linspace": { "start": 0.05, "stop": 0.45, "count": 9 } } },
                 { "parameter": "s1", "values": { "logspace": { "start": 2, "stop": 200, "count": 30 } } } ],
               "metrics": ["z", "starvation_ratio"],
               "level_sets": [ { "metric": "ratio2", "level": 0.5, "x": "s1", "y": "delta" } ] } }"#,
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["sweep", spec.to_str().unwrap(), "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("lv.sweep.json")).unwrap())
            .unwrap();
    let sets = doc["data"]["level_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2, "one slice per λ");
    assert_eq!(sets[0]["fixed"]["lambda"], 0.01);
    assert!(!sets[0]["curves"].as_array().unwrap().is_empty());
    let csv = std::fs::read_to_string(tmp.path().join("lv.levels.csv")).unwrap();
    assert!(
        csv.starts_with("metric,level,slice,curve,lambda,x,y\n"),
        "{csv}"
    );
    assert!(csv.lines().count() > 5);
    // Every point lies inside the grid.
    for line in csv.lines().skip(1) {
        let f: Vec<f64> = line
            .rsplit(',')
            .take(2)
            .map(|v| v.parse().unwrap())
            .collect();
        let (y, x) = (f[0], f[1]);
        assert!(
            (2.0..=200.0).contains(&x) && (0.05..=0.45).contains(&y),
            "{line}"
        );
    }
}

#[test]
fn a_level_set_on_an_unknown_axis_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("bad.json");
    std::fs::write(
        &spec,
        r#"{ "name": "bad", "model": { "features": { "toy": { "s1": 2, "s2": 2, "delta": 0.3 } } },
             "sweep": { "axes": [ { "parameter": "s1", "values": [1, 2] }, { "parameter": "delta", "values": [0.1, 0.2] } ],
               "metrics": ["z"], "level_sets": [ { "metric": "z2", "level": 1, "x": "s1", "y": "lambda" } ] } }"#,
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["sweep", spec.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sweep.level_sets[0].y") && err.contains("s1, delta"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}
