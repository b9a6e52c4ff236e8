//! The figure of an equilibrium continuation: every response z_j* against the continued
//! parameter, unstable points marked, on a linear or log axis (`continuation.x_scale`). Up to
//! three responses: one colour per model of the spec, one dash per response; more: one colour
//! per response and the dash cycling with response and model ([`super::line_style`]), every
//! line named in the legend.

use serde_json::{Map, Value, json};

use super::spec::Layout;
use super::sweep::symbol;
use super::{FigureOutput, point_class};
use crate::equilibrium::Stability;
use crate::plot::{Axis, LinePanel, Marker, Panel, Series};
use crate::result::EquilibriumEntry;
use crate::spec::Spec;

/// The continuation figure `NAME_continuation` of an `equilibrium` run (None without a
/// continuation).
pub fn continuation_figure(spec: &Spec, entries: &[EquilibriumEntry]) -> Option<FigureOutput> {
    let name = entries.iter().find_map(|e| e.branch.as_ref())?.0.clone();
    let x_scale = spec
        .equilibrium_section()
        .map(|s| s.continuation_x_scale)
        .unwrap_or_default();
    let mut series = Vec::new();
    let mut markers = Vec::new();
    let mut data = Vec::new();
    let k = entries
        .iter()
        .filter_map(|e| e.branch.as_ref())
        .flat_map(|(_, b)| b.first())
        .map(|p| p.equilibrium.point.len())
        .max()
        .unwrap_or(0);
    for (m, e) in entries.iter().enumerate() {
        let Some((_, branch)) = &e.branch else {
            continue;
        };
        for j in 0..k {
            let points: Vec<(f64, f64)> = branch
                .iter()
                .map(|p| {
                    (
                        p.value,
                        p.equilibrium.point.get(j).copied().unwrap_or(f64::NAN),
                    )
                })
                .collect();
            let (colour, dash) = super::line_style(m, j, k);
            series.push(Series {
                label: Some(format!("{}, {}", e.label, response(j))),
                points,
                colour,
                dash,
                width: 2.0,
                markers: branch.len() <= 25,
                ..Series::default()
            });
        }
        for p in branch {
            if !matches!(
                p.equilibrium.stability,
                Stability::StableNode | Stability::StableFocus
            ) {
                for (j, &z) in p.equilibrium.point.iter().enumerate() {
                    markers.push(Marker {
                        x: p.value,
                        y: z,
                        class: point_class(p.equilibrium.stability),
                        colour: m,
                        label: (j == 0 && markers.is_empty()).then(|| "not stable".to_string()),
                    });
                }
            }
        }
        data.push(json!({
            "label": e.label,
            "parameter": name,
            "values": branch.iter().map(|p| p.value).collect::<Vec<_>>(),
            "z": branch.iter().map(|p| p.equilibrium.point.clone()).collect::<Vec<_>>(),
            "stability": branch
                .iter()
                .map(|p| format!("{:?}", p.equilibrium.stability))
                .collect::<Vec<_>>(),
        }));
    }
    let panel = LinePanel {
        title: String::new(),
        x: Axis {
            label: symbol(&name),
            scale: x_scale,
            ..Axis::default()
        },
        y: Axis {
            label: "equilibrium response z*".into(),
            ..Axis::default()
        },
        series,
        markers,
        legend: true,
    };
    let mut extra = Map::new();
    extra.insert("branches".into(), Value::Array(data));
    Some(FigureOutput::assemble(
        spec,
        format!("{}_continuation", spec.name),
        format!("Continuation of z* in {}", symbol(&name)),
        Layout {
            columns: 1,
            width: 1000,
            height: 640,
        },
        vec![Panel::Lines(panel)],
        vec![Value::Null],
        extra,
    ))
}

/// "z₁*" for 0-based j = 0.
fn response(j: usize) -> String {
    let sub: String = (j + 1)
        .to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect();
    format!("z{sub}*")
}
