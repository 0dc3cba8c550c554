//! A job queue written against plain tokio: a bounded intake channel, a pool of workers that
//! call a backend with a deadline and retry, a ledger of what the backend applied, and a
//! graceful shutdown that closes the intake and waits for the workers.
//!
//! Production builds use tokio. With the `interleave` feature (the crate's own tests turn it
//! on) the line below makes every `tokio::` path name `interleave-tokio`, and the same code runs
//! under interleave's exploration, virtual clock and detector.
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[cfg(feature = "interleave")]
extern crate interleave_tokio as tokio;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout, Duration};

/// How the queue runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker tasks.
    pub workers: usize,
    /// Jobs the intake holds before `submit` waits.
    pub capacity: usize,
    /// Calls of the backend per job, the first included.
    pub attempts: u32,
    /// How long one call may take.
    pub deadline: Duration,
}

/// A job: the backend takes `cost` to apply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Its id (the backend's idempotency key, were it to have one).
    pub id: u32,
    /// How long the backend takes.
    pub cost: Duration,
}

/// What became of the jobs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Jobs a call completed within its deadline.
    pub done: Vec<u32>,
    /// Jobs whose every attempt timed out.
    pub failed: Vec<u32>,
    /// How many times the backend applied each job.
    pub applied: BTreeMap<u32, u32>,
}

/// The queue was shut down: the job is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed(pub Job);

/// A running job queue.
#[derive(Debug)]
pub struct JobQueue {
    intake: mpsc::Sender<Job>,
    workers: JoinSet<()>,
    outcome: Arc<Mutex<Outcome>>,
}

impl JobQueue {
    /// Starts `config.workers` workers on the current runtime.
    pub fn start(config: Config) -> JobQueue {
        let (intake, jobs) = mpsc::channel(config.capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let mut workers = JoinSet::new();
        for _ in 0..config.workers {
            let (jobs, outcome, config) = (Arc::clone(&jobs), Arc::clone(&outcome), config.clone());
            workers.spawn(async move {
                loop {
                    // The guard goes at the end of this statement: workers take jobs in turn
                    // but run them at once.
                    let job = jobs.lock().await.recv().await;
                    let Some(job) = job else { break };
                    run(job, &config, &outcome).await;
                }
            });
        }
        JobQueue {
            intake,
            workers,
            outcome,
        }
    }

    /// Queues `job`, waiting for room.
    ///
    /// # Errors
    ///
    /// Never while the queue runs (the workers hold the intake's receiver).
    pub async fn submit(&self, job: Job) -> Result<(), Closed> {
        self.intake.send(job).await.map_err(|e| Closed(e.0))
    }

    /// Graceful shutdown: closes the intake, lets the workers finish every queued job, and
    /// returns what became of them.
    pub async fn shutdown(self) -> Outcome {
        let JobQueue {
            intake,
            mut workers,
            outcome,
        } = self;
        drop(intake);
        while let Some(worker) = workers.join_next().await {
            worker.expect("a worker is never aborted");
        }
        let outcome = outcome.lock().await.clone();
        outcome
    }
}

/// Calls the backend for `job` up to `config.attempts` times, each within the deadline.
async fn run(job: Job, config: &Config, outcome: &Arc<Mutex<Outcome>>) {
    for _attempt in 0..config.attempts {
        if call(job, config.deadline, outcome).await {
            outcome.lock().await.done.push(job.id);
            return;
        }
    }
    outcome.lock().await.failed.push(job.id);
}

/// The backend: takes `job.cost`, then applies the job.
async fn backend(job: Job, outcome: Arc<Mutex<Outcome>>) {
    sleep(job.cost).await;
    *outcome.lock().await.applied.entry(job.id).or_default() += 1;
}

/// One call within `deadline`; whether it completed.
#[cfg(not(feature = "seeded-bug"))]
async fn call(job: Job, deadline: Duration, outcome: &Arc<Mutex<Outcome>>) -> bool {
    // The call is the timeout's own future: a timed-out call is dropped, never applied.
    timeout(deadline, backend(job, Arc::clone(outcome)))
        .await
        .is_ok()
}

/// One call within `deadline`, as first written: the call is a task of its own (to keep the
/// worker responsive), and the timeout drops only its JoinHandle, so a timed-out call runs on
/// and applies the job while the retry applies it again.
#[cfg(feature = "seeded-bug")]
async fn call(job: Job, deadline: Duration, outcome: &Arc<Mutex<Outcome>>) -> bool {
    let call = tokio::spawn(backend(job, Arc::clone(outcome)));
    matches!(timeout(deadline, call).await, Ok(Ok(())))
}
