//! Stable identities of threads and objects across the executions of one check.
//!
//! Every execution creates its locks and threads anew, with execution-local ids. To accumulate
//! a lock-order graph over many executions the detector needs to know that "the mutex created at
//! `lib.rs:10:13` by the first thread spawned at `lib.rs:20:5`" is the same object each time:
//!
//! - a thread is identified by its spawn path: its parent's identity, the spawn site, and the
//!   ordinal of that spawn among the parent's spawns at that site;
//! - an object by its creating thread's identity, its class, its creation site and the ordinal
//!   of that creation among the creating thread's creations at that site (a lock created in a
//!   loop is one identity per iteration).
//!
//! Ids, addresses and spawn order across threads do not enter, so identities are the same in
//! every execution that runs the same code, whatever the schedule.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::event::ObjectClass;
use crate::site::Site;

/// A thread as it appears in findings: stable across the executions of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    /// Dense stable index: 0 is the main thread, then in order of first appearance.
    pub id: u32,
    /// The name in reports: the user's name, `main`, or `t<id>`.
    pub name: String,
    /// Where it was spawned (`None` for the main thread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawned_at: Option<Site>,
}

/// An object as it appears in findings: stable across the executions of a check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    /// Dense stable index, in order of first appearance.
    pub id: u32,
    /// What it is.
    pub class: ObjectClass,
    /// The user's name for it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where it was created.
    pub created_at: Site,
    /// Which thread created it (its report name).
    pub created_by: String,
    /// How many objects the same thread had created at the same site before this one.
    pub ordinal: u32,
}

impl ObjectInfo {
    /// The object's label when it is shown alone: the user's name, or `class@file:line`
    /// (`mutex@cache.rs:22`). Where several objects are shown together, [`labels`] tells apart
    /// two objects of one class created on one line.
    pub fn label(&self) -> String {
        labels(std::slice::from_ref(self)).remove(0)
    }

    /// A key that tells this object from every other object of its check, whatever else is
    /// shown: `class@file:line:column`, with `#n` for the n-th object created at that site by
    /// the same thread (counting from 0). For matching objects across views, not for reading.
    pub fn key(&self) -> String {
        let mut key = format!(
            "{}@{}:{}:{}",
            self.class.name(),
            self.created_at.file,
            self.created_at.line,
            self.created_at.column
        );
        if self.ordinal > 0 {
            key.push_str(&format!("#{}", self.ordinal));
        }
        if let Some(name) = &self.name {
            key.push_str(&format!(" ({name})"));
        }
        key
    }
}

/// The labels of objects shown together (one finding, one graph, one timeline), in order.
///
/// An object the program named is shown by its name. An unnamed one is `class@file:line`
/// (`mutex@cache.rs:22`) when no other unnamed object of its class shown with it was created on
/// that line, and `class#k@file:line` otherwise (`mutex#1@cache.rs:22`, `mutex#2@cache.rs:22`),
/// numbered from 1 in the order of their columns (then creating thread, then creation order), so
/// the numbers read left to right in the source and do not depend on the schedule. Time is
/// O(n log n) in the number of objects.
pub fn labels(objects: &[ObjectInfo]) -> Vec<String> {
    fn line_key(o: &ObjectInfo) -> (&'static str, &str, u32) {
        (o.class.name(), o.created_at.file_name(), o.created_at.line)
    }
    let mut mates: BTreeMap<_, Vec<(u32, &str, u32, &str)>> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.name.is_none()) {
        let mate = (
            o.created_at.column,
            o.created_by.as_str(),
            o.ordinal,
            &*o.created_at.file,
        );
        mates.entry(line_key(o)).or_default().push(mate);
    }
    for list in mates.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    objects
        .iter()
        .map(|o| {
            if let Some(name) = &o.name {
                return name.clone();
            }
            let (class, file, line) = line_key(o);
            let list = &mates[&line_key(o)];
            if list.len() == 1 {
                return format!("{class}@{file}:{line}");
            }
            let mate = (
                o.created_at.column,
                o.created_by.as_str(),
                o.ordinal,
                &*o.created_at.file,
            );
            let k = list.binary_search(&mate).unwrap_or(0) + 1;
            format!("{class}#{k}@{file}:{line}")
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ThreadKey {
    parent: u32,
    site: u32,
    ordinal: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ObjectKey {
    thread: u32,
    class: ObjectClass,
    site: u32,
    ordinal: u32,
}

/// Interns stable identities for a whole check, and counts creation ordinals per execution.
#[derive(Debug, Default)]
pub(crate) struct Identities {
    sites: FxHashMap<Site, u32>,
    /// The sites last interned, by their file name's address and length, line and column.
    recent_sites: [Option<(SiteKey, u32)>; 2],
    threads: Vec<ThreadInfo>,
    thread_keys: FxHashMap<ThreadKey, u32>,
    objects: Vec<ObjectInfo>,
    object_keys: FxHashMap<ObjectKey, u32>,
    // Per execution: how many spawns/creations a (thread, site) pair has made so far. Not kept
    // while the execution asks what the previous one asked (`replaying`).
    spawn_ordinals: FxHashMap<(u32, u32), u32>,
    create_ordinals: FxHashMap<(u32, u32), u32>,
    /// Real threads: the names of named lock classes, numbered from 1.
    class_names: FxHashMap<String, u32>,
    /// The identities the running execution asked for, in order (at most [`ASKED_KEPT`]).
    asked: Vec<(Asked, u32)>,
    /// The previous execution's `asked`.
    previous: Vec<(Asked, u32)>,
    /// The running execution has asked for exactly what the previous one first asked for, so
    /// far: it gets the same identities (the same spawn and creation ordinals lead to the same
    /// keys, which map to the same identities for good), without counting ordinals or hashing.
    replaying: bool,
}

/// What an execution asked for an identity of: a spawn (`class` `None`) or a creation, by whom
/// (the parent or creator), at which site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Asked {
    class: Option<ObjectClass>,
    by: u32,
    site: u32,
}

/// At most this many identities an execution asked for are kept for the next one to replay.
const ASKED_KEPT: usize = 1 << 12;

const ROOT: u32 = u32::MAX;

/// A site whose file name lives for the whole program, by that name's address and length, its
/// line and its column (compared, never dereferenced).
type SiteKey = (usize, usize, u32, u32);

impl Identities {
    /// Identities with only the main thread's. Allocates nothing until used: a detector
    /// that is only a placeholder (the check's, while an execution holds it) costs nothing.
    pub(crate) fn new() -> Self {
        Identities::default()
    }

    /// The main thread's identity, 0, is the first: added on first use.
    fn main_thread(&mut self) {
        if self.threads.is_empty() {
            self.threads.push(main_info());
        }
    }

    /// Forgets the per-execution ordinal counters; identities themselves stay.
    pub(crate) fn begin_execution(&mut self) {
        self.main_thread();
        if !self.replaying {
            self.spawn_ordinals.clear();
            self.create_ordinals.clear();
        }
        std::mem::swap(&mut self.asked, &mut self.previous);
        self.asked.clear();
        self.replaying = true;
    }

    /// The identity the previous execution got when it asked for `asked` at this point, if the
    /// running one has asked for the same so far; otherwise stops replaying (the ordinals
    /// counted from what was asked).
    #[inline]
    fn replayed(&mut self, asked: Asked) -> Option<u32> {
        if !self.replaying {
            return None;
        }
        if let Some(&(previous, id)) = self.previous.get(self.asked.len()) {
            if previous == asked {
                self.asked.push((asked, id));
                return Some(id);
            }
        }
        self.stop_replaying();
        None
    }

    /// The running execution asked for something else than the previous one: from now on the
    /// ordinals are counted, from what it asked so far.
    #[cold]
    fn stop_replaying(&mut self) {
        self.replaying = false;
        for (asked, _) in &self.asked {
            let ordinals = match asked.class {
                None => &mut self.spawn_ordinals,
                Some(_) => &mut self.create_ordinals,
            };
            *ordinals.entry((asked.by, asked.site)).or_insert(0) += 1;
        }
    }

    /// Notes what the running execution asked for and got (unless it asked for many).
    fn note_asked(&mut self, asked: Asked, id: u32) {
        if self.asked.len() < ASKED_KEPT {
            self.asked.push((asked, id));
        }
    }

    fn site(&mut self, site: &Site) -> u32 {
        // A site from `Location::caller()` is known by its file name's address: no hashing of
        // the name for the sites just used.
        let key = match &site.file {
            std::borrow::Cow::Borrowed(file) => {
                Some((file.as_ptr() as usize, file.len(), site.line, site.column))
            }
            std::borrow::Cow::Owned(_) => None,
        };
        if let Some(key) = key {
            if let Some(&(_, id)) = self.recent_sites.iter().flatten().find(|(k, _)| *k == key) {
                return id;
            }
        }
        let id = match self.sites.get(site) {
            Some(&id) => id,
            None => {
                let id = self.sites.len() as u32;
                self.sites.insert(site.clone(), id);
                id
            }
        };
        if let Some(key) = key {
            self.recent_sites.rotate_right(1);
            self.recent_sites[0] = Some((key, id));
        }
        id
    }

    /// The stable identity of the thread that `parent` spawns at `site`.
    pub(crate) fn spawn(&mut self, parent: u32, site: &Site, name: Option<&str>) -> u32 {
        self.main_thread();
        let site_id = self.site(site);
        let asked = Asked {
            class: None,
            by: parent,
            site: site_id,
        };
        self.answer(asked, |ids| {
            let ordinal = ids.spawn_ordinals.entry((parent, site_id)).or_insert(0);
            let key = ThreadKey {
                parent,
                site: site_id,
                ordinal: *ordinal,
            };
            *ordinal += 1;
            if let Some(&id) = ids.thread_keys.get(&key) {
                return id;
            }
            let id = ids.threads.len() as u32;
            ids.threads.push(ThreadInfo {
                id,
                name: name.map_or_else(|| format!("t{id}"), str::to_owned),
                spawned_at: Some(site.clone()),
            });
            ids.thread_keys.insert(key, id);
            id
        })
    }

    /// The identity `asked` stands for: the previous execution's answer when it asked the same
    /// things in the same order so far (`replayed`), else what `find` works out.
    #[inline]
    fn answer(&mut self, asked: Asked, find: impl FnOnce(&mut Self) -> u32) -> u32 {
        if let Some(id) = self.replayed(asked) {
            return id;
        }
        let id = find(self);
        self.note_asked(asked, id);
        id
    }

    /// The stable identity of the object that `thread` creates at `site`.
    pub(crate) fn create(
        &mut self,
        thread: u32,
        class: ObjectClass,
        site: &Site,
        name: Option<&str>,
    ) -> u32 {
        self.main_thread();
        let site_id = self.site(site);
        let asked = Asked {
            class: Some(class),
            by: thread,
            site: site_id,
        };
        self.answer(asked, |ids| {
            let ordinal = ids.create_ordinals.entry((thread, site_id)).or_insert(0);
            let key = ObjectKey {
                thread,
                class,
                site: site_id,
                ordinal: *ordinal,
            };
            *ordinal += 1;
            if let Some(&id) = ids.object_keys.get(&key) {
                return id;
            }
            let id = ids.objects.len() as u32;
            ids.objects.push(ObjectInfo {
                id,
                class,
                name: name.map(str::to_owned),
                created_at: site.clone(),
                created_by: ids.threads[thread as usize].name.clone(),
                ordinal: key.ordinal,
            });
            ids.object_keys.insert(key, id);
            id
        })
    }

    /// A thread of a program on real threads (online analysis): a fresh identity per call, as
    /// every OS thread is a thread of its own.
    pub(crate) fn real_thread(&mut self, name: &str, spawned_at: Option<&Site>) -> u32 {
        self.main_thread();
        let id = self.threads.len() as u32;
        self.threads.push(ThreadInfo {
            id,
            name: name.to_owned(),
            spawned_at: spawned_at.cloned(),
        });
        id
    }

    /// The class of the locks created at `site` (online analysis, as lockdep's lock classes):
    /// one identity per class and creation site, whoever creates them and however often.
    /// `created_by` names the thread that created the first.
    pub(crate) fn lock_class(
        &mut self,
        class: ObjectClass,
        site: &Site,
        name: Option<&str>,
        created_by: &str,
    ) -> u32 {
        let site_id = self.site(site);
        // A named class is told apart by its name: the key's `ordinal` is the name's number.
        let ordinal = match name {
            None => 0,
            Some(name) => {
                let next = self.class_names.len() as u32 + 1;
                *self.class_names.entry(name.to_owned()).or_insert(next)
            }
        };
        let key = ObjectKey {
            thread: ROOT,
            class,
            site: site_id,
            ordinal,
        };
        if let Some(&id) = self.object_keys.get(&key) {
            return id;
        }
        let id = self.objects.len() as u32;
        self.objects.push(ObjectInfo {
            id,
            class,
            name: name.map(str::to_owned),
            created_at: site.clone(),
            created_by: created_by.to_owned(),
            ordinal: 0,
        });
        self.object_keys.insert(key, id);
        id
    }

    pub(crate) fn thread(&self, id: u32) -> &ThreadInfo {
        static MAIN: std::sync::OnceLock<ThreadInfo> = std::sync::OnceLock::new();
        match self.threads.get(id as usize) {
            Some(info) => info,
            None if id == 0 => MAIN.get_or_init(main_info),
            None => panic!("no thread identity {id}"),
        }
    }

    pub(crate) fn object(&self, id: u32) -> &ObjectInfo {
        &self.objects[id as usize]
    }

    pub(crate) fn thread_count(&self) -> usize {
        self.threads.len().max(1)
    }

    /// Sites, threads, objects and lock classes known (see `Detector::kept_size`).
    pub(crate) fn size(&self) -> usize {
        self.sites.len() + self.threads.len() + self.objects.len() + self.class_names.len()
    }
}

/// The main thread's identity.
fn main_info() -> ThreadInfo {
    ThreadInfo {
        id: 0,
        name: "main".to_owned(),
        spawned_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_code_gets_the_same_identities_in_every_execution() {
        let mut ids = Identities::new();
        let spawn_site = Site::new("t.rs", 5, 1);
        let lock_site = Site::new("t.rs", 2, 1);
        let mut seen = Vec::new();
        for _ in 0..2 {
            ids.begin_execution();
            let a = ids.spawn(0, &spawn_site, None);
            let b = ids.spawn(0, &spawn_site, None);
            let m1 = ids.create(a, ObjectClass::Mutex, &lock_site, None);
            let m2 = ids.create(a, ObjectClass::Mutex, &lock_site, None);
            let m3 = ids.create(b, ObjectClass::Mutex, &lock_site, None);
            seen.push([a, b, m1, m2, m3]);
        }
        assert_eq!(seen[0], [1, 2, 0, 1, 2]);
        assert_eq!(seen[0], seen[1]);
        assert_eq!(ids.object(1).label(), "mutex@t.rs:2");
        assert_eq!(ids.object(1).key(), "mutex@t.rs:2:1#1");
        let all: Vec<ObjectInfo> = (0..3).map(|o| ids.object(o).clone()).collect();
        assert_eq!(
            labels(&all),
            ["mutex#1@t.rs:2", "mutex#2@t.rs:2", "mutex#3@t.rs:2"]
        );
        assert_eq!(ids.object(2).created_by, "t2");
    }

    #[test]
    fn user_names_are_shown() {
        let mut ids = Identities::new();
        let t = ids.spawn(0, &Site::new("t.rs", 1, 1), Some("worker"));
        let m = ids.create(
            t,
            ObjectClass::RwLock,
            &Site::new("t.rs", 2, 1),
            Some("config"),
        );
        assert_eq!(ids.thread(t).name, "worker");
        assert_eq!(ids.object(m).label(), "config");
        assert_eq!(ids.object(m).created_by, "worker");
    }
}
