//! Issue 9, classes 2 and 4: "Every name that becomes a file must be checked by `check`, before
//! any work, with the field named" and "whatever `run`/`sweep`/`figures` would reject, `check`
//! rejects, and nothing is written."
//!
//! Each row of the table is an invalid spec and the field its error must name. For every row:
//! `starvation check` exits 2 with one line naming that field, and the command that would run
//! the spec (`run`, `sweep`, `portrait` or `equilibrium`) exits 2 with the same line, leaving its
//! `--out` folder empty. `figures` over a folder of good specs and one bad one writes nothing.

use crate::common;
use std::path::Path;

const TOY: &str = r#""model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }"#;

/// A run spec with `extra` fields after its model and a one-second simulation.
fn run_spec(simulation: &str, extra: &str) -> String {
    format!(
        r#"{{ "name": "p", {TOY}, "simulation": {{ "t_end": 1, "output": {{ "count": 3 }} {simulation} }} {extra} }}"#
    )
}

/// A sweep spec over δ (values `delta`) × s1 with the given `plots`.
fn sweep_spec(delta: &str, plots: &str) -> String {
    format!(
        r#"{{ "name": "p", {TOY}, "sweep": {{ "axes": [ {{ "parameter": "delta", "values": {delta} }}, {{ "parameter": "s1", "values": [1, 2, 3] }} ], "metrics": ["z"], "plots": {plots} }} }}"#
    )
}

fn lines_plot(name: &str) -> String {
    format!(r#"{{ "kind": "lines", "metric": "z1", "x": "s1", "name": {name} }}"#)
}

fn line_panel(x: &str, y: &str) -> String {
    format!(r#"{{ "x": {{ "quantity": "{x}" }}, "y": {{ "quantity": "{y}" }}, "series": [{{}}] }}"#)
}

/// (what, command, spec, field named by the error).
fn cases() -> Vec<(&'static str, &'static str, String, &'static str)> {
    let good_delta = "[0.1, 0.2, 0.3]";
    let long = "a".repeat(250);
    vec![
        // ── Class 2: names that become files ──
        (
            "plot name with ..",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""../evil""#))),
            "sweep.plots[0].name",
        ),
        (
            "absolute plot name",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""/tmp/evil""#))),
            "sweep.plots[0].name",
        ),
        (
            "plot name with a backslash",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""a\\b""#))),
            "sweep.plots[0].name",
        ),
        (
            "plot name of dots",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""...""#))),
            "sweep.plots[0].name",
        ),
        (
            "hidden plot name",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#"".hidden""#))),
            "sweep.plots[0].name",
        ),
        (
            "plot name with a control character",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""a\nb""#))),
            "sweep.plots[0].name",
        ),
        (
            "empty plot name",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(r#""""#))),
            "sweep.plots[0].name",
        ),
        (
            "plot name too long for the file system",
            "sweep",
            sweep_spec(good_delta, &format!("[{}]", lines_plot(&format!("\"{long}\"")))),
            "sweep.plots[0].name",
        ),
        (
            "two plots with one name",
            "sweep",
            sweep_spec(
                good_delta,
                &format!("[{}, {}]", lines_plot(r#""q""#), lines_plot(r#""q""#)),
            ),
            "sweep.plots[1].name",
        ),
        (
            "a plot named like another plot's default name",
            "sweep",
            sweep_spec(
                good_delta,
                &format!(
                    r#"[{}, {{ "kind": "lines", "metric": "z1", "x": "s1" }}]"#,
                    lines_plot(r#""p_1""#)
                ),
            ),
            "sweep.plots[1].name",
        ),
        (
            "a plot named like the spec's shard files",
            "sweep",
            sweep_spec(
                good_delta,
                &format!("[{}]", lines_plot(r#""p.shard-1-of-2""#)),
            ),
            "sweep.plots[0].name",
        ),
        (
            "two run figures with one name",
            "run",
            run_spec(
                "",
                &format!(
                    r#", "plot": [ {{ "name": "a", "panels": [{0}] }}, {{ "name": "a", "panels": [{0}] }} ]"#,
                    line_panel("t", "z1")
                ),
            ),
            "plot[1].name",
        ),
        (
            "run figure name with a slash",
            "run",
            run_spec(
                "",
                &format!(
                    r#", "plot": {{ "name": "x/y", "panels": [{}] }}"#,
                    line_panel("t", "z1")
                ),
            ),
            "plot.name",
        ),
        (
            "portrait name of dots",
            "portrait",
            format!(
                r#"{{ "name": "p", {TOY}, "portrait": {{ "name": "..", "panels": [ {{ "x": {{ "coordinate": "z1", "range": [0, 1] }}, "y": {{ "coordinate": "z2", "range": [0, 1] }} }} ] }} }}"#
            ),
            "portrait.name",
        ),
        (
            "spec name too long",
            "run",
            format!(
                r#"{{ "name": "{long}", {TOY}, "simulation": {{ "t_end": 1 }} }}"#
            ),
            "name",
        ),
        (
            "spec name with a path",
            "equilibrium",
            format!(r#"{{ "name": "../p", {TOY} }}"#),
            "name",
        ),
        // ── Class 4: rejected by the work, so by check ──
        (
            "log heat-map axis over values ≤ 0",
            "sweep",
            sweep_spec(
                "[-0.5, 0, 0.5]",
                r#"[{ "kind": "heatmap", "metric": "z1", "x": "s1", "y": "delta", "y_scale": "log" }]"#,
            ),
            "sweep.plots[0].y_scale",
        ),
        (
            "log threshold-curve axis over values ≤ 0",
            "sweep",
            sweep_spec(
                "[-0.5, 0, 0.5]",
                r#"[{ "kind": "threshold_curves", "x": "delta", "x_scale": "log" }]"#,
            ),
            "sweep.plots[0].x_scale",
        ),
        (
            "heat-map axis not increasing",
            "sweep",
            sweep_spec(
                "[0.5, 0.1, 0.3]",
                r#"[{ "kind": "heatmap", "metric": "z1", "x": "s1", "y": "delta" }]"#,
            ),
            "sweep.plots[0].y",
        ),
        (
            "dual initial state at 0",
            "run",
            run_spec(r#", "space": "alpha", "initial_state": [0, 0.5]"#, ""),
            "simulation.initial_state[0]",
        ),
        (
            "dual initial state above 1",
            "run",
            run_spec(r#", "space": "alpha", "initial_state": [0.5, 1.5]"#, ""),
            "simulation.initial_state[1]",
        ),
        (
            "initial state of the wrong length",
            "run",
            run_spec(r#", "initial_state": [0, 0.5, 1]"#, ""),
            "simulation.initial_state",
        ),
        (
            "\"step\" plotted for a continuous run",
            "run",
            run_spec("", &format!(r#", "plot": {{ "panels": [{}] }}"#, line_panel("step", "z1"))),
            "plot.panels[0].x.quantity",
        ),
        (
            "a response the model does not have",
            "run",
            run_spec("", &format!(r#", "plot": {{ "panels": [{}] }}"#, line_panel("t", "z3"))),
            "plot.panels[0].y.quantity",
        ),
        (
            "a coordinate of another space",
            "run",
            run_spec("", &format!(r#", "plot": {{ "panels": [{}] }}"#, line_panel("t", "theta1"))),
            "plot.panels[0].y.quantity",
        ),
        (
            "portrait trajectory start outside (0, 1) in the dual space",
            "portrait",
            format!(
                r#"{{ "name": "p", {TOY}, "portrait": {{ "panels": [ {{ "space": "alpha", "x": {{ "coordinate": "alpha1", "range": [0, 1] }}, "y": {{ "coordinate": "alpha2", "range": [0, 1] }}, "trajectories": {{ "starts": [[0, 0.5]], "t_end": 1 }} }} ] }} }}"#
            ),
            "portrait.panels[0].trajectories.starts[0][0]",
        ),
        (
            "portrait fixed dual state outside (0, 1)",
            "portrait",
            r#"{ "name": "p", "model": { "features": { "explicit": { "strengths": [3, 2, 1], "coupling": [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } } }, "portrait": { "panels": [ { "space": "alpha", "fixed": [0.5, 0.5, 2], "x": { "coordinate": "alpha1", "range": [0.1, 0.9] }, "y": { "coordinate": "alpha2", "range": [0.1, 0.9] } } ] } }"#.to_string(),
            "portrait.panels[0].fixed[2]",
        ),
        (
            "portrait held at an equilibrium that does not exist",
            "portrait",
            r#"{ "name": "p", "model": { "features": { "explicit": { "strengths": [3, 2, 1], "coupling": [[1, 0, 0], [0, 1, 0], [0, 0, 1]] } }, "regulariser": "none" }, "portrait": { "panels": [ { "x": { "coordinate": "z1", "range": [0, 1] }, "y": { "coordinate": "z2", "range": [0, 1] } } ] } }"#.to_string(),
            "portrait.panels[0].fixed",
        ),
        (
            "equilibrium start of the wrong length",
            "equilibrium",
            format!(r#"{{ "name": "p", {TOY}, "equilibrium": {{ "start": [1] }} }}"#),
            "equilibrium.start",
        ),
    ]
}

fn starvation(dir: &Path, args: &[&str]) -> (i32, String) {
    let r = common::run_binary(Some(dir), args);
    (r.code, r.stderr)
}

/// The one error line, checked to name `field`.
fn one_line_naming(what: &str, stderr: &str, field: &str) -> String {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 1, "{what}: not one line: {stderr}");
    assert!(
        lines[0].starts_with(&format!("error: {field}: ")),
        "{what}: does not name {field}: {stderr}"
    );
    lines[0].to_string()
}

#[test]
fn check_rejects_every_spec_the_command_rejects_and_the_command_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (what, command, spec, field)) in cases().into_iter().enumerate() {
        let file = format!("case{i}.json");
        std::fs::write(tmp.path().join(&file), &spec).unwrap();
        let (code, err) = starvation(tmp.path(), &["check", &file]);
        assert_eq!(code, 2, "check, {what}: {err}");
        let checked = one_line_naming(what, &err, field);
        let out = format!("out{i}");
        let (code, err) = starvation(tmp.path(), &[command, &file, "--out", &out]);
        assert_eq!(code, 2, "{command}, {what}: {err}");
        assert_eq!(one_line_naming(what, &err, field), checked, "{what}");
        let written = std::fs::read_dir(tmp.path().join(&out))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(written, 0, "{command}, {what}: files were written");
    }
    // Nothing escaped the output folders either (e.g. "../evil" or "/tmp/evil").
    assert!(!tmp.path().join("evil.png").exists());
    let strays: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !(n.starts_with("case") || n.starts_with("out")))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[test]
fn figures_validates_every_spec_before_running_any() {
    let tmp = tempfile::tempdir().unwrap();
    let specs = tmp.path().join("specs");
    std::fs::create_dir(&specs).unwrap();
    let good_run = run_spec(
        "",
        &format!(r#", "plot": {{ "panels": [{}] }}"#, line_panel("t", "z1")),
    )
    .replace("\"p\"", "\"a_run\"");
    let good_sweep = sweep_spec(
        "[0.1, 0.2, 0.3]",
        r#"[{ "kind": "lines", "metric": "z1", "x": "s1" }]"#,
    )
    .replace("\"p\"", "\"b_sweep\"");
    // Sorted last, so a command that ran specs in order before validating all would have
    // written the first two.
    let bad = sweep_spec(
        "[-0.5, 0, 0.5]",
        r#"[{ "kind": "heatmap", "metric": "z1", "x": "s1", "y": "delta", "y_scale": "log" }]"#,
    )
    .replace("\"p\"", "\"c_bad\"");
    std::fs::write(specs.join("a.json"), &good_run).unwrap();
    std::fs::write(specs.join("b.json"), &good_sweep).unwrap();
    std::fs::write(specs.join("c.json"), &bad).unwrap();
    let (code, err) = starvation(
        tmp.path(),
        &["figures", "--specs", "specs", "--out", "figs"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("c.json") && err.contains("sweep.plots[0].y_scale"),
        "{err}"
    );
    let written = std::fs::read_dir(tmp.path().join("figs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(
        written, 0,
        "figures wrote the good specs' outputs before failing"
    );

    // Without the bad one, both good specs are drawn.
    std::fs::remove_file(specs.join("c.json")).unwrap();
    let (code, err) = starvation(
        tmp.path(),
        &["figures", "--specs", "specs", "--out", "figs"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(tmp.path().join("figs/a_run.png").exists());
    assert!(tmp.path().join("figs/b_sweep_0.png").exists());
}

#[test]
fn figures_refuses_two_specs_that_write_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let specs = tmp.path().join("specs");
    std::fs::create_dir(&specs).unwrap();
    let run = |stem: &str| {
        run_spec(
            "",
            &format!(
                r#", "plot": {{ "name": "{stem}", "panels": [{}] }}"#,
                line_panel("t", "z1")
            ),
        )
    };
    std::fs::write(specs.join("a.json"), run("same").replace("\"p\"", "\"a\"")).unwrap();
    std::fs::write(specs.join("b.json"), run("same").replace("\"p\"", "\"b\"")).unwrap();
    let (code, err) = starvation(
        tmp.path(),
        &["figures", "--specs", "specs", "--out", "figs"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("b.json: plot.name") && err.contains("same.png"),
        "{err}"
    );
    assert!(!tmp.path().join("figs/same.png").exists());
}
