//! tokio's `runtime`: a runtime is the harness's executor model with a number of workers.
//!
//! | item | status |
//! | --- | --- |
//! | `Builder::new_current_thread` | modelled: one worker |
//! | `Builder::new_multi_thread().worker_threads(n)` | modelled: `n` workers (2 by default) |
//! | `Runtime` (`block_on`, `spawn`, `spawn_blocking`, `handle`; dropping it cancels its tasks) | modelled |
//! | `Handle` (`current`, `try_current`, `spawn`, `spawn_blocking`, `block_on`) | modelled |
//! | `Runtime::shutdown_timeout` | modelled: as dropping the runtime (its tasks are cancelled and end at their next wait; the caller waits for them, whatever the timeout) |
//! | `Runtime::shutdown_background` | modelled: its tasks are cancelled, and the caller goes on at once |
//! | `enable_all`, `enable_time`, `enable_io`, `start_paused`, `thread_name`, `thread_name_fn`, `thread_stack_size`, `max_blocking_threads`, `thread_keep_alive`, `global_queue_interval`, `event_interval`, `max_io_events_per_tick` | accepted, no effect (time is virtual; io is not modelled) |
//! | `on_thread_start`, `on_thread_stop`, `on_thread_park`, `on_thread_unpark` | accepted, never called: the model has no worker OS threads |
//! | `Runtime::enter`, `Handle::enter`, `EnterGuard` | modelled: while the guard lives, `spawn` and `Handle::current` on the thread use that runtime; the thread does not become part of it (it may still block, or `block_on`) |
//! | `RuntimeFlavor`, metrics | not supported |
//!
//! A runtime starts only inside a check: outside one it refuses, with a message saying so.

use std::future::Future;
use std::io;

pub use interleave::future::{EnterGuard, Handle, JoinHandle, TryCurrentError};

/// Workers of a multi-thread runtime when `worker_threads` is not given. tokio uses the
/// number of cores; a fixed number keeps executions the same on every machine.
pub const DEFAULT_WORKERS: usize = 2;

/// Builds a runtime, as tokio's `runtime::Builder`.
///
/// # Examples
///
/// ```
/// use interleave_tokio::runtime::Builder;
///
/// interleave::check(|| {
///     let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
///     let n = rt.block_on(async { interleave_tokio::spawn(async { 2 }).await.unwrap() });
///     assert_eq!(n, 2);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    workers: usize,
    multi_thread: bool,
}

impl Builder {
    /// A current-thread runtime: one worker.
    pub fn new_current_thread() -> Builder {
        Builder {
            workers: 1,
            multi_thread: false,
        }
    }

    /// A multi-thread runtime: [`DEFAULT_WORKERS`] workers unless `worker_threads` says.
    pub fn new_multi_thread() -> Builder {
        Builder {
            workers: DEFAULT_WORKERS,
            multi_thread: true,
        }
    }

    /// The number of workers.
    ///
    /// # Panics
    ///
    /// With 0, as tokio's.
    pub fn worker_threads(&mut self, workers: usize) -> &mut Builder {
        assert!(workers > 0, "Worker threads cannot be set to 0");
        self.workers = workers;
        self
    }

    /// Accepted; no effect (drivers are modelled or refused by the harness).
    pub fn enable_all(&mut self) -> &mut Builder {
        self
    }

    /// Accepted; no effect (the virtual clock is always on).
    pub fn enable_time(&mut self) -> &mut Builder {
        self
    }

    /// Accepted; no effect (io is not modelled).
    pub fn enable_io(&mut self) -> &mut Builder {
        self
    }

    /// Accepted; no effect (virtual time is always paused).
    pub fn start_paused(&mut self, _paused: bool) -> &mut Builder {
        self
    }

    /// Accepted; no effect (reports name tasks by their spawn).
    pub fn thread_name(&mut self, _name: impl Into<String>) -> &mut Builder {
        self
    }

    /// Accepted; no effect, as [`Builder::thread_name`].
    pub fn thread_name_fn<F>(&mut self, _name: F) -> &mut Builder
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; no effect (a task's stack is the check's `stack_size`).
    pub fn thread_stack_size(&mut self, _size: usize) -> &mut Builder {
        self
    }

    /// Accepted; never called (the model has no worker OS threads to start).
    pub fn on_thread_start<F>(&mut self, _hook: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; never called, as [`Builder::on_thread_start`].
    pub fn on_thread_stop<F>(&mut self, _hook: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; never called, as [`Builder::on_thread_start`].
    pub fn on_thread_park<F>(&mut self, _hook: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; never called, as [`Builder::on_thread_start`].
    pub fn on_thread_unpark<F>(&mut self, _hook: F) -> &mut Builder
    where
        F: Fn() + Send + Sync + 'static,
    {
        self
    }

    /// Accepted; no effect (a blocking task is a thread of its own, however many there are).
    pub fn max_blocking_threads(&mut self, _threads: usize) -> &mut Builder {
        self
    }

    /// Accepted; no effect.
    pub fn thread_keep_alive(&mut self, _duration: std::time::Duration) -> &mut Builder {
        self
    }

    /// Accepted; no effect (which ready task a worker polls next is a scheduling decision).
    pub fn global_queue_interval(&mut self, _interval: u32) -> &mut Builder {
        self
    }

    /// Accepted; no effect, as [`Builder::global_queue_interval`].
    pub fn event_interval(&mut self, _interval: u32) -> &mut Builder {
        self
    }

    /// Accepted; no effect (io is not modelled).
    pub fn max_io_events_per_tick(&mut self, _capacity: usize) -> &mut Builder {
        self
    }

    /// The runtime.
    ///
    /// # Errors
    ///
    /// Never: the `Result` is tokio's signature.
    ///
    /// # Panics
    ///
    /// Outside a check.
    #[track_caller]
    pub fn build(&mut self) -> io::Result<Runtime> {
        let inner = if self.multi_thread {
            interleave::future::Runtime::multi_thread(self.workers)
        } else {
            interleave::future::Runtime::new(1)
        };
        let handle = inner.handle();
        Ok(Runtime { inner, handle })
    }
}

/// A runtime of the running execution (tokio's `runtime::Runtime`). Dropping it cancels its
/// tasks still running.
#[derive(Debug)]
pub struct Runtime {
    inner: interleave::future::Runtime,
    /// Lent by [`Runtime::handle`], as tokio's.
    handle: Handle,
}

/// The model's runtime it wraps (what `task::LocalSet::block_on` runs on).
impl AsRef<interleave::future::Runtime> for Runtime {
    fn as_ref(&self) -> &interleave::future::Runtime {
        &self.inner
    }
}

impl Runtime {
    /// A multi-thread runtime with [`DEFAULT_WORKERS`] workers.
    ///
    /// # Errors
    ///
    /// Never: the `Result` is tokio's signature.
    ///
    /// # Panics
    ///
    /// Outside a check.
    #[track_caller]
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    /// Runs `future` to completion on the current thread.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Spawns `future` as a task of this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs the blocking closure `f` on a thread of its own.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime (`clone` it to keep one), as tokio's.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Enters the runtime on the current thread until the guard is dropped: `tokio::spawn`
    /// and `Handle::current` there use it, as tokio's.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.inner.enter()
    }

    /// Shuts the runtime down, as dropping it does: its tasks are cancelled, and the caller
    /// waits for them to end (tokio gives up after `timeout`; a task here ends at its next
    /// wait, whatever the virtual clock says).
    pub fn shutdown_timeout(self, _timeout: std::time::Duration) {
        drop(self);
    }

    /// Shuts the runtime down without waiting, as tokio's: its tasks are cancelled (each
    /// drops its future at its next wait) and the caller goes on at once.
    pub fn shutdown_background(self) {
        self.inner.shutdown_background();
    }
}
