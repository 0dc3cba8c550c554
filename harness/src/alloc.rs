//! Memory allocation, checked: std's `alloc`, `alloc_zeroed` and `dealloc` (loom's API), with
//! use after free, double free and leaks reported as findings.
//!
//! Inside an execution every block from [`alloc`] is recorded with where it was allocated. A
//! block given to [`dealloc`] is not returned to the allocator: it is *quarantined* until the
//! execution ends, its bytes left as they were. So a scenario that frees memory too early, while
//! another thread still has an interleave object in it (an atomic, a lock, a cell), cannot have
//! that memory handed out again, and interleave's own state for the object, which lives in the
//! object, stays intact: the next operation on the object is reported as a
//! [`Kind::MemoryError`](crate::Kind::MemoryError) (a use after free, with where the block was
//! freed and where it was used) instead of corrupting the run. Freeing a block twice is the
//! same finding (a double free); a block from [`alloc`] or a [`Track`]ed value still alive when
//! the last thread of the execution ends is a leak, as loom reports it.
//!
//! Outside an execution these are std's functions, and `Track` is a plain wrapper.
//!
//! # Examples
//!
//! ```should_panic(expected = "memory error: use after free")
//! use interleave::alloc::{alloc, dealloc, Layout};
//! use interleave::sync::atomic::{AtomicUsize, Ordering};
//!
//! interleave::Config::random(10).write_artifact(false).check(|| {
//!     let layout = Layout::new::<AtomicUsize>();
//!     // SAFETY: the layout is not zero-sized; the block is written before it is read.
//!     unsafe {
//!         let block = alloc(layout).cast::<AtomicUsize>();
//!         block.write(AtomicUsize::new(0));
//!         dealloc(block.cast(), layout);
//!         (*block).load(Ordering::Relaxed); // reported: the block was freed above
//!     }
//! });
//! ```
#![expect(unsafe_code, reason = "an allocator's functions are unsafe by nature")]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};

use interleave_detector::{EventKind, MemoryError, ObjectId, Site};

pub use std::alloc::Layout;

use crate::rt;

/// A block allocated in the running execution.
#[derive(Debug)]
struct Block {
    layout: Layout,
    allocated_at: Site,
}

/// A block freed in the running execution, kept out of the allocator until it ends.
#[derive(Debug)]
struct Freed {
    layout: Layout,
    freed_at: Site,
}

/// The blocks and tracked values of the execution running on this OS thread.
#[derive(Debug, Default)]
struct Heap {
    /// The execution they belong to (`Context::generation`).
    generation: u64,
    /// Live blocks by address.
    live: BTreeMap<usize, Block>,
    /// Quarantined blocks by address.
    freed: BTreeMap<usize, Freed>,
    /// The interleave objects used inside live blocks, by address.
    objects: BTreeMap<usize, ObjectId>,
    /// Live `Track`ed values: id → (size, where).
    tracks: BTreeMap<u64, (u64, Site)>,
    next_track: u64,
}

thread_local! {
    static HEAP: RefCell<Heap> = RefCell::new(Heap::default());
    /// Whether `HEAP` quarantines any block.
    static QUARANTINE: Cell<bool> = const { Cell::new(false) };
    /// Whether the running execution allocated any block: what every object checks first.
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    /// Whether `HEAP` was used since it was last released: most executions allocate nothing
    /// through interleave and track nothing, and then ending one costs one look.
    static USED: Cell<bool> = const { Cell::new(false) };
}

/// The running execution's generation, if one runs on this OS thread.
fn generation() -> Option<u64> {
    if !rt::in_execution() {
        return None;
    }
    rt::with(|c| c.generation)
}

/// Runs `f` on the heap of execution `generation`, releasing an earlier execution's blocks
/// first.
fn with_heap<R>(generation: u64, f: impl FnOnce(&mut Heap) -> R) -> R {
    if HEAP.with(|h| h.borrow().generation != generation) {
        release();
        HEAP.with(|h| h.borrow_mut().generation = generation);
    }
    USED.with(|u| u.set(true));
    HEAP.with(|h| f(&mut h.borrow_mut()))
}

/// Allocates memory as std's [`alloc`](std::alloc::alloc) does, recording the block in the
/// running execution.
///
/// # Safety
///
/// As std's: `layout` must not be zero-sized.
#[track_caller]
pub unsafe fn alloc(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    let ptr = unsafe { std::alloc::alloc(layout) };
    record(ptr, layout, Site::caller());
    ptr
}

/// Allocates zeroed memory as std's [`alloc_zeroed`](std::alloc::alloc_zeroed) does,
/// recording the block in the running execution.
///
/// # Safety
///
/// As std's: `layout` must not be zero-sized.
#[track_caller]
pub unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's promise.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    record(ptr, layout, Site::caller());
    ptr
}

fn record(ptr: *mut u8, layout: Layout, allocated_at: Site) {
    let Some(generation) = generation() else {
        return;
    };
    if ptr.is_null() {
        return;
    }
    with_heap(generation, |heap| {
        heap.live.insert(
            ptr as usize,
            Block {
                layout,
                allocated_at,
            },
        );
    });
    TRACKING.with(|t| t.set(true));
}

/// Frees memory as std's [`dealloc`](std::alloc::dealloc) does. Inside an execution a block
/// from [`alloc`] is quarantined until the execution ends, and freeing it twice is reported.
///
/// # Safety
///
/// As std's: `ptr` was allocated with `layout` by the global allocator (through [`alloc`] or
/// std's), and is not freed twice — except that, inside an execution, freeing a block from
/// [`alloc`] twice is reported rather than undefined.
#[track_caller]
pub unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
    let site = Site::caller();
    let Some(generation) = generation() else {
        // SAFETY: the caller's promise.
        unsafe { std::alloc::dealloc(ptr, layout) };
        return;
    };
    let address = ptr as usize;
    let outcome = with_heap(generation, |heap| {
        if let Some(block) = heap.live.remove(&address) {
            let size = block.layout.size();
            heap.freed.insert(
                address,
                Freed {
                    layout: block.layout,
                    freed_at: site.clone(),
                },
            );
            QUARANTINE.with(|q| q.set(true));
            let inside: Vec<usize> = heap
                .objects
                .range(address..address + size.max(1))
                .map(|(&a, _)| a)
                .collect();
            let mut objects: Vec<ObjectId> = inside
                .iter()
                .filter_map(|a| heap.objects.remove(a))
                .collect();
            objects.sort_unstable();
            Free::Quarantined { size, objects }
        } else if let Some(freed) = heap.freed.get(&address) {
            Free::Twice {
                size: freed.layout.size(),
                freed_at: freed.freed_at.clone(),
            }
        } else {
            Free::Unknown
        }
    });
    match outcome {
        Free::Quarantined { size, objects } => rt::emit(
            EventKind::MemoryFree {
                size: size as u64,
                objects,
            },
            site,
        ),
        Free::Twice { size, freed_at } => {
            report(MemoryError::DoubleFree, size, Some(freed_at), site);
        }
        // Not from `alloc` in this execution (std's, or an earlier execution's).
        // SAFETY: the caller's promise.
        Free::Unknown => unsafe { std::alloc::dealloc(ptr, layout) },
    }
}

/// What `dealloc` found.
enum Free {
    /// A live block, now quarantined, with the objects used in it.
    Quarantined { size: usize, objects: Vec<ObjectId> },
    /// A block freed before.
    Twice { size: usize, freed_at: Site },
    /// Memory that is not a block of this execution.
    Unknown,
}

/// Object `object`, at `address`, is used: if that is inside a live block, freeing the block
/// writes it (for the exhaustive search, which then orders the free against its uses).
#[inline]
pub(crate) fn note_object(address: usize, object: ObjectId) {
    if TRACKING.with(Cell::get) {
        note_tracked_object(address, object);
    }
}

/// [`note_object`] once the execution allocated some block.
#[cold]
fn note_tracked_object(address: usize, object: ObjectId) {
    HEAP.with(|h| {
        let mut heap = h.borrow_mut();
        let inside = heap
            .live
            .range(..=address)
            .next_back()
            .is_some_and(|(&start, block)| address < start + block.layout.size().max(1));
        if inside {
            heap.objects.insert(address, object);
        }
    });
}

fn report(error: MemoryError, size: usize, freed_at: Option<Site>, site: Site) {
    rt::emit(
        EventKind::MemoryError {
            error,
            size: size as u64,
            freed_at,
        },
        site,
    );
}

/// An interleave object at `address` is used at `site`: a use after free if `address` is
/// inside a quarantined block. Objects check when they are registered or looked up, and the
/// atomics, cells and locks check again after the scheduling point of each operation (another
/// thread may free the block while this one waits to run).
#[inline]
pub(crate) fn check_use(address: usize, site: &Site) {
    if TRACKING.with(Cell::get) && QUARANTINE.with(Cell::get) {
        check_quarantine(address, site);
    }
}

/// [`check_use`] once some block is quarantined.
#[cold]
fn check_quarantine(address: usize, site: &Site) {
    let hit = HEAP.with(|h| {
        let heap = h.borrow();
        let (&start, freed) = heap.freed.range(..=address).next_back()?;
        (address < start + freed.layout.size().max(1))
            .then(|| (freed.layout.size(), freed.freed_at.clone()))
    });
    if let Some((size, freed_at)) = hit {
        report(
            MemoryError::UseAfterFree,
            size,
            Some(freed_at),
            site.clone(),
        );
    }
}

/// The last thread of the execution is ending: a block or tracked value still alive leaked.
/// The first one allocated is reported (the execution ends at a finding).
pub(crate) fn check_leaks() {
    // An unused heap holds no block and no tracked value.
    if !USED.with(Cell::get) {
        return;
    }
    let Some(generation) = generation() else {
        return;
    };
    let leak = with_heap(generation, |heap| {
        let block = heap
            .live
            .values()
            .map(|b| (b.layout.size() as u64, b.allocated_at.clone()));
        let track = heap.tracks.values().cloned();
        // The earliest site first, so that the report does not depend on addresses.
        block.chain(track).min_by(|a, b| a.1.cmp(&b.1))
    });
    if let Some((size, site)) = leak {
        report(MemoryError::Leak, size as usize, None, site);
    }
}

/// Returns the blocks of the execution that ran on this OS thread to the allocator, leaked and
/// quarantined ones alike: no thread of it runs any more.
pub(crate) fn release() {
    if !USED.with(|u| u.replace(false)) {
        // Nothing was put in the heap since it was last released: it is empty.
        QUARANTINE.with(|q| q.set(false));
        TRACKING.with(|t| t.set(false));
        return;
    }
    let heap = HEAP.with(|h| {
        let mut heap = h.borrow_mut();
        if heap.live.is_empty() && heap.freed.is_empty() {
            // No block to return (most executions): reset it in place, which is cheaper than
            // taking and dropping it whole.
            heap.objects.clear();
            heap.tracks.clear();
            heap.generation = 0;
            heap.next_track = 0;
            None
        } else {
            Some(std::mem::take(&mut *heap))
        }
    });
    QUARANTINE.with(|q| q.set(false));
    TRACKING.with(|t| t.set(false));
    let Some(heap) = heap else {
        return;
    };
    for (address, block) in heap.live {
        // SAFETY: allocated by `alloc` with this layout, and not freed (it is still live).
        unsafe { std::alloc::dealloc(address as *mut u8, block.layout) };
    }
    for (address, freed) in heap.freed {
        // SAFETY: allocated by `alloc` with this layout; `dealloc` only quarantined it.
        unsafe { std::alloc::dealloc(address as *mut u8, freed.layout) };
    }
}

/// A value whose dropping is checked: one still alive when the last thread of the execution
/// ends is reported as a leak (loom's `Track`). Outside an execution, a plain wrapper.
///
/// # Examples
///
/// ```should_panic(expected = "memory error: leak")
/// use interleave::alloc::Track;
///
/// interleave::Config::random(10).write_artifact(false).check(|| {
///     std::mem::forget(Track::new(7u32));
/// });
/// ```
pub struct Track<T> {
    value: std::mem::ManuallyDrop<T>,
    /// Its id in the execution's heap, if it was made inside one.
    id: Option<(u64, u64)>,
}

impl<T> Track<T> {
    /// Tracks `value`, as made at the caller's site.
    #[track_caller]
    pub fn new(value: T) -> Track<T> {
        let site = Site::caller();
        let id = generation().map(|generation| {
            let id = with_heap(generation, |heap| {
                let id = heap.next_track;
                heap.next_track += 1;
                heap.tracks
                    .insert(id, (std::mem::size_of::<T>() as u64, site));
                id
            });
            (generation, id)
        });
        Track {
            value: std::mem::ManuallyDrop::new(value),
            id,
        }
    }

    /// The value.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The value, no longer tracked.
    pub fn into_inner(self) -> T {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.untrack();
        // SAFETY: `this` is never dropped, so the value is taken out exactly once.
        unsafe { std::mem::ManuallyDrop::take(&mut this.value) }
    }

    fn untrack(&mut self) {
        if let Some((generation, id)) = self.id.take() {
            HEAP.with(|h| {
                let mut heap = h.borrow_mut();
                if heap.generation == generation {
                    heap.tracks.remove(&id);
                }
            });
        }
    }
}

impl<T> Drop for Track<T> {
    fn drop(&mut self) {
        self.untrack();
        // SAFETY: dropped once, here; `into_inner` forgets `self` after taking the value.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.value) };
    }
}

impl<T> Deref for Track<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Track<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Track<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Track").field(&*self.value).finish()
    }
}
