//! Issue 9, class 8: "duplicate JSON keys are accepted silently (the last wins)". Claim: a spec in
//! which one object has a key twice is refused before any work with one line naming the object's
//! path and the key, exit status 2; so is a shard file with a repeated key when merging.

use crate::common;
use std::path::Path;

fn starvation(dir: &Path, args: &[&str]) -> (i32, String) {
    let r = common::run_binary(Some(dir), args);
    (r.code, r.stderr)
}

#[test]
fn a_repeated_key_is_refused_with_its_path() {
    let cases = [
        (
            r#"{ "name": "d", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } }, "regulariser": { "l2": { "lambda": 0.01 }, "l2": { "lambda": 1 } } } }"#,
            r#"error: model.regulariser: key "l2" appears twice; keep one"#,
        ),
        (
            r#"{ "name": "d", "name": "e", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } } }"#,
            r#"error: spec: key "name" appears twice; keep one"#,
        ),
        (
            r#"{ "name": "d", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }, "runs": [ { "label": "a" }, { "label": "b", "label": "c" } ] }"#,
            r#"error: runs[1]: key "label" appears twice; keep one"#,
        ),
        (
            r#"{ "name": "d", "model": { "features": { "toy": { "s1": 3, "s1": 4, "s2": 1, "delta": 0.3 } } } }"#,
            r#"error: model.features.toy: key "s1" appears twice; keep one"#,
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (i, (spec, expected)) in cases.iter().enumerate() {
        let file = format!("d{i}.json");
        std::fs::write(tmp.path().join(&file), spec).unwrap();
        for command in ["check", "equilibrium"] {
            let (code, err) = starvation(
                tmp.path(),
                &[command, &file, "--out", "out"][..if command == "check" { 2 } else { 4 }],
            );
            assert_eq!(code, 2, "{command} {file}: {err}");
            assert_eq!(err.trim_end(), *expected, "{command} {file}");
        }
        assert!(!tmp.path().join("out").exists(), "nothing written");
        // The same spec without the repetition is valid (the error is the repetition alone).
        let value: serde_json::Value = serde_json::from_str(spec).unwrap();
        std::fs::write(tmp.path().join(&file), value.to_string()).unwrap();
        let (code, err) = starvation(tmp.path(), &["check", &file]);
        assert_eq!(code, 0, "{file} without the repeated key: {err}");
    }
}

#[test]
fn merge_refuses_a_shard_file_with_a_repeated_key() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = r#"{ "name": "m", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }, "sweep": { "axes": [ { "parameter": "delta", "values": [0.1, 0.2] }, { "parameter": "s1", "values": [1, 2] } ], "metrics": ["z"] } }"#;
    std::fs::write(tmp.path().join("m.json"), spec).unwrap();
    for k in ["1/2", "2/2"] {
        let (code, err) = starvation(tmp.path(), &["sweep", "m.json", "--out", "o", "--shard", k]);
        assert_eq!(code, 0, "{err}");
    }
    let shard = tmp.path().join("o/m.shard-2-of-2.json");
    let text = std::fs::read_to_string(&shard).unwrap();
    assert!(text.starts_with('{'));
    // The same document with its first key written twice (the second copy is what it held).
    let (first_key, _) = text[1..].split_once(':').unwrap();
    std::fs::write(&shard, format!("{{{first_key}: null,{}", &text[1..])).unwrap();
    let (code, err) = starvation(tmp.path(), &["merge", "m.json", "--out", "o"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("m.shard-2-of-2.json"), "{err}");
    assert!(!tmp.path().join("o/m.sweep.csv").exists());
    // Restored, it merges.
    std::fs::write(&shard, &text).unwrap();
    let (code, err) = starvation(tmp.path(), &["merge", "m.json", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
}
