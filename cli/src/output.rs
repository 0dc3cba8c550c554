//! Standard output: every subcommand renders to a `String` and prints it here, so that a
//! closed pipe (`interleave list | head -1`) ends the command quietly instead of panicking,
//! and so that nothing read from an artifact or a trace reaches the terminal raw: control
//! characters (but newlines and tabs) are printed as Rust escapes (`\u{1b}`).

use std::borrow::Cow;
use std::io::Write;

use interleave_detector::printable_text;
use serde::Serialize;

use crate::app::Result;
use crate::exit::CliError;

/// `--format` of the subcommands that print a table or a report: `text` for a person, `json`
/// for a program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TextOrJson {
    #[default]
    Text,
    Json,
}

/// Writes `text`, control characters escaped, to standard output and flushes it.
pub(crate) fn print(text: &str) -> Result<()> {
    print_verbatim(&crate::color::stdout(&printable_text(text)))
}

/// Writes `text` as it is: the output of a command the user runs (`cargo test`).
pub(crate) fn print_verbatim(text: &str) -> Result<()> {
    if let Some(file) = FILE.get() {
        let mut file = file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        return file
            .write_all(text.as_bytes())
            .and_then(|()| file.flush())
            .map_err(CliError::Stdout);
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Stdout)
}

/// `-o FILE`: what goes to standard output goes there instead.
static FILE: std::sync::OnceLock<std::sync::Mutex<std::fs::File>> = std::sync::OnceLock::new();

/// Sends standard output to the file at `path`, created or emptied now (so that a path that
/// cannot be written is an error before anything runs).
pub(crate) fn to_file(path: &std::path::Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|source| CliError::Output {
        path: path.to_owned(),
        source,
    })?;
    let _ = FILE.set(std::sync::Mutex::new(file));
    Ok(())
}

/// `value` as pretty JSON and a newline. serde_json escapes the C0 control characters in
/// strings; the others it writes raw (DEL, the C1 controls, the bidirectional controls) are
/// written as `\uXXXX` escapes here, so that the document reads the same and prints safely.
pub(crate) fn json(value: &impl Serialize) -> String {
    let text = serde_json::to_string_pretty(value).expect("outputs serialise");
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if let Cow::Borrowed(_) = printable_text(c.encode_utf8(&mut [0; 4])) {
            out.push(c);
        } else {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let value = serde_json::json!({"name": "a\u{1b}[2J\u{7f}\u{9b}\u{202e}b\n"});
        let out = json(&value);
        assert_eq!(
            out,
            "{\n  \"name\": \"a\\u001b[2J\\u007f\\u009b\\u202eb\\n\"\n}\n"
        );
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, value);
        assert_eq!(printable_text(&out), out);
    }
}
