//! Issue 17, item 7: "the Python package built in CI without the release LTO, the whole test
//! command from a clean clone in under 6 minutes". The package is built (python/ci.sh) right after
//! `cargo test --release`, into the same target folder; it reuses the engine's compiled crates
//! only if every crate the two builds share is compiled with the same features (features are part
//! of a crate's build hash). Each side names the features the other one brings (python/Cargo.toml
//! and the root's dev-dependencies); this test keeps the two lists equal, as `cargo tree` resolves
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `package version → feature sets` of every crate in one `cargo tree` resolution (`args`); a
/// crate built both for the host (build scripts, macros) and the target can have two.
fn resolved_features(args: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "--prefix",
            "none",
            "--no-dedupe",
        ])
        .args(["--format", "{p}|{f}"])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut features = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let Some((package, f)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        let package = package.split(" (").next().unwrap().to_owned();
        features
            .entry(package)
            .or_insert_with(BTreeSet::new)
            .insert(f.to_owned());
    }
    features
}

#[test]
fn the_python_package_compiles_shared_crates_with_the_features_of_cargo_test() {
    let tests = resolved_features(&[
        "--workspace",
        "--exclude",
        "starvation-python",
        "--edges",
        "normal,build,dev",
    ]);
    let python = resolved_features(&[
        "--package",
        "starvation-python",
        "--features",
        "pyo3/extension-module",
        "--edges",
        "normal,build",
    ]);
    assert!(
        tests.keys().any(|k| k.starts_with("nalgebra ")),
        "the tests' tree is read"
    );
    assert!(
        python.keys().any(|k| k.starts_with("pyo3 ")),
        "the package's tree is read"
    );
    let differing: Vec<String> = python
        .iter()
        .filter_map(|(package, f)| {
            let t = tests.get(package)?;
            (t != f).then(|| format!("{package}: cargo test {t:?}, python {f:?}"))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "crates compiled twice (add the missing features to python/Cargo.toml or the root's \
         dev-dependencies):\n{}",
        differing.join("\n")
    );
}
