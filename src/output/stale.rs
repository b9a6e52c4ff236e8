//! Removal of what dead processes left in an output folder.
//!
//! Recognised leftovers (anything else is never touched):
//! - staging folders `.starvation-staging-<pid>-<start>-<random>` ([`super::set`]): with a
//!   complete commit marker the set is finished (renamed into place), otherwise discarded;
//! - temporary files `.NAME.<pid>-<start>-<random>.starvation-tmp` ([`super::atomic`]);
//! - temporary files of earlier versions: `.NAME.<pid>.tmp` (NAME ending in `.json`, `.csv`,
//!   `.png` or `.svg`) and `.starvation-write-test-<pid>`.
//!
//! A leftover is removed only when its owner is dead: no `/proc/<pid>`, a zombie, or a process
//! with another start time (the pid was reused). Leftovers of live processes are kept.

use std::path::Path;

use super::TEMP_SUFFIX;
use super::process::{Owner, pid_alive};
use super::set::{COMMIT_MARKER, STAGING_PREFIX, roll_forward};

/// What [`remove_stale`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// Staging folders whose commit was finished.
    pub completed_sets: usize,
    /// Staging folders discarded (their command died before committing).
    pub discarded_sets: usize,
    /// Temporary files removed.
    pub removed_temporaries: usize,
}

/// Finishes or removes leftovers of dead processes in `dir` (best effort: what cannot be read
/// or removed is left as it is).
pub fn remove_stale(dir: &Path) -> Cleanup {
    let mut done = Cleanup::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return done;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        match classify(&name) {
            Some(Leftover::Staging(owner)) if is_dir && !owner.is_alive() => {
                if finish_or_discard(&path, dir) {
                    done.completed_sets += 1;
                } else {
                    done.discarded_sets += 1;
                }
            }
            Some(Leftover::Temporary(owner))
                if !is_dir && !owner.is_alive() && std::fs::remove_file(&path).is_ok() =>
            {
                done.removed_temporaries += 1;
            }
            Some(Leftover::OldTemporary(pid))
                if !is_dir && !pid_alive(pid) && std::fs::remove_file(&path).is_ok() =>
            {
                done.removed_temporaries += 1;
            }
            _ => {}
        }
    }
    done
}

/// A leftover's kind and owner, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leftover {
    Staging(Owner),
    Temporary(Owner),
    OldTemporary(u32),
}

fn classify(name: &str) -> Option<Leftover> {
    if !name.starts_with('.') {
        return None;
    }
    if let Some(rest) = name.strip_prefix(STAGING_PREFIX) {
        let (token, _random) = rest.rsplit_once('-')?;
        return Owner::parse(token).map(Leftover::Staging);
    }
    if let Some(rest) = name.strip_suffix(TEMP_SUFFIX) {
        let (_, tagged) = rest.rsplit_once('.')?;
        let (token, _random) = tagged.rsplit_once('-')?;
        return Owner::parse(token).map(Leftover::Temporary);
    }
    if let Some(pid) = name.strip_prefix(".starvation-write-test-") {
        return pid.parse().ok().map(Leftover::OldTemporary);
    }
    if let Some(rest) = name.strip_suffix(".tmp") {
        let (file, pid) = rest.rsplit_once('.')?;
        let ours = [".json", ".csv", ".png", ".svg"]
            .iter()
            .any(|ext| file.ends_with(ext));
        if ours {
            return pid.parse().ok().map(Leftover::OldTemporary);
        }
    }
    None
}

/// Completes a dead set's commit if its marker exists (returns true), else discards it.
fn finish_or_discard(staging: &Path, out: &Path) -> bool {
    let listed = std::fs::read_to_string(staging.join(COMMIT_MARKER)).ok();
    let completed = match listed {
        Some(list) => {
            let names: Vec<String> = list.lines().map(str::to_string).collect();
            if roll_forward(staging, out, &names).is_err() {
                // Keep the folder (and its marker) for a later attempt.
                return false;
            }
            super::atomic::sync_dir(out);
            true
        }
        None => false,
    };
    let _ = std::fs::remove_dir_all(staging);
    completed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that is not running (the largest pid Linux allows is 2^22).
    const DEAD_PID: u32 = 4_194_304 + 17;

    #[test]
    fn names_are_classified_by_owner() {
        let me = Owner::current();
        let t = me.token();
        assert_eq!(
            classify(&format!(".starvation-staging-{t}-abc123")),
            Some(Leftover::Staging(me))
        );
        assert_eq!(
            classify(&format!(".x.csv.{t}-0f0f{TEMP_SUFFIX}")),
            Some(Leftover::Temporary(me))
        );
        assert_eq!(
            classify(".sweep.csv.1234.tmp"),
            Some(Leftover::OldTemporary(1234))
        );
        assert_eq!(
            classify(".starvation-write-test-99"),
            Some(Leftover::OldTemporary(99))
        );
        for other in [
            "sweep.csv",
            ".bashrc",
            ".notes.1234.tmp",
            ".starvation-staging-x",
            ".a.b.starvation-tmp",
            "a.json.1.tmp",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
    }

    #[test]
    fn leftovers_of_the_dead_go_and_of_the_living_stay() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let me = Owner::current().token();
        let dead = format!("{DEAD_PID}-5");
        let keep = [
            format!(".a.csv.{me}-1{TEMP_SUFFIX}"),
            format!(".a.csv.{}.tmp", std::process::id()),
            ".user-file.tmp".to_string(),
            "a.csv".to_string(),
        ];
        let go = [
            format!(".a.csv.{dead}-1{TEMP_SUFFIX}"),
            format!(".a.csv.{DEAD_PID}.tmp"),
            format!(".starvation-write-test-{DEAD_PID}"),
        ];
        for n in keep.iter().chain(&go) {
            std::fs::write(d.join(n), b"x").unwrap();
        }
        let live_staging = d.join(format!("{STAGING_PREFIX}{me}-1"));
        let dead_staging = d.join(format!("{STAGING_PREFIX}{dead}-1"));
        for s in [&live_staging, &dead_staging] {
            std::fs::create_dir(s).unwrap();
            std::fs::write(s.join("b.json"), b"staged").unwrap();
        }
        let done = remove_stale(d);
        assert_eq!(
            done,
            Cleanup {
                completed_sets: 0,
                discarded_sets: 1,
                removed_temporaries: 3
            }
        );
        for n in &keep {
            assert!(d.join(n).exists(), "{n} kept");
        }
        for n in &go {
            assert!(!d.join(n).exists(), "{n} removed");
        }
        assert!(live_staging.exists());
        assert!(!dead_staging.exists());
        assert!(!d.join("b.json").exists(), "an uncommitted set never lands");
    }

    #[test]
    fn a_dead_set_with_its_marker_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let staging = d.join(format!("{STAGING_PREFIX}{DEAD_PID}-5-1"));
        std::fs::create_dir(&staging).unwrap();
        // Killed after renaming a.json, before a.csv.
        std::fs::write(d.join("a.json"), b"new").unwrap();
        std::fs::write(d.join("a.csv"), b"old").unwrap();
        std::fs::write(staging.join("a.csv"), b"new").unwrap();
        std::fs::write(staging.join(COMMIT_MARKER), b"a.json\na.csv\n").unwrap();
        let done = remove_stale(d);
        assert_eq!(done.completed_sets, 1);
        assert_eq!(std::fs::read(d.join("a.csv")).unwrap(), b"new");
        assert_eq!(std::fs::read(d.join("a.json")).unwrap(), b"new");
        assert!(!staging.exists());
    }

    #[test]
    fn a_missing_folder_is_nothing_to_do() {
        assert_eq!(
            remove_stale(Path::new("/no/such/folder")),
            Cleanup::default()
        );
    }
}
