//! The baseline: a committed file of accepted findings. A check given one (`Config::baseline`,
//! `INTERLEAVE_BASELINE`) records a finding it lists and explores on; only a finding it does
//! not list fails the check.

use std::collections::BTreeSet;
use std::path::Path;

use interleave_detector::{Finding, Kind};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The version of the baseline format this build writes and reads.
pub const BASELINE_FORMAT_VERSION: u32 = 1;

/// The largest baseline file read: 16 MiB (an entry is a few hundred bytes).
const MAX_BASELINE_BYTES: u64 = 16 << 20;

/// Accepted findings, as written to `interleave-baseline.json`.
///
/// # Examples
///
/// ```
/// use interleave::{Baseline, BaselineEntry, Kind};
///
/// let mut baseline = Baseline::default();
/// baseline.accepted.push(BaselineEntry {
///     fingerprint: "eee14c4c78512d06".to_owned(),
///     kind: Kind::PotentialDeadlock,
///     check: "tests::ab_ba".to_owned(),
///     headline: "lock-order cycle between 2 threads".to_owned(),
///     reason: "the audit thread is retired in #12".to_owned(),
/// });
/// assert!(baseline.accepts("tests::ab_ba", "eee14c4c78512d06").is_some());
/// assert!(baseline.accepts("tests::other", "eee14c4c78512d06").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_FORMAT_VERSION`].
    pub format_version: u32,
    /// The accepted findings, sorted by check, then fingerprint.
    pub accepted: Vec<BaselineEntry>,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            format_version: BASELINE_FORMAT_VERSION,
            accepted: Vec::new(),
        }
    }
}

/// One accepted finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The check that finds it (its name: the test's path by default).
    pub check: String,
    /// The finding's fingerprint: what is matched.
    pub fingerprint: String,
    /// Its kind, for the reader.
    pub kind: Kind,
    /// Its headline, for the reader.
    pub headline: String,
    /// Why it is accepted: free text for the reviewer.
    #[serde(default)]
    pub reason: String,
}

impl BaselineEntry {
    /// An entry for `finding` of `check`, accepted for `reason`.
    pub fn new(check: &str, finding: &Finding, reason: &str) -> Self {
        BaselineEntry {
            check: check.to_owned(),
            fingerprint: finding.fingerprint.clone(),
            kind: finding.kind,
            headline: finding.headline.clone(),
            reason: reason.to_owned(),
        }
    }
}

impl Baseline {
    /// Reads a baseline file.
    ///
    /// # Errors
    ///
    /// [`Error::Baseline`] if it cannot be read or is not a baseline of this format version.
    pub fn read(path: &Path) -> Result<Baseline, Error> {
        let error = |reason: String| Error::Baseline {
            action: "read",
            path: path.to_owned(),
            reason,
        };
        let text = crate::artifact::read_text(path, MAX_BASELINE_BYTES).map_err(error)?;
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|e| error(format!("not a baseline: {e}")))?;
        if baseline.format_version != BASELINE_FORMAT_VERSION {
            return Err(error(format!(
                "format_version {} is not supported (this build reads {BASELINE_FORMAT_VERSION})",
                baseline.format_version
            )));
        }
        Ok(baseline)
    }

    /// Writes the baseline to `path`, entries sorted and without repeats, as pretty JSON (one
    /// field a line, for reviewable diffs), atomically.
    ///
    /// # Errors
    ///
    /// [`Error::Baseline`] if the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut sorted = self.clone();
        sorted.sort();
        let mut text = serde_json::to_string_pretty(&sorted).expect("baselines serialise");
        text.push('\n');
        crate::artifact::write_atomically(path, &text).map_err(|e| Error::Baseline {
            action: "write",
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Sorts the entries by check, then fingerprint, and drops repeats of a (check,
    /// fingerprint) pair, keeping the first.
    pub fn sort(&mut self) {
        self.accepted
            .sort_by(|a, b| (&a.check, &a.fingerprint).cmp(&(&b.check, &b.fingerprint)));
        self.accepted
            .dedup_by(|a, b| a.check == b.check && a.fingerprint == b.fingerprint);
    }

    /// The entry that accepts the finding `fingerprint` of `check`, if any.
    pub fn accepts(&self, check: &str, fingerprint: &str) -> Option<&BaselineEntry> {
        self.accepted
            .iter()
            .find(|e| e.fingerprint == fingerprint && e.check == check)
    }

    /// The fingerprints it accepts for `check`.
    pub(crate) fn fingerprints(&self, check: &str) -> BTreeSet<String> {
        self.accepted
            .iter()
            .filter(|e| e.check == check)
            .map(|e| e.fingerprint.clone())
            .collect()
    }
}

/// Splits `findings` into those whose fingerprint is `accepted` and the others.
pub(crate) fn partition(
    accepted: &BTreeSet<String>,
    findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<Finding>) {
    findings.into_iter().partition(|f| {
        accepted.contains(&f.fingerprint)
            // The deadlock that realized an accepted lock-order cycle is that inversion.
            || matches!(
                &f.detail,
                interleave_detector::Detail::Deadlock {
                    predicted: Some(predicted),
                    ..
                } if accepted.contains(&predicted.fingerprint)
            )
    })
}

/// Adds `known` to `accepted`, each fingerprint once.
pub(crate) fn accept(accepted: &mut Vec<Finding>, known: Vec<Finding>) {
    for finding in known {
        if !accepted
            .iter()
            .any(|f| f.fingerprint == finding.fingerprint)
        {
            accepted.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(check: &str, fingerprint: &str, reason: &str) -> BaselineEntry {
        BaselineEntry {
            check: check.to_owned(),
            fingerprint: fingerprint.to_owned(),
            kind: Kind::DataRace,
            headline: "data race".to_owned(),
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn baselines_are_written_sorted_without_repeats_and_read_back() {
        let dir = std::env::temp_dir().join(format!("interleave-baseline-{}", std::process::id()));
        let path = dir.join("interleave-baseline.json");
        let baseline = Baseline {
            format_version: BASELINE_FORMAT_VERSION,
            accepted: vec![
                entry("b", "2", "x"),
                entry("a", "9", "y"),
                entry("b", "1", "z"),
                entry("b", "2", "repeat"),
            ],
        };
        baseline.write(&path).unwrap();
        let back = Baseline::read(&path).unwrap();
        let keys: Vec<_> = back
            .accepted
            .iter()
            .map(|e| (e.check.as_str(), e.fingerprint.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(keys, [("a", "9", "y"), ("b", "1", "z"), ("b", "2", "x")]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\n      \"kind\": \"data_race\",\n"),
            "{text}"
        );
        std::fs::write(&path, "{\"format_version\": 2, \"accepted\": []}").unwrap();
        let error = Baseline::read(&path).unwrap_err().to_string();
        assert!(error.ends_with("format_version 2 is not supported (this build reads 1)"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
