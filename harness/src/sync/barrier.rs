//! `Barrier`: std's API, explored and checked.

use std::fmt;
use std::sync::Mutex as StdMutex;

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site, ThreadId};

use super::Registration;
use crate::rt;

/// A barrier with std's API: `n` threads call [`wait`](Barrier::wait), and none returns until
/// all `n` have arrived; then it is ready for the next round (a new *generation*).
///
/// Exactly one thread per generation is the leader: the last to arrive, as in std's
/// implementation (std only promises "one"). A barrier for 0 or 1 threads never blocks, and
/// every call to its `wait` leads.
///
/// # Examples
///
/// ```
/// use interleave::sync::{Arc, Barrier};
/// use interleave::thread;
///
/// let report = interleave::Config::random(50).explore(|| {
///     let barrier = Arc::new(Barrier::new(2));
///     let b2 = Arc::clone(&barrier);
///     let t = thread::spawn(move || b2.wait().is_leader());
///     let main_leads = barrier.wait().is_leader();
///     let t_leads = t.join().unwrap();
///     assert!(main_leads != t_leads, "exactly one leader");
/// });
/// assert!(report.is_clean());
/// ```
pub struct Barrier {
    parties: usize,
    state: StdMutex<BarrierState>,
    /// Outside an execution: std's barrier, for real threads.
    real: std::sync::Barrier,
}

#[derive(Debug, Default)]
struct BarrierState {
    registration: Registration,
    /// Threads arrived in the current generation, blocked until it fills up.
    waiting: Vec<ThreadId>,
    /// How many times the barrier has filled up in this execution.
    generation: u64,
}

/// What [`Barrier::wait`] returns: whether this thread was the generation's leader.
#[derive(Debug)]
pub struct BarrierWaitResult {
    is_leader: bool,
}

impl BarrierWaitResult {
    /// Whether this thread was the leader of its generation (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.is_leader
    }
}

impl Barrier {
    /// A barrier for `n` threads (created at the caller's site).
    #[track_caller]
    pub fn new(n: usize) -> Self {
        Barrier::new_at(n, &Site::caller(), Registration::default())
    }

    /// A barrier for `n` threads that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str, n: usize) -> Self {
        Barrier::new_at(n, &Site::caller(), Registration::named(name))
    }

    fn new_at(n: usize, site: &Site, registration: Registration) -> Self {
        let barrier = Barrier {
            parties: n,
            state: StdMutex::new(BarrierState {
                registration,
                ..BarrierState::default()
            }),
            real: std::sync::Barrier::new(n),
        };
        barrier.object(site);
        barrier
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BarrierState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn object(&self, site: &Site) -> Option<ObjectId> {
        let mut state = self.state();
        let (object, fresh) = state
            .registration
            .object(ObjectClass::Barrier, None, site)?;
        if fresh {
            state.waiting.clear();
            state.generation = 0;
        }
        Some(object)
    }

    /// Arrives at the barrier and blocks until all `n` threads of this generation have.
    /// Outside an execution it is std's barrier, for real threads: the leader is the last to
    /// arrive there too.
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        let site = Site::caller();
        let Some(barrier) = self.object(&site) else {
            return BarrierWaitResult {
                is_leader: self.real.wait().is_leader(),
            };
        };
        rt::switch();
        let me = rt::current_thread();
        // Arriving and announcing it are one step: a thread released by this generation must
        // find every arrival already recorded.
        let (generation, released) = {
            let mut state = self.state();
            let generation = state.generation;
            if state.waiting.len() + 1 >= self.parties {
                state.generation += 1;
                (generation, Some(std::mem::take(&mut state.waiting)))
            } else {
                state.waiting.push(me);
                (generation, None)
            }
        };
        rt::emit(
            EventKind::BarrierWait {
                barrier,
                generation,
            },
            site.clone(),
        );
        let is_leader = released.is_some();
        match released {
            Some(others) => {
                for thread in others {
                    rt::unblock(thread);
                }
            }
            None => {
                while self.state().generation == generation {
                    rt::block_current(&site);
                }
            }
        }
        rt::emit(
            EventKind::BarrierLeave {
                barrier,
                generation,
            },
            site,
        );
        BarrierWaitResult { is_leader }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .finish_non_exhaustive()
    }
}
