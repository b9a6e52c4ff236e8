//! Claim (issue 21, class 2): "a data path in a spec is resolved against the spec's folder;
//! absolute paths and paths that leave that folder (`..`, symbolic links) are refused unless the
//! user names the folder; error messages never echo file contents; CSV reading follows RFC 4180
//! through a well-kept crate: a UTF-8 byte-order mark is skipped, quoted fields and CR, LF and
//! CRLF line ends are read, duplicate or empty header names are refused, data with a single
//! class are refused for classification, and the messages speak of a CSV file."
//!
//! `starvation check` reads the data (it builds the data set) without training.

use std::path::Path;
use std::process::Command;

use serde_json::json;

fn check(dir: &Path, data_dir: Option<&Path>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_starvation"));
    c.current_dir(dir).args(["check", "spec/spec.json"]);
    c.env_remove("STARVATION_DATA");
    if let Some(d) = data_dir {
        c.env("STARVATION_DATA", d);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A folder `spec/` holding spec.json whose data is the CSV at `path` (as written in the spec).
fn spec_with(dir: &Path, path: &str) {
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    let spec = json!({
        "name": "csv_experiment",
        "experiment": {
            "data": { "csv": { "path": path } },
            "network": { "hidden": [4] },
            "training": { "epochs": 5 },
            "seeds": 1,
            "grid": { "resolution": 10 }
        }
    });
    std::fs::write(dir.join("spec/spec.json"), spec.to_string()).unwrap();
}

const GOOD: &str = "x1,x2,y\n0.1,0.2,1\n-0.3,0.4,-1\n0.5,-0.6,1\n";

#[test]
fn data_paths_stay_in_the_specs_folder_unless_a_data_folder_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("spec/sub")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::write(root.join("spec/sub/d.csv"), GOOD).unwrap();
    std::fs::write(root.join("elsewhere/d.csv"), GOOD).unwrap();
    // Relative to the spec's folder, not the working folder.
    spec_with(root, "sub/d.csv");
    assert_eq!(check(root, None).0, 0, "{}", check(root, None).1);
    let outside = root.join("elsewhere/d.csv");
    std::os::unix::fs::symlink(&outside, root.join("spec/link.csv")).unwrap();
    for written in [
        "../elsewhere/d.csv".to_string(),
        "sub/../../elsewhere/d.csv".to_string(),
        outside.display().to_string(),
        "link.csv".to_string(),
    ] {
        spec_with(root, &written);
        let (code, err) = check(root, None);
        assert_eq!(code, 2, "{written}: {err}");
        assert!(
            err.starts_with("error: experiment.data.csv.path: "),
            "{err}"
        );
        assert!(err.contains("outside the spec's folder"), "{err}");
        assert!(err.contains("STARVATION_DATA"), "{err}");
        // Named folder: allowed.
        let (code, err) = check(root, Some(&root.join("elsewhere")));
        assert_eq!(code, 0, "{written} with STARVATION_DATA: {err}");
    }
}

#[test]
fn messages_never_echo_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let secret = "root:x:0:0:SECRET-TOKEN-123:/root:/bin/bash\nsecond SECRET-LINE\n";
    spec_with(root, "secret.csv");
    std::fs::write(root.join("spec/secret.csv"), secret).unwrap();
    let (code, err) = check(root, None);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("SECRET") && !err.contains("root:x"), "{err}");
    assert!(err.contains("CSV file"), "{err}");
    for (text, what) in [
        ("x,y\nSECRET,1\n0,-1\n", "not a number"),
        ("x,SECRET\n1,1\n", "no column named"),
    ] {
        std::fs::write(root.join("spec/secret.csv"), text).unwrap();
        let (code, err) = check(root, None);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(what), "{err}");
        assert!(!err.contains("SECRET"), "{err}");
    }
}

#[test]
fn csv_files_are_read_as_rfc_4180() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    spec_with(root, "d.csv");
    let accepted = [
        (
            "BOM",
            "\u{feff}x1,x2,y\n0.1,0.2,1\n0.3,0.4,-1\n".to_string(),
        ),
        ("CRLF", GOOD.replace('\n', "\r\n")),
        ("CR", GOOD.replace('\n', "\r")),
        (
            "quoted",
            "\"x\",\"x2, with comma\",\"y\"\n\"0.1\",0.2,\"1\"\n0.3,\" 0.4 \",-1\n".to_string(),
        ),
        ("blank lines", format!("\n{GOOD}\n\n")),
        ("0/1 labels", "x1,x2,y\n1,1,0\n2,2,1\n".to_string()),
    ];
    for (what, text) in accepted {
        std::fs::write(root.join("spec/d.csv"), text).unwrap();
        let (code, err) = check(root, None);
        assert_eq!(code, 0, "{what}: {err}");
    }
    let refused = [
        ("x,x,y\n1,2,1\n3,4,-1\n", "alike"),
        ("x,,y\n1,2,1\n3,4,-1\n", "empty name for column 2"),
        ("x,y\n1,1\n2,1\n3,1\n", "single class"),
        ("x,y\n1,0\n2,0\n", "single class"),
        ("x1,x2,y\n1,2,1\n3,-1\n", "cells in row 3"),
        ("x,y\n\"1,1\n", "CSV"),
        ("", "empty"),
        ("x,y\n1,2\n", "not ±1"),
        ("x,y\nnan,1\n2,-1\n", "not a finite number"),
    ];
    for (text, what) in refused {
        std::fs::write(root.join("spec/d.csv"), text).unwrap();
        let (code, err) = check(root, None);
        assert_eq!(code, 2, "{text:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("CSV file"), "{text:?}: {err}");
        assert!(err.contains(what), "{text:?}: {what:?} not in {err}");
    }
}
