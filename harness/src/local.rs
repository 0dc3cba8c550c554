//! Thread-locals and lazily initialised statics, per execution: one value per modelled thread
//! ([`LocalKey`]) or per execution ([`Lazy`]), as loom gives them.
//!
//! A `static` of std's `thread_local!` lives on the OS thread, and every thread of an
//! execution runs on the same OS thread: they would all share one value, and keep it from one
//! execution to the next. A [`LocalKey`] gives each modelled thread its own value, made on
//! first use and dropped when that thread ends (before it counts as finished, so its destructor
//! may still use interleave's primitives); a [`Lazy`] gives each execution its own value,
//! dropped when the last thread of the execution ends. Outside an execution a `LocalKey` is
//! per OS thread and a `Lazy` is made once per OS thread and kept.
//!
//! `interleave-loom` builds loom's `thread_local!` and `lazy_static!` on these.
#![expect(
    unsafe_code,
    reason = "a lazy static hands out `&'static` to a per-execution value"
)]

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use interleave_detector::ThreadId;

use crate::rt;

/// The values of one execution (or of the OS thread, outside executions).
#[derive(Default)]
struct Store {
    generation: Option<u64>,
    /// (key address, modelled thread) → value.
    locals: Vec<(usize, Option<ThreadId>, Box<dyn Any>)>,
    /// Lazy address → value, boxed so that the value does not move while the vector grows.
    lazies: Vec<(usize, Box<dyn Any>)>,
    /// Keys whose value is being dropped: `try_with` fails for them.
    destroying: Vec<(usize, Option<ThreadId>)>,
}

thread_local! {
    static STORE: RefCell<Store> = const {
        RefCell::new(Store {
            generation: None,
            locals: Vec::new(),
            lazies: Vec::new(),
            destroying: Vec::new(),
        })
    };
    /// Whether `STORE` was ever given a value on this OS thread: until then, a thread that ends
    /// has nothing to drop (most scenarios make no thread-local and no lazy).
    static STORED: Cell<bool> = const { Cell::new(false) };
}

/// The running execution and thread, or `None` outside executions.
fn whereabouts() -> (Option<u64>, Option<ThreadId>) {
    if !rt::in_execution() {
        return (None, None);
    }
    rt::with(|c| (Some(c.generation), Some(c.current))).unwrap_or((None, None))
}

/// Brings the store to `generation`: the values of an execution that ended without dropping
/// them (it stopped at a finding) are forgotten, never dropped, as their threads are.
fn enter(generation: Option<u64>) {
    let old = STORE.with(|s| renew(&mut s.borrow_mut(), generation));
    if let Some(old) = old {
        discard(old);
    }
}

/// Empties `store` for `generation` if it holds another one's values, which it returns (for
/// [`discard`], once the store is no longer borrowed: dropping them runs their destructors).
fn renew(store: &mut Store, generation: Option<u64>) -> Option<Store> {
    if store.generation == generation {
        return None;
    }
    if store.locals.is_empty() && store.lazies.is_empty() && store.destroying.is_empty() {
        // Nothing to hand back (most executions make no thread-local): the store keeps its
        // buffers.
        store.generation = generation;
        return None;
    }
    let old = std::mem::take(store);
    store.generation = generation;
    Some(old)
}

/// Forgets the values of an execution, or drops those made outside any.
fn discard(old: Store) {
    if old.generation.is_some() {
        std::mem::forget(old);
    } else {
        drop(old);
    }
}

/// The error of [`LocalKey::try_with`]: the value is being dropped (loom's and std's
/// `AccessError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessError;

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("already destroyed")
    }
}

impl std::error::Error for AccessError {}

/// A thread-local: one value per modelled thread and execution. Made by a `thread_local!`
/// macro (`interleave-loom`'s), which fills in the fields.
pub struct LocalKey<T> {
    #[doc(hidden)]
    pub init: fn() -> T,
    #[doc(hidden)]
    pub _p: PhantomData<fn(T)>,
}

impl<T: 'static> LocalKey<T> {
    /// Runs `f` with this thread's value, making it first if needed.
    ///
    /// # Panics
    ///
    /// If the value is being dropped.
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        self.try_with(f)
            .expect("cannot access a thread-local value during or after destruction")
    }

    /// Runs `f` with this thread's value, making it first if needed.
    ///
    /// # Errors
    ///
    /// [`AccessError`] while the value is being dropped.
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let key = std::ptr::from_ref(self) as usize;
        let (generation, thread) = whereabouts();
        enter(generation);
        let value = self.value(key, thread);
        match value {
            Some(value) => Ok(f(value)),
            None => Err(AccessError),
        }
    }

    /// This thread's value, made if needed; `None` while it is being dropped.
    fn value(&'static self, key: usize, thread: Option<ThreadId>) -> Option<&'static T> {
        let find = |store: &Store| -> Option<*const T> {
            store
                .locals
                .iter()
                .find(|(k, t, _)| *k == key && *t == thread)
                .and_then(|(_, _, v)| v.downcast_ref::<T>())
                .map(std::ptr::from_ref)
        };
        if STORE.with(|s| s.borrow().destroying.contains(&(key, thread))) {
            return None;
        }
        if let Some(found) = STORE.with(|s| find(&s.borrow())) {
            // SAFETY: the value is boxed and stays in the store until its thread ends (or the
            // OS thread does, outside executions); see `extend`.
            return Some(unsafe { extend(found) });
        }
        // Made outside the store's borrow: `init` may use other thread-locals.
        let made: Box<dyn Any> = Box::new((self.init)());
        let found = STORE.with(|s| {
            let mut store = s.borrow_mut();
            if find(&store).is_none() {
                store.locals.push((key, thread, made));
                STORED.with(|s| s.set(true));
            }
            find(&store)
        })?;
        // SAFETY: as above.
        Some(unsafe { extend(found) })
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// A lazily made static: one value per execution. Made by a `lazy_static!` macro
/// (`interleave-loom`'s), which fills in the fields.
pub struct Lazy<T> {
    #[doc(hidden)]
    pub init: fn() -> T,
    #[doc(hidden)]
    pub _p: PhantomData<fn(T)>,
}

impl<T: 'static> Lazy<T> {
    /// The execution's value, made on first use.
    ///
    /// The reference is `'static`, as `lazy_static`'s, but the value lives until the last
    /// thread of the execution ends: keep it out of anything that outlives the execution.
    pub fn get(&'static self) -> &'static T {
        let key = std::ptr::from_ref(self) as usize;
        let (generation, _) = whereabouts();
        enter(generation);
        let find = |store: &Store| -> Option<*const T> {
            store
                .lazies
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| v.downcast_ref::<T>())
                .map(std::ptr::from_ref)
        };
        if let Some(found) = STORE.with(|s| find(&s.borrow())) {
            // SAFETY: boxed, kept until the execution's last thread ends; see `extend`.
            return unsafe { extend(found) };
        }
        // Made outside the borrow: `init` may use other lazies. Another thread may have made
        // it meanwhile (init has scheduling points): the first one stays, as lazy_static's.
        let made: Box<dyn Any> = Box::new((self.init)());
        let found = STORE.with(|s| {
            let mut store = s.borrow_mut();
            if find(&store).is_none() {
                store.lazies.push((key, made));
                STORED.with(|s| s.set(true));
            }
            find(&store).expect("just stored")
        });
        // SAFETY: as above.
        unsafe { extend(found) }
    }
}

impl<T: 'static> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lazy").finish_non_exhaustive()
    }
}

/// A value of the store, as `'static`.
///
/// # Safety
///
/// `value` points into a box of the store that is dropped only when its modelled thread ends
/// (a thread-local) or the execution's last thread does (a lazy), after which no code of that
/// thread (or execution) runs; outside executions the box lives as long as the OS thread.
unsafe fn extend<T>(value: *const T) -> &'static T {
    // SAFETY: the caller's promise.
    unsafe { &*value }
}

/// The running modelled thread ends: its thread-locals are dropped, in the reverse order of
/// their making, while it still runs (their destructors may use interleave's primitives).
/// If it is the last thread, the execution's lazies are dropped too.
pub(crate) fn thread_ending(last: bool) {
    // An empty store: nothing to drop (its generation is renewed when it is next used).
    if !STORED.with(Cell::get) {
        return;
    }
    let (generation, thread) = whereabouts();
    if generation.is_none() {
        return;
    }
    // Most threads made no thread-local, and most executions no lazy: one look says so.
    let (old, nothing) = STORE.with(|s| {
        let mut store = s.borrow_mut();
        let old = renew(&mut store, generation);
        let nothing = !store.locals.iter().any(|(_, t, _)| *t == thread)
            && (!last || store.lazies.is_empty());
        (old, nothing)
    });
    if let Some(old) = old {
        discard(old);
    }
    if nothing {
        return;
    }
    loop {
        let next = STORE.with(|s| {
            let mut store = s.borrow_mut();
            let index = store.locals.iter().rposition(|(_, t, _)| *t == thread)?;
            let (key, t, value) = store.locals.remove(index);
            store.destroying.push((key, t));
            Some((key, t, value))
        });
        let Some((key, t, value)) = next else { break };
        drop(value);
        STORE.with(|s| s.borrow_mut().destroying.retain(|d| *d != (key, t)));
    }
    if last {
        loop {
            let next = STORE.with(|s| s.borrow_mut().lazies.pop());
            let Some((_, value)) = next else { break };
            drop(value);
        }
    }
}
