//! Memory errors (issue 17): a use after free, a double free and leaks of memory from
//! `interleave::alloc` are findings with both sites, never hangs; and interleave-loom's default
//! strategy finds the catalog's `atomicity/free-after-spin`, which loom misses.
#![expect(unsafe_code, reason = "the scenarios free memory by hand")]

use interleave::alloc::{alloc, dealloc, Layout, Track};
use interleave::sync::atomic::{AtomicUsize, Ordering};
use interleave::{thread, Config, Kind, Report};
use interleave_detector::{Detail, MemoryError};

use crate::child;

fn scenario(name: &str) -> interleave_scenarios::Scenario {
    interleave_scenarios::catalog()
        .into_iter()
        .find(|s| s.name == name)
        .expect("a catalog scenario")
}

/// `a block of 144 bytes` → `a block of N bytes`.
fn without_size(text: &str) -> String {
    let (head, tail) = text.split_once("a block of ").expect("a block's size");
    let digits = tail.chars().take_while(char::is_ascii_digit).count();
    format!("{head}a block of N{}", &tail[digits..])
}

fn error(report: &Report) -> (MemoryError, bool) {
    let finding = report.findings.first().expect("a finding");
    assert_eq!(finding.kind(), Kind::MemoryError, "{report}");
    match &finding.detail {
        Detail::MemoryError {
            error, freed_at, ..
        } => (*error, freed_at.is_some()),
        other => panic!("not a memory error: {other:?}"),
    }
}

#[test]
fn the_mix_finds_the_free_after_spin_and_its_artifact_replays_it() {
    let dir = child::temp_dir("free-after-spin");
    let bug = scenario("atomicity/free-after-spin");
    // `loom::model`'s sampling phase: PCT and random taking turns, 1,000 executions.
    let config = || interleave_loom::model::Builder::new().config().seed(17);
    let report = config().artifact_dir(&dir).explore(bug.body);
    assert_eq!(report.strategy, "mix:3");
    // Seed 17: the first execution to free the block between the sender's publication and
    // its last write is the 2nd (a random one: the even executions are random's).
    assert_eq!(report.failing_execution, Some(2), "{report}");
    assert_eq!(error(&report), (MemoryError::UseAfterFree, true));
    // The block's size is that of three interleave atomics, which other work may change.
    insta::assert_snapshot!(without_size(&report.findings[0].to_string()));

    let artifact = report.artifact.clone().expect("an artifact");
    let replayed = interleave::replay(&artifact, bug.body).unwrap();
    assert_eq!(replayed.findings, report.findings);

    // The fixed twin stays clean over the whole budget.
    let twin = scenario("atomicity/free-after-spin-fixed");
    let clean = config().write_artifact(false).explore(twin.body);
    assert!(clean.is_clean(), "{clean}");
    assert_eq!(clean.executions, 1_000);
}

#[test]
fn loom_model_finds_the_free_after_spin_in_its_exhaustive_phase() {
    let bug = scenario("atomicity/free-after-spin").body;
    let panic = std::panic::catch_unwind(|| interleave_loom::model(bug))
        .expect_err("a finding fails the test");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("found 1 problem in execution 2 (exhaustive")
            && message.contains("use after free in thread `sender`"),
        "{message}"
    );
}

#[test]
fn exhaustive_search_orders_the_free_against_the_late_write() {
    // A free writes every object used in the block so far, so DPOR sees it conflict with the
    // sender's last write (loom's reduction does not) and reverses the two: the first
    // execution runs the write before the free, the second the free first.
    let bug = Config::exhaustive()
        .write_artifact(false)
        .explore(scenario("atomicity/free-after-spin").body);
    assert_eq!(bug.failing_execution, Some(2), "{bug}");
    assert_eq!(error(&bug), (MemoryError::UseAfterFree, true));
    let twin = Config::exhaustive()
        .write_artifact(false)
        .explore(scenario("atomicity/free-after-spin-fixed").body);
    assert!(twin.is_clean() && twin.complete, "{twin}");
    // 10: the receiver's first load in its spin loop re-reads what its compare-exchange wrote
    // from another place in the code, which is not spinning (the spin rule, `docs/guide.md`);
    // its second load is, so the sender's swap can also come after that first load (9 when
    // the first load already counted as spinning).
    assert_eq!(twin.executions, 10);
}

#[test]
fn a_double_free_names_both_frees_and_a_leak_its_allocation() {
    let double = Config::random(10).write_artifact(false).explore(|| {
        let layout = Layout::new::<u64>();
        let block = unsafe { alloc(layout) } as usize;
        let t = thread::spawn(move || unsafe { dealloc(block as *mut u8, layout) });
        t.join().unwrap();
        unsafe { dealloc(block as *mut u8, layout) };
    });
    assert_eq!(double.failing_execution, Some(1));
    assert_eq!(error(&double), (MemoryError::DoubleFree, true));
    insta::assert_snapshot!("double_free", double.findings[0].to_string());

    let leak = Config::random(10).write_artifact(false).explore(|| {
        let t = thread::spawn(|| unsafe { alloc(Layout::new::<[u8; 12]>()) } as usize);
        t.join().unwrap();
    });
    assert_eq!(error(&leak), (MemoryError::Leak, false));
    insta::assert_snapshot!("leak", leak.findings[0].to_string());

    let track = Config::random(10)
        .write_artifact(false)
        .explore(|| std::mem::forget(Track::new(3u16)));
    assert_eq!(error(&track), (MemoryError::Leak, false));
    // Dropped (or taken back) in time: clean, in every execution.
    let clean = Config::random(200).write_artifact(false).explore(|| {
        let t = thread::spawn(|| Track::new(1u8).into_inner());
        drop(Track::new(2u8));
        t.join().unwrap();
    });
    assert!(clean.is_clean(), "{clean}");
}

#[test]
fn an_atomic_in_freed_memory_is_reported_at_its_next_use_not_a_hang() {
    // The block is freed and the atomic in it used again, by the same thread, 1,000 times over:
    // quarantine keeps the memory (and interleave's state of the atomic) intact, so each
    // execution ends with the finding at the use.
    let report = Config::random(1_000).write_artifact(false).explore(|| {
        let layout = Layout::new::<AtomicUsize>();
        let block = unsafe { alloc(layout) }.cast::<AtomicUsize>();
        unsafe { block.write(AtomicUsize::new(0)) };
        let address = block as usize;
        let t = thread::spawn(move || {
            let atomic = unsafe { &*(address as *const AtomicUsize) };
            atomic.fetch_add(1, Ordering::Relaxed);
        });
        t.join().unwrap();
        unsafe { dealloc(block.cast(), layout) };
        unsafe { (*block).load(Ordering::Relaxed) };
    });
    assert_eq!(report.failing_execution, Some(1));
    assert_eq!(error(&report), (MemoryError::UseAfterFree, true));
}

#[test]
fn freeing_a_block_whose_objects_are_done_with_is_clean() {
    // The thread uses the atomic in the block and frees it; main, after the join, allocates
    // another block (the freed one is quarantined, so it is not handed out again) and uses the
    // atomic in that. No use follows a free, in any schedule.
    let report = Config::random(200).write_artifact(false).explore(|| {
        let layout = Layout::new::<AtomicUsize>();
        let block = unsafe { alloc(layout) }.cast::<AtomicUsize>();
        unsafe { block.write(AtomicUsize::new(0)) };
        let address = block as usize;
        let t = thread::spawn(move || {
            let atomic = unsafe { &*(address as *const AtomicUsize) };
            atomic.fetch_add(1, Ordering::Relaxed);
            unsafe { dealloc(address as *mut u8, layout) };
        });
        t.join().unwrap();
        let again = unsafe { alloc(layout) }.cast::<AtomicUsize>();
        unsafe { again.write(AtomicUsize::new(1)) };
        unsafe { (*again).fetch_add(1, Ordering::Relaxed) };
        unsafe { dealloc(again.cast(), layout) };
    });
    assert!(report.is_clean(), "{report}");
    assert!(report.complete, "{report}");
}
