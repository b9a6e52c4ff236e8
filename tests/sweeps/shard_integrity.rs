//! Claim (issue 21, class 6): "every shard file carries a checksum of its content and is checked
//! line by line for its shape (cells per line, columns per cell); `merge` and a rerun of
//! `--shard` refuse an altered, truncated or foreign shard, naming the file, the line and what
//! is wrong (a shard file saved under another shard's name is named as such)."
//!
//! Each case damages one shard of a two-shard sweep in one way and checks that `merge` and a
//! rerun of that shard exit with status 2 and a one-line message naming the file and the fault,
//! that nothing is merged, and that the damaged file is left as it was (not silently replaced).

use std::path::Path;
use std::process::Command;

fn starvation(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

const SPEC: &str = r#"{ "name": "m", "model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }, "sweep": { "axes": [ { "parameter": "delta", "values": [0.1, 0.2, 0.3, 0.4] }, { "parameter": "s1", "values": [1, 2, 3] } ], "metrics": ["z", "starvation_ratio"] } }"#;

/// A folder with both shards of the spec run; returns the two shard files' text.
fn sharded(dir: &Path, spec: &str) -> [String; 2] {
    std::fs::write(dir.join("m.json"), spec).unwrap();
    for k in ["1/2", "2/2"] {
        let (code, err) = starvation(dir, &["sweep", "m.json", "--out", "o", "--shard", k]);
        assert_eq!(code, 0, "{err}");
    }
    [1, 2].map(|k| std::fs::read_to_string(dir.join(format!("o/m.shard-{k}-of-2.json"))).unwrap())
}

/// Puts `text` in place of shard 2, then checks that merge and a rerun of shard 2 refuse it
/// with a message containing every piece of `expect`.
fn refused(dir: &Path, text: &str, expect: &[&str]) {
    let file = dir.join("o/m.shard-2-of-2.json");
    std::fs::write(&file, text).unwrap();
    for args in [
        &["merge", "m.json", "--out", "o"][..],
        &["sweep", "m.json", "--out", "o", "--shard", "2/2"][..],
    ] {
        let (code, err) = starvation(dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains("m.shard-2-of-2.json"), "names the file: {err}");
        for piece in expect {
            assert!(err.contains(piece), "{args:?}: {piece:?} not in {err}");
        }
        assert!(!dir.join("o/m.sweep.csv").exists(), "nothing merged");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            text,
            "left as it was"
        );
    }
}

/// The JSON of shard text with `edit` applied to its parsed value, re-serialised compactly
/// with the fields in the writer's order.
fn edited(text: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    edit(&mut v);
    let fields: Vec<String> = [
        "format",
        "spec_hash",
        "shard",
        "of",
        "lines",
        "shape",
        "results",
        "checksum",
    ]
    .iter()
    .map(|k| format!("\"{k}\":{}", serde_json::to_string(&v[*k]).unwrap()))
    .collect();
    format!("{{{}}}", fields.join(","))
}

#[test]
fn intact_shards_merge_and_a_rerun_skips_them() {
    let tmp = tempfile::tempdir().unwrap();
    let [a, b] = sharded(tmp.path(), SPEC);
    for t in [&a, &b] {
        assert!(t.contains("\"shape\":{\"cells\":3,\"columns\":"), "{t}");
        assert!(t.contains("\"checksum\":\"fnv1a64:"), "{t}");
    }
    // Re-serialising (object keys sorted inside the lines) changes nothing the checksum covers.
    std::fs::write(tmp.path().join("o/m.shard-2-of-2.json"), edited(&b, |_| {})).unwrap();
    let (code, err) = starvation(
        tmp.path(),
        &["sweep", "m.json", "--out", "o", "--shard", "2/2"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, err) = starvation(tmp.path(), &["merge", "m.json", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_altered_value_is_refused_by_its_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, b] = sharded(tmp.path(), SPEC);
    let text = edited(&b, |v| {
        let x = &mut v["results"][1]["cells"][2]["values"][0];
        *x = serde_json::json!(x.as_f64().unwrap() * 1.000001);
    });
    refused(tmp.path(), &text, &["checksum", "altered"]);
    // A changed failure reason, or a changed header field, too.
    let text = edited(&b, |v| v["lines"] = serde_json::json!([2, 4]));
    let text = edited(&text, |v| v["checksum"] = serde_json::json!("fnv1a64:0"));
    refused(tmp.path(), &text, &["checksum"]);
}

#[test]
fn a_line_of_the_wrong_shape_is_named_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, b] = sharded(tmp.path(), SPEC);
    // Shard 2 holds sweep lines 2 and 3; results[1] is sweep line 3.
    let fewer_cells = edited(&b, |v| {
        v["results"][1]["cells"].as_array_mut().unwrap().pop();
    });
    refused(
        tmp.path(),
        &fewer_cells,
        &["results[1] (sweep line 3)", "has 2 cells", "have 3"],
    );
    let fewer_columns = edited(&b, |v| {
        v["results"][0]["cells"][1]["values"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    refused(
        tmp.path(),
        &fewer_columns,
        &["results[0] (sweep line 2)", "cell 1 has"],
    );
    let renumbered = edited(&b, |v| v["results"][1]["line"] = serde_json::json!(7));
    refused(
        tmp.path(),
        &renumbered,
        &["results[1] (sweep line 3)", "holds sweep line 7"],
    );
    let missing_line = edited(&b, |v| {
        v["results"].as_array_mut().unwrap().pop();
    });
    refused(tmp.path(), &missing_line, &["holds 1 lines", "2..4"]);
}

#[test]
fn a_truncated_shard_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [_, b] = sharded(tmp.path(), SPEC);
    for cut in [b.len() - 1, b.len() / 2, 40, 1] {
        refused(tmp.path(), &b[..cut], &["truncated"]);
    }
    // Cut cleanly before its checksum.
    let (head, _) = b.rsplit_once(",\"checksum\"").unwrap();
    refused(tmp.path(), &format!("{head}}}"), &["no checksum"]);
    // Empty.
    refused(tmp.path(), "", &["truncated"]);
}

#[test]
fn a_foreign_shard_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    sharded(tmp.path(), SPEC);
    // Shard 2 of another spec (other metrics: another shape too).
    let other = tempfile::tempdir().unwrap();
    let [_, foreign] = sharded(other.path(), &SPEC.replace("\"z\", ", ""));
    refused(tmp.path(), &foreign, &["different spec"]);
    // A file of an older format.
    std::fs::remove_file(tmp.path().join("o/m.shard-2-of-2.json")).unwrap();
    let [_, b] = sharded(tmp.path(), SPEC);
    let old = b.replace("starvation-sweep-shard-4", "starvation-sweep-shard-3");
    refused(tmp.path(), &old, &["format", "older or foreign"]);
    // Not JSON at all.
    refused(tmp.path(), "id,value\n1,2\n", &["m.shard-2-of-2.json"]);
}

#[test]
fn a_shard_saved_under_another_shards_name_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let [a, _] = sharded(tmp.path(), SPEC);
    refused(
        tmp.path(),
        &a,
        &[
            "holds shard 1/2",
            "saved under the name of shard 2/2",
            "m.shard-1-of-2.json",
        ],
    );
}
