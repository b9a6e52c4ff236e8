//! Claim (reliability issue, item 5): "Every command panics when standard output is a closed
//! pipe … treat a broken pipe as a quiet exit." A child process reports through
//! `starvation::output::Report` after its reader has gone: no panic, nothing on standard error,
//! the work after the report still happens, exit status 0.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use starvation::output::Report;

const CHILD: &str = "STARVATION_BROKEN_PIPE_CHILD";

/// Child mode: say READY, keep reporting after the reader closed, then write `done`.
fn child(done: &Path) -> ! {
    let mut report = Report::stdout();
    report.line("READY").unwrap();
    // The parent closes its end once it has read READY; keep writing until the pipe breaks.
    for i in 0..10_000_000u64 {
        report.line(format_args!("line {i}")).unwrap();
        if report.is_closed() {
            break;
        }
    }
    assert!(report.is_closed(), "the reader never went away");
    std::fs::write(done, b"files are still written").unwrap();
    std::process::exit(0); // skip the test harness's own report on the closed stdout
}

#[test]
fn a_closed_stdout_is_a_quiet_end() {
    if let Some(done) = std::env::var_os(CHILD) {
        child(Path::new(&done));
    }
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "output_broken_pipe::a_closed_stdout_is_a_quiet_end",
            "--nocapture",
        ])
        .env(CHILD, &done)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(proc.stdout.take().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap() > 0 && !line.contains("READY") {
        line.clear();
    }
    drop(reader); // close the pipe
    let output = proc.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(done.exists());
}
