//! The watchdog: a check runs on a worker OS thread of its own while the caller's thread
//! watches its progress, so that a scenario stuck outside interleave's control (a std lock held
//! across a scheduling point, a `loop {}` with no interleave call, a spin on a std atomic,
//! another runtime's blocking) ends in a clear error instead of hanging the test process.
//!
//! Every scheduling point ticks a counter and notes which thread is there and the site of its
//! last interleave call. Wall-clock time is read only here, to decide when to give up; nothing
//! of it is recorded, so schedules, findings and artifacts stay deterministic.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use interleave_detector::{Site, ThreadId};

use crate::error::Error;

/// The most file names a watched check remembers (the oldest goes first).
const MAX_FILES: usize = 64;

/// How many file keys the worker remembers having registered.
const RECENT_FILES: usize = 8;

/// The default time a check may go without reaching a scheduling point.
pub(crate) const DEFAULT_LIMIT: Duration = Duration::from_secs(10);

/// What the worker running a check publishes for the thread that watches it.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Scheduling points reached so far.
    ticks: AtomicU64,
    /// Set by the watcher once it has given up: the worker stops at its next scheduling point.
    abandoned: AtomicBool,
    execution: AtomicU64,
    step: AtomicU64,
    thread: AtomicU32,
    /// Line (high half) and column of the last site.
    position: AtomicU64,
    /// The address and length of the last site's file name (compared, never dereferenced),
    /// its key in `files`.
    file_key: AtomicUsize,
    /// File keys the worker has made sure are in `files`, replaced in turn (the next to go at
    /// `next_recent`): a scenario's events alternate between its own files and interleave's,
    /// and each file not among these takes a lock.
    recent_files: [AtomicUsize; RECENT_FILES],
    next_recent: AtomicUsize,
    /// The file names of the sites seen, by key (at most [`MAX_FILES`]).
    files: Mutex<Vec<(usize, String)>>,
    /// Names of the running execution's threads, by index (`None`, or no entry: `main` or
    /// `tN`).
    names: Mutex<Vec<Option<String>>>,
    /// The OS thread ids (Linux) of the threads running executions, to tell a spinning one
    /// from a sleeping one.
    os_threads: Mutex<Vec<String>>,
    /// The progress of each other thread running the check's executions (`Config::jobs`):
    /// each records into its own, so that threads on different cores do not write the same
    /// cache lines at every event.
    workers: Mutex<Vec<Arc<Progress>>>,
}

thread_local! {
    /// The progress of the check running on this OS thread, if it is watched.
    static WATCHED: RefCell<Option<Arc<Progress>>> = const { RefCell::new(None) };
}

/// Runs `f` with the progress of the check on this thread, if any.
fn with_progress(f: impl FnOnce(&Progress)) {
    WATCHED.with(|w| {
        if let Ok(watched) = w.try_borrow() {
            if let Some(progress) = watched.as_ref() {
                f(progress);
            }
        }
    });
}

/// The progress of the check running on this OS thread, if it is watched.
pub(crate) fn progress() -> Option<Arc<Progress>> {
    WATCHED.with(|w| w.try_borrow().ok().and_then(|w| w.clone()))
}

impl Progress {
    /// `thread` runs, in its interleave call at `site` (`None`: it is just starting), at
    /// `step`. Returns `true` if the watcher has given up on this check (the execution should
    /// stop).
    #[inline]
    pub(crate) fn record(&self, thread: ThreadId, step: u64, site: Option<&Site>) -> bool {
        // Only the worker writes: no read-modify-write instruction needed on this hot path.
        self.ticks
            .store(self.ticks.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        self.thread.store(thread.0, Ordering::Relaxed);
        self.step.store(step, Ordering::Relaxed);
        let (file, line, column) = site.map_or(("", 0, 0), |s| (&*s.file, s.line, s.column));
        self.position
            .store(u64::from(line) << 32 | u64::from(column), Ordering::Relaxed);
        let key = file.as_ptr() as usize ^ file.len();
        // The same file as the last site's, most of the time: nothing to do.
        if self.file_key.load(Ordering::Relaxed) != key {
            if !self
                .recent_files
                .iter()
                .any(|recent| recent.load(Ordering::Relaxed) == key)
            {
                self.new_file(key, file);
            }
            self.file_key.store(key, Ordering::Relaxed);
        }
        self.abandoned.load(Ordering::Relaxed)
    }

    /// Makes sure `file` is in `files` under `key`, and notes the key as recent.
    #[cold]
    fn new_file(&self, key: usize, file: &str) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        match files.iter_mut().find(|(k, _)| *k == key) {
            // A key can come back for another name (a string freed and another allocated at
            // its address, of its length).
            Some((_, name)) if name != file => {
                name.clear();
                name.push_str(file);
            }
            Some(_) => {}
            None => {
                if files.len() >= MAX_FILES {
                    files.remove(0);
                }
                files.push((key, file.to_owned()));
            }
        }
        // Only the worker writes: no read-modify-write needed.
        let next = self.next_recent.load(Ordering::Relaxed);
        self.recent_files[next].store(key, Ordering::Relaxed);
        self.next_recent
            .store((next + 1) % RECENT_FILES, Ordering::Relaxed);
    }
}

/// This OS thread runs executions of the check whose progress is `progress` (one of a parallel
/// check's threads): its scheduling points count for the watchdog too, recorded in a progress
/// of its own that the check's lists.
pub(crate) fn adopt(progress: Option<Arc<Progress>>) {
    let own = progress.map(|check| {
        let own = Arc::new(Progress::default());
        own.os_threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(os_thread_id());
        check
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&own));
        own
    });
    WATCHED.with(|w| *w.borrow_mut() = own);
}

/// A new execution starts.
pub(crate) fn begin_execution(execution: u64) {
    with_progress(|p| {
        p.ticks
            .store(p.ticks.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        p.execution.store(execution, Ordering::Relaxed);
        p.step.store(0, Ordering::Relaxed);
        p.thread.store(0, Ordering::Relaxed);
        let mut names = p.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.clear();
        names.push(None);
    });
}

impl Progress {
    /// Thread `thread` was spawned (threads are numbered in spawning order). Only a named one
    /// takes the lock: an unnamed thread needs no entry in `names` (a missing one reads as no
    /// name).
    pub(crate) fn spawned(&self, thread: u32, name: Option<&str>) {
        let Some(name) = name else {
            return;
        };
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names.resize(thread as usize, None);
        names.push(Some(name.to_owned()));
    }
}

/// What a worker runs for a check: the check, then (once the worker is back among the idle
/// ones, so that the next check finds it there) the delivery of its result. `None`: the worker
/// must not be reused (the check panicked out of interleave, or its watcher gave up on it).
type Job = Box<dyn FnOnce() -> Option<Box<dyn FnOnce() + Send>> + Send>;

/// A worker OS thread waiting for a check, and the stack it has.
#[derive(Debug)]
struct Idle {
    stack: usize,
    jobs: mpsc::Sender<Job>,
}

/// Workers whose check is done, kept for the process's next checks: a check on a new OS
/// thread pays for the thread and, in the engine, for its scenario threads' stacks (kept by
/// each worker from one check to the next, see `rt::with_stacks`).
static IDLE: Mutex<Vec<Idle>> = Mutex::new(Vec::new());

/// At most this many idle workers are kept (a test binary runs a few tests at once).
const MAX_IDLE: usize = 8;

/// How long each side of a check's hand-off looks for the other's message before it sleeps: a
/// worker for the next check after delivering one, the caller for the check's result. Checks
/// often follow one another within microseconds (a test binary's tests, a catalog run) and
/// many take less than this: a thread put to sleep and woken costs each side a system call
/// and the sleeper tens of microseconds before it runs again, more than the check itself.
/// Only how a thread waits depends on the time, never what a check does.
const SPIN_FOR: Duration = Duration::from_micros(500);

/// The next message on `receiver` if one comes within [`SPIN_FOR`] (or the channel is
/// closed, then `Err`), else `Ok(None)`: the caller then waits for it asleep. It yields its
/// core between looks, to any other thread ready to run there (the check's own, another
/// test's).
fn spin_recv<T>(receiver: &mpsc::Receiver<T>) -> Result<Option<T>, mpsc::RecvError> {
    let until = Instant::now() + SPIN_FOR;
    loop {
        match receiver.try_recv() {
            Ok(message) => return Ok(Some(message)),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::TryRecvError::Empty) if Instant::now() >= until => return Ok(None),
            Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
        }
    }
}

/// Hands `job` to an idle worker with a stack of at least `stack` bytes, or to a new one.
fn dispatch(stack: usize, mut job: Job) -> std::io::Result<()> {
    loop {
        let idle = {
            let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
            let found = idle.iter().rposition(|w| w.stack >= stack);
            found.map(|i| idle.swap_remove(i))
        };
        let Some(worker) = idle else { break };
        match worker.jobs.send(job) {
            Ok(()) => return Ok(()),
            // It has gone: try another.
            Err(mpsc::SendError(back)) => job = back,
        }
    }
    let (jobs, receiver) = mpsc::channel::<Job>();
    jobs.send(job).expect("the receiver is here");
    std::thread::Builder::new()
        // The worker's own stack runs interleave's loop and the detector; scenario threads
        // have stacks of their own (`stack_size`), but a scenario's teardown may run here.
        .stack_size(stack)
        .name("interleave-check".to_owned())
        .spawn(move || {
            while let Ok(job) = match spin_recv(&receiver) {
                Ok(Some(job)) => Ok(job),
                Ok(None) => receiver.recv(),
                Err(closed) => Err(closed),
            } {
                let Some(deliver) = job() else { return };
                let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
                let kept = idle.len() < MAX_IDLE;
                if kept {
                    idle.push(Idle {
                        stack,
                        jobs: jobs.clone(),
                    });
                }
                drop(idle);
                deliver();
                if !kept {
                    return;
                }
            }
        })
        .map(drop)
}

/// The worker ended with no result for the check (it panicked out of interleave).
fn ended_without_result() -> Error {
    Error::Internal {
        message: "the thread that ran the check ended without a result".to_owned(),
    }
}

/// Runs `job` on a worker OS thread and waits for it, giving up with [`Error::Stalled`] once
/// no scheduling point was reached for `limit` (never, with `None`). Workers are reused from
/// one check to the next.
pub(crate) fn watched<T: Send + 'static>(
    name: &str,
    limit: Option<Duration>,
    stack_size: usize,
    job: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let progress = Arc::new(Progress::default());
    let (sender, receiver) = mpsc::channel();
    let published = Arc::clone(&progress);
    let check = name.to_owned();
    let run: Job = Box::new(move || {
        super::begin_check(&check);
        super::set_stack_size(stack_size);
        published
            .os_threads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(os_thread_id());
        WATCHED.with(|w| *w.borrow_mut() = Some(Arc::clone(&published)));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        WATCHED.with(|w| w.borrow_mut().take());
        let reuse = result.is_ok() && !published.abandoned.load(Ordering::Relaxed);
        let result = result.unwrap_or_else(|payload| {
            Err(Error::Internal {
                message: super::payload_message(payload.as_ref()),
            })
        });
        // The watcher may have given up and gone.
        let deliver = move || {
            let _ = sender.send(result);
        };
        if reuse {
            Some(Box::new(deliver) as Box<dyn FnOnce() + Send>)
        } else {
            deliver();
            None
        }
    });
    dispatch(stack_size.max(2 << 20), run).map_err(|e| Error::Internal {
        message: format!("start the thread that runs the check: {e}"),
    })?;
    // A short check is done before the caller would have fallen asleep.
    match spin_recv(&receiver) {
        Ok(Some(result)) => return result,
        Ok(None) => {}
        Err(mpsc::RecvError) => return Err(ended_without_result()),
    }
    let mut seen = progress.total_ticks();
    let mut since = Instant::now();
    loop {
        let wait = limit.map_or(Duration::from_secs(3600), |limit| {
            limit
                .saturating_sub(since.elapsed())
                .clamp(Duration::from_millis(1), Duration::from_millis(250))
        });
        match receiver.recv_timeout(wait) {
            Ok(result) => return result,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(ended_without_result()),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let now = progress.total_ticks();
        if now != seen {
            seen = now;
            since = Instant::now();
            continue;
        }
        if let Some(limit) = limit {
            if since.elapsed() >= limit {
                progress.abandon();
                // The worker is left behind: nothing can stop a thread stuck outside
                // interleave. It stops at its next scheduling point, if it ever reaches one,
                // and is not reused.
                return Err(progress.stalled(name, limit));
            }
        }
    }
}

impl Progress {
    /// Scheduling points reached so far by every thread of the check.
    fn total_ticks(&self) -> u64 {
        let workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        workers
            .iter()
            .fold(self.ticks.load(Ordering::Relaxed), |sum, w| {
                sum.wrapping_add(w.ticks.load(Ordering::Relaxed))
            })
    }

    /// Gives up on the check: each of its threads stops at its next scheduling point.
    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Relaxed);
        for worker in self
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            worker.abandoned.store(true, Ordering::Relaxed);
        }
    }

    /// The thread that is stuck: on a check with several threads, the one that runs (rather
    /// than waits for the others), else the last that reached a scheduling point.
    fn stalled(&self, check: &str, limit: Duration) -> Error {
        let workers = self
            .workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let running = |p: &Progress| {
            p.os_threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|id| os_thread_state(id) == Some('R'))
        };
        let stuck = std::iter::once(self)
            .chain(workers.iter().map(|w| &**w))
            .find(|p| running(p))
            .or_else(|| {
                workers
                    .iter()
                    .map(|w| &**w)
                    .find(|w| w.ticks.load(Ordering::Relaxed) > 0)
            })
            .unwrap_or(self);
        let state = if running(stuck) {
            Some('R')
        } else {
            self.os_threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .rev()
                .find_map(|id| os_thread_state(id))
        };
        stuck.report(check, limit, state)
    }

    fn report(&self, check: &str, limit: Duration, state: Option<char>) -> Error {
        let thread = self.thread.load(Ordering::Relaxed) as usize;
        let named = self
            .names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(thread)
            .cloned()
            .flatten();
        let thread = match (named, thread) {
            (Some(name), _) => name,
            (None, 0) => "main".to_owned(),
            (None, n) => format!("t{n}"),
        };
        let key = self.file_key.load(Ordering::Relaxed);
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let file = files
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, name)| name.as_str());
        let last_seen = if file.is_empty() {
            "before its first interleave call".to_owned()
        } else {
            let position = self.position.load(Ordering::Relaxed);
            format!("last seen at {file}:{}:{}", position >> 32, position as u32)
        };
        let cause = match state {
            Some('R') => {
                "it is running without reaching interleave: a loop with no interleave call, or a \
                 spin on a std atomic?"
            }
            Some('S' | 'D') => {
                "it is blocked outside interleave: a std lock, real I/O, or another runtime \
                 (tokio) inside the check?"
            }
            _ => {
                "it is blocked or spinning outside interleave: a std lock, real I/O, a loop with \
                 no interleave call, or another runtime (tokio) inside the check?"
            }
        };
        Error::Stalled {
            check: check.to_owned(),
            limit,
            thread,
            execution: self.execution.load(Ordering::Relaxed),
            step: self.step.load(Ordering::Relaxed),
            last_seen,
            cause,
        }
    }
}

/// This OS thread's id, on Linux (`/proc/thread-self/stat` begins with it), read once per
/// thread (a worker runs check after check).
fn os_thread_id() -> Option<String> {
    thread_local! {
        static ID: Option<String> = std::fs::read_to_string("/proc/thread-self/stat")
            .ok()
            .and_then(|stat| stat.split_whitespace().next().map(str::to_owned));
    }
    ID.with(Clone::clone)
}

/// The scheduler state letter of this process's thread `id` (`R` running, `S` sleeping…).
fn os_thread_state(id: &str) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{id}/stat")).ok()?;
    // `pid (comm) state …`: the name may hold spaces and parentheses, the state follows the last `)`.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// The watchdog limit from `INTERLEAVE_WATCHDOG`: seconds (`10`, `2.5`), or `off`.
pub(crate) fn parse_limit(text: &str) -> Option<Option<Duration>> {
    match text.trim() {
        "off" | "0" => Some(None),
        seconds => {
            let seconds: f64 = seconds.parse().ok()?;
            (seconds.is_finite() && seconds > 0.0 && seconds <= 1e9)
                .then(|| Some(Duration::from_secs_f64(seconds)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_as_documented() {
        assert_eq!(parse_limit("10"), Some(Some(Duration::from_secs(10))));
        assert_eq!(parse_limit("2.5"), Some(Some(Duration::from_millis(2500))));
        assert_eq!(parse_limit("off"), Some(None));
        assert_eq!(parse_limit("0"), Some(None));
        for bad in ["", "-1", "NaN", "inf", "10s", "1e10"] {
            assert_eq!(parse_limit(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_thread_state_is_read_after_the_last_parenthesis() {
        let Some(id) = os_thread_id() else { return };
        // The test thread reads its own state: it is running.
        assert_eq!(os_thread_state(&id), Some('R'));
    }
}
