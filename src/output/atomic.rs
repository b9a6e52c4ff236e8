//! One file written atomically: readers see the old file or the complete new one, never a part.
//!
//! The bytes go to a hidden temporary file in the same folder (`.NAME.<token>.starvation-tmp`,
//! the token of a [`Lease`] held while it exists), which is flushed, `fsync`ed and renamed over
//! the target; the folder is then `fsync`ed so the rename survives a crash. On any failure the
//! temporary file is removed; if the process is killed instead, [`super::stale::remove_stale`]
//! removes it on a later run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::TEMP_SUFFIX;
use super::lease::Lease;
use crate::error::Error;

/// Buffer size of the writer handed to `fill` (large tables are streamed, not held whole).
const BUFFER: usize = 1 << 20;

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes `path` atomically with what `fill` streams into the writer.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), Error> {
    let lease = Lease::take(&parent_of(path)).map_err(|e| io_error(path, &e))?;
    let tmp = temporary_path(path, lease.token());
    let result = write_synced(&tmp, fill).and_then(|()| std::fs::rename(&tmp, path));
    drop(lease);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(path, &e));
    }
    sync_dir(&parent_of(path));
    Ok(())
}

/// Creates `path` (which must not exist), fills, flushes and `fsync`s it.
pub(crate) fn write_synced(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = File::options().write(true).create_new(true).open(path)?;
    let mut w = BufWriter::with_capacity(BUFFER, file);
    fill(&mut w)?;
    w.flush()?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// The temporary file for `path`: hidden, in the same folder, named after the lease `token`.
pub fn temporary_path(path: &Path, token: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    parent_of(path).join(format!(".{name}.{token}{TEMP_SUFFIX}"))
}

/// The folder holding `path` (`.` for a bare file name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `fsync`s a folder so renames into it are durable (best effort: some file systems refuse).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An [`Error::Io`] naming `path`.
pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    }

    #[test]
    fn writes_replace_the_file_whole_and_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second, longer");
        assert!(hidden(dir.path()).is_empty());
    }

    #[test]
    fn a_failing_fill_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        write_atomic(&p, b"old").unwrap();
        let err = write_atomic_with(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
        })
        .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        assert!(err.to_string().contains("a.csv"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert!(hidden(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/folder/a.json");
        let err = write_atomic(&p, b"x").unwrap_err();
        assert!(err.to_string().contains("a.json"), "{err}");
    }

    #[test]
    fn temporary_names_are_hidden_and_carry_the_lease_token() {
        let a = temporary_path(Path::new("out/x.json"), "12-ab");
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!(".x.json.12-ab{TEMP_SUFFIX}"));
        assert_eq!(parent_of(Path::new("x.json")), PathBuf::from("."));
    }
}
