//! The job queue under interleave, by the rename: `#[tokio::test]` is interleave-tokio's, a
//! check that builds the runtime anew in every execution and explores the schedules,
//! including a deadline firing before a call that would have met it.

// As in src/lib.rs: every `tokio::` path of this test crate names interleave-tokio.
extern crate interleave_tokio as tokio;

use interleave_example_tokio_service::{Config, Job, JobQueue};
use tokio::time::Duration;

fn config() -> Config {
    Config {
        workers: 2,
        capacity: 2,
        attempts: 2,
        deadline: Duration::from_millis(50),
    }
}

fn job(id: u32, cost_ms: u64) -> Job {
    Job {
        id,
        cost: Duration::from_millis(cost_ms),
    }
}

/// Every job ends done or failed, exactly once, and the backend applied each done job once and
/// each failed one never. With `--features seeded-bug` this fails (a timed-out call applies
/// its job anyway) and prints the `interleave replay` command of its artifact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_is_applied_once_or_never() {
    let queue = JobQueue::start(config());
    for (id, cost) in [(1, 10), (2, 40), (3, 20)] {
        queue.submit(job(id, cost)).await.expect("the queue runs");
    }
    let outcome = queue.shutdown().await;
    let mut ended: Vec<u32> = outcome
        .done
        .iter()
        .chain(&outcome.failed)
        .copied()
        .collect();
    ended.sort_unstable();
    assert_eq!(ended, [1, 2, 3], "{outcome:?}");
    for id in &outcome.done {
        assert_eq!(outcome.applied.get(id), Some(&1), "job {id}: {outcome:?}");
    }
    for id in &outcome.failed {
        assert_eq!(outcome.applied.get(id), None, "job {id}: {outcome:?}");
    }
}

/// A job slower than the deadline usually fails after its attempts, never applied; the shutdown
/// ends either way. It may also be done: when the worker polls the call only after the deadline
/// *and* the call's own time have passed (its runtime busy elsewhere), `timeout` polls the call
/// first and it wins, as on a busy tokio runtime. interleave found that schedule (execution 30
/// of this check's first version, which asserted the job always fails).
#[tokio::test]
async fn a_job_slower_than_the_deadline_is_applied_once_or_never() {
    let queue = JobQueue::start(config());
    queue.submit(job(9, 80)).await.expect("the queue runs");
    let outcome = queue.shutdown().await;
    match (outcome.done.as_slice(), outcome.failed.as_slice()) {
        ([9], []) => assert_eq!(outcome.applied.get(&9), Some(&1), "{outcome:?}"),
        ([], [9]) => assert!(outcome.applied.is_empty(), "{outcome:?}"),
        _ => panic!("job 9 must end exactly once: {outcome:?}"),
    }
}
