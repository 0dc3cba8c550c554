//! Realized deadlocks on real threads, reported instead of hanging the test (as parking_lot's
//! `deadlock_detection` finds them): a thread that has waited for a lock for a while publishes
//! what it waits for and what it holds; a background watchdog builds the wait-for graph of the
//! published waits, and once a cycle has stayed for [`CONFIRMATIONS`] scans it picks the thread
//! whose wait closed the cycle, which panics with the report. Unwinding releases its locks, so
//! the other threads of the cycle go on; nothing aborts, nothing hangs.
//!
//! The wall clock only paces the watchdog and the waits: nothing of it is recorded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use interleave_detector::{BlockedThread, Finding};

use super::held::{self, Held};
use super::monitor;

/// How long a request waits before it publishes itself: most contention ends sooner, and a
/// deadlock lasts.
const FIRST_WAIT: Duration = Duration::from_millis(20);

/// How long a published waiter waits between looks at whether it was picked.
const SLICE: Duration = Duration::from_millis(20);

/// How often the watchdog scans while someone waits.
const SCAN: Duration = Duration::from_millis(50);

/// How many scans in a row must find the same cycle before it is reported.
const CONFIRMATIONS: u32 = 3;

#[derive(Debug)]
struct Record {
    blocked: BlockedThread,
    /// Set by the watchdog: this thread is the one to panic, with this report.
    verdict: Option<Finding>,
}

#[derive(Debug, Default)]
struct Waits {
    records: Vec<Record>,
    watchdog: bool,
    /// The cycle found at the last scan (the `since` of its waits, sorted) and in how many scans
    /// in a row.
    last_cycle: Vec<u64>,
    seen: u32,
}

static WAITS: Mutex<Waits> = Mutex::new(Waits {
    records: Vec::new(),
    watchdog: false,
    last_cycle: Vec::new(),
    seen: 0,
});
static WAKE: Condvar = Condvar::new();
/// Orders the published waits (the `since` of each): any increasing number does.
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

fn waits() -> MutexGuard<'static, Waits> {
    WAITS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Waits for `request` with `wait_for` (one bounded wait on the lock at a time), for as long as
/// it takes: a deadlock makes one of the threads in it panic with the report.
pub(crate) fn wait<G>(
    request: &Held,
    contended: &dyn super::Contended,
    mut wait_for: impl FnMut(Duration) -> Option<G>,
) -> G {
    if let Some(guard) = wait_for(FIRST_WAIT) {
        return guard;
    }
    contended.before_waiting();
    let since = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let record = Published::new(BlockedThread {
        thread: held::thread_id(),
        request: request.lock(),
        holding: held::holding(),
        since,
    });
    let mut record = Some(record);
    loop {
        if let Some(guard) = wait_for(SLICE) {
            return guard;
        }
        if let Some(finding) = record.as_ref().and_then(Published::verdict) {
            // Withdrawn before the panic; a thread already unwinding (which cannot panic
            // again) goes on waiting, unpublished, its report printed.
            record = None;
            monitor::report_deadlock(finding);
        }
    }
}

/// A published wait, withdrawn when dropped (the lock acquired, or the thread panicking).
struct Published {
    since: u64,
}

impl Published {
    fn new(blocked: BlockedThread) -> Self {
        let since = blocked.since;
        let mut waits = waits();
        waits.records.push(Record {
            blocked,
            verdict: None,
        });
        if !std::mem::replace(&mut waits.watchdog, true) {
            let started = std::thread::Builder::new()
                .name("interleave-deadlock-watchdog".to_owned())
                .spawn(watchdog);
            if started.is_err() {
                waits.watchdog = false;
            }
        }
        drop(waits);
        WAKE.notify_all();
        Published { since }
    }

    /// The report, if the watchdog picked this thread.
    fn verdict(&self) -> Option<Finding> {
        let mut waits = waits();
        let record = waits
            .records
            .iter_mut()
            .find(|r| r.blocked.since == self.since)?;
        record.verdict.take()
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        let mut waits = waits();
        waits.records.retain(|r| r.blocked.since != self.since);
    }
}

/// The watchdog: scans while anyone waits, sleeps otherwise; runs for the rest of the process.
fn watchdog() {
    let mut waits = waits();
    loop {
        while waits.records.is_empty() {
            waits.last_cycle.clear();
            waits.seen = 0;
            waits = WAKE.wait(waits).unwrap_or_else(PoisonError::into_inner);
        }
        drop(waits);
        std::thread::sleep(SCAN);
        waits = self::waits();
        scan(&mut waits);
    }
}

/// One scan: a cycle found in [`CONFIRMATIONS`] scans in a row gets its victim picked.
fn scan(waits: &mut Waits) {
    // Waits already given a verdict are on their way out.
    let open: Vec<BlockedThread> = waits
        .records
        .iter()
        .filter(|r| r.verdict.is_none())
        .map(|r| r.blocked.clone())
        .collect();
    let Some((victim, finding)) = monitor::deadlock(&open) else {
        waits.last_cycle.clear();
        waits.seen = 0;
        return;
    };
    let mut cycle: Vec<u64> = match &finding.detail {
        interleave_detector::Detail::Deadlock { waits, .. } => {
            waits.iter().map(|w| w.since_step).collect()
        }
        _ => Vec::new(),
    };
    cycle.sort_unstable();
    if cycle == waits.last_cycle {
        waits.seen += 1;
    } else {
        waits.last_cycle = cycle;
        waits.seen = 1;
    }
    if waits.seen >= CONFIRMATIONS {
        let since = open[victim].since;
        if let Some(record) = waits.records.iter_mut().find(|r| r.blocked.since == since) {
            record.verdict = Some(finding);
        }
        waits.last_cycle.clear();
        waits.seen = 0;
    }
}
