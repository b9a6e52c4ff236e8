//! The command line's progress display: the library's tasks report stages
//! ([`starvation::tasks::Progress`]); here each stage is a bar (its label, the bar, units done of
//! the total, the rate and the time left), under an optional overall bar. Everything is drawn on
//! standard error, and nothing at all when standard error is not a terminal.

use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use starvation::tasks::{Meter, Progress};

/// The bars of this process (one display, so that bars of nested tasks stack).
pub struct Display {
    multi: MultiProgress,
    visible: bool,
}

static DISPLAY: OnceLock<Display> = OnceLock::new();

/// The display: visible when standard error is a terminal.
pub fn display() -> &'static Display {
    DISPLAY.get_or_init(|| {
        use std::io::IsTerminal;
        let visible = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Display { multi, visible }
    })
}

/// Runs `f` (which prints) with the bars lifted off the screen, if any are drawn.
pub fn suspended<R>(f: impl FnOnce() -> R) -> R {
    match DISPLAY.get() {
        Some(d) if d.visible => d.multi.suspend(f),
        _ => f(),
    }
}

/// Longest label shown (longer ones are cut with an ellipsis).
const LABEL_CHARS: usize = 60;

/// A rate with three significant digits at most ("0.52", "13.4", "2110").
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "–".into()
    } else if per_sec >= 100.0 {
        format!("{per_sec:.0}")
    } else if per_sec >= 10.0 {
        format!("{per_sec:.1}")
    } else {
        format!("{per_sec:.2}")
    }
}

impl Display {
    /// A new bar of `total` `unit`s labelled `label`, below the others.
    pub fn bar(&self, label: &str, total: u64, unit: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = self.multi.add(ProgressBar::new(total));
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{msg}} [{{bar:24}}] {{pos}}/{{len}} {unit} · {{rate}} · {{eta}} left"
        )) {
            bar.set_style(
                style
                    .with_key(
                        "rate",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = write!(w, "{}/s", rate(s.per_sec()));
                        },
                    )
                    .progress_chars("=> "),
            );
        }
        let mut text: String = label.chars().take(LABEL_CHARS).collect();
        if label.chars().count() > LABEL_CHARS {
            text.pop();
            text.push('…');
        }
        bar.set_message(text);
        bar
    }

    /// Removes a bar from the screen.
    pub fn remove(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        if self.visible {
            self.multi.remove(bar);
        }
    }
}

/// A task's progress: a bar per stage, and an overall bar that adds up every stage's units
/// (when the caller knows the total, e.g. the epochs of every setting and seed).
pub struct Bars {
    overall: Option<ProgressBar>,
}

impl Bars {
    /// Bars for a task's stages, without an overall bar.
    pub fn new() -> Self {
        Bars { overall: None }
    }

    /// Bars for a task's stages under an overall bar of `total` `unit`s.
    pub fn with_total(label: &str, total: u64, unit: &str) -> Self {
        Bars {
            overall: Some(display().bar(label, total, unit)),
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Some(b) = &self.overall {
            display().remove(b);
        }
    }
}

impl Progress for Bars {
    fn stage(&self, label: &str, total: u64, unit: &'static str) -> Box<dyn Meter + '_> {
        Box::new(StageBar {
            bar: display().bar(label, total, unit),
            overall: self.overall.as_ref(),
        })
    }
}

/// One stage's bar; it leaves the screen when the stage ends.
struct StageBar<'a> {
    bar: ProgressBar,
    overall: Option<&'a ProgressBar>,
}

impl Meter for StageBar<'_> {
    fn advance(&self, done: u64) {
        self.bar.inc(done);
        if let Some(o) = self.overall {
            o.inc(done);
        }
    }
}

impl Drop for StageBar<'_> {
    fn drop(&mut self) {
        display().remove(&self.bar);
    }
}
