//! Claim (issue 22, point 7: "keyboard and typed precision for bisection"): `/api/bisect`
//! locates a threshold along a field of the view to the typed precision with the sweep's
//! threshold machinery — the starvation ratio z₂*/z₂⁰ = 0.5 along s₁ is bracketed to 10⁻⁹ by
//! a bracket whose two ends lie on opposite sides of the level when recomputed by a second
//! method (`analyse`, Newton on the full model and on its uncoupled twin, not the sweep's toy
//! fast path); the flip of gradient descent along the step (period 1 → 2, level 1.5) is found
//! within 10⁻⁴ relative of the eigenvalue prediction 2/|λ_min| the same answer reports; a bad
//! request is a 400 naming the parameter, through the real server.
//!
//! Tolerances: the bracket ends are 10⁻⁹ apart on a ratio whose slope in s₁ is O(0.1), so the
//! level's sides differ by ~10⁻¹⁰ against Newton's 10⁻¹² accuracy: the sign test is decided.
//! The period test detects a 2-cycle once its branches separate by more than its return
//! tolerance (10⁻⁹ relative); they grow as √(h − h*), so the detected flip lies above h* by
//! O(10⁻⁹)·h*, and the iteration budget's slow convergence next to h* (multiplier → −1) moves
//! it by well under 10⁻⁴ h*.
#![cfg(feature = "explore")]

use std::io::{Read, Write};
use std::net::TcpStream;

use starvation::equilibrium::EquilibriumOptions;
use starvation::equilibrium::report::analyse;
use starvation::explore::Explorer;
use starvation::model::{FeatureModel, Regulariser};

fn get(url: &str, path: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|p| p.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

/// z₂*/z₂⁰ of the toy at s₁ (s₂ = 2, δ = 0.3, L2 λ = 0.01) by `analyse`.
fn ratio2(s1: f64) -> f64 {
    let model = FeatureModel::two_feature_toy(s1, 2.0, 0.3)
        .unwrap()
        .with_regulariser(Regulariser::L2 { lambda: 0.01 })
        .unwrap();
    let r = analyse(&model, None, &EquilibriumOptions::default()).unwrap();
    r.equilibrium.point[1] / r.uncoupled.unwrap()[1]
}

#[test]
fn bisection_brackets_the_threshold_to_the_typed_precision() {
    let e = Explorer::bind(None, 0).unwrap();
    let url = e.url().to_string();
    std::thread::spawn(move || e.run());

    let q = "/api/bisect?s1=4&s2=2&delta=0.3&bisect=s1&bisect_metric=ratio2&bisect_level=0.5&bisect_range=2,30&bisect_precision=1e-9";
    let (status, body) = get(&url, q);
    assert_eq!(status, 200, "{body}");
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    let crossings = d["crossings"].as_array().unwrap();
    assert_eq!(crossings.len(), 1, "{body}");
    let c = &crossings[0];
    assert_eq!(c["status"], "found");
    let v = c["value"].as_f64().unwrap();
    let (a, b) = (
        c["bracket"][0].as_f64().unwrap(),
        c["bracket"][1].as_f64().unwrap(),
    );
    assert!(a <= v && v <= b && b - a <= 1e-9, "{body}");
    let (ra, rb) = (ratio2(a) - 0.5, ratio2(b) - 0.5);
    assert!(ra * rb < 0.0, "ends on one side: {ra:e}, {rb:e}");
    // A grid point 0.01 away is clearly on its side (the threshold is not at the range's end).
    assert!((ratio2(v - 0.01) - 0.5) * (ratio2(v + 0.01) - 0.5) < 0.0);

    let q = "/api/bisect?s1=4&s2=2&delta=0.5&bisect=step&bisect_precision=1e-6";
    let (status, body) = get(&url, q);
    assert_eq!(status, 200, "{body}");
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(d["metric"], "period");
    let flip = d["predicted_flip"].as_f64().unwrap();
    let found: Vec<f64> = d["crossings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "found" && c["direction"] == "rising")
        .map(|c| c["value"].as_f64().unwrap())
        .collect();
    let first = found.first().copied().unwrap_or(f64::NAN);
    assert!(
        (first - flip).abs() <= 1e-4 * flip,
        "located flip {first}, predicted {flip}: {body}"
    );

    for (query, field) in [
        ("bisect=mu", "bisect"),
        ("bisect=s1&bisect_metric=period", "bisect_metric"),
        ("bisect=step&bisect_metric=ratio2", "bisect_metric"),
        (
            "bisect=s1&bisect_range=1,2&bisect_precision=5",
            "bisect_precision",
        ),
        ("bisect=s1&bisect_precision=-1", "bisect_precision"),
        ("bisect_level=0.5", "bisect_level"),
        ("bisect=s1&bisect_metric=nope", "bisect_metric"),
    ] {
        let (status, body) = get(&url, &format!("/api/bisect?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body.starts_with(&format!("error: {field}: ")) && body.trim_end().lines().count() == 1,
            "{query}: {body}"
        );
    }
}
