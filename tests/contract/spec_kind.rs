//! Issue 17, "The spec says what it is": "an explicit spec kind (or `Spec::tasks()`), used by
//! every front end instead of `is_some()` ladders". Each shipped spec's kind is the command the
//! README runs it with.

use starvation::spec::{SpecKind, parse_spec};

fn spec(body: &str) -> starvation::spec::Spec {
    parse_spec(&format!(r#"{{"name": "k", {body}}}"#)).expect("a valid spec")
}

const MODEL: &str = r#""model": {"features": {"toy": {"s1": 2, "s2": 1, "delta": 0.3}}}"#;

#[test]
fn each_section_is_a_kind_of_work() {
    assert_eq!(spec(MODEL).tasks(), vec![SpecKind::Equilibrium]);
    let runs = spec(&format!(r#"{MODEL}, "simulation": {{"t_end": 1}}"#));
    assert_eq!(runs.tasks(), vec![SpecKind::Run]);
    assert_eq!(runs.kind().command(), "run");
    let both = spec(&format!(
        r#"{MODEL}, "simulation": {{"t_end": 1}}, "equilibrium": {{}}"#
    ));
    assert_eq!(both.tasks(), vec![SpecKind::Run, SpecKind::Equilibrium]);
    assert_eq!(both.kind(), SpecKind::Run);
}

#[test]
fn every_shipped_spec_has_the_kind_its_file_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let s = parse_spec(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let expected = if raw.get("experiment").is_some() {
            SpecKind::Experiment
        } else if raw.get("sweep").is_some() {
            SpecKind::Sweep
        } else if raw.get("simulation").is_some() {
            SpecKind::Run
        } else if raw.get("portrait").is_some() {
            SpecKind::Portrait
        } else {
            SpecKind::Equilibrium
        };
        assert_eq!(s.kind(), expected, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 10, "the shipped specs: {seen}");
}
