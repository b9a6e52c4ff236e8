//! Progress of long tasks: a task announces each stage of its work (a setting's seed trained, a
//! sweep's cells, the lines of a merge) with its size, and advances it as the work goes. The
//! library only reports; the command line draws the bars (nothing when standard error is not a
//! terminal), and a library caller may pass [`Silent`] or its own [`Progress`].

/// Receives the progress of a task. Stages may run at the same time (seeds train in parallel),
/// so both traits are thread safe.
pub trait Progress: Sync {
    /// A stage begins: `label` names it ("Adam · seed 3"), `total` is its size in `unit`s
    /// ("epochs", "cells", "lines"). The stage ends when the returned meter is dropped.
    fn stage(&self, label: &str, total: u64, unit: &'static str) -> Box<dyn Meter + '_>;
}

/// The meter of one stage.
pub trait Meter: Send + Sync {
    /// `done` more units of the stage are finished.
    fn advance(&self, done: u64);
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str, _: u64, _: &'static str) -> Box<dyn Meter + '_> {
        Box::new(Silent)
    }
}

impl Meter for Silent {
    fn advance(&self, _: u64) {}
}

/// Progress that forwards the units done, summed over stages, to a function (e.g. a single bar).
pub struct Total<F: Fn(u64) + Sync + Send>(pub F);

impl<F: Fn(u64) + Sync + Send> Progress for Total<F> {
    fn stage(&self, _: &str, _: u64, _: &'static str) -> Box<dyn Meter + '_> {
        Box::new(TotalMeter(&self.0))
    }
}

struct TotalMeter<'a, F: Fn(u64) + Sync + Send>(&'a F);

impl<F: Fn(u64) + Sync + Send> Meter for TotalMeter<'_, F> {
    fn advance(&self, done: u64) {
        (self.0)(done);
    }
}
