//! The documents' command-line sessions are real: every ```text block that follows a
//! `<!-- transcript -->` line in README.md and docs/*.md is run as a shell script, one `$ `
//! command at a time, from the repository's root (as a reader would type it, after `cargo build`)
//! with the `interleave` binary on the `PATH`, and its
//! output must be what the document shows — timings aside (`0.13s` stands for any duration),
//! and with this checkout's directory left out of paths (artifacts go to the `target/` the
//! binary was built in, which the documents show relative to the repository).
//! A changed report, fingerprint or line number fails here rather than misleading a reader.
//!
//! `INTERLEAVE_BLESS_DOCS=1 cargo test -p interleave-cli --test cli docs` writes the real output
//! into the documents instead (review the diff).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The marker line before a checked block.
const MARKER: &str = "<!-- transcript -->";

/// The documents with transcripts.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut documents = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|entry| entry.expect("a docs entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    documents.extend(docs);
    documents
}

/// A transcript: its lines' range in the document (the lines between the fences) and its text.
struct Transcript {
    first: usize,
    end: usize,
    text: String,
}

fn transcripts(document: &str) -> Vec<Transcript> {
    let lines: Vec<&str> = document.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == MARKER && lines.get(i + 1).is_some_and(|l| l.starts_with("```")) {
            let first = i + 2;
            let end = (first..lines.len())
                .find(|&j| lines[j].starts_with("```"))
                .expect("a transcript's closing fence");
            out.push(Transcript {
                first,
                end,
                text: lines[first..end].iter().map(|l| format!("{l}\n")).collect(),
            });
            i = end;
        }
        i += 1;
    }
    out
}

/// Runs the `$ ` commands of `transcript` from the repository's root, one shell, and returns
/// the session as the document would show it.
fn run(transcript: &str) -> String {
    let commands: Vec<&str> = transcript
        .lines()
        .filter_map(|line| line.strip_prefix("$ "))
        .collect();
    let mut script = String::from("exec 2>&1\n");
    for (i, command) in commands.iter().enumerate() {
        // A marker line before each command's output; `$?` stays the last command's status.
        script.push_str(&format!(
            "status=$?; printf '\\001{i}\\n'; (exit $status)\n{command}\n"
        ));
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_interleave"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("the binary's directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(&root)
        .env("PATH", path);
    for (name, _) in std::env::vars() {
        if name.starts_with("INTERLEAVE_") || name == "CARGO_TARGET_DIR" {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("sh runs");
    let text = String::from_utf8(output.stdout)
        .expect("utf-8 output")
        .replace(&format!("{}/", root.display()), "");
    let mut session = String::new();
    for part in text.split('\u{1}').skip(1) {
        let (index, out) = part.split_once('\n').expect("a marker line");
        let index: usize = index.parse().expect("a command index");
        session.push_str(&format!("$ {}\n{out}", commands[index]));
    }
    session
}

/// Durations vary from run to run: `0.13s` and `(0.13s)` stand for any.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let is_duration = i > start
            && chars.get(i) == Some(&'.')
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            && chars.get(i + 2).is_some_and(char::is_ascii_digit)
            && chars.get(i + 3) == Some(&'s')
            && !chars.get(i + 4).is_some_and(|c| c.is_alphanumeric());
        if is_duration {
            out.push_str("N.NNs");
            i += 4;
        } else if i > start {
            out.extend(&chars[start..i]);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn the_documents_command_line_sessions_are_real_output() {
    let bless = std::env::var_os("INTERLEAVE_BLESS_DOCS").is_some();
    let mut checked = 0;
    let mut stale = Vec::new();
    for document in documents() {
        let text = std::fs::read_to_string(&document).expect("a document");
        let mut blessed: Vec<String> = text.lines().map(str::to_owned).collect();
        // In document order, as a reader types them (a later block may read an artifact an
        // earlier one wrote); blessed later blocks first, so earlier line numbers stay valid.
        let mut rewrites = Vec::new();
        for transcript in transcripts(&text) {
            let session = run(&transcript.text);
            checked += 1;
            if normalize(&session) == normalize(&transcript.text) {
                continue;
            }
            if bless {
                rewrites.push((transcript.first..transcript.end, session));
            } else {
                stale.push(format!(
                    "{}:{}: the transcript is stale; it runs as:\n{session}",
                    document.display(),
                    transcript.first
                ));
            }
        }
        if bless {
            for (lines, session) in rewrites.into_iter().rev() {
                blessed.splice(lines, session.lines().map(str::to_owned));
            }
            let mut new = blessed.join("\n");
            new.push('\n');
            if new != text {
                std::fs::write(&document, new).expect("write the document");
            }
        }
    }
    assert!(
        checked >= 2,
        "expected transcripts in README.md and docs/cli.md"
    );
    assert!(
        stale.is_empty(),
        "{}\n(INTERLEAVE_BLESS_DOCS=1 rewrites them)",
        stale.join("\n")
    );
}

#[test]
fn durations_are_the_only_thing_normalized() {
    assert_eq!(
        normalize("ok 0.13s (12.01s) 1.5s 0.123s v1.20s2"),
        "ok N.NNs (N.NNs) 1.5s 0.123s v1.20s2"
    );
}
