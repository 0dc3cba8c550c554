//! Standard output: every subcommand renders to a `String` and prints it here, so that a
//! closed pipe (`interleave list | head -1`) ends the command quietly instead of panicking.

use std::io::Write;

use crate::app::Result;
use crate::exit::CliError;

/// Writes `text` to standard output and flushes it.
pub(crate) fn print(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Stdout)
}
