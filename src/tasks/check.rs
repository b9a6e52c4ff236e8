//! `check`: validate a spec fully, as `run`, `sweep`, `equilibrium` and `portrait` would, without
//! running anything.

use crate::error::Error;
use crate::spec::{Spec, SpecKind};

/// What a valid spec asks for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckSummary {
    /// Spec name.
    pub name: String,
    /// Its parts ("a sweep of N cells in L lines", "3 runs", …).
    pub parts: Vec<String>,
}

impl std::fmt::Display for CheckSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: valid ({})", self.name, self.parts.join(", "))
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Validates every section of `spec`.
pub fn check(spec: &Spec) -> Result<CheckSummary, Error> {
    if spec.is_image_experiment() {
        let plan = spec.image_plan()?;
        crate::figures::image_output_names(spec)?;
        return Ok(CheckSummary {
            name: spec.name.clone(),
            parts: vec![format!(
                "an image experiment on {} ({} images in {}) of {} over {} ({} steps, {:.1e} multiply-adds)",
                plan.data.dataset,
                plan.images.len(),
                plan.folder.display(),
                plural(plan.methods.len(), "method"),
                plural(plan.seeds.len(), "restart"),
                plan.total_steps(),
                plan.work()
            )],
        });
    }
    if spec.kind() == SpecKind::Experiment {
        let plan = super::experiment_plan(spec)?;
        let seeds: usize = plan.settings.iter().map(|s| s.seeds.len()).sum();
        return Ok(CheckSummary {
            name: spec.name.clone(),
            parts: vec![format!(
                "an experiment of {} training {} over {} ({:.1e} multiply-adds)",
                plural(plan.settings.len(), "setting"),
                plural(seeds, "network"),
                plural(plan.total_epochs() as usize, "epoch"),
                plan.work()
            )],
        });
    }
    crate::figures::check_sections(spec)?;
    let mut parts = Vec::new();
    for kind in spec.tasks() {
        match kind {
            SpecKind::Sweep => {
                let task = super::SweepTask::new(spec)?;
                parts.push(format!(
                    "a sweep of {} cells in {} lines",
                    task.plan.cells(),
                    task.plan.lines()
                ));
            }
            SpecKind::Run => {
                let runs = spec.expand_runs()?;
                for r in &runs {
                    r.check()?;
                }
                crate::spec::check_runs_memory(&runs)?;
                parts.push(plural(runs.len(), "run"));
            }
            SpecKind::Equilibrium => {
                let settings = spec.equilibrium_section()?;
                let models = spec.expand_models()?;
                settings.check_model_count(models.len())?;
                for (_, _, m) in &models {
                    settings.check_model(m)?;
                }
                crate::figures::equilibrium_output_names(spec)?;
                parts.push(plural(models.len(), "equilibrium model"));
                if let Some(plan) = &settings.orbit_diagram {
                    parts.push(plural(plan.panels.len(), "orbit-diagram panel"));
                }
            }
            SpecKind::Portrait => parts.push("a portrait section".into()),
            SpecKind::Experiment => {}
        }
    }
    Ok(CheckSummary {
        name: spec.name.clone(),
        parts,
    })
}
