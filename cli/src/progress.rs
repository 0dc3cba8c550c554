//! The progress bar of `interleave run`: on standard error, only when a person is watching a
//! long run — never in CI logs, never when standard error is piped.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// More scenarios than this, or a run longer than [`SHOW_AFTER`], shows the bar.
const MANY_SCENARIOS: usize = 5;
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar that may stay hidden: until the run turns out long, or for good when nobody watches.
#[derive(Debug)]
pub(crate) struct Progress {
    /// `None` when standard error is not a terminal or this is CI.
    bar: Option<ProgressBar>,
    start: Instant,
    visible: bool,
}

impl Progress {
    pub(crate) fn new(total: usize, enabled: bool) -> Progress {
        let watched = enabled
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var("TERM").map_or(true, |term| term != "dumb");
        let bar = watched.then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
                )
                .expect("the template is valid"),
            );
            bar
        });
        let mut progress = Progress {
            bar,
            start: Instant::now(),
            visible: false,
        };
        if total > MANY_SCENARIOS {
            progress.show();
        }
        progress
    }

    fn show(&mut self) {
        if let (Some(bar), false) = (&self.bar, self.visible) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(120));
            self.visible = true;
        }
    }

    /// A scenario starts.
    pub(crate) fn start(&mut self, name: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(name.to_owned());
        }
    }

    /// A scenario is done.
    pub(crate) fn done(&mut self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if self.start.elapsed() > SHOW_AFTER {
            self.show();
        }
    }

    /// Runs `f` (which prints to standard output) with the bar out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) if self.visible => bar.suspend(f),
            _ => f(),
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
