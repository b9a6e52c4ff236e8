//! `verify`: every claim of the paper as a named numerical check, as a table; with `--spec`,
//! the claims that apply to the models of a spec.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::line;
use crate::error::InputError;
use crate::spec::Spec;
use crate::verify::{CheckResult, Status, verify_model};

/// The checks' results.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    /// One result per check.
    pub checks: Vec<CheckResult>,
    /// Whether the coarse grids were used.
    pub quick: bool,
    /// Wall time in seconds.
    pub wall_seconds: f64,
}

impl VerifyOutcome {
    /// Number of failed checks.
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|r| !r.passed).count()
    }

    /// The table printed by `starvation verify`.
    pub fn report(&self) -> String {
        let mut out = String::new();
        table(&mut out, &self.checks);
        line(
            &mut out,
            format!(
                "{} of {} checks passed ({:.2} s{})",
                self.checks.len() - self.failed(),
                self.checks.len(),
                self.wall_seconds,
                if self.quick { ", quick" } else { "" }
            ),
        );
        out
    }

    /// The JSON document of `verify --json`.
    pub fn document(&self) -> serde_json::Value {
        let mut prov = crate::output::provenance_base();
        prov.insert("quick".into(), serde_json::json!(self.quick));
        prov.insert(
            "wall_time_seconds".into(),
            serde_json::json!(self.wall_seconds),
        );
        serde_json::json!({
            "data": { "checks": self.checks },
            "provenance": prov,
        })
    }
}

/// Runs every check (`quick`: coarser grids).
pub fn verify(quick: bool) -> VerifyOutcome {
    let start = Instant::now();
    let checks = crate::verify::run_all(quick);
    VerifyOutcome {
        checks,
        quick,
        wall_seconds: start.elapsed().as_secs_f64(),
    }
}

/// The check table: a header, then per check its row and its claim, tolerance and measurement.
fn table(out: &mut String, checks: &[CheckResult]) {
    line(
        out,
        format!("{:>3}  {:<46} {:<44} result", "#", "claim", "source"),
    );
    for r in checks {
        line(
            out,
            format!(
                "{:>3}  {:<46} {:<44} {}",
                r.id,
                r.name,
                r.source,
                r.status.label()
            ),
        );
        line(out, format!("       claim:     {}", r.claim));
        line(out, format!("       tolerance: {}", r.tolerance));
        line(out, format!("       measured:  {}", r.measured));
    }
}

/// Most models `verify --spec` checks (each costs 2k + a few equilibrium solves and two long
/// integrations).
pub const MAX_VERIFY_MODELS: usize = 200;

/// The checks of one model of a spec.
#[derive(Debug, Clone, Serialize)]
pub struct ModelChecks {
    /// The run's label.
    pub label: String,
    /// The values of the `vary` axes for this model.
    pub parameters: BTreeMap<String, Value>,
    /// What is unusual about the model (non-square U, rank deficiency).
    pub warnings: Vec<String>,
    /// One row per check (see [`crate::verify::verify_model`]).
    pub checks: Vec<CheckResult>,
}

/// The result of `verify --spec`.
#[derive(Debug, Clone, Serialize)]
pub struct SpecVerifyOutcome {
    /// The spec's name.
    pub spec: String,
    /// One entry per model, in spec order (`runs` × `vary`).
    pub models: Vec<ModelChecks>,
    /// Wall time in seconds.
    pub wall_seconds: f64,
}

impl SpecVerifyOutcome {
    fn count(&self, status: Status) -> usize {
        self.models
            .iter()
            .flat_map(|m| &m.checks)
            .filter(|r| r.status == status)
            .count()
    }

    /// Number of failed checks over all models.
    pub fn failed(&self) -> usize {
        self.count(Status::Fail)
    }

    /// The tables printed by `starvation verify --spec`, one per model.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for m in &self.models {
            line(
                &mut out,
                format!("── {} ─────────────────────────────", m.label),
            );
            for w in &m.warnings {
                line(&mut out, format!("warning: {w}"));
            }
            table(&mut out, &m.checks);
        }
        let applicable = self.count(Status::Pass) + self.failed();
        line(
            &mut out,
            format!(
                "{} of {applicable} applicable checks passed, {} not applicable ({} model{} of spec {}, {:.2} s)",
                self.count(Status::Pass),
                self.count(Status::NotApplicable),
                self.models.len(),
                if self.models.len() == 1 { "" } else { "s" },
                self.spec,
                self.wall_seconds
            ),
        );
        out
    }

    /// The JSON document of `verify --spec … --json`.
    pub fn document(&self, spec: &Spec) -> serde_json::Value {
        let mut prov = crate::output::provenance_base();
        prov.insert("spec".into(), spec.raw.clone());
        prov.insert(
            "wall_time_seconds".into(),
            serde_json::json!(self.wall_seconds),
        );
        serde_json::json!({
            "data": { "spec": self.spec, "models": self.models },
            "provenance": prov,
        })
    }
}

/// Runs the checks of [`verify_model`] on every model of `spec`: the `model` section after
/// `runs` and `vary` expansion (a spec without them has one model). The `simulation`, `sweep`,
/// `equilibrium` and `portrait` sections are not used. Errors (exit status 2) come before any
/// work.
pub fn verify_spec(spec: &Spec) -> Result<SpecVerifyOutcome, InputError> {
    let models = spec.expand_models()?;
    if models.len() > MAX_VERIFY_MODELS {
        return Err(InputError::new(
            "runs",
            format!(
                "expands into {} models; `verify --spec` checks at most {MAX_VERIFY_MODELS}: vary fewer values, or verify a smaller spec",
                models.len()
            ),
        ));
    }
    let start = Instant::now();
    let models = models
        .into_iter()
        .map(|(label, parameters, model)| ModelChecks {
            label,
            parameters,
            warnings: model.warnings(),
            checks: verify_model(&model),
        })
        .collect();
    Ok(SpecVerifyOutcome {
        spec: spec.name.clone(),
        models,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}
