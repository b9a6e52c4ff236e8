//! An experiment spec opened in the explorer (`starvation explore fig01_two_moons.json`): its
//! networks are trained once, in the background, by the same task as `starvation run`, and the
//! page shows the experiment's own figure — the two-moons panels (training points by class, the
//! seed-averaged decision function and its zero level as the boundary, and the tracked responses
//! when the spec asks for them) — rendered by the server-side renderer. `/api/experiment` is its
//! status (training progress in epochs, then the run's report), `/api/experiment.png` the figure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::output::Contents;
use crate::plot::{ImageFormat, render};
use crate::spec::{ExperimentPlan, Spec};
use crate::tasks::progress::{Meter, Progress};

/// Where the background training is.
#[derive(Debug, Clone)]
enum Phase {
    Training,
    Ready { png: Vec<u8>, report: String },
    Failed(String),
}

/// The experiment of the spec the explorer was opened with.
pub struct ExperimentState {
    name: String,
    total: u64,
    done: AtomicU64,
    phase: Mutex<Phase>,
}

/// `/api/experiment`'s answer.
#[derive(Debug, Serialize)]
pub struct ExperimentStatus {
    /// `training`, `ready` or `failed`.
    pub state: &'static str,
    /// The spec's name.
    pub name: String,
    /// Epochs trained so far (over every setting and seed).
    pub done: u64,
    /// Epochs to train.
    pub total: u64,
    /// The run's report (`ready`) or the error (`failed`).
    pub message: String,
}

struct Epochs<'a>(&'a AtomicU64);

impl Progress for Epochs<'_> {
    fn stage(&self, _: &str, _: u64, _: &'static str) -> Box<dyn Meter + '_> {
        Box::new(Epochs(self.0))
    }
}

impl Meter for Epochs<'_> {
    fn advance(&self, done: u64) {
        self.0.fetch_add(done, Ordering::Relaxed);
    }
}

impl ExperimentState {
    /// Starts training `plan` of `spec` on a background thread.
    pub fn start(spec: Spec, plan: ExperimentPlan) -> Arc<Self> {
        let total = plan
            .settings
            .iter()
            .map(|s| s.training.epochs as u64 * s.seeds.len() as u64)
            .sum();
        let state = Arc::new(Self {
            name: spec.name.clone(),
            total,
            done: AtomicU64::new(0),
            phase: Mutex::new(Phase::Training),
        });
        let worker = Arc::clone(&state);
        std::thread::spawn(move || {
            let phase = match crate::tasks::experiment(&spec, &plan, &Epochs(&worker.done)) {
                Ok(outcome) => {
                    let figure = outcome.files.into_iter().find_map(|f| match f.contents {
                        Contents::Figure(fig) if f.name.ends_with(".png") => Some(fig),
                        _ => None,
                    });
                    match figure.map(|fig| render(&fig, ImageFormat::Png)) {
                        Some(Ok(png)) => Phase::Ready {
                            png,
                            report: outcome.report,
                        },
                        Some(Err(e)) => Phase::Failed(format!("error: {e}")),
                        None => Phase::Failed("error: the experiment drew no figure".into()),
                    }
                }
                Err(e) => Phase::Failed(format!("error: {e}")),
            };
            if let Ok(mut p) = worker.phase.lock() {
                *p = phase;
            }
        });
        state
    }

    /// The status for the page.
    pub fn status(&self) -> ExperimentStatus {
        let phase = self
            .phase
            .lock()
            .map(|p| p.clone())
            .unwrap_or(Phase::Training);
        let (state, message) = match phase {
            Phase::Training => ("training", String::new()),
            // The run's lines about files are not true here: the explorer writes none.
            Phase::Ready { report, .. } => (
                "ready",
                report
                    .lines()
                    .filter(|l| !l.starts_with("wrote ") && !l.starts_with("drew "))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Phase::Failed(m) => ("failed", m),
        };
        ExperimentStatus {
            state,
            name: self.name.clone(),
            done: self.done.load(Ordering::Relaxed).min(self.total),
            total: self.total,
            message,
        }
    }

    /// The figure's PNG once trained.
    pub fn png(&self) -> Option<Vec<u8>> {
        match &*self.phase.lock().ok()? {
            Phase::Ready { png, .. } => Some(png.clone()),
            _ => None,
        }
    }
}
