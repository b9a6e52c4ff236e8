//! Provenance recorded in every output: the crate and the git commit it was built from.

use serde_json::{Map, Value};

/// The git commit the binary was built from (`build.rs`; "unknown" outside a git checkout,
/// suffixed "-dirty" when tracked files had changes).
pub fn git_commit() -> &'static str {
    option_env!("STARVATION_GIT_COMMIT").unwrap_or("unknown")
}

/// Provenance common to every output: crate name, crate version and git commit.
pub fn provenance_base() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("crate".into(), Value::from("starvation"));
    m.insert(
        "crate_version".into(),
        Value::from(env!("CARGO_PKG_VERSION")),
    );
    m.insert("git_commit".into(), Value::from(git_commit()));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_names_crate_version_and_commit() {
        let p = provenance_base();
        assert_eq!(p["crate"], "starvation");
        assert_eq!(p["crate_version"], env!("CARGO_PKG_VERSION"));
        let commit = p["git_commit"].as_str().unwrap();
        assert_eq!(commit, git_commit());
        // Built inside the repository: a 40-hex-digit commit, maybe marked dirty.
        let hex = commit.trim_end_matches("-dirty");
        assert!(
            hex == "unknown" || (hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit())),
            "{commit}"
        );
    }
}
