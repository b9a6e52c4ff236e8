//! Claim (issue 21, class 8): "every label and title is escaped in SVG (well-formed XML whatever
//! the spec's strings hold); names that start with `-` are refused where they become file
//! names." The SVG files are parsed with an XML parser (roxmltree) and the hostile strings must
//! come back as the text of the document, markup and all.

use std::path::Path;
use std::process::Command;

fn starvation(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_starvation"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn sweep_spec(name: &str, stem: &str, title: &str, y_label: &str) -> String {
    serde_json::json!({
        "name": name,
        "model": { "features": { "toy": { "s1": 6.0, "s2": 2.0, "delta": 0.5 } } },
        "sweep": {
            "axes": [ { "parameter": "lambda", "values": [0.01, 0.1, 1.0] } ],
            "metrics": ["z"],
            "plots": [ {
                "kind": "lines", "name": stem, "title": title, "x": "lambda",
                "metrics": ["z1", "z2"], "y_label": y_label, "size": [500, 300]
            } ]
        }
    })
    .to_string()
}

/// Every text node of an SVG document, concatenated.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("")
}

#[test]
fn hostile_titles_and_labels_make_well_formed_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "markup",
            "<script>alert(1)</script> & </text></svg>",
            "a < b > c",
        ),
        (
            "quotes",
            "\"double\" 'single' &amp; &#x41; &lt;",
            "]]> <![CDATA[ x",
        ),
        (
            "comments",
            "<!-- comment --> <?pi x?> <!DOCTYPE x>",
            "<g onload=\"x\">",
        ),
        (
            "controls",
            "bell \u{7} nul \u{0} esc \u{1b} end",
            "tab\tform\u{c}feed",
        ),
        (
            "mark",
            "\u{E000}image-0\u{E000} fake placeholder",
            "\u{FFFF}\u{FFFE}",
        ),
    ];
    for (stem, title, y_label) in cases {
        let spec = format!("{stem}.json");
        std::fs::write(
            tmp.path().join(&spec),
            sweep_spec(stem, stem, title, y_label),
        )
        .unwrap();
        let (code, err) = starvation(tmp.path(), &["sweep", &spec, "--out", "o"]);
        assert_eq!(code, 0, "{stem}: {err}");
        let svg = std::fs::read_to_string(tmp.path().join(format!("o/{stem}.svg"))).unwrap();
        let text = svg_text(&svg);
        // What XML allows comes back verbatim; what it forbids is replaced, never dropped into
        // the markup.
        let expected = |s: &str| -> String {
            s.chars()
                .map(|c| match c {
                    '\t' | '\n' | '\r' => c,
                    c if (c as u32) < 0x20 => '\u{FFFD}',
                    '\u{FFFE}' | '\u{FFFF}' | '\u{E000}' => '\u{FFFD}',
                    c => c,
                })
                .collect()
        };
        for s in [title, y_label] {
            let want = expected(s);
            let want = want.trim();
            assert!(
                text.contains(want),
                "{stem}: {want:?} not in the SVG's text"
            );
        }
        assert!(!svg.contains("<script"), "{stem}");
    }
}

#[test]
fn names_starting_with_a_dash_are_refused_where_they_become_files() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, stem, field) in [
        ("-rf", "fine", "name"),
        ("--help", "fine", "name"),
        ("fine", "-x", "sweep.plots[0].name"),
        ("fine", "--version", "sweep.plots[0].name"),
    ] {
        std::fs::write(tmp.path().join("s.json"), sweep_spec(name, stem, "t", "y")).unwrap();
        for args in [
            &["check", "s.json"][..],
            &["sweep", "s.json", "--out", "o"][..],
        ] {
            let command = args[0];
            let (code, err) = starvation(tmp.path(), args);
            assert_eq!(code, 2, "{command} {name} {stem}: {err}");
            assert!(
                err.starts_with(&format!("error: {field}: ")),
                "{command}: {err}"
            );
            assert!(err.contains("starts with '-'"), "{err}");
        }
        assert!(
            !tmp.path().join("o").exists()
                || std::fs::read_dir(tmp.path().join("o"))
                    .unwrap()
                    .next()
                    .is_none()
        );
    }
    // A dash inside a name is fine.
    std::fs::write(
        tmp.path().join("s.json"),
        sweep_spec("a-b", "c-d", "t", "y"),
    )
    .unwrap();
    let (code, err) = starvation(tmp.path(), &["sweep", "s.json", "--out", "o"]);
    assert_eq!(code, 0, "{err}");
    assert!(tmp.path().join("o/c-d.svg").exists());
}
