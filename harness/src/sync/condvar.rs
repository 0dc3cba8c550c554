//! `Condvar`: std's API, explored and checked.

use std::collections::VecDeque;
use std::fmt;
use std::panic::Location;
use std::sync::{LockResult, Mutex as StdMutex, OnceLock, PoisonError, WaitTimeoutResult};
use std::time::Duration;

use interleave_detector::{Attempt, EventKind, LockMode, ObjectClass, ObjectId, Site, ThreadId};

use super::{MutexGuard, Registration};
use crate::rt;

/// A condition variable with std's API (`wait`, `wait_while`, `notify_one`, `notify_all`),
/// whose waits and notifications are scheduling points reported to the detector.
///
/// `wait` releases the mutex and starts waiting in one step, as std guarantees: a notification
/// can never fall between the two. A notification wakes only threads already waiting; one
/// that finds no waiter is lost (std does not buffer them either), and if a thread then waits
/// forever, the deadlock report says the condvar was "notified at … before anyone waited".
///
/// Two choices where std leaves the behaviour open: waits never wake spuriously (so a missing
/// predicate loop shows up as the lost wakeup it risks, not as a spurious return), and
/// [`notify_one`](Condvar::notify_one) wakes the thread that has waited longest (FIFO); the
/// strategy still explores every order in which threads arrive at the wait.
///
/// Outside an execution it works on real threads with the same two choices (no spurious
/// wake-ups, FIFO `notify_one`), and its timed waits time out in real time.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, Condvar, Mutex};
/// use interleave::thread;
///
/// let report = interleave::Config::random(50).explore(|| {
///     let pair = Arc::new((Mutex::new(false), Condvar::new()));
///     let pair2 = Arc::clone(&pair);
///     let t = thread::spawn(move || {
///         let (ready, cvar) = &*pair2;
///         *ready.lock().unwrap() = true;
///         cvar.notify_one();
///     });
///     let (ready, cvar) = &*pair;
///     let ready = cvar.wait_while(ready.lock().unwrap(), |ready| !*ready).unwrap();
///     assert!(*ready);
///     drop(ready);
///     t.join().unwrap();
/// });
/// assert!(report.is_clean());
/// ```
pub struct Condvar {
    state: StdMutex<CondvarState>,
    /// Wakes the real threads waiting (outside an execution).
    real: std::sync::Condvar,
}

#[derive(Debug, Default)]
struct CondvarState {
    registration: Registration,
    /// Threads in `wait`, longest-waiting first.
    waiters: VecDeque<Waiter>,
    /// Real threads in `wait` (outside any execution), longest-waiting first, by ticket.
    real_waiters: VecDeque<RealWaiter>,
    next_ticket: u64,
}

#[derive(Debug)]
struct RealWaiter {
    ticket: u64,
    /// Picked by a notification; it leaves the queue when it wakes.
    notified: bool,
}

#[derive(Debug)]
struct Waiter {
    thread: ThreadId,
    /// Picked by a notification; it leaves the queue when it runs again.
    notified: bool,
}

impl Condvar {
    /// A new condition variable (created at the caller's site).
    #[track_caller]
    pub fn new() -> Self {
        Condvar::new_at(&Site::caller(), Registration::default())
    }

    /// A new condition variable that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str) -> Self {
        Condvar::new_at(&Site::caller(), Registration::named(name))
    }

    fn new_at(site: &Site, registration: Registration) -> Self {
        let condvar = Condvar {
            state: StdMutex::new(CondvarState {
                registration,
                ..CondvarState::default()
            }),
            real: std::sync::Condvar::new(),
        };
        condvar.object(site);
        condvar
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CondvarState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// This condvar's id in the running execution (registering it on first use), or `None`
    /// outside an execution.
    fn object(&self, site: &Site) -> Option<ObjectId> {
        let mut state = self.state();
        let (object, fresh) = state
            .registration
            .object(ObjectClass::Condvar, None, site)?;
        if fresh {
            state.waiters.clear();
        }
        Some(object)
    }

    /// Releases the guard's mutex and waits for a notification, then reacquires the mutex.
    ///
    /// # Errors
    ///
    /// Poisoned if the mutex is poisoned when it is reacquired (the guard is in the error).
    ///
    /// # Panics
    ///
    /// Inside an execution, if a thread outside it waits on the same condvar.
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.wait_for(guard, None, Location::caller()).0
    }

    /// Waits for a notification or for `timeout` (of virtual time inside an execution, of real
    /// time outside one), whichever comes first, then reacquires the mutex. The result says whether the wait timed out.
    ///
    /// # Errors
    ///
    /// Poisoned if the mutex is poisoned when it is reacquired (the guard and the result are in
    /// the error).
    ///
    /// # Panics
    ///
    /// Inside an execution, if a thread outside it waits on the same condvar.
    #[track_caller]
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        let (guard, timed_out) = self.wait_for(guard, Some(timeout), Location::caller());
        let result = wait_timeout_result(timed_out);
        match guard {
            Ok(guard) => Ok((guard, result)),
            Err(poison) => Err(PoisonError::new((poison.into_inner(), result))),
        }
    }

    /// Waits while `condition` holds for the data, for at most `timeout` in all (virtual time
    /// inside an execution, real time outside); the result says whether it gave up with the condition still holding.
    ///
    /// # Errors
    ///
    /// Poisoned if the mutex is poisoned when it is reacquired.
    ///
    /// # Panics
    ///
    /// Inside an execution, if a thread outside it waits on the same condvar.
    #[track_caller]
    pub fn wait_timeout_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        timeout: Duration,
        mut condition: F,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)>
    where
        F: FnMut(&mut T) -> bool,
    {
        let location = Location::caller();
        let deadline = crate::time::Instant::current() + timeout;
        loop {
            if !condition(&mut *guard) {
                return Ok((guard, wait_timeout_result(false)));
            }
            let left = deadline.saturating_duration_since(crate::time::Instant::current());
            if left.is_zero() {
                return Ok((guard, wait_timeout_result(true)));
            }
            match self.wait_for(guard, Some(left), location).0 {
                Ok(g) => guard = g,
                Err(poison) => {
                    let timed_out = crate::time::Instant::current() >= deadline;
                    return Err(PoisonError::new((
                        poison.into_inner(),
                        wait_timeout_result(timed_out),
                    )));
                }
            }
        }
    }

    /// The wait itself: release the mutex and join the queue in one step, block until notified
    /// (or until the timer fires), reacquire. Returns the guard and whether it timed out.
    fn wait_for<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Option<Duration>,
        location: &'static Location<'static>,
    ) -> (LockResult<MutexGuard<'a, T>>, bool) {
        if guard.is_real() {
            return self.wait_real(guard, timeout, location);
        }
        let site = crate::real::site(location);
        let condvar = self
            .object(&site)
            .expect("a guard taken inside an execution is used inside it");
        self.refuse_real_waiters();
        // The wait is an operation like any other: another thread may act just before it (a
        // notification right after a check made outside the mutex is the classic lost wakeup).
        rt::switch();
        let me = rt::current_thread();
        // From here to the wait's event there is no scheduling point: releasing the mutex and
        // joining the queue are one step, so no notification can slip in between.
        self.state().waiters.push_back(Waiter {
            thread: me,
            notified: false,
        });
        let mutex = guard.into_mutex();
        let lock = mutex
            .core()
            .object(&site)
            .expect("a mutex held inside an execution is registered in it");
        mutex.core().release_quietly(&site);
        rt::emit(
            EventKind::CondvarWait {
                condvar,
                lock,
                timed: timeout.is_some(),
            },
            site.clone(),
        );
        if let Some(timeout) = timeout {
            rt::arm_timer(timeout, &site);
        }
        let timed_out = loop {
            let notified = {
                let mut state = self.state();
                let position = state
                    .waiters
                    .iter()
                    .position(|w| w.thread == me && w.notified);
                position.map(|i| state.waiters.remove(i)).is_some()
            };
            if notified {
                break false;
            }
            if timeout.is_some() && rt::take_timeout() {
                // Leave the queue: a later notification is for someone else.
                self.state().waiters.retain(|w| w.thread != me);
                break true;
            }
            rt::block_current(&site);
        };
        if timeout.is_some() {
            rt::disarm_timer();
        }
        rt::emit(EventKind::CondvarWoken { condvar, timed_out }, site.clone());
        mutex
            .core()
            .acquire(LockMode::Exclusive, Attempt::Blocking, &site);
        (mutex.reacquired(location), timed_out)
    }

    /// The wait of a real thread (outside any execution): queue up, release the mutex, sleep
    /// until notified (or until `timeout` of real time has passed), lock the mutex again.
    /// Returns the guard and whether it timed out.
    fn wait_real<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Option<Duration>,
        location: &'static Location<'static>,
    ) -> (LockResult<MutexGuard<'a, T>>, bool) {
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        let mut state = self.state();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.real_waiters.push_back(RealWaiter {
            ticket,
            notified: false,
        });
        // Queued under the state lock, which a notification takes: none can be missed between
        // releasing the mutex and sleeping.
        let mutex = guard.unlock_real();
        let timed_out = loop {
            let position = state.real_waiters.iter().position(|w| w.ticket == ticket);
            let position = position.expect("a waiter leaves the queue itself");
            if state.real_waiters[position].notified {
                state.real_waiters.remove(position);
                break false;
            }
            match (timeout, deadline) {
                (Some(_), Some(deadline)) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        state.real_waiters.remove(position);
                        break true;
                    }
                    state = self
                        .real
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                // No timeout, or one too long to count: wait for a notification.
                _ => {
                    state = self
                        .real
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            }
        };
        drop(state);
        (mutex.relock_real(location), timed_out)
    }

    /// Inside an execution: a real thread waiting on this condvar could never be woken by the
    /// execution's threads, nor they by it.
    fn refuse_real_waiters(&self) {
        if !self.state().real_waiters.is_empty() {
            panic!(
                "interleave: a thread outside this execution waits on this condvar; an object cannot be shared between a check and real threads: create it inside the scenario"
            );
        }
    }

    /// Waits (as [`wait`](Self::wait) does) for as long as `condition` holds for the data,
    /// checking it under the mutex first and after every wake-up.
    ///
    /// # Errors
    ///
    /// Poisoned if the mutex is poisoned when it is reacquired (the guard is in the error).
    ///
    /// # Panics
    ///
    /// Inside an execution, if a thread outside it waits on the same condvar.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> LockResult<MutexGuard<'a, T>>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard)?;
        }
        Ok(guard)
    }

    /// Wakes the thread that has waited longest, if any thread waits; otherwise does nothing
    /// (the notification is not kept for a later waiter).
    #[track_caller]
    pub fn notify_one(&self) {
        self.notify(false, Site::caller());
    }

    /// Wakes every thread that waits now.
    #[track_caller]
    pub fn notify_all(&self) {
        self.notify(true, Site::caller());
    }

    fn notify(&self, all: bool, site: Site) {
        let Some(condvar) = self.object(&site) else {
            self.notify_real(all);
            return;
        };
        self.refuse_real_waiters();
        rt::switch();
        let woken: Vec<ThreadId> = {
            let mut state = self.state();
            let unpicked = state.waiters.iter_mut().filter(|w| !w.notified);
            let picked: Vec<&mut Waiter> = if all {
                unpicked.collect()
            } else {
                unpicked.take(1).collect()
            };
            picked
                .into_iter()
                .map(|w| {
                    w.notified = true;
                    w.thread
                })
                .collect()
        };
        rt::emit(EventKind::CondvarNotify { condvar, all }, site);
        for thread in woken {
            rt::unblock(thread);
        }
    }
}

impl Condvar {
    /// A notification outside an execution: picks the longest-waiting real thread (or all),
    /// and wakes the sleepers, which look whether they were picked.
    fn notify_real(&self, all: bool) {
        let mut state = self.state();
        let mut picked = false;
        for waiter in state.real_waiters.iter_mut().filter(|w| !w.notified) {
            waiter.notified = true;
            picked = true;
            if !all {
                break;
            }
        }
        drop(state);
        if picked {
            self.real.notify_all();
        }
    }
}

impl Default for Condvar {
    #[track_caller]
    fn default() -> Self {
        Condvar::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}

/// std's `WaitTimeoutResult` has no public constructor: get each value once from a real std
/// condvar that waits for zero time (timed out) or not at all (not timed out).
fn wait_timeout_result(timed_out: bool) -> WaitTimeoutResult {
    static RESULTS: OnceLock<[WaitTimeoutResult; 2]> = OnceLock::new();
    let results = RESULTS.get_or_init(|| {
        let make = |timed_out: bool| {
            let mutex = std::sync::Mutex::new(());
            let condvar = std::sync::Condvar::new();
            let guard = mutex.lock().unwrap_or_else(PoisonError::into_inner);
            let (_guard, result) = condvar
                .wait_timeout_while(guard, Duration::ZERO, |_| timed_out)
                .unwrap_or_else(PoisonError::into_inner);
            result
        };
        [make(false), make(true)]
    });
    results[usize::from(timed_out)]
}
