//! Atomic types with std's API, explored and checked.
//!
//! Every operation is a scheduling point followed by one `Atomic` event (load, store or
//! read-modify-write, with its ordering) and the operation itself on an inner std atomic, with
//! no scheduling point between the two: the detector sees exactly the order in which the
//! operations happened. From the orderings it derives happens-before (a Release store read by
//! an Acquire load orders what came before the store with what comes after the load), so a
//! value published through a Relaxed flag shows up as a data race on the
//! [`UnsafeCell`](crate::cell::UnsafeCell) it guards.
//!
//! By default the values are sequentially consistent whatever the ordering: a Relaxed load
//! reads the latest store. Under the weak memory model
//! ([`Config::memory_model`](crate::Config::memory_model)) a load may read an older store, as
//! C11 allows (`rt::memory`): which one is a decision of the schedule, and the event names the
//! store read, whose clock the detector joins. Outside an execution the types behave like
//! std's.
//!
//! An access that observes the value its thread saw at its previous access to the same atomic,
//! and does not change it, is a re-read: the thread is spinning, and its next scheduling point
//! counts as a yield (the spin rule, `rt::progress`), so spin loops on these atomics let the
//! thread they wait for run.

use std::fmt;
use std::sync::atomic as std_atomic;
use std::sync::Mutex as StdMutex;

use interleave_detector::{AtomicOp, EventKind, MemoryOrdering, ObjectClass, ObjectId, Site};

pub use std::sync::atomic::Ordering;

use super::object::Registration;
use crate::rt;

/// The detector's view of an ordering.
fn memory_ordering(ordering: Ordering) -> MemoryOrdering {
    match ordering {
        Ordering::Relaxed => MemoryOrdering::Relaxed,
        Ordering::Release => MemoryOrdering::Release,
        Ordering::Acquire => MemoryOrdering::Acquire,
        Ordering::AcqRel => MemoryOrdering::AcqRel,
        // `SeqCst`, and anything std adds later: the strongest is the safe reading.
        _ => MemoryOrdering::SeqCst,
    }
}

/// A scheduling point, except while unwinding (a panic is being reported).
fn schedule() {
    if !std::thread::panicking() {
        rt::switch();
    }
}

/// The value of a std atomic, read without an event (only the running thread can touch it),
/// and its value as the weak memory model keeps it (bits).
trait Peek {
    type Value: PartialEq + Copy;
    fn peek(&self) -> Self::Value;
    fn to_bits(value: Self::Value) -> u64;
    fn from_bits(bits: u64) -> Self::Value;
}

macro_rules! peek {
    ($($name:ident: $value:ty),* $(,)?) => {
        $(
            impl Peek for std_atomic::$name {
                type Value = $value;
                fn peek(&self) -> $value {
                    self.load(Ordering::Relaxed)
                }
                #[allow(clippy::cast_sign_loss, clippy::cast_lossless, trivial_numeric_casts)]
                fn to_bits(value: $value) -> u64 {
                    value as u64
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap, trivial_numeric_casts)]
                fn from_bits(bits: u64) -> $value {
                    bits as $value
                }
            }
        )*
    };
}

impl Peek for std_atomic::AtomicBool {
    type Value = bool;
    fn peek(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
    fn to_bits(value: bool) -> u64 {
        u64::from(value)
    }
    fn from_bits(bits: u64) -> bool {
        bits != 0
    }
}

peek!(
    AtomicI8: i8,
    AtomicI16: i16,
    AtomicI32: i32,
    AtomicI64: i64,
    AtomicIsize: isize,
    AtomicU8: u8,
    AtomicU16: u16,
    AtomicU32: u32,
    AtomicU64: u64,
    AtomicUsize: usize,
);

impl<T> Peek for std_atomic::AtomicPtr<T> {
    type Value = *mut T;
    fn peek(&self) -> *mut T {
        self.load(Ordering::Relaxed)
    }
    fn to_bits(value: *mut T) -> u64 {
        value as usize as u64
    }
    fn from_bits(bits: u64) -> *mut T {
        // The address of a pointer stored before, given back: its provenance is lost, as
        // with any integer-to-pointer cast (the memory model keeps values as bits).
        std::ptr::without_provenance_mut::<T>(0).wrapping_byte_add(bits as usize)
    }
}

/// The synchronisation part of an atomic: its registration with the running execution.
#[derive(Debug, Default)]
struct AtomicObject {
    registration: StdMutex<Registration>,
}

impl AtomicObject {
    fn new(site: &Site, registration: Registration) -> Self {
        let object = AtomicObject {
            registration: StdMutex::new(registration),
        };
        object.id(site);
        object
    }

    /// Its id in the running execution (registering it on first use), or `None` outside one.
    fn id(&self, site: &Site) -> Option<ObjectId> {
        let mut registration = self
            .registration
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        registration
            .object(ObjectClass::Atomic, None, site)
            .map(|(id, _)| id)
    }

    /// Runs `op` on `inner` as one atomic operation: a scheduling point, then the operation
    /// and its event together. `op` performs the operation and returns its result with what the
    /// detector should see (a failed compare-exchange is a load); a std operation that panics
    /// on its ordering does so before any event. Whether the value changed feeds the spin rule
    /// and the step bound's progress (`rt::progress`).
    fn run<A: Peek, R>(
        &self,
        inner: &A,
        site: Site,
        op: impl FnOnce() -> (R, AtomicOp, Ordering),
    ) -> R {
        // Outside an execution, std's atomic and nothing else.
        if !rt::in_execution() {
            return op().0;
        }
        let Some(object) = self.id(&site) else {
            return op().0;
        };
        schedule();
        // Another thread may have freed the memory the atomic is in while this one waited.
        crate::alloc::check_use(std::ptr::from_ref(self) as usize, &site);
        let before = inner.peek();
        let (result, kind, ordering) = op();
        let after = inner.peek();
        if kind == AtomicOp::Load {
            // A failed compare-exchange: it read the newest store.
            rt::memory::read_newest(object, A::to_bits(after), ordering);
        } else {
            rt::memory::store(
                object,
                A::to_bits(before),
                A::to_bits(after),
                ordering,
                kind == AtomicOp::Rmw,
            );
        }
        let key = rt::site_key(&site);
        rt::emit(
            EventKind::Atomic {
                object,
                op: kind,
                ordering: memory_ordering(ordering),
                reads: None,
            },
            site,
        );
        rt::atomic_accessed(object, after != before, key);
        result
    }

    /// A load: under the weak memory model it reads the store the schedule picks among those
    /// it may read (the event says which); otherwise, as any operation, the latest.
    fn load<A: StdLoad>(&self, inner: &A, site: Site, order: Ordering) -> A::Value {
        if !rt::in_execution() || !rt::memory::is_weak() {
            return self.run(inner, site, || {
                (inner.std_load(order), AtomicOp::Load, order)
            });
        }
        let Some(object) = self.id(&site) else {
            return inner.std_load(order);
        };
        schedule();
        // std's load, for its panic on a store ordering; the value is the newest.
        let newest = inner.std_load(order);
        let (value, reads) = match rt::memory::load(object, order, A::to_bits(newest)) {
            Some((bits, index)) => (A::from_bits(bits), Some(index)),
            None => (newest, None),
        };
        let key = rt::site_key(&site);
        rt::emit(
            EventKind::Atomic {
                object,
                op: AtomicOp::Load,
                ordering: memory_ordering(order),
                reads,
            },
            site,
        );
        rt::atomic_accessed(object, false, key);
        value
    }
}

/// std's `load` on any std atomic.
trait StdLoad: Peek {
    fn std_load(&self, order: Ordering) -> Self::Value;
}

macro_rules! std_load {
    ($($name:ident),* $(,)?) => {
        $(
            impl StdLoad for std_atomic::$name {
                fn std_load(&self, order: Ordering) -> Self::Value {
                    self.load(order)
                }
            }
        )*
    };
}

std_load!(
    AtomicBool,
    AtomicI8,
    AtomicI16,
    AtomicI32,
    AtomicI64,
    AtomicIsize,
    AtomicU8,
    AtomicU16,
    AtomicU32,
    AtomicU64,
    AtomicUsize,
);

impl<T> StdLoad for std_atomic::AtomicPtr<T> {
    fn std_load(&self, order: Ordering) -> *mut T {
        self.load(order)
    }
}

/// An atomic fence: a scheduling point, then the fence (std's), reported to the detector. A
/// Release fence lets a later Relaxed store publish what came before the fence; an Acquire
/// fence lets what earlier Relaxed loads read synchronise with what comes after the fence.
///
/// # Panics
///
/// With `Ordering::Relaxed`, as std's.
///
/// # Examples
///
/// ```
/// use interleave::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
/// use interleave::sync::Arc;
/// use interleave::thread;
///
/// interleave::Config::random(20).check(|| {
///     let data = Arc::new(AtomicUsize::new(0));
///     let ready = Arc::new(AtomicBool::new(false));
///     let (d, r) = (Arc::clone(&data), Arc::clone(&ready));
///     let t = thread::spawn(move || {
///         d.store(7, Ordering::Relaxed);
///         fence(Ordering::Release);
///         r.store(true, Ordering::Relaxed);
///     });
///     if ready.load(Ordering::Relaxed) {
///         fence(Ordering::Acquire);
///         assert_eq!(data.load(Ordering::Relaxed), 7);
///     }
///     t.join().unwrap();
/// });
/// ```
#[track_caller]
pub fn fence(order: Ordering) {
    let site = Site::caller();
    if !rt::in_execution() {
        std_atomic::fence(order);
        return;
    }
    schedule();
    std_atomic::fence(order);
    rt::memory::fence(order);
    rt::emit(
        EventKind::Fence {
            ordering: memory_ordering(order),
        },
        site,
    );
}

/// std's `compiler_fence`, unchanged: it orders nothing between threads, so it is neither a
/// scheduling point nor an event.
///
/// # Panics
///
/// With `Ordering::Relaxed`, as std's.
///
/// # Examples
///
/// ```
/// use interleave::sync::atomic::{compiler_fence, Ordering};
///
/// compiler_fence(Ordering::SeqCst);
/// ```
pub fn compiler_fence(order: Ordering) {
    std_atomic::compiler_fence(order);
}

/// The methods every atomic has (`$value` is the type of its value).
macro_rules! atomic_common {
    ($name:ident, $value:ty) => {
        impl $name {
            /// Loads the value.
            ///
            /// # Panics
            ///
            /// With `Release` or `AcqRel`, as std's.
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $value {
                self.object.load(&self.inner, Site::caller(), order)
            }

            /// Stores `value`.
            ///
            /// # Panics
            ///
            /// With `Acquire` or `AcqRel`, as std's.
            #[track_caller]
            pub fn store(&self, value: $value, order: Ordering) {
                self.object.run(&self.inner, Site::caller(), || {
                    self.inner.store(value, order);
                    ((), AtomicOp::Store, order)
                })
            }

            /// Stores `value` and returns the previous value.
            #[track_caller]
            pub fn swap(&self, value: $value, order: Ordering) -> $value {
                self.object.run(&self.inner, Site::caller(), || {
                    (self.inner.swap(value, order), AtomicOp::Rmw, order)
                })
            }

            /// Stores `new` if the value is `current`; returns the previous value, `Ok` if it
            /// was `current`. A success is a read-modify-write with `success`, a failure a load
            /// with `failure`.
            ///
            /// # Errors
            ///
            /// The value found, if it was not `current`.
            ///
            /// # Panics
            ///
            /// With a `failure` ordering of `Release` or `AcqRel`, as std's.
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                self.compare_exchange_at(current, new, success, failure, Site::caller())
            }

            /// As [`compare_exchange`](Self::compare_exchange): interleave's never fails
            /// spuriously, so a loop around it runs as often as it needs to, no more (the
            /// spurious failures of real hardware are not explored).
            ///
            /// # Errors
            ///
            /// The value found, if it was not `current`.
            ///
            /// # Panics
            ///
            /// With a `failure` ordering of `Release` or `AcqRel`, as std's.
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                self.compare_exchange_at(current, new, success, failure, Site::caller())
            }

            fn compare_exchange_at(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
                site: Site,
            ) -> Result<$value, $value> {
                self.object.run(&self.inner, site, || {
                    let result = self.inner.compare_exchange(current, new, success, failure);
                    match result {
                        Ok(_) => (result, AtomicOp::Rmw, success),
                        Err(_) => (result, AtomicOp::Load, failure),
                    }
                })
            }

            /// Loads the value, applies `f`, and stores what it returns if the value has not
            /// changed meanwhile, retrying otherwise; as std's, it is a load followed by
            /// compare-exchanges, each its own scheduling point.
            ///
            /// # Errors
            ///
            /// The last value loaded, if `f` returned `None` for it.
            ///
            /// # Panics
            ///
            /// With a `fetch_order` of `Release` or `AcqRel`, as std's.
            #[track_caller]
            pub fn fetch_update<F>(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: F,
            ) -> Result<$value, $value>
            where
                F: FnMut($value) -> Option<$value>,
            {
                let site = Site::caller();
                let mut previous = self.object.load(&self.inner, site.clone(), fetch_order);
                while let Some(next) = f(previous) {
                    match self.compare_exchange_at(
                        previous,
                        next,
                        set_order,
                        fetch_order,
                        site.clone(),
                    ) {
                        Ok(value) => return Ok(value),
                        Err(value) => previous = value,
                    }
                }
                Err(previous)
            }

            /// The value, consuming the atomic.
            pub fn into_inner(self) -> $value {
                self.inner.into_inner()
            }

            /// The value, through a unique borrow (no other thread can touch it, so this is
            /// neither a scheduling point nor an event).
            pub fn get_mut(&mut self) -> &mut $value {
                self.inner.get_mut()
            }
        }

        impl From<$value> for $name {
            #[track_caller]
            fn from(value: $value) -> Self {
                $name::new_at(value, Site::caller())
            }
        }
    };
}

/// The read-modify-write methods of integers and bools.
macro_rules! atomic_rmw {
    ($name:ident, $value:ty, $($(#[$doc:meta])* $method:ident),* $(,)?) => {
        impl $name {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $method(&self, value: $value, order: Ordering) -> $value {
                    self.object.run(&self.inner, Site::caller(), || {
                        (self.inner.$method(value, order), AtomicOp::Rmw, order)
                    })
                }
            )*
        }
    };
}

macro_rules! atomic_int {
    ($name:ident, $int:ty) => {
        #[doc = concat!("An integer shared between threads: std's `", stringify!($name), "`, whose")]
        /// every operation is a scheduling point reported to the detector.
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("use interleave::sync::atomic::{", stringify!($name), ", Ordering};")]
        /// use interleave::sync::Arc;
        /// use interleave::thread;
        ///
        /// interleave::Config::random(20).check(|| {
        #[doc = concat!("    let n = Arc::new(", stringify!($name), "::new(1));")]
        ///     let n2 = Arc::clone(&n);
        ///     let t = thread::spawn(move || n2.fetch_add(2, Ordering::AcqRel));
        ///     n.fetch_max(5, Ordering::AcqRel);
        ///     t.join().unwrap();
        ///     // 1 + 2 then max 5, or max 5 then + 2.
        ///     assert!([5, 7].contains(&n.load(Ordering::Acquire)));
        /// });
        /// ```
        pub struct $name {
            object: AtomicObject,
            inner: std_atomic::$name,
        }

        impl $name {
            /// A new atomic holding `value`, registered with the running execution as created
            /// at the caller's site. Not `const`, unlike std's: creating it is an event.
            #[track_caller]
            pub fn new(value: $int) -> Self {
                $name::new_at(value, Site::caller())
            }

            /// A new atomic that reports call `name` rather than by where it was created.
            #[track_caller]
            pub fn named(name: &str, value: $int) -> Self {
                $name {
                    object: AtomicObject::new(&Site::caller(), Registration::named(name)),
                    inner: std_atomic::$name::new(value),
                }
            }

            fn new_at(value: $int, site: Site) -> Self {
                $name {
                    object: AtomicObject::new(&site, Registration::default()),
                    inner: std_atomic::$name::new(value),
                }
            }
        }

        atomic_common!($name, $int);

        atomic_rmw!(
            $name,
            $int,
            /// Adds `value` (wrapping on overflow); returns the previous value.
            fetch_add,
            /// Subtracts `value` (wrapping on overflow); returns the previous value.
            fetch_sub,
            /// Bitwise and with `value`; returns the previous value.
            fetch_and,
            /// Bitwise nand with `value`; returns the previous value.
            fetch_nand,
            /// Bitwise or with `value`; returns the previous value.
            fetch_or,
            /// Bitwise xor with `value`; returns the previous value.
            fetch_xor,
            /// Stores the maximum of the value and `value`; returns the previous value.
            fetch_max,
            /// Stores the minimum of the value and `value`; returns the previous value.
            fetch_min,
        );

        impl Default for $name {
            #[track_caller]
            fn default() -> Self {
                $name::new_at(0, Site::caller())
            }
        }

        impl fmt::Debug for $name {
            /// The value, read without a scheduling point or an event (formatting may happen
            /// while a panic is being reported).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner.load(Ordering::Relaxed), f)
            }
        }
    };
}

atomic_int!(AtomicI8, i8);
atomic_int!(AtomicI16, i16);
atomic_int!(AtomicI32, i32);
atomic_int!(AtomicI64, i64);
atomic_int!(AtomicIsize, isize);
atomic_int!(AtomicU8, u8);
atomic_int!(AtomicU16, u16);
atomic_int!(AtomicU32, u32);
atomic_int!(AtomicU64, u64);
atomic_int!(AtomicUsize, usize);

/// A boolean shared between threads: std's `AtomicBool`, whose every operation is a scheduling
/// point reported to the detector.
///
/// # Examples
///
/// ```
/// use interleave::sync::atomic::{AtomicBool, Ordering};
/// use interleave::sync::Arc;
/// use interleave::thread;
///
/// // Exactly one of two threads wins the flag.
/// interleave::Config::random(20).check(|| {
///     let taken = Arc::new(AtomicBool::new(false));
///     let t2 = Arc::clone(&taken);
///     let t = thread::spawn(move || !t2.swap(true, Ordering::AcqRel));
///     let main_won = !taken.swap(true, Ordering::AcqRel);
///     let other_won = t.join().unwrap();
///     assert!(main_won ^ other_won);
/// });
/// ```
pub struct AtomicBool {
    object: AtomicObject,
    inner: std_atomic::AtomicBool,
}

impl AtomicBool {
    /// A new atomic holding `value`, registered with the running execution as created at the
    /// caller's site. Not `const`, unlike std's: creating it is an event.
    #[track_caller]
    pub fn new(value: bool) -> Self {
        AtomicBool::new_at(value, Site::caller())
    }

    /// A new atomic that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str, value: bool) -> Self {
        AtomicBool {
            object: AtomicObject::new(&Site::caller(), Registration::named(name)),
            inner: std_atomic::AtomicBool::new(value),
        }
    }

    fn new_at(value: bool, site: Site) -> Self {
        AtomicBool {
            object: AtomicObject::new(&site, Registration::default()),
            inner: std_atomic::AtomicBool::new(value),
        }
    }

    /// Negates the value; returns the previous value.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        self.object.run(&self.inner, Site::caller(), || {
            (self.inner.fetch_not(order), AtomicOp::Rmw, order)
        })
    }
}

atomic_common!(AtomicBool, bool);

atomic_rmw!(
    AtomicBool,
    bool,
    /// Logical and with `value`; returns the previous value.
    fetch_and,
    /// Logical nand with `value`; returns the previous value.
    fetch_nand,
    /// Logical or with `value`; returns the previous value.
    fetch_or,
    /// Logical xor with `value`; returns the previous value.
    fetch_xor,
);

impl Default for AtomicBool {
    /// `false`.
    #[track_caller]
    fn default() -> Self {
        AtomicBool::new_at(false, Site::caller())
    }
}

impl fmt::Debug for AtomicBool {
    /// The value, read without a scheduling point or an event.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner.load(Ordering::Relaxed), f)
    }
}

/// A raw pointer shared between threads: std's `AtomicPtr`, whose every operation is a
/// scheduling point reported to the detector.
///
/// # Examples
///
/// ```
/// use interleave::sync::atomic::{AtomicPtr, Ordering};
///
/// interleave::Config::random(5).check(|| {
///     let mut a = 1;
///     let mut b = 2;
///     let p = AtomicPtr::new(&mut a as *mut i32);
///     let old = p.swap(&mut b, Ordering::AcqRel);
///     assert_eq!(old, &mut a as *mut i32);
///     assert_eq!(p.load(Ordering::Acquire), &mut b as *mut i32);
/// });
/// ```
pub struct AtomicPtr<T> {
    object: AtomicObject,
    inner: std_atomic::AtomicPtr<T>,
}

impl<T> AtomicPtr<T> {
    /// A new atomic holding `value`, registered with the running execution as created at the
    /// caller's site. Not `const`, unlike std's: creating it is an event.
    #[track_caller]
    pub fn new(value: *mut T) -> Self {
        AtomicPtr::new_at(value, Site::caller())
    }

    /// A new atomic that reports call `name` rather than by where it was created.
    #[track_caller]
    pub fn named(name: &str, value: *mut T) -> Self {
        AtomicPtr {
            object: AtomicObject::new(&Site::caller(), Registration::named(name)),
            inner: std_atomic::AtomicPtr::new(value),
        }
    }

    fn new_at(value: *mut T, site: Site) -> Self {
        AtomicPtr {
            object: AtomicObject::new(&site, Registration::default()),
            inner: std_atomic::AtomicPtr::new(value),
        }
    }

    /// Loads the pointer.
    ///
    /// # Panics
    ///
    /// With `Release` or `AcqRel`, as std's.
    #[track_caller]
    pub fn load(&self, order: Ordering) -> *mut T {
        self.object.load(&self.inner, Site::caller(), order)
    }

    /// Stores `value`.
    ///
    /// # Panics
    ///
    /// With `Acquire` or `AcqRel`, as std's.
    #[track_caller]
    pub fn store(&self, value: *mut T, order: Ordering) {
        self.object.run(&self.inner, Site::caller(), || {
            self.inner.store(value, order);
            ((), AtomicOp::Store, order)
        })
    }

    /// Stores `value` and returns the previous pointer.
    #[track_caller]
    pub fn swap(&self, value: *mut T, order: Ordering) -> *mut T {
        self.object.run(&self.inner, Site::caller(), || {
            (self.inner.swap(value, order), AtomicOp::Rmw, order)
        })
    }

    /// Stores `new` if the pointer is `current`; returns the previous pointer, `Ok` if it was
    /// `current`. A success is a read-modify-write with `success`, a failure a load with
    /// `failure`.
    ///
    /// # Errors
    ///
    /// The pointer found, if it was not `current`.
    ///
    /// # Panics
    ///
    /// With a `failure` ordering of `Release` or `AcqRel`, as std's.
    #[track_caller]
    pub fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.compare_exchange_at(current, new, success, failure, Site::caller())
    }

    /// As [`compare_exchange`](Self::compare_exchange): interleave's never fails spuriously.
    ///
    /// # Errors
    ///
    /// The pointer found, if it was not `current`.
    ///
    /// # Panics
    ///
    /// With a `failure` ordering of `Release` or `AcqRel`, as std's.
    #[track_caller]
    pub fn compare_exchange_weak(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.compare_exchange_at(current, new, success, failure, Site::caller())
    }

    fn compare_exchange_at(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
        site: Site,
    ) -> Result<*mut T, *mut T> {
        self.object.run(&self.inner, site, || {
            let result = self.inner.compare_exchange(current, new, success, failure);
            match result {
                Ok(_) => (result, AtomicOp::Rmw, success),
                Err(_) => (result, AtomicOp::Load, failure),
            }
        })
    }

    /// Loads the pointer, applies `f`, and stores what it returns if the pointer has not
    /// changed meanwhile, retrying otherwise (a load, then compare-exchanges).
    ///
    /// # Errors
    ///
    /// The last pointer loaded, if `f` returned `None` for it.
    ///
    /// # Panics
    ///
    /// With a `fetch_order` of `Release` or `AcqRel`, as std's.
    #[track_caller]
    pub fn fetch_update<F>(
        &self,
        set_order: Ordering,
        fetch_order: Ordering,
        mut f: F,
    ) -> Result<*mut T, *mut T>
    where
        F: FnMut(*mut T) -> Option<*mut T>,
    {
        let site = Site::caller();
        let mut previous = self.object.load(&self.inner, site.clone(), fetch_order);
        while let Some(next) = f(previous) {
            match self.compare_exchange_at(previous, next, set_order, fetch_order, site.clone()) {
                Ok(value) => return Ok(value),
                Err(value) => previous = value,
            }
        }
        Err(previous)
    }

    /// The pointer, consuming the atomic.
    pub fn into_inner(self) -> *mut T {
        self.inner.into_inner()
    }

    /// The pointer, through a unique borrow (neither a scheduling point nor an event).
    pub fn get_mut(&mut self) -> &mut *mut T {
        self.inner.get_mut()
    }
}

impl<T> Default for AtomicPtr<T> {
    /// A null pointer.
    #[track_caller]
    fn default() -> Self {
        AtomicPtr::new_at(std::ptr::null_mut(), Site::caller())
    }
}

impl<T> From<*mut T> for AtomicPtr<T> {
    #[track_caller]
    fn from(value: *mut T) -> Self {
        AtomicPtr::new_at(value, Site::caller())
    }
}

impl<T> fmt::Debug for AtomicPtr<T> {
    /// The pointer, read without a scheduling point or an event.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner.load(Ordering::Relaxed), f)
    }
}

/// loom's two extras on every atomic: a mutable borrow's closure, and an unsynchronised load.
macro_rules! atomic_loom {
    ($name:ident $(<$t:ident>)?, $value:ty) => {
        impl$(<$t>)? $name$(<$t>)? {
            /// Runs `f` with the value, through a unique borrow (loom's `with_mut`): no other
            /// thread can access it, so this is neither a scheduling point nor an event.
            pub fn with_mut<R>(&mut self, f: impl FnOnce(&mut $value) -> R) -> R {
                f(self.inner.get_mut())
            }

            /// Loads the value as a plain, unsynchronised read (loom's `unsync_load`). interleave
            /// explores and reports it as a `Relaxed` load.
            ///
            /// # Safety
            ///
            /// No other thread may store to the atomic concurrently (loom's contract; interleave
            /// does not check it).
            #[expect(unsafe_code, reason = "loom's signature: the caller promises no racing store")]
            #[track_caller]
            pub unsafe fn unsync_load(&self) -> $value {
                self.load(Ordering::Relaxed)
            }

            /// Stores `new` if the value is `current`; returns the previous value (loom's and
            /// std's deprecated `compare_and_swap`, a `compare_exchange` whose failure ordering is
            /// derived from `order`).
            #[track_caller]
            pub fn compare_and_swap(&self, current: $value, new: $value, order: Ordering) -> $value {
                let failure = match order {
                    Ordering::Release | Ordering::Relaxed => Ordering::Relaxed,
                    Ordering::AcqRel | Ordering::Acquire => Ordering::Acquire,
                    _ => Ordering::SeqCst,
                };
                match self.compare_exchange(current, new, order, failure) {
                    Ok(previous) | Err(previous) => previous,
                }
            }

            /// loom's name for [`fetch_update`](Self::fetch_update).
            ///
            /// # Errors
            ///
            /// The value `f` declined to change (it returned `None`).
            #[track_caller]
            pub fn try_update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                f: impl FnMut($value) -> Option<$value>,
            ) -> Result<$value, $value> {
                self.fetch_update(set_order, fetch_order, f)
            }

            /// Replaces the value with `f` of it, retrying until no other thread changed it in
            /// between; returns the previous value (loom's `update`).
            #[track_caller]
            pub fn update(
                &self,
                set_order: Ordering,
                fetch_order: Ordering,
                mut f: impl FnMut($value) -> $value,
            ) -> $value {
                match self.fetch_update(set_order, fetch_order, |v| Some(f(v))) {
                    Ok(previous) | Err(previous) => previous,
                }
            }
        }
    };
}

atomic_loom!(AtomicBool, bool);
atomic_loom!(AtomicI8, i8);
atomic_loom!(AtomicI16, i16);
atomic_loom!(AtomicI32, i32);
atomic_loom!(AtomicI64, i64);
atomic_loom!(AtomicIsize, isize);
atomic_loom!(AtomicU8, u8);
atomic_loom!(AtomicU16, u16);
atomic_loom!(AtomicU32, u32);
atomic_loom!(AtomicU64, u64);
atomic_loom!(AtomicUsize, usize);
atomic_loom!(AtomicPtr<T>, *mut T);
