//! A deterministic mutator of artifacts and traces, for the fuzz tests (`fuzz.rs` here, and the
//! in-process one in `src/fuzz.rs`, which includes this file): bytes flipped, cut, dropped or
//! repeated, and JSON values replaced (huge, negative and fractional numbers, wrong types, long
//! strings, control characters, huge schedule tokens), deleted, repeated or swapped. Seeded with
//! ChaCha8, so that a failure names its seed and mutant, and reproduces.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// Numbers that break arithmetic, ids and allocations.
const NUMBERS: [&str; 11] = [
    "18446744073709551615",
    "9007199254740993",
    "4294967295",
    "4000000000",
    "2147483648",
    "-1",
    "-9223372036854775808",
    "0",
    "1e300",
    "0.5",
    "100000",
];

/// Strings that a reader must not trust: escapes, flags, paths, schedule tokens.
const STRINGS: [&str; 10] = [
    "",
    "\u{1b}[2J\r\u{1b}]0;owned\u{7}\u{9b}1m\nfake line\u{202e}x",
    "--config=target.x86_64-unknown-linux-gnu.runner='touch /tmp/pwned'",
    "-p",
    "0x16777216",
    "0x4294967295.1x4294967295",
    "../../../../etc/passwd",
    "a.rs:4294967295:4294967295",
    "lock-order/ab-ba",
    "x::y",
];

/// One step of a path into a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// A mutator with its own random stream.
#[derive(Debug)]
pub(crate) struct Mutator {
    rng: ChaCha8Rng,
}

impl Mutator {
    pub(crate) fn new(seed: u64) -> Self {
        Mutator {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.rng.next_u64() % n as u64) as usize
    }

    fn number(&mut self) -> Value {
        let number = NUMBERS[self.below(NUMBERS.len())];
        serde_json::from_str(number).expect("a number")
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A mutant of the JSON document `text`, with one to three mutations, and what they were.
    pub(crate) fn mutant(&mut self, text: &str) -> (Vec<u8>, Vec<String>) {
        let mut log = Vec::new();
        // One mutant in eight is mangled as bytes, the others value by value.
        if self.below(8) == 0 {
            let mut bytes = text.as_bytes().to_vec();
            self.mangle(&mut bytes, &mut log);
            return (bytes, log);
        }
        let mut document: Value = serde_json::from_str(text).expect("a JSON document");
        let strings = strings(&document);
        // One mutation in half the mutants, two or three in the others.
        let mutations = [1, 1, 1, 1, 1, 2, 2, 2, 3, 3];
        for _ in 0..*self.pick(&mutations) {
            self.mutate(&mut document, &strings, &mut log);
        }
        let text = serde_json::to_string_pretty(&document).expect("JSON");
        (text.into_bytes(), log)
    }

    fn mangle(&mut self, bytes: &mut Vec<u8>, log: &mut Vec<String>) {
        if bytes.is_empty() {
            return;
        }
        let at = self.below(bytes.len());
        let len = 1 + self.below(64.min(bytes.len() - at));
        match self.below(5) {
            0 => {
                let bit = 1 << self.below(8);
                bytes[at] ^= bit;
                log.push(format!("byte {at} ^= {bit:#x}"));
            }
            1 => {
                bytes.truncate(at);
                log.push(format!("cut at byte {at}"));
            }
            2 => {
                bytes.drain(at..at + len);
                log.push(format!("bytes {at}..{} dropped", at + len));
            }
            3 => {
                let copy = bytes[at..at + len].to_vec();
                bytes.splice(at..at, copy);
                log.push(format!("bytes {at}..{} repeated", at + len));
            }
            _ => {
                let number = self.pick(&NUMBERS).as_bytes();
                bytes.splice(at..at, number.iter().copied());
                log.push(format!(
                    "{} inserted at byte {at}",
                    String::from_utf8_lossy(number)
                ));
            }
        }
    }

    fn mutate(&mut self, document: &mut Value, strings: &[String], log: &mut Vec<String>) {
        let mut paths = Vec::new();
        collect(document, &mut Vec::new(), &mut paths);
        let path = self.pick(&paths).clone();
        let shown = show(&path);
        let kind = self.below(9);
        // Deleting, repeating or swapping works on the node's place in its parent.
        if (1..=3).contains(&kind) && !path.is_empty() {
            let (last, parent) = path.split_last().expect("not the root");
            let parent = get(document, parent);
            match (kind, parent, last) {
                (1, Value::Object(map), Step::Key(key)) => {
                    map.remove(key);
                    log.push(format!("{shown} deleted"));
                    return;
                }
                (1, Value::Array(items), Step::Index(i)) => {
                    items.remove(*i);
                    log.push(format!("{shown} deleted"));
                    return;
                }
                (2, Value::Array(items), Step::Index(i)) => {
                    let copy = items[*i].clone();
                    items.insert(*i, copy);
                    log.push(format!("{shown} repeated"));
                    return;
                }
                (3, Value::Array(items), Step::Index(i)) => {
                    let j = self.below(items.len());
                    items.swap(*i, j);
                    log.push(format!("{shown} swapped with [{j}]"));
                    return;
                }
                _ => {}
            }
        }
        let node = get(document, &path);
        let replacement = match (kind, &*node) {
            // Another small number: another id, step, index or count, often one that exists.
            (0, Value::Number(_)) => Value::from(self.below(40)),
            (4, Value::String(_)) => Value::String(self.pick(&STRINGS).to_string()),
            (5, Value::String(_)) if !strings.is_empty() => {
                // Another string of the document: an event tag, a kind, a name, a site.
                Value::String(self.pick(strings).clone())
            }
            (6, Value::String(_)) => Value::String("A".repeat(100_000)),
            (7, Value::Number(_)) => self.number(),
            (_, Value::Number(_)) => Value::from(self.below(40)),
            (8, _) | (_, Value::Array(_) | Value::Object(_)) if self.below(2) == 0 => {
                // A wrong type.
                let types = [
                    Value::Null,
                    Value::Bool(true),
                    Value::String("x".to_owned()),
                    Value::Array(Vec::new()),
                    Value::Object(serde_json::Map::new()),
                    Value::from(7),
                ];
                self.pick(&types).clone()
            }
            _ => self.number(),
        };
        log.push(format!("{shown} = {}", brief(&replacement)));
        *node = replacement;
    }
}

/// Every path into `value`, the root included.
fn collect(value: &Value, path: &mut Vec<Step>, paths: &mut Vec<Vec<Step>>) {
    paths.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                collect(child, path, paths);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Step::Index(i));
                collect(child, path, paths);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Every distinct string of `value`.
fn strings(value: &Value) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Object(map) => {
                out.extend(map.keys().cloned());
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn get<'a>(mut value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    for step in path {
        value = match step {
            Step::Key(key) => &mut value[key.as_str()],
            Step::Index(i) => &mut value[*i],
        };
    }
    value
}

/// `/trace/3/kind/lock`.
fn show(path: &[Step]) -> String {
    let steps: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Key(key) => key.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    format!("/{}", steps.join("/"))
}

/// A value as the log shows it: short.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!(
            "{}… ({} bytes)",
            text.chars().take(20).collect::<String>(),
            text.len()
        )
    } else {
        text
    }
}
