//! Claim (issue 21, class 7): "thread counts from the environment (`RAYON_NUM_THREADS`) are
//! validated or capped with a message; every thread pool is bounded." A value that is not a
//! whole number is bad input (exit 2, one line naming the variable) before any work; a huge
//! value is capped with a note and the command still runs.

use std::process::Command;

fn run_with(threads: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn bad_thread_counts_are_refused_and_huge_ones_capped() {
    let spec = ["check", "simulations/toy_equilibrium.json"];
    for bad in ["abc", "-3", "2.5", "1e3", "99999999999999999999999"] {
        let (code, err) = run_with(bad, &spec);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.starts_with("error: RAYON_NUM_THREADS: "), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    for fine in ["1", "2", "0"] {
        let (code, err) = run_with(fine, &spec);
        assert_eq!(code, 0, "{fine}: {err}");
        assert!(!err.contains("RAYON_NUM_THREADS"), "{err}");
    }
    // A million threads would be refused by the system (and abort rayon); capped instead, with
    // a note, and a parallel sweep runs.
    let tmp = tempfile::tempdir().unwrap();
    let (code, err) = run_with(
        "1000000",
        &[
            "sweep",
            "simulations/sweep_phase_diagram.json",
            "--out",
            tmp.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("RAYON_NUM_THREADS = 1000000"), "{err}");
    assert!(err.contains("using"), "{err}");
}
