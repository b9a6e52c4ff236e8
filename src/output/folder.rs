//! Preparing an output folder (`--out`).

use std::path::Path;

use super::lease::Lease;
use super::stale::remove_stale;
use crate::error::InputError;

/// Creates `dir` if needed, checks that it is writable, and finishes or removes what dead
/// processes left in it (see [`super::stale`]). Errors name `--out` and say what to do.
pub fn prepare_output_dir(dir: &Path) -> Result<(), InputError> {
    let unusable = |what: &str, e: std::io::Error| {
        InputError::new(
            "--out",
            format!("{} {what}: {e}; give a writable folder", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(|e| unusable("cannot be created", e))?;
    // Taking (and dropping) a lease proves that files can be created and locked there.
    drop(Lease::take(dir).map_err(|e| unusable("is not writable", e))?);
    remove_stale(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_nested_folders_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b/c");
        prepare_output_dir(&out).unwrap();
        assert!(out.is_dir());
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }

    #[test]
    fn a_file_in_the_way_is_an_error_naming_out() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let e = prepare_output_dir(&file).unwrap_err();
        assert_eq!(e.field, "--out");
        assert!(e.message.contains("writable folder"), "{e}");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn stale_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".x.json.4194321-ab.starvation-tmp");
        std::fs::write(&stale, b"x").unwrap();
        prepare_output_dir(dir.path()).unwrap();
        assert!(!stale.exists());
    }
}
