//! Claim (issue 22, point 1): "long commands report their progress — `run` of an experiment per
//! setting and seed in epochs, `run` in runs, `sweep` in cells, `merge` in lines — through the
//! library's `Progress` (each stage's units add up to its announced total), and the command line
//! draws bars (label, epochs, rate, time left) only when standard error is a terminal: with
//! standard error redirected it writes nothing there."

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use starvation::output::{SpecGuard, prepare_output_dir};
use starvation::spec::parse_spec;
use starvation::tasks::{self, Meter, Progress, SweepTask};

/// A recorded stage: label, total, unit, units advanced, ended.
type Stage = (String, u64, &'static str, u64, bool);

/// Records every stage.
#[derive(Default)]
struct Recorder {
    stages: Mutex<Vec<Stage>>,
}

struct RecordedMeter<'a> {
    recorder: &'a Recorder,
    index: usize,
}

impl Progress for Recorder {
    fn stage(&self, label: &str, total: u64, unit: &'static str) -> Box<dyn Meter + '_> {
        let mut s = self.stages.lock().unwrap();
        s.push((label.to_string(), total, unit, 0, false));
        Box::new(RecordedMeter {
            recorder: self,
            index: s.len() - 1,
        })
    }
}

impl Meter for RecordedMeter<'_> {
    fn advance(&self, done: u64) {
        self.recorder.stages.lock().unwrap()[self.index].3 += done;
    }
}

impl Drop for RecordedMeter<'_> {
    fn drop(&mut self) {
        self.recorder.stages.lock().unwrap()[self.index].4 = true;
    }
}

const EXPERIMENT: &str = r#"{
  "name": "progress_experiment",
  "experiment": {
    "data": { "two_moons": { "examples": 40, "noise": 0.1, "seed": 0, "margin": 0.1 } },
    "network": { "hidden": [16] },
    "training": { "optimiser": { "sgd": { "learning_rate": 0.01, "momentum": 0.9 } }, "epochs": 700 },
    "seeds": [3, 5, 8],
    "grid": { "range": [-2, 2], "resolution": 8 },
    "settings": [ { "label": "first" }, { "label": "second", "training": { "epochs": 300 } } ]
  }
}"#;

#[test]
fn an_experiment_reports_one_stage_per_setting_and_seed_in_epochs() {
    let spec = parse_spec(EXPERIMENT).unwrap();
    let plan = tasks::experiment_plan(&spec).unwrap();
    let recorder = Recorder::default();
    tasks::experiment(&spec, &plan, &recorder).unwrap();
    let mut stages = recorder.stages.into_inner().unwrap();
    stages.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(stages.len(), 6, "{stages:?}");
    for (setting, epochs) in [("first", 700), ("second", 300)] {
        for (k, seed) in [3, 5, 8].iter().enumerate() {
            let label = format!("seed {seed} ({}/3) · setting", k + 1);
            let s = stages
                .iter()
                .find(|s| s.0.starts_with(&label) && s.0.ends_with(setting))
                .unwrap_or_else(|| panic!("no stage {label} … {setting}: {stages:?}"));
            assert_eq!(
                (s.1, s.2, s.3, s.4),
                (epochs, "epochs", epochs, true),
                "{s:?}"
            );
        }
    }
}

const SWEEP: &str = r#"{
  "name": "progress_sweep",
  "model": { "features": { "toy": { "s1": 2.0, "s2": 2.0, "delta": 0.3 } } },
  "sweep": {
    "axes": [
      { "parameter": "delta", "values": [0.1, 0.2, 0.3, 0.4, 0.5] },
      { "parameter": "s1", "values": { "linspace": { "start": 1.0, "stop": 8.0, "count": 7 } } }
    ],
    "metrics": [ "starvation_ratio" ]
  }
}"#;

#[test]
fn a_sweep_reports_its_cells_and_a_merge_its_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = parse_spec(SWEEP).unwrap();
    let task = SweepTask::new(&spec).unwrap();
    let guard = SpecGuard::new();
    let out = tmp.path().join("whole");
    prepare_output_dir(&out).unwrap();
    let recorder = Recorder::default();
    task.execute(&out, None, true, &guard, &recorder).unwrap();
    assert_eq!(
        recorder.stages.into_inner().unwrap(),
        vec![("progress_sweep".to_string(), 35, "cells", 35, true)]
    );
    let out = tmp.path().join("shards");
    prepare_output_dir(&out).unwrap();
    for k in 1..=2 {
        let recorder = Recorder::default();
        task.execute(&out, Some((k, 2)), false, &guard, &recorder)
            .unwrap();
        let stages = recorder.stages.into_inner().unwrap();
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0].0, format!("progress_sweep shard {k}/2"));
        assert_eq!((stages[0].1, stages[0].3), (stages[0].1, stages[0].1));
    }
    let recorder = Recorder::default();
    task.merge_in(&out, &guard, &recorder).unwrap();
    assert_eq!(
        recorder.stages.into_inner().unwrap(),
        vec![("merge progress_sweep".to_string(), 5, "lines", 5, true)]
    );
}

fn write_spec(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("progress_experiment.json");
    std::fs::write(&path, EXPERIMENT).unwrap();
    path
}

#[test]
fn the_command_line_is_quiet_when_standard_error_is_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = write_spec(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .args(["run", spec.to_str().unwrap(), "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(String::from_utf8_lossy(&out.stdout).contains("progress_experiment"));
}

/// In a terminal (a pseudo-terminal from util-linux' `script`) the bars show the seed, the
/// epochs, the rate and the time left.
#[test]
fn the_command_line_draws_bars_in_a_terminal() {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("note: /usr/bin/script (util-linux) is missing; the terminal case is not run");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let spec = write_spec(tmp.path());
    let typescript = tmp.path().join("typescript");
    let command = format!(
        "{} run {} --out {}",
        env!("CARGO_BIN_EXE_starvation"),
        spec.display(),
        tmp.path().join("out").display()
    );
    let status = Command::new(script)
        .args(["-qfec", &command])
        .arg(&typescript)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let text = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    for needed in [
        "seed 3 (1/3) · setting 1/2 first",
        "/700 epochs",
        "/s · ",
        " left",
    ] {
        assert!(text.contains(needed), "{needed:?} not drawn:\n{text}");
    }
}
