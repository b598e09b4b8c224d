//! Progress on stderr while people wait: a bar over the files an apply, a replay or a
//! proof runs, and a spinner for a long single step (reading a catalog, loading the
//! schema files). Drawn only where stderr is a terminal; elsewhere nothing is drawn and
//! the commands' own one line per finished step (on stdout) is the record.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How many displays are alive: one inside another (the catalog read while the schema
/// files load) stays hidden rather than fight over the line.
static SHOWN: AtomicUsize = AtomicUsize::new(0);

/// Where a new display draws: stderr, unless another one is drawing.
fn target() -> ProgressDrawTarget {
    if SHOWN.fetch_add(1, Ordering::SeqCst) == 0 {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A progress display that clears itself when it goes out of scope (an error returned
/// half-way included).
pub struct Progress(ProgressBar);

impl std::ops::Deref for Progress {
    type Target = ProgressBar;
    fn deref(&self) -> &ProgressBar {
        &self.0
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
        SHOWN.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A bar over `len` items, `what` before it, the current item after it.
pub fn bar(len: usize, what: &str) -> Progress {
    let pb = ProgressBar::with_draw_target(Some(len as u64), target());
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}") {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    Progress(pb)
}

/// A spinner saying what is going on, until it is dropped.
pub fn spinner(what: &str) -> Progress {
    let pb = ProgressBar::with_draw_target(None, target());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        pb.set_style(style);
    }
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    Progress(pb)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_is_drawn_where_stderr_is_not_a_terminal() {
        // cargo test captures stderr: the bar stays hidden and counts all the same.
        let pb = super::bar(3, "applying");
        pb.inc(2);
        assert!(pb.is_hidden());
        assert_eq!(pb.position(), 2);
        let inner = super::spinner("reading the catalog");
        assert!(inner.is_hidden());
    }
}
