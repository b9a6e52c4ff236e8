//! `equilibrium`: the equilibrium, stability, starvation matrix, sensitivities, closed forms and
//! optional continuation of every model of a spec.

use std::time::Instant;

use super::{Outcome, fmt_vec, line};
use crate::equilibrium::{continuation, report::analyse};
use crate::error::{Error, SolveError};
use crate::output::OutputFile;
pub use crate::result::EquilibriumEntry;
use crate::spec::Spec;

/// Every model's analysis.
pub struct EquilibriumOutcome {
    /// One entry per model, in spec order.
    pub entries: Vec<EquilibriumEntry>,
    /// Wall time in seconds.
    pub wall_seconds: f64,
}

/// The checked `equilibrium` section and the spec's models: everything `equilibrium` refuses,
/// found before any work (the command calls it before creating the output folder).
pub fn equilibrium_plan(
    spec: &Spec,
) -> Result<
    (
        crate::spec::EquilibriumSettings,
        Vec<crate::spec::LabelledModel>,
    ),
    Error,
> {
    let settings = spec.equilibrium_section()?;
    let models = spec.expand_models()?;
    settings.check_model_count(models.len())?;
    for (_, _, m) in &models {
        settings.check_model(m)?;
    }
    crate::figures::equilibrium_output_names(spec)?;
    Ok((settings, models))
}

/// Analyses every model of `spec` (all validated first).
pub fn equilibrium(spec: &Spec) -> Result<(EquilibriumOutcome, Outcome<'static>), Error> {
    let (settings, models) = equilibrium_plan(spec)?;
    let start = Instant::now();
    let mut entries = Vec::new();
    for (label, parameters, model) in models {
        let report =
            analyse(&model, settings.start.as_deref(), &settings.options).map_err(|e| {
                Error::Solve(SolveError::Backend {
                    method: label.clone(),
                    message: e.to_string(),
                })
            })?;
        let branch = match &settings.continuation {
            Some((parameter, values)) => Some((
                parameter.name(),
                continuation(&model, *parameter, values, &settings.options)?,
            )),
            None => None,
        };
        entries.push(EquilibriumEntry {
            label,
            parameters,
            model,
            report,
            branch,
        });
    }
    let wall = start.elapsed().as_secs_f64();
    let doc = crate::result::equilibrium_document(spec.source(), &entries, wall);
    let mut report = String::new();
    for w in &doc.data.warnings {
        line(&mut report, format!("warning: {w}"));
    }
    for e in &entries {
        report_entry(&mut report, e);
    }
    line(
        &mut report,
        format!("wrote {}.equilibrium.json ({wall:.3} s)", spec.name),
    );
    let mut files = vec![OutputFile::json(
        format!("{}.equilibrium.json", spec.name),
        &doc,
    )];
    if let Some(figure) = crate::figures::continuation_figure(spec, &entries) {
        super::run::figure_files(&[figure], &mut files, &mut report);
    }
    if let (Some(plan), Some(entry)) = (&settings.orbit_diagram, entries.first()) {
        let diagrams =
            crate::figures::orbit_diagrams(&entry.model, plan, &entry.report.equilibrium.point)?;
        for (p, d) in plan.panels.iter().zip(&diagrams) {
            let periodic = d
                .columns
                .iter()
                .find(|c| {
                    c.points
                        .iter()
                        .any(|v| (v - d.equilibrium[d.coordinate]).abs() > 1e-6 * (1.0 + v.abs()))
                })
                .map_or("none".to_string(), |c| format!("{}", c.step));
            let diverged = d.columns.iter().filter(|c| c.diverged_at.is_some()).count();
            line(
                &mut report,
                format!(
                    "  orbit diagram, {}: λ_min = {:.6e}, predicted flip h* = {} = {:.10}; first step off z*: {periodic}; diverged steps: {diverged} of {}",
                    p.title,
                    d.lambda_min,
                    crate::figures::orbit::flip_rule(&p.map),
                    d.predicted_flip,
                    d.columns.len()
                ),
            );
        }
        let figure = crate::figures::orbit_diagram_figure(spec, plan, &diagrams)?;
        super::run::figure_files(&[figure], &mut files, &mut report);
    }
    Ok((
        EquilibriumOutcome {
            entries,
            wall_seconds: wall,
        },
        Outcome { files, report },
    ))
}

/// The text report of one model.
fn report_entry(out: &mut String, e: &EquilibriumEntry) {
    let r = &e.report;
    let eq = &r.equilibrium;
    line(out, format!("── {} ─────────────────────────────", e.label));
    line(out, format!("  z*            {}", fmt_vec(&eq.point)));
    line(out, format!("  margins a*    {}", fmt_vec(&eq.margins)));
    let ev: Vec<String> = eq
        .eigenvalues
        .iter()
        .map(|(re, im)| {
            if *im == 0.0 {
                format!("{re:.6e}")
            } else {
                format!("{re:.6e}{im:+.2e}i")
            }
        })
        .collect();
    line(
        out,
        format!(
            "  eigenvalues   [{}]  → {}",
            ev.join(", "),
            eq.stability.name()
        ),
    );
    line(
        out,
        format!(
            "  residual      {:.2e} after {} Newton iterations",
            eq.residual, eq.iterations
        ),
    );
    if let Some(z0) = &r.uncoupled {
        line(out, format!("  uncoupled z⁰  {}", fmt_vec(z0)));
        let ratio: Vec<f64> = eq.point.iter().zip(z0).map(|(a, b)| a / b).collect();
        line(out, format!("  z*/z⁰         {}", fmt_vec(&ratio)));
    }
    let m = &r.sensitivities.starvation_matrix;
    line(out, "  starvation matrix M_ji = ∂z_j*/∂(s_i²):");
    for j in 0..m.nrows() {
        let row: Vec<String> = (0..m.ncols())
            .map(|i| format!("{:>14.6e}", m[(j, i)]))
            .collect();
        line(out, format!("    z{:<3} {}", j + 1, row.join(" ")));
    }
    line(
        out,
        format!("  ∂z*/∂λ        {}", fmt_vec(&r.sensitivities.lambda)),
    );
    if let (Some(d), Some(dd)) = (r.delta, &r.delta_sensitivity) {
        line(out, format!("  ∂z*/∂δ (δ = {d})  {}", fmt_vec(dd)));
    }
    if !r.closed_forms.is_empty() || !r.not_applicable.is_empty() {
        line(out, "  closed forms:");
        line(
            out,
            format!(
                "    {:<34} {:<30} {:>16} {:>16} {:>10}",
                "quantity", "source", "exact", "closed form", "rel. err"
            ),
        );
        for c in &r.closed_forms {
            line(
                out,
                format!(
                    "    {:<34} {:<30} {:>16.10} {:>16.10} {:>10.2e}",
                    c.name, c.source, c.exact, c.closed_form, c.relative_error
                ),
            );
        }
    }
    for n in &r.not_applicable {
        line(
            out,
            format!(
                "    {:<34} {:<30} not applicable: {}",
                n.name, n.source, n.reason
            ),
        );
    }
    if let Some((name, points)) = &e.branch {
        let end = |p: Option<&crate::equilibrium::BranchPoint>| {
            fmt_vec(&p.map(|p| p.equilibrium.point.clone()).unwrap_or_default())
        };
        line(
            out,
            format!(
                "  continuation in {name}: {} points, z* from {} to {}",
                points.len(),
                end(points.first()),
                end(points.last())
            ),
        );
    }
}
