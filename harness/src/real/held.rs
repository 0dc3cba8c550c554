//! What each real thread knows about itself: the locks it holds (its held stack), the lock
//! orders it has already reported to the process-wide graph (so a repeated nesting takes no
//! global lock), its identity in that graph, and where it was spawned.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};

use interleave_detector::{HeldLock, LockMode, ObjectClass, Site};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use super::monitor;

/// A lock a real thread holds or requests: small and `Copy`, for the held stack's hot path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Held {
    /// Its class in the graph.
    pub(crate) class: u32,
    pub(crate) mode: LockMode,
    /// The lock object (its address).
    pub(crate) instance: u64,
    /// Where it was acquired (requested).
    pub(crate) location: &'static Location<'static>,
}

impl Held {
    /// As the detector takes it.
    pub(crate) fn lock(&self) -> HeldLock {
        HeldLock {
            class: self.class,
            instance: self.instance,
            mode: self.mode,
            site: site(self.location),
        }
    }
}

/// The site of a caller's location.
pub(crate) fn site(location: &'static Location<'static>) -> Site {
    Site::new(location.file(), location.line(), location.column())
}

/// One real thread's lock-order state.
#[derive(Debug)]
struct RealThread {
    /// The locks it holds, oldest first.
    held: Vec<Held>,
    /// Scratch: the classes and modes of `held` then of a request (a lookup key).
    key: Vec<(u32, LockMode)>,
    /// Keys already given to the graph: this thread, holding these, requested that.
    known: FxHashSet<Box<[(u32, LockMode)]>>,
    /// Lock classes by kind, creation site and name, as the graph numbers them.
    classes: FxHashMap<(ObjectClass, Site, Option<String>), u32>,
    /// Its number in the graph, once it has one.
    id: Option<u32>,
    /// Where `interleave::thread` spawned it.
    spawned_at: Option<Site>,
}

impl RealThread {
    const fn new() -> Self {
        RealThread {
            held: Vec::new(),
            key: Vec::new(),
            known: FxHashSet::with_hasher(FxBuildHasher),
            classes: FxHashMap::with_hasher(FxBuildHasher),
            id: None,
            spawned_at: None,
        }
    }

    /// Whether a blocking request for `request` (of a lock of kind `class`) adds a lock order
    /// this thread has not given the graph yet; leaves its key in `key`.
    #[inline]
    fn new_order(&mut self, request: &Held, class: ObjectClass) -> bool {
        let writes_rwlock = class == ObjectClass::RwLock && request.mode == LockMode::Exclusive;
        if self.held.is_empty() && !writes_rwlock {
            return false;
        }
        self.key.clear();
        self.key.extend(self.held.iter().map(|h| (h.class, h.mode)));
        self.key.push((request.class, request.mode));
        !self.known.contains(self.key.as_slice())
    }
}

thread_local! {
    static THREAD: RefCell<RealThread> = const { RefCell::new(RealThread::new()) };
}

/// Runs `f` on this thread's state; `None` while the thread's locals are being torn down (a
/// lock used in another thread-local's destructor: it is then not tracked).
#[inline]
fn with<T>(f: impl FnOnce(&mut RealThread) -> T) -> Option<T> {
    THREAD
        .try_with(|t| t.try_borrow_mut().ok().map(|mut t| f(&mut t)))
        .ok()
        .flatten()
}

/// The class of the locks of kind `class` created at `site` and named `name` (reports show the
/// name when there is one).
pub(crate) fn lock_class(class: ObjectClass, site: &Site, name: Option<&str>) -> u32 {
    let key = (class, site.clone(), name.map(str::to_owned));
    let cached = with(|t| t.classes.get(&key).copied()).flatten();
    if let Some(id) = cached {
        return id;
    }
    let id = monitor::lock_class(class, site, name, &thread_name());
    with(|t| t.classes.insert(key, id));
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
pub(crate) fn push(lock: Held) {
    with(|t| t.held.push(lock));
}

/// The thread got `lock` without waiting: a blocking request gives the graph its lock order
/// first (as [`request`]), then the lock goes on the held stack — one thread-local access when
/// the order is known.
#[inline]
pub(crate) fn acquired(lock: Held, class: ObjectClass, blocking: bool) {
    let pushed = with(|t| {
        if blocking && t.new_order(&lock, class) {
            return false;
        }
        t.held.push(lock);
        true
    });
    if pushed == Some(false) {
        request(&lock, class);
        push(lock);
    }
}

/// The thread released the lock `instance` (the most recent hold of it).
#[inline]
pub(crate) fn release(instance: u64) {
    with(|t| {
        if t.held.last().is_some_and(|h| h.instance == instance) {
            t.held.pop();
        } else if let Some(i) = t.held.iter().rposition(|h| h.instance == instance) {
            t.held.remove(i);
        }
    });
}

/// What the thread holds now.
pub(crate) fn holding() -> Vec<HeldLock> {
    with(|t| t.held.iter().map(Held::lock).collect()).unwrap_or_default()
}

/// The hold of `request`'s lock that `request` conflicts with, if the thread has one: the
/// request would wait for the thread itself.
pub(crate) fn conflicting_hold(request: &Held) -> Option<Held> {
    with(|t| {
        t.held
            .iter()
            .rev()
            .find(|h| h.instance == request.instance && h.mode.conflicts_with(request.mode))
            .copied()
    })
    .flatten()
}

/// A blocking request for `request`: gives the graph the lock order it adds, unless this thread
/// gave it the same already (a lookup in a thread-local set: no global lock). The thread's
/// request may close a cycle: reported here, as the online mode says.
#[inline]
pub(crate) fn request(request: &Held, class: ObjectClass) {
    let new = with(|t| {
        t.new_order(request, class).then(|| {
            let key = t.key.clone().into_boxed_slice();
            (key, t.held.iter().map(Held::lock).collect::<Vec<_>>())
        })
    })
    .flatten();
    if let Some((key, holding)) = new {
        record(key, &holding, &request.lock());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(class: u32, mode: LockMode) -> Held {
        Held {
            class,
            mode,
            instance: u64::from(class) + 100,
            location: Location::caller(),
        }
    }

    #[test]
    fn an_order_the_thread_gave_the_graph_once_is_found_in_its_own_set() {
        let mut t = RealThread::new();
        let (a, b) = (lock(1, LockMode::Exclusive), lock(2, LockMode::Exclusive));
        assert!(
            !t.new_order(&a, ObjectClass::Mutex),
            "nothing held: no order"
        );
        t.held.push(a);
        assert!(t.new_order(&b, ObjectClass::Mutex));
        assert_eq!(t.key, [(1, LockMode::Exclusive), (2, LockMode::Exclusive)]);
        let key = t.key.clone().into_boxed_slice();
        t.known.insert(key);
        assert!(
            !t.new_order(&b, ObjectClass::Mutex),
            "known: no global lock"
        );
        assert!(
            t.new_order(&lock(2, LockMode::Shared), ObjectClass::RwLock),
            "another mode is another order"
        );
        t.held.clear();
        assert!(
            t.new_order(&lock(3, LockMode::Exclusive), ObjectClass::RwLock),
            "a write of an rwlock is news with nothing held: a writer for the read/read rule"
        );
    }
}
