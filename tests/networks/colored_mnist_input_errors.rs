//! Claim (issue #20, bad input): "Truncated or wrong-magic IDX files, counts that disagree
//! between images and labels, labels out of range, a data folder that does not exist, fewer
//! images than the protocol asks for: refused by `check` before any work, one line naming the
//! field or the file"; a data set is a name, never a path. And a folder named with `--data-dir`
//! is where a named data set is found first (here small synthetic IDX files, so that the same
//! spec runs end to end without Fashion-MNIST).

use std::path::Path;

use crate::common;

fn idx(dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(body);
    v
}

/// A data set `name` of `n` 8 × 8 images in `root/name` (raw IDX files).
fn write_dataset(
    root: &Path,
    name: &str,
    n: usize,
    images: Option<Vec<u8>>,
    labels: Option<Vec<u8>>,
) {
    let folder = root.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let pixels: Vec<u8> = (0..n * 64)
        .map(|k| ((k * 37 + k / 64 * 11) % 256) as u8)
        .collect();
    let classes: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    std::fs::write(
        folder.join("train-images-idx3-ubyte"),
        images.unwrap_or_else(|| idx(&[n as u32, 8, 8], &pixels)),
    )
    .unwrap();
    std::fs::write(
        folder.join("train-labels-idx1-ubyte"),
        labels.unwrap_or_else(|| idx(&[n as u32], &classes)),
    )
    .unwrap();
}

fn spec(dir: &Path, dataset: &str, train: usize, test: usize) -> std::path::PathBuf {
    let path = dir.join("spec.json");
    let text = serde_json::json!({
        "name": "synthetic",
        "experiment": {
            "data": { "colored_mnist": { "dataset": dataset, "train_examples": train, "test_examples": test } },
            "methods": [{ "name": "erm", "steps": 3, "hidden": [8, 8] }, { "name": "irm", "steps": 3, "hidden": [8, 8] }],
            "seeds": 2,
            "figure": { "variants": true },
            "responses": { "examples": 20, "indices": [0, 3] }
        }
    });
    std::fs::write(&path, text.to_string()).unwrap();
    path
}

fn check(spec: &Path, data: &Path) -> common::Ran {
    common::run_binary(
        None,
        &[
            "check",
            spec.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    )
}

fn refused(ran: &common::Ran, needles: &[&str]) {
    assert_eq!(ran.code, 2, "{}", ran.both());
    let line = ran.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    for n in needles {
        assert!(line.contains(n), "{n:?} not in {line}");
    }
}

#[test]
fn a_named_data_set_in_a_data_dir_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_dataset(data.path(), "tiny", 120, None, None);
    let s = spec(dir.path(), "tiny", 80, 40);
    let ran = check(&s, data.path());
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(ran.stdout.contains("120 images"), "{}", ran.stdout);
    let out = dir.path().join("out");
    let ran = common::run_binary(
        None,
        &[
            "run",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.both());
    assert!(out.join("synthetic_variants.png").is_file());
    assert!(out.join("synthetic_responses.png").is_file());
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("synthetic.experiment.json")).unwrap(),
    )
    .unwrap();
    // |z_k| per tracked index at each recorded step (steps 0 and 2), and the kernel's spectrum
    // at initialisation in descending order.
    for curve in doc["data"]["curves"].as_array().unwrap() {
        let r = &curve["responses"];
        assert_eq!(r["indices"], serde_json::json!([0, 3]));
        let features = r["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0].as_array().unwrap().len(), 2);
        let spectrum: Vec<f64> = r["spectrum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(spectrum.len(), 20);
        assert!(spectrum.windows(2).all(|w| w[0] >= w[1]) && spectrum[0] > 0.0);
        // The linearised network's prediction beside ERM's responses; none for IRMv1.
        let linearised = &r["linearised"];
        if curve["method"] == "erm" {
            assert_eq!(linearised["sd"], 0.0);
            assert_eq!(linearised["times"].as_array().unwrap().len(), 61);
            assert_eq!(linearised["features"][1].as_array().unwrap().len(), 61);
        } else {
            assert!(linearised.is_null(), "{linearised}");
        }
    }
}

#[test]
fn bad_data_is_refused_by_check_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let root = data.path();
    let n = 50;
    let good_labels = idx(&[n as u32], &vec![1; n]);
    // Truncated images.
    let mut short = idx(&[n as u32, 8, 8], &vec![0; n * 64]);
    short.truncate(short.len() - 10);
    write_dataset(root, "truncated", n, Some(short), None);
    refused(
        &check(&spec(dir.path(), "truncated", 20, 10), root),
        &[
            "truncated",
            "train-images-idx3-ubyte",
            "experiment.data.colored_mnist",
        ],
    );
    // Wrong magic (a labels file where the images belong).
    write_dataset(root, "magic", n, Some(good_labels.clone()), None);
    refused(
        &check(&spec(dir.path(), "magic", 20, 10), root),
        &["not count × rows × columns", "train-images-idx3-ubyte"],
    );
    let mut floats = idx(&[n as u32, 8, 8], &vec![0; n * 64]);
    floats[2] = 0x0d;
    write_dataset(root, "floats", n, Some(floats), None);
    refused(
        &check(&spec(dir.path(), "floats", 20, 10), root),
        &["magic number 00000d03"],
    );
    // Counts that disagree.
    write_dataset(
        root,
        "counts",
        n,
        None,
        Some(idx(&[(n - 1) as u32], &vec![1; n - 1])),
    );
    refused(
        &check(&spec(dir.path(), "counts", 20, 10), root),
        &["50 images", "49 labels"],
    );
    // A label out of range.
    let mut labels = vec![1u8; n];
    labels[7] = 12;
    write_dataset(root, "range", n, None, Some(idx(&[n as u32], &labels)));
    refused(
        &check(&spec(dir.path(), "range", 20, 10), root),
        &["label 12 of image 7 is out of range"],
    );
    // Fewer images than asked.
    write_dataset(root, "few", n, None, None);
    refused(
        &check(&spec(dir.path(), "few", 45, 10), root),
        &[
            "experiment.data.colored_mnist.train_examples",
            "= 55",
            "has 50 images",
        ],
    );
    // A data folder that does not exist, a data set nowhere, a path instead of a name.
    refused(
        &check(&spec(dir.path(), "few", 20, 10), &root.join("absent")),
        &["--data-dir", "absent"],
    );
    refused(
        &check(&spec(dir.path(), "nowhere", 20, 10), root),
        &[
            "experiment.data.colored_mnist.dataset",
            "\"nowhere\" not found",
        ],
    );
    refused(
        &check(&spec(dir.path(), "../few", 20, 10), root),
        &["is not a data-set name"],
    );
    // Responses beyond the tracked images.
    let path = dir.path().join("bad_responses.json");
    std::fs::write(
        &path,
        r#"{"name": "r", "experiment": {"data": {"colored_mnist": {"dataset": "few", "train_examples": 20, "test_examples": 10}}, "responses": {"examples": 10, "indices": [10]}}}"#,
    )
    .unwrap();
    refused(
        &check(&path, root),
        &["experiment.responses.indices", "below examples = 10"],
    );
    // A method that does not exist.
    let path = dir.path().join("bad_method.json");
    std::fs::write(
        &path,
        r#"{"name": "m", "experiment": {"data": {"colored_mnist": {"dataset": "few", "train_examples": 20, "test_examples": 10}}, "methods": ["gd"]}}"#,
    )
    .unwrap();
    refused(
        &check(&path, root),
        &["experiment.methods[0].name", "\"gd\" is not a method"],
    );
}
