//! The worker threads of the process: `RAYON_NUM_THREADS` is validated and capped once, before
//! any parallel work, by the command line and the Python package alike, and the global pool is
//! built from the checked number (so a value such as `1000000` cannot make the process try to
//! start a million threads, and a typo is not silently ignored).

use crate::error::InputError;

/// Most worker threads per available core (beyond this, threads only add memory and switching).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// Most worker threads in any case.
pub const MAX_THREADS: usize = 256;

/// The threads the global pool may have on this machine: `MAX_THREADS_PER_CORE` per core, at
/// most [`MAX_THREADS`].
pub fn thread_cap() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * MAX_THREADS_PER_CORE).clamp(1, MAX_THREADS)
}

/// The number of worker threads `RAYON_NUM_THREADS` asks for (`value`, None when unset), checked:
/// a whole number from 0 (rayon's "one per core") up; above [`thread_cap`] it is capped, and the
/// returned note says so. Anything else is an input error naming the variable.
pub fn threads_from_env(value: Option<&str>) -> Result<(usize, Option<String>), InputError> {
    let cap = thread_cap();
    let default = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cap);
    let Some(text) = value else {
        return Ok((default, None));
    };
    let n: usize = text.trim().parse().map_err(|_| {
        InputError::new(
            "RAYON_NUM_THREADS",
            format!(
                "{text:?} is not a whole number of threads; unset it, or give 1 to {cap} (0: one per core)"
            ),
        )
    })?;
    if n == 0 {
        return Ok((default, None));
    }
    if n > cap {
        return Ok((
            cap,
            Some(format!(
                "note: RAYON_NUM_THREADS = {n} is more than {cap} ({MAX_THREADS_PER_CORE} per core, at most {MAX_THREADS}); using {cap} threads"
            )),
        ));
    }
    Ok((n, None))
}

/// Builds the global thread pool from `RAYON_NUM_THREADS` (see [`threads_from_env`]); returns the
/// note to print when the number was capped. Calling it again (the pool already built) only
/// checks the variable.
pub fn configure_threads() -> Result<Option<String>, InputError> {
    let value = std::env::var("RAYON_NUM_THREADS").ok();
    let (threads, note) = threads_from_env(value.as_deref())?;
    // Already built (a second call, or a pool built by the embedding program): keep it.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_are_checked_and_capped() {
        let cap = thread_cap();
        assert!(threads_from_env(None).unwrap().0 >= 1);
        assert_eq!(threads_from_env(Some("1")).unwrap(), (1, None));
        assert_eq!(threads_from_env(Some(" 2 ")).unwrap().0, 2.min(cap));
        let (n, note) = threads_from_env(Some("1000000")).unwrap();
        assert_eq!(n, cap);
        assert!(note.unwrap().contains("using"));
        for bad in ["abc", "-1", "1.5", "", "99999999999999999999999"] {
            assert_eq!(
                threads_from_env(Some(bad)).unwrap_err().field,
                "RAYON_NUM_THREADS"
            );
        }
    }
}
