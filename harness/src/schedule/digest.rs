//! The path digest: a running hash of an execution's events, so that a replay, or exhaustive
//! exploration re-running a prefix, notices at the first decision where a program took another
//! path under the same schedule (it iterated a `HashMap`, read OS randomness or the clock, or
//! kept state from an earlier execution).
//!
//! Each event adds its thread, its kind with the kind's object ids and small fields (lock mode,
//! atomic operation and ordering, whether a message went through, timer deadlines), and its
//! site's column and file name. Line numbers and directories are left out, so that a replay
//! survives edits that only move code (a print added while debugging) and another checkout
//! path; names and panic messages are left out, as they may hold addresses. A panic's site is
//! left out too: it comes from the panic hook, which another test may have replaced.

use interleave_detector::{Event, EventKind, Site};

/// The hash step: FxHash's multiplier, with a rotation so that every input bit reaches the
/// digest's top bits (the ones [`short`] keeps).
fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(26) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// FNV-1a of a file's name without its directories.
fn file_hash(file: &str) -> u64 {
    let bytes = file.as_bytes();
    let start = bytes
        .iter()
        .rposition(|&b| b == b'/' || b == b'\\')
        .map_or(0, |slash| slash + 1);
    bytes[start..]
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// The words an event kind adds: a tag, then its fields (ids and small values).
#[inline]
fn kind_words(kind: &EventKind) -> [u64; 3] {
    use EventKind as K;
    let id = |object: interleave_detector::ObjectId| u64::from(object.0);
    let thread = |thread: interleave_detector::ThreadId| u64::from(thread.0);
    match kind {
        K::Spawn { child, .. } => [1, thread(*child), 0],
        K::Exit => [2, 0, 0],
        K::JoinRequest { child } => [3, thread(*child), 0],
        K::Joined { child } => [4, thread(*child), 0],
        K::Park { timed } => [5, u64::from(*timed), 0],
        K::Unparked => [6, 0, 0],
        K::Unpark { target } => [7, thread(*target), 0],
        K::Create { object, class, .. } => [8, id(*object), *class as u64],
        K::LockRequest {
            lock,
            mode,
            attempt,
        } => [9, id(*lock), ((*mode as u64) << 8) | *attempt as u64],
        K::LockAcquired { lock, mode } => [10, id(*lock), *mode as u64],
        K::LockFailed { lock } => [11, id(*lock), 0],
        K::LockReleased { lock } => [12, id(*lock), 0],
        K::CondvarWait {
            condvar,
            lock,
            timed,
        } => [13, id(*condvar), (id(*lock) << 1) | u64::from(*timed)],
        K::CondvarWoken { condvar, timed_out } => [14, id(*condvar), u64::from(*timed_out)],
        K::CondvarNotify { condvar, all } => [15, id(*condvar), u64::from(*all)],
        K::SendRequest { channel } => [16, id(*channel), 0],
        K::Sent { channel, ok } => [17, id(*channel), u64::from(*ok)],
        K::RecvRequest { channel, bounded } => [18, id(*channel), u64::from(*bounded)],
        K::Received { channel, ok } => [19, id(*channel), u64::from(*ok)],
        K::BarrierWait {
            barrier,
            generation,
        } => [20, id(*barrier), *generation],
        K::BarrierLeave {
            barrier,
            generation,
        } => [21, id(*barrier), *generation],
        K::OnceBegin { once } => [22, id(*once), 0],
        K::OnceWait { once } => [23, id(*once), 0],
        K::OnceComplete { once } => [24, id(*once), 0],
        K::OnceObserved { once } => [25, id(*once), 0],
        K::Atomic {
            object,
            op,
            ordering,
            reads,
        } => [
            26,
            id(*object),
            ((*op as u64) << 8) | *ordering as u64 | reads.map_or(0, |r| (r + 1) << 16),
        ],
        K::Fence { ordering } => [27, *ordering as u64, 0],
        K::CellRead { cell } => [28, id(*cell), 0],
        K::CellWrite { cell } => [29, id(*cell), 0],
        K::TimerArm { timer, deadline_ns } => [30, id(*timer), *deadline_ns],
        K::TimerCancel { timer } => [31, id(*timer), 0],
        K::TimerFire { timer } => [32, id(*timer), 0],
        K::Block => [33, 0, 0],
        K::DeadlineEnter { deadline_ns } => [34, *deadline_ns, 0],
        K::DeadlineExit => [35, 0, 0],
        K::ClockAdvance { now_ns, early } => [36, *now_ns, u64::from(*early)],
        K::Stuck => [37, 0, 0],
        K::StepLimit { max_steps } => [38, *max_steps, 0],
        K::Panic { .. } => [39, 0, 0],
        K::AsyncWait { object } => [40, id(*object), 0],
        K::AsyncReady { object } => [41, id(*object), 0],
        K::LostWaker => [42, 0, 0],
        K::AwaitHolding { lock } => [43, id(*lock), 0],
        K::MemoryError { error, size, .. } => [44, *error as u64, *size],
        K::MemoryFree { size, objects } => [45, *size, objects.len() as u64],
        K::AsyncRelease { object } => [46, id(*object), 0],
        K::AsyncAcquire { object } => [47, id(*object), 0],
        K::JoinCancel { child } => [49, u64::from(child.0), 0],
        K::FutureHolds {
            object, granted, ..
        } => [48, id(*object), u64::from(*granted)],
    }
}

/// What an event adds to the digest, given its file's hash (0 for a panic's site).
#[inline]
fn event_key(event: &Event, file: u64) -> u64 {
    let [tag, a, b] = kind_words(&event.kind);
    let column = match event.kind {
        EventKind::Panic { .. } => 0,
        _ => u64::from(event.site.column),
    };
    [u64::from(event.thread.0), a, b, column, file]
        .into_iter()
        .fold(tag, mix)
}

/// Whether two events are the same step of a path (what the digest compares).
pub(crate) fn same_step(a: &Event, b: &Event) -> bool {
    let file = |e: &Event| match e.kind {
        EventKind::Panic { .. } => 0,
        _ => file_hash(&e.site.file),
    };
    event_key(a, file(a)) == event_key(b, file(b))
}

/// An execution's path so far, as a strategy checks it before a decision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathSoFar<'a> {
    /// The digest of `events`.
    pub(crate) digest: u64,
    /// The events so far.
    pub(crate) events: &'a [Event],
}

/// The running digest of an execution's events.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathDigest {
    value: u64,
    /// The last files hashed: their names' addresses and lengths (only ever compared, never
    /// recorded: sites from `Location::caller()` live for the whole program) and their hashes;
    /// address 0 for none. Two, as events alternate between the user's file and the runtime's
    /// own sites (an exit's).
    last_files: [(usize, usize, u64); 2],
    /// The entry of `last_files` the next file hashed replaces.
    replace: usize,
}

impl PathDigest {
    /// The digest of the events added so far.
    pub(crate) fn value(&self) -> u64 {
        self.value
    }

    /// Starts a new path, keeping the file hashes it has cached (their names live for the whole
    /// program, so their addresses stay theirs).
    pub(crate) fn restart(&mut self) {
        self.value = 0;
    }

    /// Adds an event: a few integer operations, and a file name hashed only when it changes.
    #[inline]
    pub(crate) fn add(&mut self, event: &Event) {
        let file = match event.kind {
            EventKind::Panic { .. } => 0,
            _ => self.file_hash(&event.site),
        };
        self.value = mix(self.value, event_key(event, file));
    }

    #[inline]
    fn file_hash(&mut self, site: &Site) -> u64 {
        let std::borrow::Cow::Borrowed(file) = site.file else {
            return file_hash(&site.file);
        };
        let key = (file.as_ptr() as usize, file.len());
        let [(a, a_len, a_hash), (b, b_len, b_hash)] = self.last_files;
        if (a, a_len) == key {
            a_hash
        } else if (b, b_len) == key {
            b_hash
        } else {
            self.hash_new_file(file)
        }
    }

    /// A file not among the last two: hashed, in place of the one hashed longer ago.
    #[cold]
    fn hash_new_file(&mut self, file: &'static str) -> u64 {
        let hash = file_hash(file);
        self.last_files[self.replace] = (file.as_ptr() as usize, file.len(), hash);
        self.replace ^= 1;
        hash
    }
}

/// The digests of a recorded path's prefixes: `prefixes(events)[n]` is the digest after the
/// first `n` events.
pub(crate) fn prefixes(events: &[Event]) -> Vec<u64> {
    let mut digest = PathDigest::default();
    let mut out = Vec::with_capacity(events.len() + 1);
    out.push(digest.value());
    for event in events {
        digest.add(event);
        out.push(digest.value());
    }
    out
}

/// The part of a digest an artifact keeps per decision: its top 16 bits.
pub(crate) fn short(digest: u64) -> u16 {
    (digest >> 48) as u16
}

/// Short digests as text: 4 hex digits each.
pub(crate) fn encode(digests: &[u16]) -> String {
    digests.iter().map(|d| format!("{d:04x}")).collect()
}

/// Parses [`encode`]'s text.
///
/// # Errors
///
/// A message saying what is wrong with the text.
pub(crate) fn decode(text: &str) -> Result<Vec<u16>, String> {
    if text.len() % 4 != 0 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "digests `{}` are not groups of 4 hex digits",
            text.chars().take(16).collect::<String>()
        ));
    }
    Ok(text
        .as_bytes()
        .chunks(4)
        .map(|chunk| {
            let text = std::str::from_utf8(chunk).expect("hex digits are ASCII");
            u16::from_str_radix(text, 16).expect("4 hex digits fit in a u16")
        })
        .collect())
}

/// An event as a divergence message names it: thread, kind (as in the trace format) and site.
pub(crate) fn describe(event: &Event) -> String {
    let kind = match &event.kind {
        EventKind::Panic { .. } => r#"{"event":"panic"}"#.to_owned(),
        kind => serde_json::to_string(kind).expect("events serialise"),
    };
    format!("thread {} {kind} at {}", event.thread.0, event.site)
}

#[cfg(test)]
mod tests {
    use super::*;
    use interleave_detector::{ObjectId, ThreadId};

    fn lock(thread: u32, lock: u32, line: u32, column: u32) -> Event {
        Event {
            step: 1,
            thread: ThreadId(thread),
            site: Site::new("src/dir/bank.rs", line, column),
            kind: EventKind::LockReleased {
                lock: ObjectId(lock),
            },
        }
    }

    fn digest(events: &[Event]) -> u64 {
        *prefixes(events).last().unwrap()
    }

    #[test]
    fn a_path_differs_in_its_threads_objects_columns_and_files_not_its_lines() {
        let path = [lock(0, 1, 10, 5), lock(1, 2, 12, 5)];
        let base = digest(&path);
        assert_eq!(digest(&[lock(0, 1, 30, 5), lock(1, 2, 40, 5)]), base);
        for other in [
            [lock(0, 1, 10, 5), lock(0, 2, 12, 5)],
            [lock(0, 1, 10, 5), lock(1, 3, 12, 5)],
            [lock(0, 1, 10, 5), lock(1, 2, 12, 6)],
            [lock(1, 2, 12, 5), lock(0, 1, 10, 5)],
        ] {
            assert_ne!(digest(&other), base, "{other:?}");
        }
        let mut moved = path.clone();
        moved[0].site.file = "other/dir/bank.rs".into();
        assert_eq!(digest(&moved), base, "directories are left out");
        moved[0].site.file = "src/dir/lock.rs".into();
        assert_ne!(digest(&moved), base);
        assert!(same_step(&path[0], &lock(0, 1, 99, 5)));
        assert!(!same_step(&path[0], &path[1]));
    }

    #[test]
    fn a_cached_file_name_hashes_as_an_owned_one() {
        let borrowed = lock(0, 1, 10, 5);
        let mut owned = borrowed.clone();
        owned.site.file = std::borrow::Cow::Owned(borrowed.site.file.to_string());
        let mut a = PathDigest::default();
        let mut b = PathDigest::default();
        for _ in 0..3 {
            a.add(&borrowed);
            b.add(&owned);
        }
        assert_eq!(a.value(), b.value());
    }

    #[test]
    fn a_file_hashes_as_its_name_without_directories() {
        let fnv = |name: &str| {
            name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            })
        };
        for (file, name) in [
            ("src/dir/bank.rs", "bank.rs"),
            ("bank.rs", "bank.rs"),
            (r"C:\work\src\bank.rs", "bank.rs"),
            ("src/mixed\\bank.rs", "bank.rs"),
            ("src/", ""),
            ("", ""),
        ] {
            assert_eq!(file_hash(file), fnv(name), "{file}");
        }
    }

    #[test]
    fn files_that_alternate_hash_as_uncached_ones() {
        let files = [
            "src/a.rs",
            "<unknown>",
            "src/a.rs",
            "b.rs",
            "<unknown>",
            "src/a.rs",
        ];
        let mut cached = PathDigest::default();
        let mut fresh_value = 0;
        for (n, file) in files.into_iter().enumerate() {
            let mut event = lock(0, 1, 10, n as u32);
            event.site.file = std::borrow::Cow::Borrowed(file);
            cached.add(&event);
            let mut owned = event.clone();
            owned.site.file = std::borrow::Cow::Owned(file.to_owned());
            let mut fresh = PathDigest {
                value: fresh_value,
                ..PathDigest::default()
            };
            fresh.add(&owned);
            fresh_value = fresh.value();
            assert_eq!(cached.value(), fresh_value, "after {file}");
        }
    }

    #[test]
    fn short_digests_round_trip_as_text() {
        let digests = [0x0000, 0xbeef, 0xffff, 0x1234];
        assert_eq!(encode(&digests), "0000beefffff1234");
        assert_eq!(decode("0000beefffff1234").unwrap(), digests);
        assert_eq!(decode("").unwrap(), Vec::<u16>::new());
        assert!(decode("abc").is_err());
        assert!(decode("abcg").is_err());
        assert_eq!(short(0xbeef_0000_0000_0001), 0xbeef);
    }
}
