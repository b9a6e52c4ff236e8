//! `starvation explore` serves the engine's numbers: the portrait's equilibrium is
//! `find_equilibrium`'s z*, a bad request is an HTTP 400 with the CLI's one-line message and the
//! server keeps answering, and `explore SPEC` opens the spec's model.
#![cfg(feature = "explore")]

use std::io::{Read, Write};
use std::net::TcpStream;

use starvation::equilibrium::{EquilibriumOptions, find_equilibrium};
use starvation::explore::Explorer;
use starvation::model::{FeatureModel, Regulariser};

/// GET `path` from the explorer at `url`: (status, body).
fn get(url: &str, path: &str) -> (u16, String) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    // HTTP/1.0: a plain body (no chunked transfer encoding) that ends when the server closes.
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

fn start(spec: Option<&std::path::Path>) -> (String, String) {
    let e = Explorer::bind(spec, 0).unwrap();
    let (url, initial) = (e.url().to_string(), e.initial_query().to_string());
    std::thread::spawn(move || e.run());
    (url, initial)
}

#[test]
fn portrait_equilibrium_is_the_engines_and_bad_requests_are_400() {
    let (url, _) = start(None);
    let (status, body) = get(
        &url,
        "/api/portrait?s1=6&s2=2&delta=0.5&reg=sd&lambda=0.002",
    );
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let model = FeatureModel::two_feature_toy(6.0, 2.0, 0.5)
        .unwrap()
        .with_regulariser(Regulariser::SpectralDecoupling(
            starvation::model::SpectralDecoupling::uniform(0.002),
        ))
        .unwrap();
    let eq = find_equilibrium(&model, None, &EquilibriumOptions::default()).unwrap();
    let shown: Vec<f64> = serde_json::from_value(v["readouts"]["z"].clone()).unwrap();
    assert_eq!(shown, eq.point);
    assert_eq!(v["equilibrium"]["stability"], eq.stability.name());
    for (query, field) in [
        ("s1=0", "model.features.toy.s1"),
        ("delta=1", "model.features.toy.delta"),
        ("cells=1000000", "cells"),
        ("arrows=100000", "arrows"),
        ("lambda=-1", "model.regulariser.l2.lambda"),
        ("nonsense=2", "nonsense"),
    ] {
        let (status, body) = get(&url, &format!("/api/diagram?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body.starts_with(&format!("error: {field}: ")),
            "{query}: {body}"
        );
        assert!(!body.trim().contains('\n'), "one line: {body}");
    }
    // Still serving after the bad requests.
    assert_eq!(get(&url, "/api/check?s1=3").0, 200);
    assert_eq!(get(&url, "/").0, 200);
    assert_eq!(get(&url, "/nowhere").0, 404);
}

#[test]
fn explore_spec_opens_the_specs_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(
        &path,
        r#"{"name": "s", "model": {"features": {"toy": {"s1": 5, "s2": 1.5, "delta": 0.25}},
            "regulariser": {"sd": {"lambda": 0.003}}, "loss": "exact", "rate": 2}}"#,
    )
    .unwrap();
    let (url, initial) = start(Some(&path));
    let (status, body) = get(&url, &format!("/api/portrait?{initial}"));
    assert_eq!(status, 200, "{body}");
    let (_, spec) = get(&url, &format!("/api/spec?{initial}"));
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(spec["model"]["features"]["toy"]["s1"], 5.0);
    assert_eq!(spec["model"]["regulariser"]["sd"]["lambda"], 0.003);
    assert_eq!(spec["model"]["rate"], 2.0);
    // A bad spec is refused before serving, with the CLI's message.
    std::fs::write(
        &path,
        r#"{"name": "s", "model": {"features": {"toy": {"s1": -5, "s2": 1, "delta": 0}}}}"#,
    )
    .unwrap();
    let err = Explorer::bind(Some(&path), 0).err().unwrap().to_string();
    assert!(err.starts_with("model.features.toy.s1: "), "{err}");
}
