//! Inputs a command must never overwrite: the spec files it read, and `--json FILE` targets that
//! are folders or sit in unwritable folders. Checked before any work.

use std::path::{Path, PathBuf};

use super::folder::prepare_output_dir;
use crate::error::InputError;

/// The spec files read by one command: no output of the command may replace one of them.
#[derive(Debug, Default)]
pub struct SpecGuard {
    specs: Vec<PathBuf>,
}

impl SpecGuard {
    /// An empty guard.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the spec file `spec_path` (named `name` inside) and refuses, before any work, an
    /// output folder `out` where one of the files a command may write for it (`NAME` + one of
    /// `suffixes` such as `.run.json`, a figure's `.data.json`, a shard …) is the spec file
    /// itself.
    pub fn protect(
        &mut self,
        spec_path: &Path,
        name: &str,
        suffixes: &[&str],
        out: &Path,
    ) -> Result<(), InputError> {
        let Ok(spec_file) = spec_path.canonicalize() else {
            return Ok(());
        };
        self.specs.push(spec_file.clone());
        let Ok(folder) = out.canonicalize() else {
            return Ok(());
        };
        if spec_file.parent() != Some(folder.as_path()) {
            return Ok(());
        }
        let file = spec_file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ours = file.ends_with(".data.json")
            || file
                .strip_prefix(name)
                .is_some_and(|rest| suffixes.contains(&rest) || rest.starts_with(".shard-"));
        if ours {
            return Err(InputError::new(
                "--out",
                format!(
                    "{} holds the spec {file}, which has the name of an output of spec {name:?} and would overwrite it; write into another folder (--out out)",
                    out.display()
                ),
            ));
        }
        Ok(())
    }

    /// Refuses output files `names` in `out` that would replace a recorded spec.
    pub fn check<'a>(
        &self,
        out: &Path,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), InputError> {
        let Ok(folder) = out.canonicalize() else {
            return Ok(());
        };
        for name in names {
            let target = folder.join(name);
            if self.specs.contains(&target) {
                return Err(InputError::new(
                    "--out",
                    format!(
                        "{name} would overwrite the spec {}; write into another folder (--out out)",
                        target.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A `--json FILE` target must be a file path in a writable folder (checked before any work).
pub fn check_file_target(path: &Path, field: &str) -> Result<(), InputError> {
    if path.is_dir() {
        return Err(InputError::new(
            field,
            format!(
                "{} is a folder; give a file name such as out/table.json",
                path.display()
            ),
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        prepare_output_dir(dir).map_err(|e| InputError::new(field, e.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_named_like_an_output_in_the_output_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("toy.run.json");
        std::fs::write(&spec, "{}").unwrap();
        let mut guard = SpecGuard::new();
        let e = guard
            .protect(&spec, "toy", &[".run.json"], dir.path())
            .unwrap_err();
        assert_eq!(e.field, "--out");
        let other = tempfile::tempdir().unwrap();
        let mut guard = SpecGuard::new();
        guard
            .protect(&spec, "toy", &[".run.json"], other.path())
            .unwrap();
        guard.check(other.path(), ["toy.run.json"]).unwrap();
        let e = guard.check(dir.path(), ["toy.run.json"]).unwrap_err();
        assert!(e.message.contains("would overwrite the spec"), "{e}");
    }

    #[test]
    fn a_folder_is_not_a_json_target() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_file_target(dir.path(), "--json").unwrap_err();
        assert_eq!(e.field, "--json");
        check_file_target(&dir.path().join("sub/table.json"), "--json").unwrap();
    }
}
