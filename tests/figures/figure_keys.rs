//! Claim (issue 10, points 1 and 10): "what a colour means is stated on the figure: contour
//! levels on a heat map carry their value, facets of a heat map can share one colour scale
//! (`shared_colour_scale`), and a portrait's arrow shading has a legend entry saying it is the
//! speed."
//!
//! Texts are read back from the SVG rendering; the shared scale from the figure description.

use serde_json::json;
use starvation::figures::sweep::sweep_figures;
use starvation::plot::{
    Arrow, Axis, Figure, HeatMapPanel, ImageFormat, Panel, PortraitPanel, Scale, render,
};
use starvation::spec::parse_spec;
use starvation::sweep::run_lines;

/// The texts of an SVG, in document order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

fn svg_texts(panel: Panel) -> Vec<String> {
    let fig = Figure {
        title: String::new(),
        panels: vec![panel],
        columns: 1,
        width: 900,
        height: 700,
    };
    texts(&String::from_utf8(render(&fig, ImageFormat::Svg).expect("renders")).expect("utf-8"))
}

/// A heat map of v = x + y over [0, 1]², contours at `levels`.
fn heat_map(levels: Vec<f64>) -> HeatMapPanel {
    let n = 41;
    let g: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let values = g
        .iter()
        .flat_map(|y| g.iter().map(move |x| x + y))
        .collect();
    HeatMapPanel {
        title: String::new(),
        x: Axis::default(),
        y: Axis::default(),
        x_values: g.clone(),
        y_values: g,
        values,
        colour_label: String::new(),
        colour_range: None,
        diverging_centre: None,
        contour_levels: levels,
        filled_levels: Vec::new(),
        hide_colour_bar: false,
        curves: Vec::new(),
        markers: Vec::new(),
        legend: false,
    }
}

#[test]
fn contour_levels_are_labelled_with_their_value() {
    let with = svg_texts(Panel::HeatMap(heat_map(vec![0.35, 1.25])));
    let without = svg_texts(Panel::HeatMap(heat_map(Vec::new())));
    for level in ["0.35", "1.25"] {
        assert!(with.iter().any(|t| t == level), "{level} not on {with:?}");
        assert!(
            !without.iter().any(|t| t == level),
            "{level} without contours"
        );
    }
    // One label per level.
    assert_eq!(with.len(), without.len() + 2, "{with:?} vs {without:?}");
}

#[test]
fn portrait_arrows_have_a_speed_key() {
    let arrows: Vec<Arrow> = (0..100)
        .map(|k| {
            let (x, y) = ((k % 10) as f64 / 9.0, (k / 10) as f64 / 9.0);
            Arrow {
                x,
                y,
                dx: -x,
                dy: 1.0 - y,
            }
        })
        .collect();
    let panel = |arrows: Vec<Arrow>| {
        Panel::Portrait(PortraitPanel {
            title: String::new(),
            x: Axis {
                range: Some((0.0, 1.0)),
                ..Axis::default()
            },
            y: Axis {
                range: Some((0.0, 1.0)),
                scale: Scale::Linear,
                ..Axis::default()
            },
            arrows,
            legend: true,
            ..PortraitPanel::default()
        })
    };
    let with = svg_texts(panel(arrows));
    assert!(
        with.iter()
            .any(|t| t.contains("speed") && t.contains("slow → fast")),
        "no speed key in {with:?}"
    );
    let without = svg_texts(panel(Vec::new()));
    assert!(!without.iter().any(|t| t.contains("speed")), "{without:?}");
}

#[test]
fn shared_colour_scale_is_equal_across_facets() {
    let spec = parse_spec(
        r#"{
        "name": "shared",
        "model": {
            "features": { "toy": { "s1": 4.0, "s2": 2.0, "delta": 0.5 } },
            "regulariser": { "l2": { "lambda": 0.01 } }
        },
        "sweep": {
            "axes": [
                { "parameter": "regulariser",
                  "values": [ { "l2": { "lambda": 0.01 } }, { "sd": { "lambda": 0.01 } } ] },
                { "parameter": "delta", "values": [0.1, 0.3, 0.5] },
                { "parameter": "s1", "values": [1.0, 3.0, 9.0] }
            ],
            "metrics": [ "z" ]
        }
    }"#,
    )
    .expect("spec");
    let plan = starvation::spec::sweep_plan(&spec).expect("plan");
    let result = run_lines(&plan, 0..plan.lines(), false, &|_| {});
    let plot = |shared: bool| {
        let p = json!({ "kind": "heatmap", "x": "s1", "y": "delta", "facet": "regulariser",
                        "metric": "z1", "shared_colour_scale": shared });
        let figs = sweep_figures("shared", &[p], &plan, &result).expect("figure");
        figs[0]
            .figure
            .panels
            .iter()
            .map(|p| match p {
                Panel::HeatMap(h) => (h.colour_range, h.values.clone()),
                _ => panic!("heat maps"),
            })
            .collect::<Vec<_>>()
    };
    let shared = plot(true);
    let all: Vec<f64> = shared.iter().flat_map(|(_, v)| v.clone()).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert!(lo < hi);
    for (range, _) in &shared {
        assert_eq!(*range, Some((lo, hi)), "every facet spans all data");
    }
    // The two facets' own ranges differ (L2 and SD give different z₁*), so sharing changes one.
    let own = plot(false);
    let span = |v: &Vec<f64>| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    assert_ne!(span(&own[0].1), span(&own[1].1));
    assert!(own.iter().all(|(r, _)| r.is_none()));
}
