//! Artifacts: one JSON file per failure, holding everything needed to replay and explain it.

mod validate;

pub(crate) use validate::is_test_path;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use interleave_detector::{Event, Finding};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::rerun::TestRerun;

/// The version of the artifact format this build writes and reads.
pub const ARTIFACT_FORMAT_VERSION: u32 = 1;

/// The largest artifact file read, in bytes (256 MiB; a real artifact holds one execution's
/// events and is kilobytes to a few megabytes).
pub const MAX_ARTIFACT_BYTES: u64 = 256 << 20;

/// The engine recorded in artifacts.
pub(crate) const ENGINE: &str = "shuttle-engine 0.1.7";

/// How to run the failing check again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rerun {
    /// A test: `cargo test -p <package> <target> <features> <profile> -- <test> --exact`
    /// ([`TestRerun::cargo_args`]).
    Test(TestRerun),
    /// A scenario of the interleave catalog.
    Scenario {
        /// Its name.
        name: String,
    },
}

/// An earlier execution a replay must run before the failing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorExecution {
    /// Its number in the check.
    pub execution: u64,
    /// Its schedule, in text form.
    pub schedule: String,
    /// The path it took: at each decision, then at its end, the top 16 bits of the digest of
    /// its events so far, as 4 hex digits (a replay checks it takes the same path).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digests: String,
}

/// One failure, as written to disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// [`ARTIFACT_FORMAT_VERSION`].
    pub format_version: u32,
    /// The check's name.
    pub check: String,
    /// How to run it again.
    pub rerun: Rerun,
    /// The engine that ran it.
    pub engine: String,
    /// The strategy (`pct:3`, `random`, `exhaustive`).
    pub strategy: String,
    /// The preemption bound of an exhaustive check, if it had one: a check run again to see
    /// whether a bug is fixed must explore as it did (`interleave replay --recheck`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_preemptions: Option<u32>,
    /// The seed.
    pub seed: u64,
    /// The step bound of each execution.
    pub max_steps: u64,
    /// How many executions the check was to run at most (`0`: not recorded, an artifact of an
    /// earlier version): `interleave replay --recheck` runs the check again with this budget.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub budget: u64,
    /// Which analyses ran (a replay runs the same).
    pub detector: interleave_detector::DetectorConfig,
    /// The deadline of each whole execution in virtual nanoseconds, and where it was declared
    /// (`Config::deadline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<(u64, interleave_detector::Site)>,
    /// The memory model of the check's atomics (absent: sequentially consistent).
    #[serde(default, skip_serializing_if = "is_sequentially_consistent")]
    pub memory_model: crate::MemoryModel,
    /// Earlier executions that added to the lock-order graph, with their schedules: a replay
    /// runs them first, so that a cycle seen across executions is seen again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior: Vec<PriorExecution>,
    /// The failing execution (1-based).
    pub execution: u64,
    /// Its schedule, in text form.
    pub schedule: String,
    /// The findings that failed the check.
    pub findings: Vec<Finding>,
    /// The fingerprints of the findings the check's baseline accepted before it failed: a
    /// replay records them and goes on, as the check did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// The events of the failing execution.
    pub trace: Vec<Event>,
}

fn is_sequentially_consistent(model: &crate::MemoryModel) -> bool {
    *model == crate::MemoryModel::SequentiallyConsistent
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

impl Artifact {
    /// Reads an artifact file and checks that it fits together: only a regular file of at most
    /// [`MAX_ARTIFACT_BYTES`]; its `rerun` names a cargo package and a test path (never
    /// anything a command line would read as a flag); every schedule parses, with at most
    /// [`MAX_DECISIONS`](crate::MAX_DECISIONS) decisions in all; each finding's kind agrees
    /// with its detail and its indices and steps point at what the artifact holds; the trace's
    /// steps increase and its events fit together as the detector sees them.
    ///
    /// # Errors
    ///
    /// [`Error::ArtifactRead`] if the file cannot be read, [`Error::ArtifactFormat`] if it is
    /// not a regular file, is too large, or is not a consistent artifact of this format
    /// version.
    pub fn read(path: &Path) -> Result<Artifact, Error> {
        let format = |reason: String| Error::ArtifactFormat {
            path: path.to_owned(),
            reason,
        };
        let text = interleave_detector::read_text(path, MAX_ARTIFACT_BYTES, "an artifact")
            .map_err(|error| match error {
                interleave_detector::ReadError::Io(source) => Error::ArtifactRead {
                    path: path.to_owned(),
                    source,
                },
                interleave_detector::ReadError::Refused(reason) => format(reason),
            })?;
        let probe: VersionProbe =
            serde_json::from_str(&text).map_err(|e| format(format!("not an artifact: {e}")))?;
        if probe.format_version != ARTIFACT_FORMAT_VERSION {
            return Err(format(format!(
                "format_version {} is not supported (this build reads {ARTIFACT_FORMAT_VERSION})",
                probe.format_version
            )));
        }
        let artifact: Artifact =
            serde_json::from_str(&text).map_err(|e| format(format!("not an artifact: {e}")))?;
        validate::artifact(&artifact).map_err(format)?;
        Ok(artifact)
    }

    /// Writes the artifact under `dir` as `<check>-<fingerprint>.json`, atomically (a temporary
    /// file renamed into place), and returns its path.
    ///
    /// # Errors
    ///
    /// [`Error::ArtifactWrite`] if the directory or file cannot be written.
    pub fn write(&self, dir: &Path) -> Result<PathBuf, Error> {
        let fingerprint = self
            .findings
            .last()
            .map_or("clean", |f| f.fingerprint.as_str());
        let path = dir.join(format!("{}-{fingerprint}.json", self.file_stem()));
        let mut text = serde_json::to_string_pretty(self).expect("artifacts serialise");
        text.push('\n');
        write_atomically(&path, &text).map_err(|source| Error::ArtifactWrite {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

impl Artifact {
    /// Under the weak memory model, the failing execution's loads that read an older store
    /// than the newest, as [`Report::stale_reads`](crate::Report::stale_reads) says them.
    pub fn stale_reads(&self) -> Vec<String> {
        crate::rt::memory::stale_reads(&self.trace)
    }
}

impl Artifact {
    /// The start of its file name: the check's name, after the package and the test target
    /// when a test wrote it (`bank.transfers.tests__ab_ba`), so that two crates sharing a target
    /// directory never overwrite each other's artifacts.
    fn file_stem(&self) -> String {
        match &self.rerun {
            Rerun::Test(TestRerun {
                package: Some(package),
                target,
                ..
            }) => {
                let target = target
                    .as_ref()
                    .map_or_else(String::new, |t| format!(".{}", t.name));
                file_stem(&format!("{package}{target}.{}", self.check))
            }
            _ => file_stem(&self.check),
        }
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same directory (created if
/// need be), renamed into place, so that a reader never sees half a file and parallel writers
/// never mix theirs. A regular file that already holds exactly `text` is left as it is: a
/// check run again writes the same record and artifact (they are deterministic), and replacing
/// a file costs more than a short check (on ext4 a rename over a file starts writing the new
/// one to disk at once).
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if holds(path, text) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let temporary = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    // The directory is there but for the first write: made only when missing.
    match std::fs::write(&temporary, text) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            std::fs::write(&temporary, text)?;
        }
        written => written?,
    }
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// Whether `path` is a regular file (not a link, a pipe or a device: opening one could block)
/// whose bytes are exactly `text`'s.
fn holds(path: &Path, text: &str) -> bool {
    use std::io::Read;
    let fits = std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_file() && m.len() == text.len() as u64);
    if !fits {
        return false;
    }
    let mut bytes = Vec::with_capacity(text.len() + 1);
    std::fs::File::open(path)
        .and_then(|file| file.take(text.len() as u64 + 1).read_to_end(&mut bytes))
        .is_ok_and(|_| bytes == text.as_bytes())
}

/// A regular file of at most `limit` bytes, as text; why not, as a sentence.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    interleave_detector::read_text(path, limit, "a record").map_err(|error| match error {
        interleave_detector::ReadError::Io(source) => source.to_string(),
        interleave_detector::ReadError::Refused(reason) => reason,
    })
}

/// The longest check name kept whole in a file name: with the fingerprint and the temporary
/// file's suffixes it stays well under the 255 bytes file systems allow.
const MAX_STEM: usize = 100;

/// A check name as the start of a file name: [`file_safe`], and a name longer than
/// [`MAX_STEM`] cut, with a hash of the whole name so that two long names stay apart.
pub(crate) fn file_stem(check: &str) -> String {
    let safe = file_safe(check);
    if safe.len() <= MAX_STEM {
        return safe;
    }
    // FNV-1a: the same on every machine.
    let hash = check.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{}-{hash:016x}", &safe[..MAX_STEM - 17])
}

/// A check name as a file name: path separators and other punctuation become `_`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where artifacts go: `INTERLEAVE_ARTIFACT_DIR`, else `<target>/interleave`, where `<target>`
/// is `CARGO_TARGET_DIR` or the `target` directory the test binary was built in.
pub(crate) fn default_dir() -> PathBuf {
    known_dir().unwrap_or_else(|| PathBuf::from("target").join("interleave"))
}

/// `<target>/interleave`, when the target directory is known: `None` for a program outside
/// one (a doc test, which rustdoc builds in a temporary directory).
pub(crate) fn known_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir).join("interleave"));
    }
    // target/<profile>/deps/<test binary>
    current_exe()?
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "target"))
        .map(|target| target.join("interleave"))
}

/// The running program's path, asked once per process (every check wants it).
pub(crate) fn current_exe() -> Option<&'static Path> {
    static EXE: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    EXE.get_or_init(|| std::env::current_exe().ok()).as_deref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_file_that_already_holds_the_text_is_left_as_it_is() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("interleave-write-{}", std::process::id()));
        let path = dir.join("record.json");
        // The file's inode once `text` is written: a file renamed into place has a new one.
        let written = |text: &str| {
            write_atomically(&path, text).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            std::fs::metadata(&path).unwrap().ino()
        };
        let files = || std::fs::read_dir(&dir).unwrap().count();
        let first = written("{\"executions\": 20}\n");
        assert_eq!(written("{\"executions\": 20}\n"), first, "rewritten");
        // The same length with other bytes, then another length: replaced.
        let second = written("{\"executions\": 21}\n");
        assert_ne!(second, first);
        assert_ne!(written("{\"executions\": 100}\n"), second);
        // No temporary file is left behind.
        assert_eq!(files(), 1);
        // What is not a regular file is not read: a directory there is an error, as before.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(write_atomically(&path, "{}").is_err());
        assert_eq!(files(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn check_names_become_file_names() {
        assert_eq!(file_safe("tests::bank::ab_ba"), "tests__bank__ab_ba");
        assert_eq!(file_safe("lock-order/ab-ba"), "lock-order_ab-ba");
    }

    #[test]
    fn long_check_names_are_cut_with_a_hash_of_the_whole_name() {
        let short = "a".repeat(MAX_STEM);
        assert_eq!(file_stem(&short), short);
        let long = "a".repeat(300);
        let other = format!("{}b", "a".repeat(299));
        let (stem, other_stem) = (file_stem(&long), file_stem(&other));
        assert_eq!(stem.len(), MAX_STEM);
        assert_eq!(&stem[..MAX_STEM - 17], &long[..MAX_STEM - 17]);
        assert_ne!(stem, other_stem);
        // Multi-byte characters become `_` before the cut, so it never splits one.
        assert_eq!(file_stem(&"é".repeat(300)).len(), MAX_STEM);
    }
}
