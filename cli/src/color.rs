//! Colour on a terminal: `--color auto|always|never`, and `NO_COLOR` (no-color.org) for `auto`.
//! Only what a person reads is coloured — finding headlines, the run table's verdicts, section
//! headings, `error:` — and never a pipe or a file unless `--color always` asks for it: the
//! text is the same either way, so scripts and snapshots see no escape codes.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Choice {
    /// On a terminal, unless `NO_COLOR` is set to something.
    #[default]
    Auto,
    Always,
    Never,
}

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

/// Decides, once, whether standard output (or the `-o` file, `to_file`) and standard error are
/// coloured.
pub(crate) fn init(choice: Choice, to_file: bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (out, err) = match choice {
        Choice::Always => (true, true),
        Choice::Never => (false, false),
        Choice::Auto if no_color => (false, false),
        Choice::Auto => (
            !to_file && std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        ),
    };
    STDOUT.store(out, Ordering::Relaxed);
    STDERR.store(err, Ordering::Relaxed);
}

const RED: &str = "\u{1b}[1;31m";
const GREEN: &str = "\u{1b}[32m";
const BOLD: &str = "\u{1b}[1m";
const RESET: &str = "\u{1b}[0m";

/// The headlines findings start with.
const HEADLINES: [&str; 7] = [
    "deadlock:",
    "potential deadlock:",
    "data race",
    "livelock:",
    "missed timeout",
    "panic in thread",
    "panic on real threads",
];

/// `text` (already escaped) as standard output shows it.
pub(crate) fn stdout(text: &str) -> String {
    if STDOUT.load(Ordering::Relaxed) {
        paint(text)
    } else {
        text.to_owned()
    }
}

/// An error line as standard error shows it.
pub(crate) fn error(line: &str) -> String {
    match line.strip_prefix("error:") {
        Some(rest) if STDERR.load(Ordering::Relaxed) => format!("{RED}error:{RESET}{rest}"),
        _ => line.to_owned(),
    }
}

/// Colours each line that a person looks for first.
fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        if HEADLINES.iter().any(|h| body.starts_with(h)) {
            out.push_str(&format!("{RED}{body}{RESET}{newline}"));
        } else if body.starts_with("── ") || body.starts_with("interleave: `") {
            out.push_str(&format!("{BOLD}{body}{RESET}{newline}"));
        } else if let Some(at) = body.find("  UNEXPECTED  ") {
            let (before, after) = body.split_at(at + 2);
            let after = &after["UNEXPECTED".len()..];
            out.push_str(&format!("{before}{RED}UNEXPECTED{RESET}{after}{newline}"));
        } else if let Some(at) = body.find("  ok  ") {
            let (before, after) = body.split_at(at + 2);
            out.push_str(&format!("{before}{GREEN}ok{RESET}{}{newline}", &after[2..]));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_verdicts_and_headings_are_painted_and_nothing_else_changes() {
        let text = "── lock-order/ab-ba ──\nx  ok  y\nz  UNEXPECTED  w\npotential deadlock: a cycle\n  plain\n";
        let painted = paint(text);
        assert_eq!(
            painted,
            "\u{1b}[1m── lock-order/ab-ba ──\u{1b}[0m\nx  \u{1b}[32mok\u{1b}[0m  y\nz  \u{1b}[1;31mUNEXPECTED\u{1b}[0m  w\n\u{1b}[1;31mpotential deadlock: a cycle\u{1b}[0m\n  plain\n"
        );
        // Without the codes, it is the text.
        let stripped = painted
            .replace(RED, "")
            .replace(GREEN, "")
            .replace(BOLD, "")
            .replace(RESET, "");
        assert_eq!(stripped, text);
    }
}
