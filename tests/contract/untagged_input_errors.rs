//! Issue 10, point 8: "Errors for the most common mistakes are jargon: any malformed `values`
//! gives 'data did not match any variant of untagged enum ValuesSpec'; `"l2": 0.01` likewise."
//! Fix claimed: each such input fails with one line that names the field and lists the accepted
//! forms with an example. Each case runs `starvation check` on a spec with one mistake.

use std::process::Command;

fn check(spec: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn assert_forms(spec: &str, field: &str, forms: &[&str]) {
    let (code, stderr) = check(spec);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(field), "should name {field}: {stderr}");
    for f in forms {
        assert!(stderr.contains(f), "should show {f}: {stderr}");
    }
    assert!(!stderr.contains("untagged"), "no serde jargon: {stderr}");
}

const VALUES_FORMS: [&str; 3] = [
    "[0.1, 0.2]",
    r#"{"linspace": {"start": 0, "stop": 1, "count": 11}}"#,
    r#"{"logspace": {"#,
];

fn sweep_with_values(values: &str) -> String {
    format!(
        r#"{{ "name": "x", "model": {{ "features": {{ "toy": {{ "s1": 2, "s2": 1, "delta": 0.3 }} }} }},
            "sweep": {{ "axes": [ {{ "parameter": "s1", "values": {values} }} ], "metrics": ["z"] }} }}"#
    )
}

#[test]
fn malformed_values_list_the_three_forms() {
    for bad in [
        r#"{"linspace": {"start": 0, "stop": 1}}"#,
        r#"{"linspace": [0, 1, 11]}"#,
        r#"{"range": {"start": 0, "stop": 1, "count": 3}}"#,
        r#"[0.1, "0.2"]"#,
        r#""0.1, 0.2""#,
        "0.5",
    ] {
        assert_forms(
            &sweep_with_values(bad),
            "sweep.axes[0].values",
            &VALUES_FORMS,
        );
    }
}

#[test]
fn a_missing_range_field_is_still_named() {
    let (_, stderr) = check(&sweep_with_values(
        r#"{"linspace": {"start": 0, "stop": 1}}"#,
    ));
    assert!(stderr.contains("missing field `count`"), "{stderr}");
}

fn model_with_regulariser(r: &str) -> String {
    format!(
        r#"{{ "name": "x", "model": {{ "features": {{ "toy": {{ "s1": 2, "s2": 1, "delta": 0.3 }} }}, "regulariser": {r} }} }}"#
    )
}

#[test]
fn a_bare_lambda_lists_the_regulariser_forms() {
    let forms = [
        r#""none""#,
        r#"{"l2": {"lambda": 0.01}}"#,
        r#"{"sd": {"lambda": 0.01}}"#,
    ];
    for bad in [r#"{"l2": 0.01}"#, r#"{"sd": 0.5}"#, "0.01", r#""l2""#] {
        assert_forms(&model_with_regulariser(bad), "model.regulariser", &forms);
    }
}

#[test]
fn a_malformed_features_section_lists_the_feature_forms() {
    let spec = r#"{ "name": "x", "model": { "features": { "toy": [2, 1, 0.3] } } }"#;
    assert_forms(
        spec,
        "model.features",
        &[r#"{"toy": {"s1": 2, "s2": 1, "delta": 0.3}}"#],
    );
}
