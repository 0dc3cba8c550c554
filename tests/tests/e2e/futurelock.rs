//! Futurelock: a task waits for an async lock or semaphore that a future it owns, and no longer
//! polls, holds (shape a) or was handed on a release while it sat queued (shape b, Oxide's).
//! Each is a `Kind::Futurelock` naming the task, the object, where the held future acquired
//! (or queued for) it and where the task waits; each fixed twin is clean; a sync mutex locked
//! twice is still a self-deadlock; a re-lock that a timeout ends is no finding.

use std::pin::pin;
use std::sync::Arc;

use interleave::future::sync::{Mutex, Semaphore};
use interleave::future::time::{sleep, timeout};
use interleave::future::{self};
use interleave::time::Duration;
use interleave::{Config, Kind, Report};
use interleave_detector::Detail;

use crate::async_tasks::select;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The only finding of `report`, which must be a futurelock; its detail's `granted`, and the
/// lines of the held and the waiting site.
fn futurelock(report: &Report) -> (bool, u32, u32) {
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind(), Kind::Futurelock, "{report}");
    assert_eq!(finding.threads[0].name, "main", "{report}");
    let Detail::Futurelock {
        held_at,
        granted,
        waited_at,
        waits,
        ..
    } = &finding.detail
    else {
        panic!("not a futurelock detail: {report}")
    };
    assert!(waits.is_empty(), "{report}");
    (*granted, held_at.line, waited_at.line)
}

/// Shape (a) with a permit: a kept future takes the only permit and waits 10ms; the 5ms timer
/// wins, and the task asks for a permit itself (`FIXED`: drops the future first).
fn permit_held<const FIXED: bool>() {
    future::block_on(async {
        let permits = Semaphore::new(1);
        let mut refresh = Box::pin(async {
            let _permit = permits.acquire().await.unwrap(); // HELD (a)
            sleep(ms(10)).await;
        });
        let mut deadline = pin!(sleep(ms(5)));
        assert!(!select(&mut refresh, &mut deadline).await);
        if FIXED {
            drop(refresh);
        }
        let _permit = permits.acquire().await.unwrap(); // WAITS (a)
    });
}

/// Shape (b), Oxide's: `holder` has the lock for 10ms; the task's kept `update` queues for it,
/// a 1ms timer wins, and the task locks it itself: the release hands the lock to the queued
/// `update`, which is never polled again, and the task waits behind it (`FIXED`: drops `update`
/// first, so the lock goes to the task's own request).
fn lock_handed_over<const FIXED: bool>() {
    future::block_on(async {
        let state = Arc::new(Mutex::new(0));
        let held = Arc::clone(&state);
        let (taken_tx, taken) = interleave::future::sync::oneshot::channel();
        let holder = future::spawn_named(
            async move {
                let _guard = held.lock().await;
                taken_tx.send(()).unwrap();
                sleep(ms(10)).await;
            },
            "holder",
        );
        taken.await.unwrap();
        let mut update = Box::pin(async {
            *state.lock().await += 1; // QUEUED (b)
        });
        let mut deadline = pin!(sleep(ms(1)));
        assert!(!select(&mut update, &mut deadline).await);
        if FIXED {
            drop(update);
        }
        *state.lock().await += 10; // WAITS (b)
        holder.await.unwrap();
    });
}

/// The line of this file holding `marker`.
fn line_of(marker: &str) -> u32 {
    let source = include_str!("futurelock.rs");
    let index = source
        .lines()
        .position(|l| l.contains(marker) && l.trim_start().starts_with(['l', '*']))
        .unwrap_or_else(|| panic!("no line with {marker}"));
    u32::try_from(index + 1).unwrap()
}

#[test]
fn a_kept_future_holding_the_permit_is_a_futurelock_and_its_twin_is_clean() {
    let report = Config::random(20)
        .write_artifact(false)
        .explore(permit_held::<false>);
    // Found in execution 1: the task polls alone on its one worker, so every schedule
    // takes the permit in the kept future before the timer fires.
    assert_eq!(report.executions, 1, "{report}");
    assert_eq!(
        futurelock(&report),
        (false, line_of("HELD (a)"), line_of("WAITS (a)"))
    );
    let twin = Config::exhaustive()
        .write_artifact(false)
        .explore(permit_held::<true>);
    assert!(twin.is_clean(), "{twin}");
    // One task and no other thread: a single schedule.
    assert_eq!(twin.executions, 1, "{twin}");
}

#[test]
fn a_queued_future_handed_the_lock_is_a_futurelock_and_its_twin_is_clean() {
    let report = Config::random(20)
        .write_artifact(false)
        .explore(lock_handed_over::<false>);
    assert_eq!(report.executions, 1, "{report}");
    assert_eq!(
        futurelock(&report),
        (true, line_of("QUEUED (b)"), line_of("WAITS (b)"))
    );
    insta::assert_snapshot!(report.findings[0].to_string());
    let twin = Config::random(200)
        .write_artifact(false)
        .explore(lock_handed_over::<true>);
    assert!(twin.is_clean(), "{twin}");
    assert_eq!(twin.executions, 200);
}

#[test]
fn a_futurelock_replays_from_its_artifact() {
    let dir = std::env::temp_dir().join(format!("interleave-futurelock-{}", std::process::id()));
    let report = Config::random(20)
        .artifact_dir(&dir)
        .explore(lock_handed_over::<false>);
    let artifact = report.artifact.clone().expect("an artifact");
    // Read back (the artifact's validator checks the finding and replays its trace through
    // the detector), and replayed.
    let read = interleave::Artifact::read(&artifact).unwrap();
    assert_eq!(read.findings, report.findings);
    let replayed = interleave::replay(&artifact, lock_handed_over::<false>).unwrap();
    assert_eq!(replayed.findings, report.findings);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_sync_mutex_locked_twice_in_a_task_is_still_a_self_deadlock() {
    let report = Config::random(20).write_artifact(false).explore(|| {
        future::block_on(async {
            let lock = interleave::sync::Mutex::new(0);
            let _first = lock.lock().unwrap();
            let _second = lock.lock().unwrap();
        });
    });
    assert_eq!(report.findings.len(), 1, "{report}");
    assert_eq!(report.findings[0].kind(), Kind::Deadlock, "{report}");
    assert!(
        matches!(report.findings[0].detail, Detail::SelfDeadlock { .. }),
        "{report}"
    );
}

#[test]
fn a_relock_that_a_timeout_ends_is_no_finding() {
    clean_over_all_schedules(|| {
        future::block_on(async {
            let lock = Mutex::new(0);
            let _guard = lock.lock().await;
            assert!(timeout(ms(1), lock.lock()).await.is_err());
        });
    });
}

fn clean_over_all_schedules(f: fn()) {
    let report = Config::exhaustive().write_artifact(false).explore(f);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.executions, 1, "{report}");
}

/// The only finding of `report`: a deadlock of `main` waiting for a permit that no future
/// holds (the report names no holder).
fn deadlock_held_by_none(report: &Report) {
    assert_eq!(report.findings.len(), 1, "{report}");
    let finding = &report.findings[0];
    assert_eq!(finding.kind(), Kind::Deadlock, "{report}");
    let text = finding.to_string();
    assert!(
        text.contains("`main` waits for a permit of semaphore@") && !text.contains("held by"),
        "{text}"
    );
}

#[test]
fn a_forgotten_permit_is_held_by_nobody() {
    // Before, the forgotten permit stayed on the task's record: the wait was reported as a
    // futurelock, "held by a future of `main`", which acquired it at the forgotten permit.
    let report = Config::random(1).write_artifact(false).explore(|| {
        future::block_on(async {
            let semaphore = Semaphore::new(1);
            semaphore.acquire().await.unwrap().forget();
            let _permit = semaphore.acquire().await.unwrap();
        });
    });
    deadlock_held_by_none(&report);
    // A permit of no permits holds nothing either (before, it was a record of 0 permits).
    let report = Config::random(1).write_artifact(false).explore(|| {
        future::block_on(async {
            let semaphore = Semaphore::new(0);
            let _none = semaphore.acquire_many(0).await.unwrap();
            let _permit = semaphore.acquire().await.unwrap();
        });
    });
    deadlock_held_by_none(&report);
}

/// The task takes both permits, splits one off and gives it back, then asks for two again
/// behind the one it still holds.
fn split_and_wait() {
    future::block_on(async {
        let semaphore = Semaphore::new(2);
        let mut permit = semaphore.acquire_many(2).await.unwrap(); // HELD (split)
        drop(permit.split(1).unwrap());
        let _more = semaphore.acquire_many(2).await.unwrap(); // WAITS (split)
        drop(permit);
    });
}

#[test]
fn a_permit_split_in_two_still_holds_what_it_kept() {
    // Before, giving back the split-off permit took the task's whole record (both permits):
    // the report was a plain deadlock that named no holder.
    let report = Config::random(1)
        .write_artifact(false)
        .explore(split_and_wait);
    assert_eq!(
        futurelock(&report),
        (false, line_of("HELD (split)"), line_of("WAITS (split)"))
    );
}

#[test]
fn permits_merged_and_given_back_are_held_by_nobody() {
    // Before, the merged permit's drop gave back both permits but took only one of the two
    // records: the wait after it was reported as a futurelock behind the other.
    let report = Config::random(1).write_artifact(false).explore(|| {
        future::block_on(async {
            let semaphore = Semaphore::new(2);
            let mut permit = semaphore.acquire().await.unwrap();
            permit.merge(semaphore.acquire().await.unwrap());
            drop(permit);
            let _permits = semaphore.acquire_many(3).await.unwrap();
        });
    });
    deadlock_held_by_none(&report);
}
