//! Claim (reliability issue, item 7): "A run's outputs should appear together or not at all, and
//! stale temporaries of dead processes are cleaned." A child process commits output sets in a
//! loop and is killed with SIGKILL at random (seeded) moments; after the next run's cleanup
//! (`remove_stale`, which every `OutputSet::begin`/`commit` and `prepare_output_dir` calls) the
//! folder holds one complete set — every file of the same generation — or none, and no hidden
//! entry remains.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use starvation::output::{OutputSet, remove_stale};

const CHILD: &str = "STARVATION_OUTPUT_SET_CHILD";
const NAMES: [&str; 4] = ["s.json", "s.csv", "s.thresholds.csv", "s.png"];
/// Bytes per staged file (enough that writing takes a while, small enough for a quick test).
const SIZE: usize = 1 << 20;

/// Child mode: commit sets of generation 1, 2, … forever.
fn child(out: &Path) -> ! {
    for generation in 1u64.. {
        let mut set = OutputSet::begin(out).unwrap();
        for name in NAMES {
            set.write_with(name, |w| {
                use std::io::Write;
                let line = format!("{generation:>15}\n");
                for _ in 0..SIZE / line.len() {
                    w.write_all(line.as_bytes())?;
                }
                Ok(())
            })
            .unwrap();
        }
        set.commit().unwrap();
    }
    unreachable!()
}

/// The generation written in a file (every line holds it).
fn generation(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().map(|l| l.trim().parse::<u64>().unwrap());
    let first = lines.next().unwrap();
    assert!(lines.all(|g| g == first), "{} is torn", path.display());
    first
}

/// xorshift64*: a seeded sequence of kill delays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn killed_sets_are_whole_or_absent_after_cleanup() {
    if let Some(out) = std::env::var_os(CHILD) {
        child(Path::new(&out));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let mut seed = 0x5eed_0001_u64;
    let mut mid_commit = 0;
    let mut last_generation = 0;
    for round in 0..30 {
        let mut proc = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "output_set_killed::killed_sets_are_whole_or_absent_after_cleanup",
                "--nocapture",
            ])
            .env(CHILD, out)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let delay = 5 + next(&mut seed) % 400;
        std::thread::sleep(Duration::from_millis(delay));
        proc.kill().unwrap(); // SIGKILL
        proc.wait().unwrap();
        // Before cleanup: a mixed visible set is only allowed while a commit marker exists.
        let marker_left = std::fs::read_dir(out).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".starvation-staging-")
                && e.path().join(".commit").exists()
        });
        if marker_left {
            mid_commit += 1;
        }
        remove_stale(out);
        let entries: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let hidden: Vec<&String> = entries.iter().filter(|n| n.starts_with('.')).collect();
        assert!(hidden.is_empty(), "round {round}: leftovers {hidden:?}");
        if entries.is_empty() {
            assert_eq!(
                last_generation, 0,
                "round {round}: a committed set vanished"
            );
            continue;
        }
        assert_eq!(entries.len(), NAMES.len(), "round {round}: {entries:?}");
        let generations: Vec<u64> = NAMES.iter().map(|n| generation(&out.join(n))).collect();
        assert!(
            generations.iter().all(|g| *g == generations[0]),
            "round {round}: mixed set {generations:?}"
        );
        last_generation = generations[0];
    }
    eprintln!("30 kills; {mid_commit} landed inside a commit and were completed by cleanup");
}
