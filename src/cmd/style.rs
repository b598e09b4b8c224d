//! Colors for people at a terminal: plans by effect (create, alter, drop, hazard) and
//! status by state. The text always carries the styles; `main` writes through an
//! `anstream::AutoStream`, which drops them for pipes, files, `NO_COLOR` and
//! `--color never`, and keeps them for `CLICOLOR_FORCE` and `--color always`.

use crate::history::MigrationState;
use anstyle::{AnsiColor, Effects, Style};

pub const CREATE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
pub const ALTER: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub const DROP: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
pub const HAZARD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Magenta))).effects(Effects::BOLD);
pub const HEADING: Style = Style::new().effects(Effects::BOLD);
pub const NOTE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
pub const DIM: Style = Style::new().effects(Effects::DIMMED);

/// `text` in `style`, reset after.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// The style of a migration's state: done is green, waiting yellow, needing a person red.
pub fn state(state: MigrationState) -> Style {
    match state {
        MigrationState::Applied => CREATE,
        MigrationState::Pending => ALTER,
        MigrationState::Superseded => DIM,
        MigrationState::Modified
        | MigrationState::MissingLocally
        | MigrationState::OutOfOrder
        | MigrationState::Failed => DROP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_in_the_style_and_a_reset() {
        assert_eq!(paint(DROP, "drop table t"), "\u{1b}[31mdrop table t\u{1b}[0m");
        assert_eq!(anstream::adapter::strip_str(&paint(HAZARD, "deletes_data")).to_string(), "deletes_data");
    }
}
