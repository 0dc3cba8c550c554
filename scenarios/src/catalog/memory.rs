//! Memory freed too early: a block from `interleave::alloc` that one thread frees while another
//! still has an operation to make on an object inside it. interleave quarantines freed blocks
//! until the execution ends, so the late operation is reported (a use after free, with both
//! sites) rather than corrupting memory, or interleave's own state of the object.
#![expect(
    unsafe_code,
    reason = "the scenario manages its block by hand, as a oneshot does"
)]

use interleave::alloc::{alloc, dealloc, Layout};
use interleave::sync::atomic::{AtomicUsize, Ordering};
use interleave::Kind;

use super::spawn;
use crate::scenario::{Category, Expected, Scenario};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "atomicity/free-after-spin",
            category: Category::Atomicity,
            description: "a receiver frees a shared block after spinning on a flag it wrote itself while the sender still has a write to make",
            source: "a oneshot whose sender counts its wake after publishing (a use after free loom misses: it makes a spinning thread yield)",
            expected: Expected::Finds(Kind::MemoryError),
            budget: 50,
            twin: Some("atomicity/free-after-spin-fixed"),
            body: free_after_spin::<false>,
        },
        Scenario {
            name: "atomicity/free-after-spin-fixed",
            category: Category::Atomicity,
            description: "the sender makes its last write to the block before it publishes",
            source: "the fix: publishing is the sender's last access to the shared block",
            expected: Expected::Clean,
            budget: 1_000,
            twin: Some("atomicity/free-after-spin"),
            body: free_after_spin::<true>,
        },
    ]
}

/// The receiver has not looked yet.
const EMPTY: usize = 0;
/// The receiver waits (it wrote this itself, then spins until it changes).
const WAITING: usize = 1;
/// The sender published its value.
const SENT: usize = 2;

/// A oneshot's shared block, owned by the receiver: it frees it once the value is in.
#[derive(Debug)]
struct Slot {
    state: AtomicUsize,
    value: AtomicUsize,
    /// The sender's wakes (a statistic): the bug counts one after publishing, when the receiver
    /// was waiting; the fix counts every send before publishing.
    wakes: AtomicUsize,
}

/// The sender stores the value and publishes `SENT`; the bug then counts a wake in the block,
/// which the receiver may have freed by then (it stops spinning as soon as it sees `SENT`).
/// The fix counts the wake before publishing.
fn free_after_spin<const FIXED: bool>() {
    let layout = Layout::new::<Slot>();
    // SAFETY: `Slot` is not zero-sized; the block is initialised before it is shared.
    let slot = unsafe { alloc(layout) }.cast::<Slot>();
    // SAFETY: `slot` is a fresh block of `Slot`'s layout.
    unsafe {
        slot.write(Slot {
            state: AtomicUsize::new(EMPTY),
            value: AtomicUsize::new(0),
            wakes: AtomicUsize::new(0),
        });
    }
    let address = slot as usize;
    let sender = spawn("sender", move || {
        // SAFETY: the receiver frees the block only after seeing `SENT` (which is the bug).
        let slot = unsafe { &*(address as *const Slot) };
        slot.value.store(42, Ordering::Relaxed);
        if FIXED {
            slot.wakes.fetch_add(1, Ordering::Relaxed);
        }
        let was_waiting = slot.state.swap(SENT, Ordering::AcqRel) == WAITING;
        if !FIXED && was_waiting {
            // The last write, when the receiver may be gone.
            slot.wakes.fetch_add(1, Ordering::Relaxed);
        }
    });
    // SAFETY: the block lives until the receiver frees it below.
    let shared = unsafe { &*slot };
    if shared
        .state
        .compare_exchange(EMPTY, WAITING, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        while shared.state.load(Ordering::Acquire) == WAITING {
            std::hint::spin_loop();
        }
    }
    assert_eq!(shared.value.load(Ordering::Relaxed), 42);
    // SAFETY: the value is in; the receiver drops and frees the block it owns.
    unsafe {
        slot.drop_in_place();
        dealloc(slot.cast(), layout);
    }
    sender.join().unwrap();
}
