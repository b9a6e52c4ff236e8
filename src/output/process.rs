//! Identity of a process that survives pid reuse: its pid and its start time (Linux
//! `/proc/<pid>/stat`, field 22, clock ticks since boot). Names of staging folders and temporary
//! files carry this token so a later run can tell whether their writer is still alive.

use std::sync::atomic::{AtomicU64, Ordering};

/// A process's pid and start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// Start time in clock ticks since boot (0 where `/proc` is not available).
    pub start: u64,
}

impl Owner {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    }

    /// The token `<pid>-<start>` used in file names.
    pub fn token(&self) -> String {
        format!("{}-{}", self.pid, self.start)
    }

    /// Parses `<pid>-<start>` (as written by [`Owner::token`]).
    pub fn parse(token: &str) -> Option<Self> {
        let (pid, start) = token.split_once('-')?;
        Some(Self {
            pid: pid.parse().ok()?,
            start: start.parse().ok()?,
        })
    }

    /// Whether this process is still running. A zombie counts as dead; a pid now used by a
    /// process with another start time counts as dead. Without `/proc` (not Linux) every owner
    /// counts as alive, so nothing is ever removed by mistake.
    pub fn is_alive(&self) -> bool {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return true;
        }
        match stat_fields(self.pid) {
            None => false,
            Some((state, start)) => {
                state != 'Z' && state != 'X' && (self.start == 0 || start == self.start)
            }
        }
    }
}

/// Whether a process with this pid (any start time) is running; `true` without `/proc`.
pub fn pid_alive(pid: u32) -> bool {
    Owner { pid, start: 0 }.is_alive()
}

/// Start time of `pid` in clock ticks since boot.
pub fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid).map(|(_, start)| start)
}

/// (state, start time) of `pid` from `/proc/<pid>/stat`.
fn stat_fields(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3), the start time is field 22, i.e. the 19th field further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
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
    fn this_process_is_alive_and_its_token_round_trips() {
        let me = Owner::current();
        assert!(me.is_alive());
        assert_eq!(Owner::parse(&me.token()), Some(me));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn another_start_time_means_another_process() {
        let me = Owner::current();
        assert!(me.start > 0, "start time read from /proc");
        let reused = Owner {
            pid: me.pid,
            start: me.start + 1,
        };
        assert!(!reused.is_alive());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reaped_child_is_dead_and_an_unreaped_zombie_too() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let owner = Owner {
            pid: child.id(),
            start: start_time(child.id()).unwrap_or(0),
        };
        // Wait until it has exited but is not yet reaped (a zombie), then check.
        for _ in 0..200 {
            if stat_fields(owner.pid).is_some_and(|(s, _)| s == 'Z') {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!owner.is_alive(), "a zombie is not alive");
        child.wait().unwrap();
        assert!(!owner.is_alive());
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for t in ["", "12", "a-1", "1-b", "-", "1-2-3"] {
            assert_eq!(Owner::parse(t), None, "{t}");
        }
    }

    #[test]
    fn suffixes_differ() {
        assert_ne!(unique_suffix(), unique_suffix());
    }
}
