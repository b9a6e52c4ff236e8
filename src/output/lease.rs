//! Which hidden leftovers in an output folder still have a living writer, told by a file lock
//! instead of process tables.
//!
//! A writer takes a [`Lease`] before it creates a staging folder or a temporary file: a hidden
//! file `.starvation-lease-<token>` holding an exclusive lock (`File::lock`, `flock(2)` on
//! Linux) for as long as the lease lives. The writer names what it creates after the token. The
//! operating system releases the lock when the process ends, however it ends, so a leftover
//! whose lease file is missing or can be locked by someone else has no living writer
//! ([`writer_alive`]). Pid reuse and missing `/proc` do not matter.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of a lease file's name (followed by its token).
pub const LEASE_PREFIX: &str = ".starvation-lease-";

/// How often [`Lease::take`] tries before giving up (a try fails only when a cleaner removed
/// the new lease file between its creation and its lock).
const ATTEMPTS: usize = 8;

/// A held lease: the lock on `.starvation-lease-<token>` in one folder. Dropping it removes the
/// file and releases the lock.
#[derive(Debug)]
pub struct Lease {
    path: PathBuf,
    token: String,
    // Holds the lock; closed (and unlocked) after the file is removed in `drop`.
    _file: File,
}

impl Lease {
    /// Takes a new lease in `dir` (which must exist and be writable).
    pub fn take(dir: &Path) -> std::io::Result<Self> {
        for _ in 0..ATTEMPTS {
            let token = format!("{}-{}", std::process::id(), unique_suffix());
            let path = dir.join(format!("{LEASE_PREFIX}{token}"));
            let file = File::options().write(true).create_new(true).open(&path)?;
            file.lock()?;
            // A cleaner may have found the file unlocked and removed it before our lock: then
            // the path no longer names our file, and we take another.
            if names_file(&path, &file) {
                return Ok(Self {
                    path,
                    token,
                    _file: file,
                });
            }
        }
        Err(std::io::Error::other(
            "could not take a lease on the folder (its lease files keep disappearing)",
        ))
    }

    /// The token that names what this lease's holder creates.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the writer holding token `token` in `dir` is alive: its lease file exists and is
/// locked. A lease file that cannot be opened for another reason than its absence counts as
/// alive, so nothing is removed by mistake.
pub fn writer_alive(dir: &Path, token: &str) -> bool {
    let path = dir.join(format!("{LEASE_PREFIX}{token}"));
    match File::open(&path) {
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
        Ok(file) => matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
    }
}

/// Whether a token is one this layer writes: `<pid>-<hex>` (earlier versions wrote
/// `<pid>-<start>-<hex>`), digits, lower-case hex letters and '-', not empty.
pub fn is_token(token: &str) -> bool {
    !token.is_empty()
        && token.starts_with(|c: char| c.is_ascii_digit())
        && token.contains('-')
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
}

/// Whether `path` still names the open `file` (same device and inode).
#[cfg(unix)]
fn names_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open `file` (without inode numbers: whether it exists).
#[cfg(not(unix))]
fn names_file(path: &Path, _file: &File) -> bool {
    path.exists()
}

/// A name part unique within this process and unlikely to repeat across processes.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lease_is_alive_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let lease = Lease::take(dir.path()).unwrap();
        let token = lease.token().to_string();
        assert!(is_token(&token), "{token}");
        assert!(writer_alive(dir.path(), &token));
        drop(lease);
        assert!(!writer_alive(dir.path(), &token));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_unlocked_lease_file_is_a_dead_writer() {
        // What a killed writer leaves: the file, without the lock.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{LEASE_PREFIX}12-ab")), b"").unwrap();
        assert!(!writer_alive(dir.path(), "12-ab"));
        assert!(!writer_alive(dir.path(), "13-ab"), "no lease file");
    }

    #[test]
    fn a_child_process_holding_a_lease_is_alive_until_killed() {
        // The lock is the operating system's: another process (here `flock(1)` holding an
        // exclusive lock; `-o`: it alone holds it, not the command it runs) counts as alive
        // until it is killed.
        let Ok(probe) = std::process::Command::new("flock")
            .arg("--version")
            .output()
        else {
            return; // util-linux's flock(1) is not installed: the in-process test above covers it
        };
        assert!(probe.status.success());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{LEASE_PREFIX}77-cd"));
        std::fs::write(&path, b"").unwrap();
        let mut child = std::process::Command::new("flock")
            .args(["-x", "-o"])
            .arg(&path)
            .args(["sleep", "10"])
            .spawn()
            .unwrap();
        let mut alive = false;
        for _ in 0..200 {
            if writer_alive(dir.path(), "77-cd") {
                alive = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(alive, "a process holding the lock is alive");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            !writer_alive(dir.path(), "77-cd"),
            "killed: the lock is gone"
        );
    }

    #[test]
    fn tokens_are_recognised() {
        for ok in ["12-abc", "12-34-0f0f"] {
            assert!(is_token(ok), "{ok}");
        }
        for bad in ["", "-1", "ab-12", "12", "1/2-a", "12-AB"] {
            assert!(!is_token(bad), "{bad}");
        }
    }

    #[test]
    fn suffixes_differ() {
        assert_ne!(unique_suffix(), unique_suffix());
    }
}
