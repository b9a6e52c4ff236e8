//! Claim (issue 10, points 1 and 3): "a sweep's line figure draws a metric against one axis,
//! one line per value of the series axis and one panel per value of the facet axis, each point
//! the metric of its cell; titles, legends and the CSV's regulariser column name the λ actually
//! used in the cell — never the base model's λ when a λ axis overrides it; an `equilibrium`
//! continuation is drawn as z_j* against the continued parameter, one line per model and
//! response, each point the branch's equilibrium."
//!
//! The sweep: the toy with base λ = 0.05 (L2), a regulariser axis (L2, SD, both written with
//! λ = 0.05), δ ∈ {0.3, 0.5} and λ on a log grid 10⁻³…10⁻¹ that does not contain 0.05. Every
//! λ used is from the λ axis, so "0.05" must appear in no title, legend or CSV label.

use serde_json::{Value, json};
use starvation::figures::sweep::sweep_figures;
use starvation::plot::Panel;
use starvation::spec::parse_spec;
use starvation::sweep::{SweepPlan, SweepResult, run_lines};

fn sweep() -> (SweepPlan, SweepResult) {
    let spec = parse_spec(
        r#"{
        "name": "labels",
        "model": {
            "features": { "toy": { "s1": 4.0, "s2": 2.0, "delta": 0.5 } },
            "regulariser": { "l2": { "lambda": 0.05 } }
        },
        "sweep": {
            "axes": [
                { "parameter": "regulariser",
                  "values": [ { "l2": { "lambda": 0.05 } }, { "sd": { "lambda": 0.05 } } ] },
                { "parameter": "delta", "values": [0.3, 0.5] },
                { "parameter": "lambda",
                  "values": { "logspace": { "start": 0.001, "stop": 0.1, "count": 5 } } }
            ],
            "metrics": [ "z" ]
        }
    }"#,
    )
    .expect("spec parses");
    let plan = starvation::spec::sweep_plan(&spec).expect("plan");
    let result = run_lines(&plan, 0..plan.lines(), false, &|_| {});
    (plan, result)
}

/// The figures of plot specs `plots` for the sweep.
fn figures(plan: &SweepPlan, result: &SweepResult, plots: Value) -> Vec<starvation::plot::Figure> {
    let plots: Vec<Value> = plots.as_array().cloned().expect("a list");
    sweep_figures("labels", &plots, plan, result)
        .expect("figures")
        .into_iter()
        .map(|f| f.figure)
        .collect()
}

/// Every text a figure shows: title, panel titles, axis labels, legend entries.
fn texts(fig: &starvation::plot::Figure) -> Vec<String> {
    let mut out = vec![fig.title.clone()];
    for p in &fig.panels {
        match p {
            Panel::Lines(l) => {
                out.extend([l.title.clone(), l.x.label.clone(), l.y.label.clone()]);
                out.extend(l.series.iter().filter_map(|s| s.label.clone()));
            }
            Panel::HeatMap(h) => {
                out.extend([h.title.clone(), h.x.label.clone(), h.y.label.clone()]);
                out.extend(h.curves.iter().filter_map(|s| s.label.clone()));
            }
            Panel::Portrait(_) | Panel::Orbit(_) => {}
        }
    }
    out
}

#[test]
fn line_figure_has_one_series_per_value_and_one_panel_per_facet() {
    let (plan, result) = sweep();
    let figs = figures(
        &plan,
        &result,
        json!([{ "kind": "lines", "x": "lambda", "x_scale": "log", "series": "regulariser",
                 "facet": "delta", "metric": "z1" }]),
    );
    let fig = &figs[0];
    assert_eq!(fig.panels.len(), 2, "one panel per δ");
    let z1 = plan
        .columns
        .iter()
        .position(|c| c == "z1")
        .expect("z1 column");
    for (d, panel) in fig.panels.iter().enumerate() {
        let Panel::Lines(l) = panel else {
            panic!("a line panel")
        };
        assert_eq!(l.series.len(), 2, "one line per regulariser");
        assert!(l.title.contains(["0.3", "0.5"][d]), "title {:?}", l.title);
        for (r, s) in l.series.iter().enumerate() {
            assert_eq!(s.points.len(), 5, "one point per λ");
            // Axis order regulariser, δ, λ: line r·2 + d, position = λ index.
            let line = &result.lines[r * 2 + d];
            for (k, &(x, y)) in s.points.iter().enumerate() {
                let want_x = 10f64.powf(-3.0 + 0.5 * k as f64);
                assert!((x / want_x - 1.0).abs() < 1e-12, "x {x} vs {want_x}");
                assert!(y.is_finite());
                assert_eq!(y.to_bits(), line.cells[k].values[z1].to_bits());
            }
        }
        // The two regularisers give different lines.
        assert_ne!(l.series[0].points, l.series[1].points);
    }
}

#[test]
fn several_metrics_share_a_panel_with_one_dash_each() {
    let (plan, result) = sweep();
    let figs = figures(
        &plan,
        &result,
        json!([{ "kind": "lines", "x": "lambda", "x_scale": "log", "series": "regulariser",
                 "metrics": ["z1", "z2"], "fix": { "delta": 1 } }]),
    );
    let Panel::Lines(l) = &figs[0].panels[0] else {
        panic!("a line panel")
    };
    assert_eq!(l.series.len(), 4, "2 regularisers × 2 metrics");
    assert_ne!(l.series[0].dash, l.series[1].dash);
    assert_eq!(l.series[0].colour, l.series[1].colour);
    assert!(
        l.title.contains("δ = 0.5"),
        "the fixed δ is named: {:?}",
        l.title
    );
    // Without a series axis every metric gets its own colour.
    let figs = figures(
        &plan,
        &result,
        json!([{ "kind": "lines", "x": "lambda", "metrics": ["z1", "z2"] }]),
    );
    let Panel::Lines(l) = &figs[0].panels[0] else {
        panic!("a line panel")
    };
    assert_eq!(l.series.len(), 2);
    assert_ne!(l.series[0].colour, l.series[1].colour);
    let legend: Vec<String> = l.series.iter().filter_map(|s| s.label.clone()).collect();
    assert_eq!(legend, ["z₁*", "z₂*"]);
}

#[test]
fn labels_never_show_the_overridden_base_lambda() {
    let (plan, result) = sweep();
    let figs = figures(
        &plan,
        &result,
        json!([
            { "kind": "lines", "x": "lambda", "series": "regulariser", "facet": "delta",
              "metric": "z1" },
            { "kind": "lines", "x": "delta", "series": "regulariser", "metric": "z2",
              "fix": { "lambda": 4 } },
            { "kind": "heatmap", "x": "lambda", "x_scale": "log", "y": "delta",
              "facet": "regulariser", "metric": "z1" }
        ]),
    );
    for fig in &figs {
        for t in texts(fig) {
            assert!(!t.contains("0.05"), "{t:?} shows the base λ 0.05");
        }
    }
    // Where λ is held fixed, the regulariser is labelled with that λ.
    let Panel::Lines(l) = &figs[1].panels[0] else {
        panic!("a line panel")
    };
    let legend: Vec<String> = l.series.iter().filter_map(|s| s.label.clone()).collect();
    assert_eq!(legend, ["L2 (λ = 0.1)", "SD (λ = 0.1)"]);
    // Where λ is plotted, the regulariser is named without a λ.
    let Panel::HeatMap(h) = &figs[2].panels[1] else {
        panic!("a heat map")
    };
    assert_eq!(h.title, "SD");
}

/// Issue 22, point 3: the regulariser column holds the kind only, and the λ of each cell is the
/// λ axis's own column (no second, combined `L2 (λ = …)` label to parse).
#[test]
fn csv_regulariser_column_is_the_kind_and_lambda_the_cells_lambda() {
    let (plan, result) = sweep();
    let mut csv = Vec::new();
    starvation::result::write_sweep_csv(&plan, &result, &mut csv).expect("csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("regulariser,delta,lambda,"), "{csv}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 20);
    let grid = [1e-3, 1e-2, 1e-1];
    for (i, row) in rows.iter().enumerate() {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields[0], if i < 10 { "l2" } else { "sd" }, "row {row}");
        let lambda: f64 = fields[2].parse().expect("λ");
        assert!(
            lambda != 0.05 && lambda >= grid[0] && lambda <= grid[2],
            "row {row}: λ comes from the λ axis"
        );
        assert!(!row.contains("0.05"), "{row:?} shows the base λ");
    }
}

#[test]
fn continuation_is_drawn_as_one_line_per_model_and_response() {
    let spec = parse_spec(
        r#"{
        "name": "cont",
        "model": {
            "features": { "toy": { "s1": 4.0, "s2": 2.0, "delta": 0.5 } },
            "regulariser": { "l2": { "lambda": 0.01 } }
        },
        "runs": [
            { "label": "L2" },
            { "label": "SD", "model": { "regulariser": { "sd": { "lambda": 0.01 } } } }
        ],
        "equilibrium": {
            "continuation": { "parameter": "s1", "values": [2.0, 4.0, 6.0] }
        }
    }"#,
    )
    .expect("spec");
    let (outcome, _) = starvation::tasks::equilibrium(&spec).expect("equilibrium");
    let fig = starvation::figures::continuation_figure(&spec, &outcome.entries)
        .expect("a continuation figure");
    assert_eq!(fig.stem, "cont_continuation");
    let Panel::Lines(l) = &fig.figure.panels[0] else {
        panic!("a line panel")
    };
    assert_eq!(l.series.len(), 4, "2 models × 2 responses");
    for (s, (e, j)) in l
        .series
        .iter()
        .zip(outcome.entries.iter().flat_map(|e| [(e, 0), (e, 1)]))
    {
        let branch = &e.branch.as_ref().expect("a branch").1;
        let want: Vec<(f64, f64)> = branch
            .iter()
            .map(|p| (p.value, p.equilibrium.point[j]))
            .collect();
        assert_eq!(s.points, want);
    }
}
