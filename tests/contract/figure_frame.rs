//! Issue 17 ("One figure vocabulary across run, sweep, portrait and experiment figures"): every
//! figure a spec asks for — `plot`, a figure of a `plot` list, `portrait`, `sweep.plots[i]`,
//! `experiment.figure` — has the same frame, `name`, `title`, `size: [width, height]` of the
//! whole figure in pixels and `columns`, checked by one function; the spellings of earlier
//! versions (`stem`, `width`, `height`) are refused with a one-line error that names the field
//! and its new spelling, exit status 2, before any work, nothing written.
//!
//! Checked here on all five places: each old spelling gives exactly the line
//! `error: FIELD: renamed; write …` from `check` and from the command that would draw the figure,
//! which writes nothing; one bad `size` and one bad `columns` give the same message at every
//! place; and one good frame (`"name": "f"`, `"size": [640, 480]`) gives the file `f.png` of
//! exactly 640 × 480 pixels everywhere (the PNG header's width and height).

use std::path::Path;

use crate::common;

const TOY: &str = r#""model": { "features": { "toy": { "s1": 3, "s2": 1, "delta": 0.3 } } }"#;

/// A line panel of a run figure.
const LINE_PANEL: &str =
    r#"{ "x": { "quantity": "t" }, "y": { "quantity": "z1" }, "series": [{}] }"#;

/// A small portrait panel.
const PORTRAIT_PANEL: &str = r#"{ "x": { "coordinate": "z1", "range": [0, 4] }, "y": { "coordinate": "z2", "range": [0, 2] }, "arrows": { "grid": 5 }, "streamlines": null, "nullclines": { "grid": 11 } }"#;

/// A spec drawing one figure of `kind` whose frame fields are `frame` (JSON members, each
/// followed by a comma, or ""), with the command that draws it and the field the frame is
/// written at.
fn spec(kind: &str, frame: &str) -> (String, &'static str, &'static str) {
    match kind {
        "plot" => (
            format!(
                r#"{{ "name": "p", {TOY}, "simulation": {{ "t_end": 1, "output": {{ "count": 3 }} }}, "plot": {{ {frame} "panels": [{LINE_PANEL}] }} }}"#
            ),
            "run",
            "plot",
        ),
        "plot list" => {
            // Every figure of a list needs its name: the second is named unless `frame` names it.
            let named = if frame.contains("\"name\"") {
                frame.to_string()
            } else {
                format!(r#""name": "second", {frame}"#)
            };
            (
                format!(
                    r#"{{ "name": "p", {TOY}, "simulation": {{ "t_end": 1, "output": {{ "count": 3 }} }}, "plot": [ {{ "name": "first", "panels": [{LINE_PANEL}] }}, {{ {named} "panels": [{LINE_PANEL}] }} ] }}"#
                ),
                "run",
                "plot[1]",
            )
        }
        "portrait" => (
            format!(
                r#"{{ "name": "p", {TOY}, "portrait": {{ {frame} "panels": [{PORTRAIT_PANEL}] }} }}"#
            ),
            "portrait",
            "portrait",
        ),
        "sweep plot" => (
            format!(
                r#"{{ "name": "p", {TOY}, "sweep": {{ "axes": [ {{ "parameter": "delta", "values": [0.1, 0.2] }}, {{ "parameter": "s1", "values": [1, 2, 3] }} ], "metrics": ["z"], "plots": [ {{ {frame} "kind": "lines", "metric": "z1", "x": "s1" }} ] }} }}"#
            ),
            "sweep",
            "sweep.plots[0]",
        ),
        "experiment figure" => (
            format!(
                r#"{{ "name": "p", "experiment": {{ "data": {{ "two_moons": {{ "examples": 20 }} }}, "network": {{ "hidden": [8] }}, "training": {{ "epochs": 2 }}, "seeds": 1, "grid": {{ "resolution": 10 }}, "figure": {{ {frame} "kind": "boundaries" }} }} }}"#
            ),
            "run",
            "experiment.figure",
        ),
        other => panic!("no kind {other}"),
    }
}

const KINDS: [&str; 5] = [
    "plot",
    "plot list",
    "portrait",
    "sweep plot",
    "experiment figure",
];

/// `check` and the drawing command both exit 2 with the one line `error: {field}: {message}`
/// (the message checked by `expect`), and the command writes nothing.
fn refused(what: &str, text: &str, command: &str, expect: impl Fn(&str, &str)) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s.json"), text).unwrap();
    for args in [
        vec!["check", "s.json"],
        vec![command, "s.json", "--out", "o"],
    ] {
        let r = common::run_binary(Some(tmp.path()), &args);
        assert_eq!(r.code, 2, "{what}, {}: {}", args[0], r.both());
        let lines: Vec<&str> = r.stderr.trim_end().lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{what}, {}: not one line: {}",
            args[0],
            r.stderr
        );
        let line = lines[0]
            .strip_prefix("error: ")
            .unwrap_or_else(|| panic!("{what}, {}: not an error line: {}", args[0], r.stderr));
        let (field, message) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{what}: no field in {line:?}"));
        expect(field, message);
    }
    let written = std::fs::read_dir(tmp.path().join("o"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(written, 0, "{what}: {command} wrote files");
}

#[test]
fn old_spellings_are_refused_naming_the_new_one_everywhere() {
    let renamed = [
        (r#""stem": "f","#, "stem", r#"renamed; write "name""#),
        (
            r#""width": 640,"#,
            "width",
            r#"renamed; write "size": [width, height]"#,
        ),
        (
            r#""height": 480,"#,
            "height",
            r#"renamed; write "size": [width, height]"#,
        ),
    ];
    for kind in KINDS {
        for (member, old, want) in renamed {
            let (text, command, at) = spec(kind, member);
            refused(
                &format!("{kind} {old}"),
                &text,
                command,
                |field, message| {
                    assert_eq!(field, format!("{at}.{old}"), "{kind}");
                    assert_eq!(message, want, "{kind} {old}");
                },
            );
        }
    }
}

#[test]
fn one_check_of_size_and_columns_everywhere() {
    for (member, name, want) in [
        (
            r#""size": [10, 480],"#,
            "size",
            "must be [width, height] with each side between 64 and 16384 pixels, got [10, 480]",
        ),
        (
            r#""size": [16384, 16384],"#,
            "size",
            "16384 × 16384 pixels is too large (at most 64 Mi pixels); make the figure smaller",
        ),
        (r#""columns": 0,"#, "columns", "must be ≥ 1"),
        (
            r#""name": "../f","#,
            "name",
            r#""../f" contains a path separator; a file name may use letters, digits, '_', '-' and '.' (it is written inside --out)"#,
        ),
    ] {
        for kind in KINDS {
            let (text, command, at) = spec(kind, member);
            refused(
                &format!("{kind} {member}"),
                &text,
                command,
                |field, message| {
                    assert_eq!(field, format!("{at}.{name}"), "{kind}");
                    assert_eq!(message, want, "{kind} {member}");
                },
            );
        }
    }
}

/// Width and height of a PNG file from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn one_frame_means_the_same_file_and_pixels_everywhere() {
    for kind in KINDS {
        let (text, command, _) = spec(
            kind,
            r#""name": "f", "title": "A frame", "size": [640, 480], "columns": 1,"#,
        );
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("s.json"), text).unwrap();
        let r = common::run_binary(Some(tmp.path()), &[command, "s.json", "--out", "o"]);
        assert_eq!(r.code, 0, "{kind}: {}", r.both());
        assert_eq!(png_size(&tmp.path().join("o/f.png")), (640, 480), "{kind}");
        let data: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join("o/f.data.json")).unwrap(),
        )
        .unwrap();
        let svg = std::fs::read_to_string(tmp.path().join("o/f.svg")).unwrap();
        assert!(svg.contains("A frame"), "{kind}: the title is not drawn");
        assert!(data.is_object(), "{kind}");
    }
}
