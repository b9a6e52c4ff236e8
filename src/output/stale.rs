//! Removal of what dead processes left in an output folder.
//!
//! Recognised leftovers (anything else is never touched), each named after the token of the
//! [`super::lease::Lease`] its writer held:
//! - staging folders `.starvation-staging-<token>` ([`super::set`]): with a complete commit
//!   marker the set is finished (renamed into place), otherwise discarded;
//! - temporary files `.NAME.<token>.starvation-tmp` ([`super::atomic`]);
//! - lease files `.starvation-lease-<token>` of writers that were killed.
//!
//! A leftover is removed only when its writer is dead: its lease file is missing or not locked
//! ([`writer_alive`]). Leftovers of live writers are kept.

use std::path::Path;

use super::TEMP_SUFFIX;
use super::lease::{LEASE_PREFIX, is_token, writer_alive};
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
    let mut dead_leases = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        let Some((kind, token)) = classify(&name) else {
            continue;
        };
        if writer_alive(dir, token) {
            continue;
        }
        match kind {
            Leftover::Staging if is_dir => {
                if finish_or_discard(&path, dir) {
                    done.completed_sets += 1;
                } else {
                    done.discarded_sets += 1;
                }
            }
            Leftover::Temporary if !is_dir && std::fs::remove_file(&path).is_ok() => {
                done.removed_temporaries += 1;
            }
            Leftover::Lease if !is_dir => dead_leases.push(path),
            _ => {}
        }
    }
    // Lease files last, so that a leftover met after its lease file still counts as dead by its
    // lease file's absence, not by chance of the listing's order.
    for path in dead_leases {
        let _ = std::fs::remove_file(path);
    }
    done
}

/// The kinds of leftover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leftover {
    Staging,
    Temporary,
    Lease,
}

/// A leftover's kind and its writer's token, from its name.
fn classify(name: &str) -> Option<(Leftover, &str)> {
    if !name.starts_with('.') {
        return None;
    }
    let (kind, token) = if let Some(token) = name.strip_prefix(STAGING_PREFIX) {
        (Leftover::Staging, token)
    } else if let Some(token) = name.strip_prefix(LEASE_PREFIX) {
        (Leftover::Lease, token)
    } else if let Some(rest) = name.strip_suffix(TEMP_SUFFIX) {
        (Leftover::Temporary, rest.rsplit_once('.')?.1)
    } else {
        return None;
    };
    is_token(token).then_some((kind, token))
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
    use crate::output::lease::Lease;

    #[test]
    fn names_are_classified_with_their_token() {
        assert_eq!(
            classify(".starvation-staging-12-abc123"),
            Some((Leftover::Staging, "12-abc123"))
        );
        assert_eq!(
            classify(&format!(".x.csv.12-0f0f{TEMP_SUFFIX}")),
            Some((Leftover::Temporary, "12-0f0f"))
        );
        assert_eq!(
            classify(".starvation-lease-12-0f0f"),
            Some((Leftover::Lease, "12-0f0f"))
        );
        // Names of earlier versions (`<pid>-<start>-<random>`) are recognised too.
        assert_eq!(
            classify(".starvation-staging-12-345-abc"),
            Some((Leftover::Staging, "12-345-abc"))
        );
        for other in [
            "sweep.csv",
            ".bashrc",
            ".notes.1234.tmp",
            ".starvation-staging-x",
            ".a.b.starvation-tmp",
            ".starvation-lease-",
            "a.json.1.tmp",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
    }

    #[test]
    fn leftovers_of_the_dead_go_and_of_the_living_stay() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let lease = Lease::take(d).unwrap();
        let live = lease.token().to_string();
        // A killed writer leaves its lease file unlocked; an older one may have left none.
        let dead = "4194321-5";
        std::fs::write(d.join(format!("{LEASE_PREFIX}{dead}")), b"").unwrap();
        let keep = [
            format!(".a.csv.{live}{TEMP_SUFFIX}"),
            ".user-file.tmp".to_string(),
            ".a.csv.1234.tmp".to_string(),
            "a.csv".to_string(),
        ];
        let go = [
            format!(".a.csv.{dead}{TEMP_SUFFIX}"),
            format!(".b.csv.777-1-ab{TEMP_SUFFIX}"),
        ];
        for n in keep.iter().chain(&go) {
            std::fs::write(d.join(n), b"x").unwrap();
        }
        let live_staging = d.join(format!("{STAGING_PREFIX}{live}"));
        let dead_staging = d.join(format!("{STAGING_PREFIX}{dead}"));
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
                removed_temporaries: 2
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
        assert!(
            !d.join(format!("{LEASE_PREFIX}{dead}")).exists(),
            "dead lease removed"
        );
        assert!(
            d.join(format!("{LEASE_PREFIX}{live}")).exists(),
            "live lease kept"
        );
        assert!(!d.join("b.json").exists(), "an uncommitted set never lands");
    }

    #[test]
    fn a_dead_set_with_its_marker_is_finished() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let staging = d.join(format!("{STAGING_PREFIX}4194321-5-1"));
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
