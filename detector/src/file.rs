//! Reading the files the tools take (traces, and the harness's artifacts): only a regular file,
//! and no more of it than a size cap.

use std::io::Read as _;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// It could not be opened or read.
    Io(std::io::Error),
    /// It is not a regular file, or too large: a sentence saying which.
    Refused(String),
}

/// Reads a regular file of at most `limit` bytes as text; `what` names it in the refusal (`an
/// artifact`, `a trace`). Anything else (a FIFO, a device, a directory) is refused before it is
/// opened, so that reading it cannot block or run forever.
///
/// # Errors
///
/// [`ReadError::Io`] if it cannot be read, [`ReadError::Refused`] if it is not a regular file
/// or is larger than `limit`.
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String, ReadError> {
    let metadata = std::fs::metadata(path).map_err(ReadError::Io)?;
    if !metadata.is_file() {
        return Err(ReadError::Refused(format!(
            "it is {}, not a regular file",
            file_kind(&metadata.file_type())
        )));
    }
    let too_large = |size: u64| {
        ReadError::Refused(format!(
            "it is {size} bytes, more than the {} MiB {what} may have",
            limit >> 20
        ))
    };
    if metadata.len() > limit {
        return Err(too_large(metadata.len()));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut text = String::new();
    // The file may have grown since: read one byte more than the limit to know.
    file.take(limit + 1)
        .read_to_string(&mut text)
        .map_err(ReadError::Io)?;
    if text.len() as u64 > limit {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// `a directory`, `a FIFO`, … for a file that is not a regular one.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}
