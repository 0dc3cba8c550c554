//! `Once` and `OnceLock`: std's API, explored and checked.

use std::fmt;
use std::sync::Mutex as StdMutex;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use super::Registration;
use crate::rt;

/// One-time initialisation with std's API (`call_once`, `call_once_force`, `is_completed`).
///
/// A thread that arrives while another runs the initialiser blocks until it finishes. Finding
/// the `Once` complete (in `call_once` or `is_completed`) orders the caller after the
/// initialiser, as std's acquire/release does; the detector sees it as such.
///
/// The completion is part of the data: a `Once` made outside the scenario and completed in one
/// execution stays complete in the next. Make it inside the scenario to explore its
/// initialisation in every execution. A `Once` whose initialiser panicked is poisoned, as in
/// std: `call_once` then panics and `call_once_force` runs again.
///
/// Unlike std's, `Once::new` and `OnceLock::new` are not `const`: like every interleave object
/// they register with the execution they are made in. A `static` needs std's `LazyLock`
/// around them.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, Mutex, Once};
/// use interleave::thread;
///
/// let report = interleave::Config::random(50).explore(|| {
///     let once = Arc::new(Once::new());
///     let runs = Arc::new(Mutex::new(0));
///     let handles: Vec<_> = (0..2)
///         .map(|_| {
///             let (once, runs) = (Arc::clone(&once), Arc::clone(&runs));
///             thread::spawn(move || once.call_once(|| *runs.lock().unwrap() += 1))
///         })
///         .collect();
///     for handle in handles {
///         handle.join().unwrap();
///     }
///     assert!(once.is_completed());
///     assert_eq!(*runs.lock().unwrap(), 1);
/// });
/// assert!(report.is_clean());
/// ```
pub struct Once {
    state: StdMutex<OnceInner>,
    /// Wakes the real threads (outside an execution) waiting for a running initialiser.
    real: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct OnceInner {
    registration: Registration,
    status: Status,
    /// Threads blocked while the initialiser runs.
    waiters: Vec<ThreadId>,
    /// Real threads blocked while the initialiser runs.
    real_waiters: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Status {
    #[default]
    Incomplete,
    Running(Runner),
    Poisoned,
    Complete,
}

/// Who runs the initialiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runner {
    /// A thread of the running execution.
    Modelled(ThreadId),
    /// A real thread, outside any execution.
    Real(std::thread::ThreadId),
}

/// What [`Once::call_once_force`] tells its initialiser.
#[derive(Debug)]
pub struct OnceState {
    poisoned: bool,
}

impl OnceState {
    /// Whether an earlier initialiser panicked (this one runs anyway).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }
}

impl Once {
    /// A new, incomplete `Once` (created at the caller's site).
    #[track_caller]
    pub fn new() -> Self {
        Once::with_status(Status::Incomplete, &Site::caller())
    }

    /// A new, incomplete `Once` that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str) -> Self {
        Once::with_registration(
            Status::Incomplete,
            &Site::caller(),
            Registration::named(name),
        )
    }

    fn with_status(status: Status, site: &Site) -> Self {
        Once::with_registration(status, site, Registration::default())
    }

    fn with_registration(status: Status, site: &Site, registration: Registration) -> Self {
        let once = Once {
            state: StdMutex::new(OnceInner {
                status,
                registration,
                ..OnceInner::default()
            }),
            real: std::sync::Condvar::new(),
        };
        once.object(site);
        once
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, OnceInner> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn object(&self, site: &Site) -> Option<ObjectId> {
        let mut inner = self.inner();
        let (object, fresh) = inner.registration.object(ObjectClass::Once, None, site)?;
        if fresh {
            // An initialiser left running by an earlier execution never finished.
            if matches!(inner.status, Status::Running(_)) {
                inner.status = Status::Incomplete;
            }
            inner.waiters.clear();
        }
        Some(object)
    }

    /// Runs `f` if no call has completed yet; otherwise waits for the call that runs it, or
    /// returns at once if it has finished.
    ///
    /// # Panics
    ///
    /// If the `Once` is poisoned (an initialiser panicked), or if `f` itself calls this `Once`
    /// (std deadlocks there; interleave says so instead).
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        let mut f = Some(f);
        self.call(false, &Site::caller(), &mut |_| {
            (f.take().expect("the initialiser runs once"))();
        });
    }

    /// As [`call_once`](Self::call_once), but a poisoned `Once` runs `f` again (which sees
    /// [`OnceState::is_poisoned`]) instead of panicking.
    ///
    /// # Panics
    ///
    /// If `f` itself calls this `Once`.
    #[track_caller]
    pub fn call_once_force<F: FnOnce(&OnceState)>(&self, f: F) {
        let mut f = Some(f);
        self.call(true, &Site::caller(), &mut |state| {
            (f.take().expect("the initialiser runs once"))(state);
        });
    }

    /// Whether a call has completed. `true` orders the caller after the initialiser.
    #[track_caller]
    pub fn is_completed(&self) -> bool {
        self.observe(&Site::caller())
    }

    /// A scheduling point, then whether the `Once` is complete (an `OnceObserved` if so).
    fn observe(&self, site: &Site) -> bool {
        let once = self.object(site);
        if once.is_some() {
            rt::switch();
        }
        let complete = self.inner().status == Status::Complete;
        match (complete, once) {
            (true, Some(once)) => rt::emit(EventKind::OnceObserved { once }, site.clone()),
            (false, Some(once)) => rt::note_read(rt::Key::object(once)),
            _ => {}
        }
        complete
    }

    /// Back to incomplete, for `OnceLock::take`.
    fn reset(&mut self) {
        let inner = self
            .state
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.status = Status::Incomplete;
    }

    fn call(&self, ignore_poison: bool, site: &Site, init: &mut dyn FnMut(&OnceState)) {
        let once = self.object(site);
        if once.is_some() {
            rt::switch();
        }
        let me = match once {
            Some(_) => Runner::Modelled(rt::current_thread()),
            None => Runner::Real(std::thread::current().id()),
        };
        let poisoned = loop {
            let mut inner = self.inner();
            match inner.status {
                Status::Complete => {
                    drop(inner);
                    if let Some(once) = once {
                        rt::emit(EventKind::OnceObserved { once }, site.clone());
                    }
                    return;
                }
                Status::Incomplete => {
                    inner.status = Status::Running(me);
                    break false;
                }
                Status::Poisoned if ignore_poison => {
                    inner.status = Status::Running(me);
                    break true;
                }
                Status::Poisoned => {
                    drop(inner);
                    panic!("Once instance has previously been poisoned");
                }
                Status::Running(runner) if runner == me => {
                    drop(inner);
                    panic!(
                        "interleave: the initialiser of a Once (or OnceLock) calls it again; std deadlocks or panics here"
                    );
                }
                Status::Running(Runner::Modelled(_)) if once.is_none() => {
                    drop(inner);
                    panic!(
                        "interleave: the initialiser of this Once (or OnceLock) runs inside an interleave execution (or was left running by one that stopped), and a thread outside any execution waits for it; an object cannot be shared between a check and real threads: create it inside the scenario"
                    );
                }
                Status::Running(_) if once.is_none() => {
                    // A real thread waits for the initialiser, as std's `Once` does.
                    inner.real_waiters += 1;
                    let mut inner = self
                        .real
                        .wait(inner)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    inner.real_waiters -= 1;
                }
                Status::Running(_) => {
                    let me = rt::current_thread();
                    let first_wait = !inner.waiters.contains(&me);
                    if first_wait {
                        inner.waiters.push(me);
                    }
                    drop(inner);
                    if let (true, Some(once)) = (first_wait, once) {
                        rt::emit(EventKind::OnceWait { once }, site.clone());
                    }
                    rt::block_current(site);
                }
            }
        };
        if let Some(once) = once {
            rt::emit(EventKind::OnceBegin { once }, site.clone());
        }
        let mut completion = Completion {
            once: self,
            object: once,
            site,
            succeeded: false,
        };
        init(&OnceState { poisoned });
        completion.succeeded = true;
    }
}

/// Ends a run of the initialiser: complete if it returned, poisoned if it unwound; either way
/// the waiters wake.
struct Completion<'a> {
    once: &'a Once,
    object: Option<ObjectId>,
    site: &'a Site,
    succeeded: bool,
}

impl Drop for Completion<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut inner = self.once.inner();
            inner.status = if self.succeeded {
                Status::Complete
            } else {
                Status::Poisoned
            };
            if inner.real_waiters > 0 {
                self.once.real.notify_all();
            }
            std::mem::take(&mut inner.waiters)
        };
        if let (true, Some(once)) = (self.succeeded, self.object) {
            rt::emit(EventKind::OnceComplete { once }, self.site.clone());
        }
        for waiter in waiters {
            rt::unblock(waiter);
        }
    }
}

impl Default for Once {
    #[track_caller]
    fn default() -> Self {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once").finish_non_exhaustive()
    }
}

/// A cell written once, with std's API (`get`, `set`, `get_or_init`, `get_mut`, `take`,
/// `into_inner`).
///
/// Its initialisation is a [`Once`]: one thread runs the initialiser, the others block until it
/// finishes, and every thread that reads the value is ordered after the write. An initialiser
/// that panics leaves the cell empty for the next caller (std's `OnceLock` is never poisoned).
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, OnceLock};
/// use interleave::thread;
///
/// let report = interleave::Config::random(50).explore(|| {
///     let cell = Arc::new(OnceLock::new());
///     let c2 = Arc::clone(&cell);
///     let t = thread::spawn(move || *c2.get_or_init(|| "spawned"));
///     let mine = *cell.get_or_init(|| "main");
///     assert_eq!(mine, t.join().unwrap(), "both see the one value");
/// });
/// assert!(report.is_clean());
/// ```
pub struct OnceLock<T> {
    once: Once,
    // Written only by the initialiser, before the `Once` completes.
    value: std::sync::OnceLock<T>,
}

impl<T> OnceLock<T> {
    /// A new, empty cell (created at the caller's site).
    #[track_caller]
    pub fn new() -> Self {
        OnceLock {
            once: Once::new(),
            value: std::sync::OnceLock::new(),
        }
    }

    /// A new, empty cell that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str) -> Self {
        OnceLock {
            once: Once::named(name),
            value: std::sync::OnceLock::new(),
        }
    }

    /// The value, if the cell is initialised (`None` while an initialiser still runs).
    #[track_caller]
    pub fn get(&self) -> Option<&T> {
        if self.once.observe(&Site::caller()) {
            self.value.get()
        } else {
            None
        }
    }

    /// The value, through a unique borrow.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Initialises the cell with `value`, waiting for a running initialiser first.
    ///
    /// # Errors
    ///
    /// The cell was already initialised: `value` comes back.
    #[track_caller]
    pub fn set(&self, value: T) -> Result<(), T> {
        let mut value = Some(value);
        self.init(&Site::caller(), || value.take().expect("taken once"));
        value.map_or(Ok(()), Err)
    }

    /// The value, initialising the cell with `f` if it is empty (waiting for a running
    /// initialiser first).
    ///
    /// # Panics
    ///
    /// If `f` panics (the cell stays empty), or if `f` initialises this cell itself.
    #[track_caller]
    pub fn get_or_init<F: FnOnce() -> T>(&self, f: F) -> &T {
        self.init(&Site::caller(), f)
    }

    fn init<F: FnOnce() -> T>(&self, site: &Site, f: F) -> &T {
        let mut f = Some(f);
        self.once.call(true, site, &mut |_| {
            let value = (f.take().expect("the initialiser runs once"))();
            if self.value.set(value).is_err() {
                unreachable!("an incomplete OnceLock holds no value");
            }
        });
        self.value.get().expect("a complete OnceLock holds a value")
    }

    /// The value, consuming the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (and ready to be initialised again).
    pub fn take(&mut self) -> Option<T> {
        self.once.reset();
        self.value.take()
    }
}

impl<T> Default for OnceLock<T> {
    #[track_caller]
    fn default() -> Self {
        OnceLock::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    /// A cell initialised with `value`.
    #[track_caller]
    fn from(value: T) -> Self {
        OnceLock {
            once: Once::with_status(Status::Complete, &Site::caller()),
            value: std::sync::OnceLock::from(value),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Formatting is not an operation of the scenario: no scheduling point, no event.
        let mut tuple = f.debug_tuple("OnceLock");
        match self.value.get() {
            Some(value) => tuple.field(value),
            None => tuple.field(&format_args!("<uninit>")),
        };
        tuple.finish()
    }
}
