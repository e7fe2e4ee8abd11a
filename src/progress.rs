//! Progress bars for the stages that can take more than a second on big exports.
//!
//! Bars are drawn on stderr only, and only when stderr is a terminal and the run was not asked
//! to be quiet: a pipe, a log file or a test harness capturing stderr never sees a bar, so
//! outputs and captured messages are the same with or without them. A hidden bar costs an
//! atomic add per `inc`, so stages call it freely (per chunk, not per cell).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns every later bar off (`--quiet`, `--json`).
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

fn visible() -> bool {
    ENABLED.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A bar counting `len` units of work, labelled `message`; hidden unless [`visible`].
#[must_use]
pub fn bar(len: u64, message: &'static str) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>10} [{bar:32.cyan/blue}] {human_pos:>9}/{human_len:9} {elapsed:>4} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// A spinner for work whose size is not known in advance; hidden unless [`visible`].
#[must_use]
pub fn spinner(message: &'static str) -> ProgressBar {
    if !visible() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:>10} {spinner} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
