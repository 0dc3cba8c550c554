//! Redaction of what varies between runs and machines, before snapshotting (as nextest's
//! `redact.rs` does): the scratch directory, wall-clock times, source positions in the catalog
//! (which move when scenarios are added above), and fingerprints (which follow columns).

use std::collections::HashMap;

/// `text` with the scratch directory as `[dir]`, times `0.13s` as `[time]` (keeping columns
/// aligned), each distinct `file.rs:line:column` as `file.rs:[site N]` in order of first
/// appearance, and each `(from, to)` of `extra` replaced.
pub(crate) fn redact(text: &str, extra: &[(&str, &str)]) -> String {
    let mut text = text.replace(crate::scratch().to_str().unwrap(), "[dir]");
    for (from, to) in extra {
        text = text.replace(from, to);
    }
    let text = sites(&text);
    text.lines()
        .map(times)
        .map(|line| line + "\n")
        .collect::<String>()
}

/// A wall-clock time `12.34s`, with the spaces before it, becomes `[time]` right-aligned in the
/// same width.
fn times(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if starts {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let is_time = bytes.get(j) == Some(&b'.')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
                && bytes.get(j + 2).is_some_and(u8::is_ascii_digit)
                && bytes.get(j + 3) == Some(&b's')
                && bytes.get(j + 4).is_none_or(|b| !b.is_ascii_alphanumeric());
            if is_time {
                let mut start = i;
                while start > copied && bytes[start - 1] == b' ' {
                    start -= 1;
                }
                out.push_str(&line[copied..start]);
                let width = j + 4 - start;
                out.push_str(&format!("{:>width$}", "[time]"));
                copied = j + 4;
                i = copied;
                continue;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out.push_str(&line[copied..]);
    out
}

/// `lock_order.rs:36:29` → `lock_order.rs:[site 1]`, the same site always the same number.
fn sites(text: &str) -> String {
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(".rs:") {
        let after = &rest[at + 4..];
        let line_len = after.bytes().take_while(u8::is_ascii_digit).count();
        let column_len = after[line_len..]
            .strip_prefix(':')
            .map_or(0, |c| c.bytes().take_while(u8::is_ascii_digit).count());
        if line_len == 0 || column_len == 0 {
            out.push_str(&rest[..at + 4]);
            rest = after;
            continue;
        }
        let file_start = rest[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        let file = &rest[file_start..at];
        let position = &after[..line_len + 1 + column_len];
        let key = format!("{file}:{position}");
        let next = numbers.len() + 1;
        let number = *numbers.entry(key).or_insert(next);
        out.push_str(&rest[..at + 4]);
        out.push_str(&format!("[site {number}]"));
        rest = &after[line_len + 1 + column_len..];
    }
    out.push_str(rest);
    out
}

#[test]
fn redaction_keeps_columns_and_tells_sites_apart() {
    assert_eq!(times("a    0.13s  ok"), "a   [time]  ok");
    assert_eq!(times("a   12.34s  ok"), "a   [time]  ok");
    assert_eq!(times("(0.05s)"), "([time])");
    assert_eq!(times("v1.25s x0.10s 1.2s"), "v1.25s x0.10s 1.2s");
    assert_eq!(
        sites("m@lock_order.rs:36:29 at src/lock_order.rs:42:3, m@lock_order.rs:36:29 a.rs:1"),
        "m@lock_order.rs:[site 1] at src/lock_order.rs:[site 2], m@lock_order.rs:[site 1] a.rs:1"
    );
}
