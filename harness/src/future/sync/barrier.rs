//! tokio's async `Barrier`, built on [`Notify`].

use std::fmt;
use std::future::Future;
use std::sync::Mutex as StdMutex;

use interleave_detector::Site;

use super::Notify;

/// `n` tasks wait until all have arrived; one of each group is the leader.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use interleave::future::{self, sync::Barrier};
///
/// interleave::check(|| {
///     future::block_on(async {
///         let barrier = Arc::new(Barrier::new(2));
///         let b = Arc::clone(&barrier);
///         let task = future::spawn(async move { b.wait().await.is_leader() });
///         let leader = barrier.wait().await.is_leader();
///         assert!(leader != task.await.unwrap());
///     });
/// });
/// ```
pub struct Barrier {
    n: usize,
    state: StdMutex<(usize, u64)>,
    notify: Notify,
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the last to arrive (exactly one per group).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}

impl Barrier {
    /// A barrier for groups of `n` (0 acts as 1, as tokio's).
    #[track_caller]
    pub fn new(n: usize) -> Self {
        Barrier {
            n: n.max(1),
            state: StdMutex::new((0, 0)),
            notify: Notify::new(),
        }
    }

    /// Waits until `n` tasks have called `wait`.
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = BarrierWaitResult> + '_ {
        let site = Site::caller();
        async move {
            // Creating the future is the scheduling point where the barrier's count is read.
            let notified = self.notify.notified_at(site.clone());
            let generation = {
                let mut state = self
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state.0 += 1;
                if state.0 == self.n {
                    *state = (0, state.1 + 1);
                    None
                } else {
                    Some(state.1)
                }
            };
            let Some(generation) = generation else {
                drop(notified);
                self.notify.notify_waiters();
                return BarrierWaitResult(true);
            };
            let mut notified = Box::pin(notified);
            loop {
                notified.as_mut().await;
                let now = self
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .1;
                if now != generation {
                    return BarrierWaitResult(false);
                }
                notified = Box::pin(self.notify.notified_at(site.clone()));
            }
        }
    }
}
