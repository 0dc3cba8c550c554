//! What each real thread knows about itself: the locks it holds (its held stack), the lock
//! orders it has already reported to the process-wide graph (so a repeated nesting takes no
//! global lock), its identity in that graph, and where it was spawned.

use std::cell::RefCell;

use interleave_detector::{HeldLock, LockMode, ObjectClass, Site};
use rustc_hash::{FxHashMap, FxHashSet};

use super::monitor;

/// One real thread's lock-order state.
#[derive(Debug, Default)]
struct RealThread {
    /// The locks it holds, oldest first.
    held: Vec<HeldLock>,
    /// Scratch: the classes and modes of `held` then of a request (a lookup key).
    key: Vec<(u32, LockMode)>,
    /// Keys already given to the graph: this thread, holding these, requested that.
    known: FxHashSet<Box<[(u32, LockMode)]>>,
    /// Lock classes by kind and creation site, as the graph numbers them.
    classes: FxHashMap<(ObjectClass, Site), u32>,
    /// Its number in the graph, once it has one.
    id: Option<u32>,
    /// Where `interleave::thread` spawned it.
    spawned_at: Option<Site>,
}

thread_local! {
    static THREAD: RefCell<RealThread> = RefCell::default();
}

/// Runs `f` on this thread's state; `None` while the thread's locals are being torn down (a
/// lock used in another thread-local's destructor: it is then not tracked).
fn with<T>(f: impl FnOnce(&mut RealThread) -> T) -> Option<T> {
    THREAD
        .try_with(|t| t.try_borrow_mut().ok().map(|mut t| f(&mut t)))
        .ok()
        .flatten()
}

/// The class of the locks of kind `class` created at `site`.
pub(crate) fn lock_class(class: ObjectClass, site: &Site) -> u32 {
    let cached = with(|t| t.classes.get(&(class, site.clone())).copied()).flatten();
    if let Some(id) = cached {
        return id;
    }
    let id = monitor::lock_class(class, site, &thread_name());
    with(|t| t.classes.insert((class, site.clone()), id));
    id
}

/// The name reports give this thread.
pub(crate) fn thread_name() -> String {
    let current = std::thread::current();
    match current.name() {
        Some(name) => name.to_owned(),
        None => format!("{:?}", current.id()),
    }
}

/// This thread's number in the graph (registering it on first use).
pub(crate) fn thread_id() -> u32 {
    if let Some(id) = with(|t| t.id).flatten() {
        return id;
    }
    let spawned_at = with(|t| t.spawned_at.clone()).flatten();
    let id = monitor::thread(&thread_name(), spawned_at.as_ref());
    with(|t| t.id = Some(id));
    id
}

/// Notes where `interleave::thread` spawned this thread (it runs first thing in the thread).
pub(crate) fn spawned_at(site: Site) {
    with(|t| t.spawned_at = Some(site));
}

/// The thread now holds `lock`.
#[inline]
pub(crate) fn push(lock: HeldLock) {
    with(|t| t.held.push(lock));
}

/// The thread released the lock `instance` (the most recent hold of it).
#[inline]
pub(crate) fn release(instance: u64) {
    with(|t| {
        if let Some(i) = t.held.iter().rposition(|h| h.instance == instance) {
            t.held.remove(i);
        }
    });
}

/// What the thread holds now.
pub(crate) fn holding() -> Vec<HeldLock> {
    with(|t| t.held.clone()).unwrap_or_default()
}

/// The hold of `request`'s lock that `request` conflicts with, if the thread has one: the
/// request would wait for the thread itself.
pub(crate) fn conflicting_hold(request: &HeldLock) -> Option<HeldLock> {
    with(|t| {
        t.held
            .iter()
            .rev()
            .find(|h| h.instance == request.instance && h.mode.conflicts_with(request.mode))
            .cloned()
    })
    .flatten()
}

/// A blocking request for `request`: gives the graph the lock order it adds, unless this thread
/// gave it the same already (a lookup in a thread-local set: no global lock). The thread's
/// request may close a cycle: reported here, as the online mode says.
#[inline]
pub(crate) fn request(request: &HeldLock, class: ObjectClass) {
    let writes_rwlock = class == ObjectClass::RwLock && request.mode == LockMode::Exclusive;
    let new = with(|t| {
        if t.held.is_empty() && !writes_rwlock {
            return None;
        }
        t.key.clear();
        t.key.extend(t.held.iter().map(|h| (h.class, h.mode)));
        t.key.push((request.class, request.mode));
        if t.known.contains(t.key.as_slice()) {
            return None;
        }
        Some((t.key.clone().into_boxed_slice(), t.held.clone()))
    })
    .flatten();
    if let Some((key, holding)) = new {
        record(key, &holding, request);
    }
}

#[cold]
fn record(key: Box<[(u32, LockMode)]>, holding: &[HeldLock], request: &HeldLock) {
    if super::mode() == super::Mode::Off {
        return;
    }
    let thread = thread_id();
    let findings = monitor::request(thread, holding, request);
    with(|t| t.known.insert(key));
    monitor::report_potential(findings);
}

/// A number for this OS thread that no thread of an execution has (they count from 0): what a
/// channel's queues note of a real thread.
pub(crate) fn thread_key() -> interleave_detector::ThreadId {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    thread_local! {
        static KEY: Cell<u32> = const { Cell::new(0) };
    }
    let key = KEY.try_with(|k| {
        if k.get() == 0 {
            k.set(NEXT.fetch_sub(1, Ordering::Relaxed));
        }
        k.get()
    });
    interleave_detector::ThreadId(key.unwrap_or(u32::MAX))
}
