//! The cases: small loom tests in loom's idioms, each with the verdict it must get. This file
//! is compiled twice, against whatever crate is called `loom`: `interleave-loom` here, real
//! loom 0.7 in `interleave-loom-oracle`.
#![expect(
    unsafe_code,
    reason = "loom tests manage raw memory and cells, as real ones do"
)]

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use loom::alloc::{alloc, dealloc, Layout, Track};
use loom::cell::{Cell, UnsafeCell};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{mpsc, Arc, Condvar, Mutex, Notify, RwLock};
use loom::thread;

/// What a case must give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `loom::model` returns.
    Clean,
    /// `loom::model` fails the test (a panic, loom's abort on a deadlock, interleave's report).
    Fails,
}

/// One loom test.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// The test's name.
    pub name: &'static str,
    /// The verdict interleave-loom gives.
    pub verdict: Verdict,
    /// The verdict loom gives: the same, except where loom has a blind spot.
    pub loom: Verdict,
    /// The test: calls [`model`] (or a `loom::model::Builder`).
    pub run: fn(),
}

/// Executions run by [`model`] in this process (every case body counts itself).
pub static EXECUTIONS: AtomicU64 = AtomicU64::new(0);

/// `loom::model`, counting executions for the benchmark and the tests.
pub fn model<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    loom::model(move || {
        EXECUTIONS.fetch_add(1, Relaxed);
        f();
    });
}

/// Every case, in a fixed order.
pub fn cases() -> Vec<Case> {
    use Verdict::{Clean, Fails};
    let case = |name, verdict, run| Case {
        name,
        verdict,
        loom: verdict,
        run,
    };
    vec![
        case("single_threaded", Clean, single_threaded),
        case("thread_local_per_thread", Clean, thread_local_per_thread),
        case(
            "lazy_static_per_execution",
            Clean,
            lazy_static_per_execution,
        ),
        case("fetch_add_counter", Clean, fetch_add_counter),
        case("lost_update", Fails, lost_update),
        case("mutex_counter", Clean, mutex_counter),
        case(
            "release_acquire_publication",
            Clean,
            release_acquire_publication,
        ),
        case("relaxed_publication", Fails, relaxed_publication),
        case("cell_guards_ordered", Clean, cell_guards_ordered),
        // loom checks a guard's access where it begins (the write comes after that, through
        // the flag) and has no scheduling point where it ends: it passes the test, though the
        // writer can change the value before the reader reads it through the guard.
        Case {
            loom: Clean,
            ..case("cell_guard_outlives_flag", Fails, cell_guard_outlives_flag)
        },
        case("ab_ba_deadlock", Fails, ab_ba_deadlock),
        case("condvar_handoff", Clean, condvar_handoff),
        case("mpsc_handoff", Clean, mpsc_handoff),
        case("rwlock_readers", Clean, rwlock_readers),
        case("notify_without_loop", Fails, notify_without_loop),
        case("notify_handoff", Clean, notify_handoff),
        case("block_on_atomic_waker", Clean, block_on_atomic_waker),
        case("alloc_leak", Fails, alloc_leak),
        case("track_leak", Fails, track_leak),
        case("double_free", Fails, double_free),
        case("bounded_preemptions", Clean, bounded_preemptions),
        // loom makes the spinning receiver yield to the sender, and its reduction sees no
        // conflict between the free and the sender's last write: it never runs the schedule
        // where the block is gone. interleave's mix of PCT and random does.
        Case {
            loom: Clean,
            ..case("free_after_spin", Fails, free_after_spin)
        },
    ]
}

loom::thread_local! {
    static VISITS: std::cell::Cell<u32> = std::cell::Cell::new(0);
}

loom::lazy_static! {
    static ref HITS: AtomicUsize = AtomicUsize::new(0);
}

/// No thread: one execution under both.
fn single_threaded() {
    model(|| {
        let cell = Cell::new(1);
        cell.set(cell.get() + 1);
        let slot = UnsafeCell::new(cell.get());
        slot.with_mut(|p| unsafe { *p += 1 });
        assert_eq!(slot.with(|p| unsafe { *p }), 3);
        let layout = Layout::new::<u64>();
        unsafe {
            let block = alloc(layout);
            block.cast::<u64>().write(7);
            dealloc(block, layout);
        }
        let tracked = Track::new(5);
        assert_eq!(*tracked.get_ref(), 5);
        assert_eq!(tracked.into_inner(), 5);
    });
}

/// Each thread sees its own fresh value, in every execution.
fn thread_local_per_thread() {
    model(|| {
        VISITS.with(|v| v.set(v.get() + 1));
        let t = thread::spawn(|| {
            VISITS.with(|v| {
                assert_eq!(v.get(), 0, "a fresh value for each thread");
                v.set(10);
            });
        });
        t.join().unwrap();
        VISITS.with(|v| assert_eq!(v.get(), 1, "a fresh value in each execution"));
    });
}

/// One value per execution: two hits in each, never more.
fn lazy_static_per_execution() {
    model(|| {
        let t = thread::spawn(|| HITS.fetch_add(1, Ordering::AcqRel));
        HITS.fetch_add(1, Ordering::AcqRel);
        t.join().unwrap();
        assert_eq!(HITS.load(Ordering::Acquire), 2);
    });
}

fn fetch_add_counter() {
    model(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = Arc::clone(&n);
        let t = thread::spawn(move || n2.fetch_add(1, Ordering::AcqRel));
        n.fetch_add(1, Ordering::AcqRel);
        t.join().unwrap();
        assert_eq!(n.load(Ordering::Acquire), 2);
    });
}

fn lost_update() {
    model(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = Arc::clone(&n);
        let t = thread::spawn(move || {
            let seen = n2.load(Ordering::Acquire);
            n2.store(seen + 1, Ordering::Release);
        });
        let seen = n.load(Ordering::Acquire);
        n.store(seen + 1, Ordering::Release);
        t.join().unwrap();
        assert_eq!(n.load(Ordering::Acquire), 2);
    });
}

fn mutex_counter() {
    model(|| {
        let n = Arc::new(Mutex::new(0));
        let n2 = Arc::clone(&n);
        let t = thread::spawn(move || *n2.lock().unwrap() += 1);
        *n.lock().unwrap() += 1;
        t.join().unwrap();
        assert_eq!(*n.lock().unwrap(), 2);
    });
}

/// A slot published through a flag; `SYNC` says whether the flag orders the accesses.
struct Mailbox {
    full: AtomicBool,
    slot: UnsafeCell<u32>,
}

// SAFETY: what the cases check.
unsafe impl Sync for Mailbox {}

fn publication(store: Ordering, load: Ordering) {
    let mailbox = Arc::new(Mailbox {
        full: AtomicBool::new(false),
        slot: UnsafeCell::new(0),
    });
    let m = Arc::clone(&mailbox);
    let t = thread::spawn(move || {
        let slot = m.slot.get_mut();
        unsafe { *slot.deref() = 42 };
        drop(slot);
        m.full.store(true, store);
    });
    if mailbox.full.load(load) {
        let slot = mailbox.slot.get();
        assert_eq!(unsafe { *slot.deref() }, 42);
    }
    t.join().unwrap();
}

fn release_acquire_publication() {
    model(|| publication(Ordering::Release, Ordering::Acquire));
}

fn relaxed_publication() {
    model(|| publication(Ordering::Relaxed, Ordering::Relaxed));
}

/// A read guard dropped before the flag that lets the writer in: ordered.
fn cell_guards_ordered() {
    model(|| {
        let mailbox = Arc::new(Mailbox {
            full: AtomicBool::new(false),
            slot: UnsafeCell::new(1),
        });
        let m = Arc::clone(&mailbox);
        let t = thread::spawn(move || {
            {
                let slot = m.slot.get();
                assert_eq!(unsafe { *slot.deref() }, 1);
            }
            m.full.store(true, Ordering::Release);
        });
        if mailbox.full.load(Ordering::Acquire) {
            mailbox.slot.get_mut().with(|p| unsafe { *p = 2 });
        }
        t.join().unwrap();
    });
}

/// The same, but the read guard is still alive when the flag lets the writer in: the read
/// lasts until the guard is dropped, so it overlaps the write.
fn cell_guard_outlives_flag() {
    model(|| {
        let mailbox = Arc::new(Mailbox {
            full: AtomicBool::new(false),
            slot: UnsafeCell::new(1),
        });
        let m = Arc::clone(&mailbox);
        let t = thread::spawn(move || {
            let slot = m.slot.get();
            m.full.store(true, Ordering::Release);
            assert_eq!(unsafe { *slot.deref() }, 1);
            drop(slot);
        });
        if mailbox.full.load(Ordering::Acquire) {
            mailbox.slot.get_mut().with(|p| unsafe { *p = 2 });
        }
        t.join().unwrap();
    });
}

fn ab_ba_deadlock() {
    model(|| {
        let a = Arc::new(Mutex::new(()));
        let b = Arc::new(Mutex::new(()));
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let t = thread::spawn(move || {
            let _b = b2.lock().unwrap();
            let _a = a2.lock().unwrap();
        });
        {
            let _a = a.lock().unwrap();
            let _b = b.lock().unwrap();
        }
        t.join().unwrap();
    });
}

fn condvar_handoff() {
    model(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let p = Arc::clone(&pair);
        let t = thread::spawn(move || {
            *p.0.lock().unwrap() = true;
            p.1.notify_one();
        });
        let mut ready = pair.0.lock().unwrap();
        while !*ready {
            ready = pair.1.wait(ready).unwrap();
        }
        drop(ready);
        t.join().unwrap();
    });
}

fn mpsc_handoff() {
    model(|| {
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let t = thread::spawn(move || tx2.send(1).unwrap());
        tx.send(2).unwrap();
        let sum = rx.recv().unwrap() + rx.recv().unwrap();
        assert_eq!(sum, 3);
        t.join().unwrap();
    });
}

fn rwlock_readers() {
    model(|| {
        let lock = Arc::new(RwLock::new(1));
        let l2 = Arc::clone(&lock);
        let t = thread::spawn(move || *l2.read().unwrap());
        *lock.write().unwrap() += 1;
        let seen = t.join().unwrap();
        assert!(seen == 1 || seen == 2);
    });
}

/// `Notify` may wake spuriously (under loom and interleave alike): a waiter that does not
/// re-check its condition sees it unset.
fn notify_without_loop() {
    notify_handoff_body(false);
}

fn notify_handoff() {
    notify_handoff_body(true);
}

fn notify_handoff_body(looped: bool) {
    model(move || {
        let notify = Arc::new(Notify::new());
        let done = Arc::new(AtomicBool::new(false));
        let (n, d) = (Arc::clone(&notify), Arc::clone(&done));
        let t = thread::spawn(move || {
            d.store(true, Ordering::Release);
            n.notify();
        });
        if looped {
            while !done.load(Ordering::Acquire) {
                notify.wait();
            }
        } else {
            notify.wait();
            assert!(done.load(Ordering::Acquire));
        }
        t.join().unwrap();
    });
}

/// A future that is ready once a flag is set, registering its waker in an `AtomicWaker`.
struct Flagged {
    ready: Arc<(AtomicBool, loom::future::AtomicWaker)>,
}

impl std::future::Future for Flagged {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.ready.1.register_by_ref(cx.waker());
        if self.ready.0.load(Ordering::Acquire) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

fn block_on_atomic_waker() {
    model(|| {
        let ready = Arc::new((AtomicBool::new(false), loom::future::AtomicWaker::new()));
        let r = Arc::clone(&ready);
        let t = thread::spawn(move || {
            r.0.store(true, Ordering::Release);
            r.1.wake();
        });
        loom::future::block_on(Flagged { ready });
        t.join().unwrap();
    });
}

fn alloc_leak() {
    model(|| {
        let t = thread::spawn(|| unsafe { alloc(Layout::new::<u32>()) } as usize);
        let _leaked = t.join().unwrap();
    });
}

fn track_leak() {
    model(|| {
        let t = thread::spawn(|| std::mem::forget(Track::new(1u8)));
        t.join().unwrap();
    });
}

fn double_free() {
    model(|| {
        let layout = Layout::new::<u64>();
        let block = unsafe { alloc(layout) } as usize;
        let t = thread::spawn(move || unsafe { dealloc(block as *mut u8, layout) });
        t.join().unwrap();
        unsafe { dealloc(block as *mut u8, layout) };
    });
}

/// `Builder` with a preemption bound, as `LOOM_MAX_PREEMPTIONS=2` sets it.
fn bounded_preemptions() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        EXECUTIONS.fetch_add(1, Relaxed);
        let n = Arc::new(Mutex::new(0));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let n = Arc::clone(&n);
                thread::spawn(move || {
                    for _ in 0..2 {
                        *n.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(*n.lock().unwrap(), 4);
    });
}

/// A oneshot's block, owned by the receiver (`atomicity/free-after-spin` in the catalog).
struct Slot {
    state: AtomicUsize,
    value: AtomicUsize,
    wakes: AtomicUsize,
}

const EMPTY: usize = 0;
const WAITING: usize = 1;
const SENT: usize = 2;

/// The receiver writes `WAITING`, spins until the sender replaces it, and frees the block; the
/// sender counts a wake in the block after publishing, when the receiver may be gone.
fn free_after_spin() {
    model(|| {
        let layout = Layout::new::<Slot>();
        let slot = unsafe { alloc(layout) }.cast::<Slot>();
        unsafe {
            slot.write(Slot {
                state: AtomicUsize::new(EMPTY),
                value: AtomicUsize::new(0),
                wakes: AtomicUsize::new(0),
            });
        }
        let address = slot as usize;
        let sender = thread::spawn(move || {
            let slot = unsafe { &*(address as *const Slot) };
            slot.value.store(42, Ordering::Relaxed);
            if slot.state.swap(SENT, Ordering::AcqRel) == WAITING {
                slot.wakes.fetch_add(1, Ordering::Relaxed);
            }
        });
        let shared = unsafe { &*slot };
        if shared
            .state
            .compare_exchange(EMPTY, WAITING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            while shared.state.load(Ordering::Acquire) == WAITING {
                loom::hint::spin_loop();
            }
        }
        assert_eq!(shared.value.load(Ordering::Relaxed), 42);
        unsafe {
            slot.drop_in_place();
            dealloc(slot.cast(), layout);
        }
        sender.join().unwrap();
    });
}
