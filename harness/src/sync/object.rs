//! Registering objects with the running execution.

use interleave_detector::{EventKind, ObjectClass, ObjectId, Site};

use crate::rt;

/// Which execution an object belongs to, and its id there.
///
/// An object is registered (a `Create` event) when it is made inside an execution. One made
/// outside, or in an earlier execution, is registered again at its first use in the running
/// execution, with that use as its creation site, and its state starts afresh; the execution
/// notes that it used a shared object (a check on several threads then runs on one).
#[derive(Debug)]
pub(crate) struct Registration {
    /// The execution it was last registered in; [`UNREGISTERED`] for an object made inside
    /// the running execution and not registered yet, [`OUTSIDE`] for one made outside any.
    generation: u64,
    object: Option<ObjectId>,
    /// The user's name for the object (`Mutex::named`), shown in reports instead of its site.
    name: Option<Box<str>>,
}

/// [`Registration::generation`] of an object made in the running execution, not registered yet.
const UNREGISTERED: u64 = 0;
/// [`Registration::generation`] of an object made outside any execution (executions are
/// numbered from 1 up, and never reach it).
const OUTSIDE: u64 = u64::MAX;

impl Default for Registration {
    /// A registration for an object made now: inside an execution, it is that execution's own.
    fn default() -> Self {
        Registration {
            generation: if rt::in_execution() {
                UNREGISTERED
            } else {
                OUTSIDE
            },
            object: None,
            name: None,
        }
    }
}

impl Registration {
    /// A registration for an object not registered yet (usable in a `const fn`: a `static`'s
    /// object registers at its first use in each execution). It counts as made outside the
    /// execution that uses it, even when the `const fn` runs inside one.
    pub(crate) const fn new() -> Self {
        Registration {
            generation: OUTSIDE,
            object: None,
            name: None,
        }
    }

    /// A registration for an object the user named.
    pub(crate) fn named(name: &str) -> Self {
        Registration {
            name: Some(name.into()),
            ..Registration::default()
        }
    }

    /// The object's id in the running execution, registering it if needed; the flag says it
    /// was (re)registered just now. `None` outside an execution.
    pub(crate) fn object(
        &mut self,
        class: ObjectClass,
        name: Option<&str>,
        site: &Site,
    ) -> Option<(ObjectId, bool)> {
        // An object in memory the scenario freed: reported, and its state here stays intact
        // (freed memory is quarantined until the execution ends).
        let address = std::ptr::from_ref(self) as usize;
        crate::alloc::check_use(address, site);
        let registered = rt::with(|c| {
            if self.generation == c.generation {
                if let Some(object) = self.object {
                    return (object, false);
                }
            }
            c.shared_object |= self.generation != UNREGISTERED;
            let object = c.next_object();
            c.emit(
                EventKind::Create {
                    object,
                    class,
                    name: name.or(self.name.as_deref()).map(str::to_owned),
                },
                site.clone(),
            );
            self.generation = c.generation;
            self.object = Some(object);
            (object, true)
        });
        if let Some((object, _)) = registered {
            crate::alloc::note_object(address, object);
        }
        registered
    }

    /// The checks of a look-up by [`object`](Self::object) of an object registered in the
    /// running execution as `object` (see [`current`](Self::current)): a use of freed memory is
    /// reported, and the object's address noted.
    pub(crate) fn checked_use(&self, object: ObjectId, site: &Site) {
        let address = std::ptr::from_ref(self) as usize;
        crate::alloc::check_use(address, site);
        crate::alloc::note_object(address, object);
    }

    /// The id if registered in the running execution, without registering.
    pub(crate) fn current(&self) -> Option<ObjectId> {
        rt::with(|c| {
            (self.generation == c.generation)
                .then_some(self.object)
                .flatten()
        })
        .flatten()
    }
}
