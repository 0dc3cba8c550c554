//! Source locations of the user's calls.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where in the user's code an operation happened: file, line and column.
///
/// The harness fills it from `#[track_caller]` (`std::panic::Location::caller()`), which gives a
/// `&'static str` file name, so building and cloning a `Site` in the hot path costs no
/// allocation. A site read back from a trace file owns its file name.
///
/// In traces and artifacts a site is one string, `file:line:column`.
///
/// # Examples
///
/// ```
/// use interleave_detector::Site;
///
/// let site = Site::new("src/lib.rs", 12, 5);
/// assert_eq!(site.to_string(), "src/lib.rs:12:5");
/// assert_eq!("src/lib.rs:12:5".parse::<Site>().unwrap(), site);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Site {
    /// The source file, as the compiler names it (relative to the package or workspace root).
    pub file: Cow<'static, str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Site {
    /// A site in a file whose name lives for the whole program (what `Location::caller()` gives).
    pub const fn new(file: &'static str, line: u32, column: u32) -> Self {
        Site {
            file: Cow::Borrowed(file),
            line,
            column,
        }
    }

    /// The site of the caller of the function this is called in (which must be
    /// `#[track_caller]` for that to be the user's code).
    #[track_caller]
    pub fn caller() -> Self {
        let location = std::panic::Location::caller();
        Site::new(location.file(), location.line(), location.column())
    }

    /// A placeholder for events that have no meaningful source location (for example the end
    /// of an execution).
    pub const fn unknown() -> Self {
        Site::new("<unknown>", 0, 0)
    }

    /// The file name without its directories, for short labels.
    pub fn file_name(&self) -> &str {
        self.file.rsplit(['/', '\\']).next().unwrap_or(&self.file)
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The error of parsing a site that is not `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parse source location `{text}`: expected `file:line:column`")]
pub struct ParseSiteError {
    /// The text that did not parse.
    pub text: String,
}

impl std::str::FromStr for Site {
    type Err = ParseSiteError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseSiteError {
            text: text.to_owned(),
        };
        // Split from the right: a Windows path may itself contain a colon.
        let mut parts = text.rsplitn(3, ':');
        let column = parts
            .next()
            .and_then(|c| c.parse().ok())
            .ok_or_else(error)?;
        let line = parts
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(error)?;
        let file = parts.next().filter(|f| !f.is_empty()).ok_or_else(error)?;
        Ok(Site {
            file: Cow::Owned(file.to_owned()),
            line,
            column,
        })
    }
}

impl Serialize for Site {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Site {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_prints_including_windows_paths() {
        for text in ["src/lib.rs:1:1", r"C:\work\src\lib.rs:40:13"] {
            let site: Site = text.parse().unwrap();
            assert_eq!(site.to_string(), text);
        }
        let site: Site = r"C:\work\src\lib.rs:40:13".parse().unwrap();
        assert_eq!(
            (site.line, site.column, site.file_name()),
            (40, 13, "lib.rs")
        );
    }

    #[test]
    fn rejects_text_without_line_and_column() {
        for text in [
            "",
            "lib.rs",
            "lib.rs:1",
            ":1:2",
            "lib.rs:x:2",
            "lib.rs:1:-2",
        ] {
            let error = text.parse::<Site>().unwrap_err();
            assert_eq!(error.text, text);
        }
    }

    #[test]
    fn serialises_as_one_string() {
        let json = serde_json::to_string(&Site::new("a.rs", 3, 4)).unwrap();
        assert_eq!(json, r#""a.rs:3:4""#);
        let back: Site = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Site::new("a.rs", 3, 4));
    }
}
