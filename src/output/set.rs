//! An output set: every file one command writes, made visible together or not at all.
//!
//! A command stages its files in a hidden folder inside `--out`
//! (`.starvation-staging-<token>`, the token of the [`Lease`] the set holds), then [`OutputSet::commit`] writes a commit
//! marker listing them and renames each into place. If the process dies before the marker exists,
//! the staged files are discarded; if it dies after, a later run completes the renames
//! ([`super::stale::remove_stale`], called by [`OutputSet::begin`], [`OutputSet::commit`] and
//! [`super::prepare_output_dir`]). Either way no visible partial set survives the next run, and a
//! set that fails (a full disk, an error of the command) is removed when dropped.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::atomic::{io_error, sync_dir, write_synced};
use super::lease::Lease;
use super::stale::remove_stale;
use crate::error::{Error, InputError};

/// Prefix of a staging folder's name (followed by its lease's token).
pub const STAGING_PREFIX: &str = ".starvation-staging-";
/// Name of the commit marker inside a staging folder: the staged names, one per line.
pub const COMMIT_MARKER: &str = ".commit";

/// Files staged for one command's output folder, committed together.
#[derive(Debug)]
pub struct OutputSet {
    out: PathBuf,
    staging: PathBuf,
    names: Vec<String>,
    finished: bool,
    // Dropped after `Drop::drop` has removed an unfinished staging folder.
    _lease: Lease,
}

impl OutputSet {
    /// Starts a set in the existing folder `out` (see [`super::prepare_output_dir`]): removes
    /// stale leftovers of dead processes and creates this process's staging folder.
    pub fn begin(out: &Path) -> Result<Self, Error> {
        remove_stale(out);
        let lease = Lease::take(out).map_err(|e| io_error(out, &e))?;
        let staging = out.join(format!("{STAGING_PREFIX}{}", lease.token()));
        std::fs::create_dir(&staging).map_err(|e| io_error(&staging, &e))?;
        Ok(Self {
            out: out.to_path_buf(),
            staging,
            names: Vec::new(),
            finished: false,
            _lease: lease,
        })
    }

    /// The output folder.
    pub fn out_dir(&self) -> &Path {
        &self.out
    }

    /// The hidden staging folder.
    pub fn staging_dir(&self) -> &Path {
        &self.staging
    }

    /// Names staged so far, in staging order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Stages `name` with `bytes`; returns the path it will have once committed.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
        self.write_with(name, |w| w.write_all(bytes))
    }

    /// Stages `name` with what `fill` streams; returns the path it will have once committed.
    /// Staging a name again replaces the earlier bytes.
    pub fn write_with(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<PathBuf, Error> {
        let staged = self.stage_path(name)?;
        let _ = std::fs::remove_file(&staged);
        write_synced(&staged, fill).map_err(|e| io_error(&self.out.join(name), &e))?;
        Ok(self.out.join(name))
    }

    /// Stages `name` and opens it for writing while other files are staged or written (e.g. two
    /// tables filled side by side from one pass over a large result); [`StagedWriter::finish`]
    /// flushes it. A name opened again is replaced.
    pub fn open(&mut self, name: &str) -> Result<StagedWriter, Error> {
        let staged = self.stage_path(name)?;
        let _ = std::fs::remove_file(&staged);
        let target = self.out.join(name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&staged)
            .map_err(|e| io_error(&target, &e))?;
        Ok(StagedWriter {
            writer: BufWriter::with_capacity(WRITER_BUFFER, file),
            target,
        })
    }

    /// Registers `name` and returns the staging path where the caller must create it (for
    /// writers that create their file themselves, e.g. `plot::save`). [`OutputSet::commit`]
    /// fails if the file is then missing.
    pub fn stage_path(&mut self, name: &str) -> Result<PathBuf, Error> {
        check_name(name)?;
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
        Ok(self.staging.join(name))
    }

    /// Makes every staged file visible in the output folder, replacing older files of the same
    /// names, and removes the staging folder. Returns the final paths in staging order.
    pub fn commit(mut self) -> Result<Vec<PathBuf>, Error> {
        // Complete or discard what dead processes left, so an older set never lands after ours.
        remove_stale(&self.out);
        for name in &self.names {
            let staged = self.staging.join(name);
            let file = File::open(&staged).map_err(|e| io_error(&self.out.join(name), &e))?;
            file.sync_all()
                .map_err(|e| io_error(&self.out.join(name), &e))?;
        }
        // The marker appears whole (written aside, then renamed) or not at all.
        let marker = self.staging.join(COMMIT_MARKER);
        let pending = self.staging.join(format!("{COMMIT_MARKER}.pending"));
        let list: String = self.names.iter().map(|n| format!("{n}\n")).collect();
        write_synced(&pending, |w| w.write_all(list.as_bytes()))
            .and_then(|()| std::fs::rename(&pending, &marker))
            .map_err(|e| io_error(&marker, &e))?;
        sync_dir(&self.staging);
        // From here on the set is decided: if a rename fails or the process dies, the marker
        // stays and a later run finishes the job.
        self.finished = true;
        let finished = roll_forward(&self.staging, &self.out, &self.names);
        sync_dir(&self.out);
        finished.map_err(|e| io_error(&self.out, &e))?;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(self.names.iter().map(|n| self.out.join(n)).collect())
    }

    /// Discards the staged files (what dropping an uncommitted set does).
    pub fn abandon(self) {}
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Buffer size of a [`StagedWriter`].
const WRITER_BUFFER: usize = 1 << 20;

/// A staged file open for writing ([`OutputSet::open`]); it becomes visible with the set.
#[derive(Debug)]
pub struct StagedWriter {
    writer: BufWriter<File>,
    target: PathBuf,
}

impl StagedWriter {
    /// Flushes the file; an error names the file it was meant to become. (The set's commit
    /// `fsync`s it.)
    pub fn finish(mut self) -> Result<(), Error> {
        self.writer.flush().map_err(|e| io_error(&self.target, &e))
    }

    /// An I/O error of this file, naming the file it was meant to become.
    pub fn error(&self, e: &std::io::Error) -> Error {
        io_error(&self.target, e)
    }
}

impl Write for StagedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Renames every listed file still in `staging` into `out` (renames already done are skipped).
pub(crate) fn roll_forward(staging: &Path, out: &Path, names: &[String]) -> std::io::Result<()> {
    for name in names {
        let staged = staging.join(name);
        match std::fs::rename(&staged, out.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !staged.exists() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A staged name must be a plain, visible file name.
fn check_name(name: &str) -> Result<(), InputError> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255;
    if plain {
        Ok(())
    } else {
        Err(InputError::new(
            "name",
            format!(
                "{name:?} cannot be an output file name; use letters, digits, '_', '-' and '.', not starting with '.' and without '/'"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn nothing_is_visible_before_commit_and_everything_after() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::begin(dir.path()).unwrap();
        set.write("a.json", b"{}").unwrap();
        set.write_with("a.csv", |w| w.write_all(b"x\n1\n")).unwrap();
        let png = set.stage_path("a.png").unwrap();
        std::fs::write(png, b"png").unwrap();
        let visible: Vec<String> = listing(dir.path())
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect();
        assert!(visible.is_empty(), "{visible:?}");
        let paths = set.commit().unwrap();
        assert_eq!(paths.len(), 3);
        assert_eq!(listing(dir.path()), ["a.csv", "a.json", "a.png"]);
        assert_eq!(std::fs::read(dir.path().join("a.csv")).unwrap(), b"x\n1\n");
    }

    #[test]
    fn a_dropped_set_leaves_the_old_outputs_and_no_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), b"old").unwrap();
        {
            let mut set = OutputSet::begin(dir.path()).unwrap();
            set.write("a.json", b"new").unwrap();
            set.write("a.csv", b"new").unwrap();
        }
        assert_eq!(listing(dir.path()), ["a.json"]);
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"old");
    }

    #[test]
    fn a_failing_writer_abandons_the_whole_set() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = (|| -> Result<(), Error> {
            let mut set = OutputSet::begin(dir.path())?;
            set.write("a.json", b"{}")?;
            set.write_with("a.csv", |_| Err(std::io::Error::from_raw_os_error(28)))?;
            set.commit()?;
            Ok(())
        })();
        let err = outcome.unwrap_err();
        assert!(err.to_string().contains("a.csv"), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn a_registered_file_never_written_fails_the_commit_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::begin(dir.path()).unwrap();
        set.write("a.json", b"{}").unwrap();
        set.stage_path("a.svg").unwrap();
        let err = set.commit().unwrap_err();
        assert!(err.to_string().contains("a.svg"), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn restaging_a_name_replaces_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::begin(dir.path()).unwrap();
        set.write("a.json", b"1").unwrap();
        set.write("a.json", b"2").unwrap();
        assert_eq!(set.names(), ["a.json"]);
        set.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"2");
    }

    #[test]
    fn names_that_would_escape_or_hide_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::begin(dir.path()).unwrap();
        for bad in ["", ".hidden", "../x", "a/b", "a\\b", ".", ".."] {
            let err = set.write(bad, b"x").unwrap_err();
            assert!(matches!(err, Error::Input(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn two_open_files_are_written_side_by_side_and_committed_together() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::begin(dir.path()).unwrap();
        let mut a = set.open("a.csv").unwrap();
        let mut b = set.open("b.csv").unwrap();
        for i in 0..3 {
            writeln!(a, "a{i}").unwrap();
            writeln!(b, "b{i}").unwrap();
        }
        a.finish().unwrap();
        b.finish().unwrap();
        set.write("c.json", b"{}").unwrap();
        assert!(listing(dir.path()).iter().all(|n| n.starts_with('.')));
        set.commit().unwrap();
        assert_eq!(listing(dir.path()), ["a.csv", "b.csv", "c.json"]);
        assert_eq!(
            std::fs::read(dir.path().join("b.csv")).unwrap(),
            b"b0\nb1\nb2\n"
        );
    }

    #[test]
    fn begin_needs_an_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(OutputSet::begin(&dir.path().join("missing")).is_err());
    }
}
