//! `verify`: every claim of the paper as a named numerical check, as a table.

use std::time::Instant;

use serde::Serialize;

use super::line;
use crate::verify::CheckResult;

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
        line(
            &mut out,
            format!("{:>3}  {:<46} {:<44} result", "#", "claim", "source"),
        );
        for r in &self.checks {
            line(
                &mut out,
                format!(
                    "{:>3}  {:<46} {:<44} {}",
                    r.id,
                    r.name,
                    r.source,
                    if r.passed { "PASS" } else { "FAIL" }
                ),
            );
            line(&mut out, format!("       claim:     {}", r.claim));
            line(&mut out, format!("       tolerance: {}", r.tolerance));
            line(&mut out, format!("       measured:  {}", r.measured));
        }
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
