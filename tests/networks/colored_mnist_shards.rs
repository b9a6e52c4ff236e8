//! Claim (issue #20): image experiments shard "over machines with `--shard k/N` and `merge`
//! like sweeps (restarts × methods)": `run SPEC --shard k/N` trains every N-th (restart,
//! method) unit into a shard file, a finished shard is skipped on rerun, and `merge` gives the
//! outputs of the unsharded run — the table, curves and Figure 4's variants identical byte for
//! byte (training is deterministic per seed; only wall-clock seconds differ). A missing, foreign
//! or misplaced shard and a bad `--shard` are refused with one line naming the fix, exit 2.
//! Needs Debian's `dataset-fashion-mnist` (tests/networks/specs/colored_mnist_shards.json).

use std::path::{Path, PathBuf};

use crate::common;

const NAME: &str = "colored_mnist_shards";
const COMPARED: [&str; 5] = [
    ".table.csv",
    ".table.md",
    ".table.tex",
    "_curves.data.json",
    "_variants.data.json",
];

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/networks/specs/colored_mnist_shards.json")
}

fn starvation(args: &[&str]) -> common::Ran {
    common::run_binary(None, args)
}

fn refused(ran: &common::Ran, words: &[&str]) {
    assert_eq!(ran.code, 2, "{}", ran.both());
    assert_eq!(ran.stderr.trim_end().lines().count(), 1, "{}", ran.stderr);
    for w in words {
        assert!(ran.stderr.contains(w), "{w:?} not in {}", ran.stderr);
    }
}

#[test]
fn merged_shards_reproduce_the_unsharded_outputs() {
    assert!(
        Path::new("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file(),
        "this test needs Fashion-MNIST: apt-get install dataset-fashion-mnist"
    );
    let spec = spec();
    let spec = spec.to_str().unwrap();
    let whole = tempfile::tempdir().unwrap();
    let sharded = tempfile::tempdir().unwrap();
    let (w, s) = (
        whole.path().to_str().unwrap(),
        sharded.path().to_str().unwrap(),
    );
    let ran = starvation(&["run", spec, "--out", w]);
    assert_eq!(ran.code, 0, "{}", ran.both());
    for k in 1..=4 {
        let ran = starvation(&["run", spec, "--out", s, "--shard", &format!("{k}/4")]);
        assert_eq!(ran.code, 0, "{}", ran.both());
        if k == 2 {
            // Merging before every shard is there names the missing one.
            let early = starvation(&["merge", spec, "--out", s]);
            refused(&early, &["shard 3 of 4 is missing", "--shard 3/4"]);
        }
    }
    let again = starvation(&["run", spec, "--out", s, "--shard", "4/4"]);
    assert_eq!(again.code, 0, "{}", again.both());
    assert!(again.stdout.contains("already done"), "{}", again.stdout);
    let merged = starvation(&["merge", spec, "--out", s]);
    assert_eq!(merged.code, 0, "{}", merged.both());
    assert!(
        merged.stdout.contains("merged 4 shards"),
        "{}",
        merged.stdout
    );
    for suffix in COMPARED {
        let file = format!("{NAME}{suffix}");
        let a = std::fs::read(whole.path().join(&file)).unwrap();
        let b = std::fs::read(sharded.path().join(&file)).unwrap();
        assert!(
            a == b,
            "{file} differs between the unsharded and the merged run"
        );
    }
    // The table holds every restart: 3 restarts × 2 methods.
    let csv = std::fs::read_to_string(sharded.path().join(format!("{NAME}.table.csv"))).unwrap();
    assert!(csv.contains("erm") && csv.contains("sd"), "{csv}");

    // A shard of a different spec (another seed count) is refused by name.
    let other_dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(spec)
        .unwrap()
        .replace("\"seeds\": 3", "\"seeds\": [1, 2, 3]");
    let other = other_dir.path().join(format!("{NAME}.json"));
    std::fs::write(&other, text).unwrap();
    let foreign = starvation(&["merge", other.to_str().unwrap(), "--out", s]);
    refused(&foreign, &["image-shard-1-of-4", "another spec"]);
}

#[test]
fn bad_shard_requests_are_refused_before_any_work() {
    let spec = spec();
    let spec = spec.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("never");
    let o = o.to_str().unwrap();
    refused(
        &starvation(&["run", spec, "--out", o, "--shard", "5/4"]),
        &["--shard"],
    );
    refused(
        &starvation(&["run", spec, "--out", o, "--shard", "1/7"]),
        &["--shard", "N ≤ 6"],
    );
    let toy = Path::new(env!("CARGO_MANIFEST_DIR")).join("simulations/fig06_toy_dynamics.json");
    refused(
        &starvation(&["run", toy.to_str().unwrap(), "--out", o, "--shard", "1/2"]),
        &["--shard", "drop --shard"],
    );
    refused(&starvation(&["merge", spec, "--out", o]), &["--out"]);
    assert!(!Path::new(o).exists(), "a refused request created {o}");
}
