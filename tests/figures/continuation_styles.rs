//! Issue 22, point 3: "the continuation figure with a log axis and unambiguous styles for many
//! features". Fix claimed: `equilibrium.continuation.x_scale: "log"` draws the continued
//! parameter (λ over decades) on a log axis (refused by `check` for values ≤ 0, naming the
//! field); with more than three responses every line differs from every other in colour or dash
//! and from its neighbours in both, and each is named in the legend; up to three responses keep
//! one colour per model and one dash per response. The same holds for a sweep's line figure
//! with more than three metrics.

use std::collections::HashSet;

use starvation::plot::{Dash, Panel, Scale};
use starvation::spec::parse_spec;

/// Five features (a random U, seeded), L2, λ on 9 log-spaced values over four decades.
const FIVE: &str = r#"{
    "name": "five",
    "model": {
        "features": { "random": { "examples": 5, "seed": 3, "strengths": [5, 4, 3, 2, 1] } },
        "regulariser": { "l2": { "lambda": 0.01 } }
    },
    "equilibrium": { "continuation": { "parameter": "lambda",
        "values": { "logspace": { "start": 0.0001, "stop": 1, "count": 9 } }, "x_scale": "log" } }
}"#;

fn lines(spec: &str) -> starvation::plot::LinePanel {
    let spec = parse_spec(spec).expect("spec");
    let (outcome, _) = starvation::tasks::equilibrium(&spec).expect("equilibrium");
    let fig = starvation::figures::continuation_figure(&spec, &outcome.entries)
        .expect("a continuation figure");
    let Panel::Lines(l) = fig.figure.panels.into_iter().next().expect("a panel") else {
        panic!("a line panel")
    };
    l
}

fn dash_index(d: Dash) -> usize {
    match d {
        Dash::Solid => 0,
        Dash::Dashed => 1,
        Dash::Dotted => 2,
    }
}

#[test]
fn five_responses_on_a_log_axis_are_all_distinct() {
    let l = lines(FIVE);
    assert_eq!(l.x.scale, Scale::Log);
    assert_eq!(l.series.len(), 5);
    assert!(l.legend);
    let styles: HashSet<(usize, usize)> = l
        .series
        .iter()
        .map(|s| (s.colour % 8, dash_index(s.dash)))
        .collect();
    assert_eq!(styles.len(), 5, "every line its own colour and dash");
    for w in l.series.windows(2) {
        assert_ne!(w[0].colour % 8, w[1].colour % 8);
        assert_ne!(w[0].dash, w[1].dash, "neighbours differ in dash too");
    }
    // z4* is not drawn like z1* (the old cycle of three dashes in one colour made them equal).
    assert!(
        (l.series[0].colour, l.series[0].dash) != (l.series[3].colour, l.series[3].dash),
        "z1* and z4*"
    );
    let labels: Vec<&str> = l
        .series
        .iter()
        .map(|s| s.label.as_deref().expect("in the legend"))
        .collect();
    assert_eq!(labels.len(), 5);
    assert!(labels[4].ends_with("z₅*"), "{labels:?}");
}

#[test]
fn two_responses_keep_colour_per_model_and_dash_per_response() {
    let l = lines(
        r#"{ "name": "two", "model": { "features": { "toy": { "s1": 4, "s2": 2, "delta": 0.5 } },
             "regulariser": { "l2": { "lambda": 0.01 } } },
             "runs": [ { "label": "a" }, { "label": "b", "model": { "rate": 2 } } ],
             "equilibrium": { "continuation": { "parameter": "s1", "values": [2, 4] } } }"#,
    );
    assert_eq!(l.x.scale, Scale::Linear, "linear by default");
    let styles: Vec<(usize, Dash)> = l.series.iter().map(|s| (s.colour, s.dash)).collect();
    assert_eq!(
        styles,
        [
            (0, Dash::Solid),
            (0, Dash::Dashed),
            (1, Dash::Solid),
            (1, Dash::Dashed)
        ]
    );
}

#[test]
fn a_log_axis_over_values_not_positive_is_refused_by_check() {
    let spec = parse_spec(
        r#"{ "name": "bad", "model": { "features": { "toy": { "s1": 4, "s2": 2, "delta": 0.5 } } },
             "equilibrium": { "continuation": { "parameter": "delta", "values": [0, 0.3],
                              "x_scale": "log" } } }"#,
    )
    .expect("parses");
    let e = starvation::tasks::check(&spec).expect_err("refused");
    assert!(
        e.to_string().contains("equilibrium.continuation.x_scale"),
        "{e}"
    );
}

#[test]
fn a_sweep_line_figure_with_five_metrics_uses_colour_and_dash() {
    let spec = parse_spec(
        r#"{ "name": "sw", "model": { "features": { "random": { "examples": 5, "seed": 3,
               "strengths": [5, 4, 3, 2, 1] } } },
             "sweep": { "axes": [ { "parameter": "lambda", "values": [0.001, 0.01, 0.1] } ],
               "metrics": ["z"],
               "plots": [ { "kind": "lines", "x": "lambda", "x_scale": "log",
                            "metrics": ["z1", "z2", "z3", "z4", "z5"] } ] } }"#,
    )
    .expect("spec");
    let plan = starvation::spec::sweep_plan(&spec).expect("plan");
    let result = starvation::sweep::run_lines(&plan, 0..plan.lines(), false, &|_| {});
    let plots = spec.sweep.as_ref().expect("a sweep").plots.clone();
    let figs =
        starvation::figures::sweep::sweep_figures("sw", &plots, &plan, &result).expect("figures");
    let Panel::Lines(l) = &figs[0].figure.panels[0] else {
        panic!("a line panel")
    };
    let styles: HashSet<(usize, usize)> = l
        .series
        .iter()
        .map(|s| (s.colour % 8, dash_index(s.dash)))
        .collect();
    assert_eq!(styles.len(), 5);
    assert!(l.series.windows(2).all(|w| w[0].dash != w[1].dash));
}
